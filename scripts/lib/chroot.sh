# Sourced by scripts/compat and scripts/develop: the cached Debian chroots that run newer
# Home Assistant releases than the host's Python allows (see scripts/compat).
# Needs root (mmdebstrap, chroot, mount). Defines functions and settings only; the
# caller sets its own traps (`trap chroot_cleanup EXIT` undoes mount_root's mounts).

CHROOT_LIB="$(realpath "${BASH_SOURCE[0]}")"
CHROOT_CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/parakey-chroots"
CHROOT_MIRROR="${COMPAT_MIRROR:-http://deb.debian.org/debian}"
CHROOT_PACKAGES="python3,python3-venv,python3-dev,gcc,g++,git,ca-certificates,libffi-dev,libssl-dev"
# What forky's venv holds (the first line is Home Assistant itself; see ensure_venv).
# home-assistant-frontend at the release's own pin: the web UI and the logbook need it,
# and Home Assistant then has nothing to download at start.
FORKY_PINS="homeassistant==2026.11.0
home-assistant-frontend"

log() { printf '\033[1m%s:\033[0m %s\n' "$(basename "$0")" "$*" >&2; }
die() {
  log "$*"
  exit 1
}

# ----- one user of the chroots at a time, or several readers -----

# scripts/compat builds, rebuilds and cleans the chroots: it takes the lock alone.
# scripts/develop only runs hass in one: it shares the lock with other develops.
# The lock lives on file descriptor 9, so processes started afterwards hold it too.
chroot_lock() { # exclusive|shared
  local mode="-x"
  [ "$1" = shared ] && mode="-s"
  mkdir -p "$CHROOT_CACHE"
  exec 9>>"$CHROOT_CACHE/.lock"
  flock -n "$mode" 9 && return 0
  if [ "$1" = shared ]; then
    log "waiting for scripts/compat to finish with $CHROOT_CACHE"
  else
    log "waiting for the other user of $CHROOT_CACHE (scripts/compat or scripts/develop --ha) to finish"
  fi
  flock -w 3600 "$mode" 9 || die "gave up waiting for $CHROOT_CACHE/.lock"
}

# ----- mounts: always undone, whatever happens -----

MOUNTED_ROOTS=()
mounts_under() { # print mount points at or below $1, deepest first
  awk -v root="$1" '$2 == root || index($2, root "/") == 1 { print $2 }' /proc/self/mounts |
    sort -r
}
kill_chroot_processes() { # processes whose root directory is the chroot: only ours
  local root="$1" pid
  for pid in $(ls /proc | grep -E '^[0-9]+$'); do
    [ "$(readlink "/proc/$pid/root" 2>/dev/null)" = "$root" ] && kill "$pid" 2>/dev/null || true
  done
}
unmount_root() {
  local root="$1" point
  kill_chroot_processes "$root"
  for point in $(mounts_under "$root"); do
    umount "$point" 2>/dev/null || umount -l "$point" || log "could not unmount $point"
  done
}
chroot_cleanup() {
  local root
  for root in "${MOUNTED_ROOTS[@]}"; do unmount_root "$root"; done
  MOUNTED_ROOTS=()
}

mount_root() {
  local root="$1"
  MOUNTED_ROOTS+=("$root")
  mountpoint -q "$root/proc" || mount -t proc proc "$root/proc" || return 1
  mountpoint -q "$root/dev" || mount --bind /dev "$root/dev" || return 1
  cp /etc/resolv.conf "$root/etc/resolv.conf"
}

# Remove a chroot only when nothing is mounted inside it (a bind-mounted /dev must never
# be deleted through it); --one-file-system is the second guard.
remove_root() {
  local root="$1"
  [ -e "$root" ] || return 0
  unmount_root "$root"
  [ -z "$(mounts_under "$root")" ] || die "refusing to delete $root: something is still mounted in it"
  rm -rf --one-file-system "$root"
}

# The environment of everything run inside: a clean one, with the registry's certificate
# for pip, and for uv, with which Home Assistant installs requirements at run time
# (without SSL_CERT_FILE and UV_NATIVE_TLS it rejects the registry's certificate and
# Home Assistant falls into recovery mode).
CHROOT_ENV=(PATH=/usr/local/bin:/usr/bin:/bin HOME=/root LANG=C.UTF-8
  PIP_CERT=/etc/ssl/certs/ca-certificates.crt PIP_DISABLE_PIP_VERSION_CHECK=1
  SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt UV_NATIVE_TLS=1)

in_root() { # run a bash command inside the chroot with a clean environment
  local root="$1" pid
  shift
  # In the background and waited for, so that Ctrl-C reaches the traps at once.
  chroot "$root" /usr/bin/env -i "${CHROOT_ENV[@]}" CI="${CI:-}" bash -c "$*" &
  pid=$!
  wait "$pid"
}

# Run a program inside the chroot in a mount namespace of its own, as this process
# (exec: the caller starts it in the background and keeps its pid). /proc, /dev and the
# directories given are mounted in that namespace only, each at the same path as outside,
# so a path means the same inside and out. The mounts vanish with the namespace's last
# process: nothing to unmount, nothing left behind by a crash, and several runs at once
# never touch each other's mounts (nor show in the host's /proc/self/mounts).
#   exec_in_root_private ROOT [--ro DIR | --rw DIR | --env VAR=VALUE]... -- PROGRAM [ARG]...
# Directories are mounted in the order given (a --rw DIR may lie inside a --ro one). The
# chroot's /tmp is a private tmpfs, so a mount point under /tmp is not left behind.
exec_in_root_private() {
  exec unshare --mount --propagation private -- bash -c '
    set -euo pipefail
    source "$1"
    root="$2"
    shift 2
    mount_root "$root"
    mount -t tmpfs -o mode=1777 tmpfs "$root/tmp"
    environment=()
    while [ "$1" != -- ]; do
      case "$1" in
        --ro | --rw)
          mkdir -p "$root$2"
          mount --bind "$2" "$root$2"
          [ "$1" = --rw ] || mount -o remount,bind,ro "$root$2"
          ;;
        --env) environment+=("$2") ;;
        *) die "exec_in_root_private: unknown option $1" ;;
      esac
      shift 2
    done
    shift
    exec chroot "$root" /usr/bin/env -i "${CHROOT_ENV[@]}" "${environment[@]}" "$@"
  ' "$(basename "$0")" "$CHROOT_LIB" "$@"
}

# After exec_in_root_private: hold the mount namespace of PID (if it has one of its own)
# open, so that it cannot end and its number be given to another one meanwhile;
# release_namespace then stops what is left in it and lets it go.
NAMESPACE="" NAMESPACE_FD=""
hold_namespace() { # pid
  [ -n "$NAMESPACE_FD" ] && return 0
  { exec {NAMESPACE_FD}<"/proc/$1/ns/mnt"; } 2>/dev/null || {
    NAMESPACE_FD=""
    return 0
  }
  NAMESPACE="$(readlink "/proc/$$/fd/$NAMESPACE_FD")"
  if [ "$NAMESPACE" = "$(readlink /proc/$$/ns/mnt)" ]; then # not unshared yet
    exec {NAMESPACE_FD}<&-
    NAMESPACE="" NAMESPACE_FD=""
  fi
}
release_namespace() {
  local entry left
  [ -n "$NAMESPACE_FD" ] || return 0
  for _ in $(seq 1 20); do
    left=()
    for entry in /proc/[0-9]*; do
      [ "$(readlink "$entry/ns/mnt" 2>/dev/null)" = "$NAMESPACE" ] && left+=("${entry#/proc/}")
    done
    [ ${#left[@]} = 0 ] && break
    kill "${left[@]}" 2>/dev/null || true
    sleep 0.5
  done
  if [ ${#left[@]} != 0 ]; then
    log "killing what is left in $NAMESPACE: ${left[*]}"
    kill -9 "${left[@]}" 2>/dev/null || true
  fi
  exec {NAMESPACE_FD}<&-
  NAMESPACE="" NAMESPACE_FD=""
}

# ----- building and caching -----

ensure_mmdebstrap() {
  command -v mmdebstrap >/dev/null 2>&1 && return 0
  log "installing mmdebstrap"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mmdebstrap >/dev/null
}

chroot_ready() { # name: is the chroot built as it should be?
  local root="$CHROOT_CACHE/$1"
  [ -f "$root/.parakey-chroot" ] &&
    [ "$(cat "$root/.parakey-chroot")" = "suite=$1 packages=$CHROOT_PACKAGES" ]
}

ensure_chroot() { # name (= Debian suite)
  local suite="$1" root="$CHROOT_CACHE/$1"
  chroot_ready "$suite" && return 0
  ensure_mmdebstrap
  log "building the $suite chroot in $root"
  remove_root "$root"
  remove_root "$root.new"
  mkdir -p "$CHROOT_CACHE"
  # The mirror's forky Release file is past its Valid-Until date.
  mmdebstrap --quiet --variant=minbase \
    --aptopt='Acquire::Check-Valid-Until "false"' \
    --include="$CHROOT_PACKAGES" "$suite" "$root.new" "$CHROOT_MIRROR" || return 1
  cp /etc/ssl/certs/ca-certificates.crt "$root.new/etc/ssl/certs/" || return 1
  echo "suite=$suite packages=$CHROOT_PACKAGES" >"$root.new/.parakey-chroot"
  mv "$root.new" "$root"
}

venv_ready() { # root, pins, [components]: does /opt/venv hold what it should?
  local root="$1" wanted="$2
components: ${3:-}"
  [ -f "$root/opt/venv/.parakey-pins" ] && [ "$(cat "$root/opt/venv/.parakey-pins")" = "$wanted" ]
}

# Install the pins (and the requirements of Home Assistant components) into a new
# /opt/venv, unless it holds them already. Needs the chroot mounted (mount_root).
ensure_venv() { # root, pins, [components]
  local root="$1" pins="$2" components="${3:-}"
  local wanted="$pins
components: $components"
  venv_ready "$root" "$pins" "$components" && return 0
  log "installing into $(basename "$root")'s venv: $(echo "$pins" | tr '\n' ' ')${components:+ + requirements of $components}"
  printf '%s\n' "$pins" >"$root/tmp/parakey-pins.txt"
  # Everything is installed under Home Assistant's package_constraints.txt, as Home
  # Assistant installs its own requirements (without it pip backtracks for many minutes
  # through the bluetooth packages).
  in_root "$root" 'set -e; rm -rf /opt/venv; python3 -m venv /opt/venv
    pip=(/opt/venv/bin/pip install -q)
    "${pip[@]}" --upgrade pip
    "${pip[@]}" --no-deps "$(head -n 1 /tmp/parakey-pins.txt)"
    constraints="$(echo /opt/venv/lib/python3*/site-packages/homeassistant/package_constraints.txt)"
    "${pip[@]}" -r /tmp/parakey-pins.txt -c "$constraints"
    /opt/venv/bin/python - '"$components"' >/tmp/parakey-component-reqs.txt <<"PY"
import json, sys
from pathlib import Path
import homeassistant.components as components
base, seen, todo = Path(components.__path__[0]), set(), sys.argv[1:]
while todo:
    if (domain := todo.pop()) in seen:
        continue
    seen.add(domain)
    manifest = json.loads((base / domain / "manifest.json").read_text())
    todo += manifest.get("dependencies", []) + manifest.get("after_dependencies", [])
    print("\n".join(manifest.get("requirements", [])))
PY
    if grep -q . /tmp/parakey-component-reqs.txt; then
      "${pip[@]}" -r /tmp/parakey-component-reqs.txt -c "$constraints"
    fi' || return 1
  printf '%s' "$wanted" >"$root/opt/venv/.parakey-pins"
}

ha_version() { in_root "$1" '/opt/venv/bin/python -c "from homeassistant.const import __version__; print(__version__)"'; }
