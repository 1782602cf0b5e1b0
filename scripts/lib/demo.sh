# Sourced by scripts/demo_check and scripts/screenshot: run `scripts/develop --demo`
# in a throwaway config on its own ports, and stop it with Ctrl-C (SIGINT) on exit.
# demo_options "$@" takes the caller's --ha VERSION (as scripts/develop's) along.
export HA_PORT="${HA_PORT:-18123}" SIM_PORT="${SIM_PORT:-18710}" DEMO_INTERVAL="${DEMO_INTERVAL:-3}"
export PARAKEY_CONFIG_DIR
PARAKEY_CONFIG_DIR="$(mktemp -d)"
DEMO_LOG="$PARAKEY_CONFIG_DIR/develop.log"

DEVELOP_ARGS=(--demo)
demo_options() {
  while [ $# -gt 0 ]; do
    case "$1" in
      --ha)
        [ $# -ge 2 ] || break
        DEVELOP_ARGS+=(--ha "$2")
        shift 2
        ;;
      --ha=*)
        DEVELOP_ARGS+=("$1")
        shift
        ;;
      *) break ;;
    esac
  done
  if [ $# -gt 0 ]; then
    echo "usage: $0 [--ha 2025.4|2026.11]" >&2
    exit 2
  fi
}

demo_start() {
  rm -f "$PARAKEY_CONFIG_DIR/.demo.json"
  setsid scripts/develop "${DEVELOP_ARGS[@]}" >> "$DEMO_LOG" 2>&1 &
  DEMO_PID=$!
  trap demo_stop EXIT
}

# Ctrl-C the whole process group, as a person would; wait up to 30 s for all of it
# (Home Assistant, in a chroot or not, and the simulator) to end. If it does not, say
# so, and stop it with SIGTERM (then SIGKILL) so that nothing is left running.
demo_gone() { # seconds
  for _ in $(seq 1 $(($1 * 2))); do
    pgrep -g "$DEMO_PID" >/dev/null || return 0
    sleep 0.5
  done
  return 1
}
demo_stop() {
  kill -INT -- -"$DEMO_PID" 2>/dev/null || true
  demo_gone 30 && return 0
  kill -TERM -- -"$DEMO_PID" 2>/dev/null || true
  demo_gone 30 || kill -KILL -- -"$DEMO_PID" 2>/dev/null || true
  return 1
}

# Print the demo's login JSON once the set-up has finished (or fail after 4 minutes).
demo_wait() {
  local file="$PARAKEY_CONFIG_DIR/.demo.json"
  for _ in $(seq 1 240); do
    if [ -s "$file" ] && tail -n 1 "$file" | grep -q '"token"'; then
      tail -n 1 "$file"
      return 0
    fi
    kill -0 "$DEMO_PID" 2>/dev/null || break
    sleep 1
  done
  echo "demo set-up did not finish; log follows" >&2
  cat "$DEMO_LOG" >&2
  return 1
}
