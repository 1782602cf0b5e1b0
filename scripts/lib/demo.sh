# Sourced by scripts/demo_check and scripts/screenshot: run `scripts/develop --demo`
# in a throwaway config on its own ports, and stop it with Ctrl-C (SIGINT) on exit.
export HA_PORT="${HA_PORT:-18123}" SIM_PORT="${SIM_PORT:-18710}" DEMO_INTERVAL="${DEMO_INTERVAL:-3}"
export PARAKEY_CONFIG_DIR
PARAKEY_CONFIG_DIR="$(mktemp -d)"
DEMO_LOG="$PARAKEY_CONFIG_DIR/develop.log"

demo_start() {
  rm -f "$PARAKEY_CONFIG_DIR/.demo.json"
  setsid scripts/develop --demo >> "$DEMO_LOG" 2>&1 &
  DEMO_PID=$!
  trap demo_stop EXIT
}

# Ctrl-C the whole process group, as a person would; wait up to 30 s.
demo_stop() {
  kill -INT -- -"$DEMO_PID" 2>/dev/null || true
  for _ in $(seq 1 60); do kill -0 "$DEMO_PID" 2>/dev/null || return 0; sleep 0.5; done
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
