#!/bin/sh
# Makes this machine ready to run Hoist and its tests: a Docker-compatible engine
# (Podman's API service), a registry on loopback, Redis and (with `test` and `bench`) PostgreSQL.
# Idempotent: when everything already answers it only checks, in well under a second.
#
#   scripts/setup-services.sh [start|test|bench]
set -eu

MODE=${1:-start}
# Tests and benchmarks make a database of their own on a local PostgreSQL.
case "$MODE" in test|bench) NEEDS_PG=1 ;; *) NEEDS_PG=0 ;; esac
ROOT=$(cd "$(dirname "$0")/.." && pwd)
STATE="$ROOT/.hoist"
PODMAN_SOCK=/run/podman/podman.sock
REGISTRY=127.0.0.1:5000
BASE_REPO=hoist-base/busybox
BASE_TAG=1

say() { printf 'setup: %s\n' "$*" >&2; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

# Polls a command every 0.1 s until it succeeds or `tries` run out.
wait_for() {
  tries=$1; shift
  while [ "$tries" -gt 0 ]; do
    if "$@" >/dev/null 2>&1; then return 0; fi
    tries=$((tries - 1))
    sleep 0.1
  done
  return 1
}

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

# --- system packages -----------------------------------------------------------
missing=""
need() { # need <binary> <package>
  command -v "$1" >/dev/null 2>&1 || missing="$missing $2"
}
need podman podman
need runc runc
# HostConfig.Init needs an init binary; published ports need iptables.
need catatonit catatonit
need iptables iptables
need docker-registry docker-registry
need git git
need curl curl
need redis-server redis-server
need redis-cli redis-tools
# Only the static busybox runs inside a FROM-scratch image.
installed busybox-static || missing="$missing busybox-static"
if [ "$NEEDS_PG" = 1 ]; then
  need pg_isready postgresql-client
  [ -d /etc/postgresql ] && [ -n "$(ls /etc/postgresql 2>/dev/null)" ] || missing="$missing postgresql"
fi
# The dashboard's tests drive a real headless browser.
if [ "$MODE" = test ]; then
  [ -x /usr/lib/chromium/chromium ] || missing="$missing chromium"
fi

if [ -n "$missing" ]; then
  if [ "$(id -u)" -ne 0 ]; then
    die "missing packages:$missing (run as root, or install them: apt-get install$missing)"
  fi
  command -v apt-get >/dev/null 2>&1 || die "missing packages:$missing and no apt-get to install them"
  say "installing$missing"
  export DEBIAN_FRONTEND=noninteractive
  # shellcheck disable=SC2086 # word splitting of the package list is intended
  apt-get install -y -qq $missing >/dev/null 2>&1 || {
    apt-get update -qq >/dev/null 2>&1 || die "apt-get update failed"
    # shellcheck disable=SC2086
    apt-get install -y -qq $missing >&2 || die "could not install:$missing"
  }
fi

[ -x /bin/busybox ] || die "/bin/busybox is missing although busybox-static is installed"

# --- Podman configuration ------------------------------------------------------
if [ "$(id -u)" -eq 0 ]; then
  mkdir -p /etc/containers/registries.conf.d
  conf=/etc/containers/containers.conf
  if [ ! -f "$conf" ]; then
    say "writing $conf (runc, default ulimits)"
    cat >"$conf" <<'EOF'
# crun fails here with "cgroups in hybrid mode not supported"; the default nofile
# limit is refused by the kernel, so containers get explicit ulimits.
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=4096:4096"]

[engine]
runtime = "runc"
EOF
  elif ! grep -q '^runtime *= *"runc"' "$conf" || ! grep -q '^default_ulimits' "$conf"; then
    # An existing file is someone else's: add a drop-in rather than editing it.
    mkdir -p /etc/containers/containers.conf.d
    dropin=/etc/containers/containers.conf.d/50-hoist.conf
    if [ ! -f "$dropin" ]; then
      say "writing $dropin (runc, default ulimits)"
      cat >"$dropin" <<'EOF'
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=4096:4096"]

[engine]
runtime = "runc"
EOF
    fi
  fi
  # Tests read the engine's event log back (which container was created when). Podman keeps
  # it in a file it cuts at 1 MB by default, dropping the oldest events: a whole test run
  # writes many megabytes, so the cut would take events a test is about to read.
  events=/etc/containers/containers.conf.d/51-hoist-events.conf
  if [ ! -f "$events" ]; then
    mkdir -p /etc/containers/containers.conf.d
    say "writing $events (engine event log kept up to 512 MB)"
    cat >"$events" <<'EOF'
[engine]
events_logfile_max_size = "512m"
EOF
    podman_events_new=1
  fi
  if ! grep -qs "\"$REGISTRY\"" /etc/containers/registries.conf /etc/containers/registries.conf.d/*.conf; then
    say "marking $REGISTRY as an insecure (plain HTTP) registry"
    cat >/etc/containers/registries.conf.d/50-hoist-registry.conf <<EOF
[[registry]]
location = "$REGISTRY"
insecure = true
EOF
  fi
fi

mkdir -p "$STATE" 2>/dev/null && [ -w "$STATE" ] || die "cannot write $STATE (logs and registry storage go there)"

# --- Redis -----------------------------------------------------------------------
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  say "starting redis on 127.0.0.1:6379"
  redis-server --daemonize yes --save "" --appendonly no --bind 127.0.0.1 --port 6379 \
    --logfile "$STATE/redis.log" >/dev/null
  wait_for 50 redis-cli -h 127.0.0.1 -p 6379 ping || die "redis did not answer (see $STATE/redis.log)"
fi

# --- PostgreSQL (tests and benchmarks) ------------------------------------------
if [ "$NEEDS_PG" = 1 ] && ! pg_isready -q -h 127.0.0.1 -p 5432; then
  version=$(ls /etc/postgresql | head -1)
  say "starting postgresql $version on 127.0.0.1:5432"
  pg_ctlcluster --skip-systemctl-redirect "$version" main start >&2 || die "postgresql did not start"
  wait_for 100 pg_isready -q -h 127.0.0.1 -p 5432 || die "postgresql does not answer on 127.0.0.1:5432"
fi

# --- Podman's Docker-compatible API ---------------------------------------------
podman_up() { curl -fsS --max-time 2 --unix-socket "$PODMAN_SOCK" http://d/_ping; }
if [ "${podman_events_new:-0}" = 1 ] && podman_up >/dev/null 2>&1; then
  say "note: podman's API service was already running; restart it for its event log size to apply"
fi
if ! podman_up >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ]; then
    die "podman API does not answer on $PODMAN_SOCK and only root can start it (run this script as root once)"
  fi
  say "starting podman API service on unix://$PODMAN_SOCK"
  mkdir -p "$(dirname "$PODMAN_SOCK")"
  rm -f "$PODMAN_SOCK"
  setsid nohup podman system service --time=0 "unix://$PODMAN_SOCK" \
    >>"$STATE/podman.log" 2>&1 </dev/null &
  wait_for 300 podman_up || die "podman API did not answer on $PODMAN_SOCK (see $STATE/podman.log)"
fi

# --- Registry ---------------------------------------------------------------------
registry_up() { curl -fsS --max-time 2 "http://$REGISTRY/v2/"; }
if ! registry_up >/dev/null 2>&1; then
  say "starting registry on $REGISTRY (storage $STATE/registry)"
  mkdir -p "$STATE/registry"
  cat >"$STATE/registry.yml" <<EOF
version: 0.1
log:
  level: warn
  fields:
    service: registry
storage:
  filesystem:
    rootdirectory: $STATE/registry
  delete:
    enabled: true
  cache:
    blobdescriptor: inmemory
http:
  addr: $REGISTRY
  headers:
    X-Content-Type-Options: [nosniff]
EOF
  setsid nohup docker-registry serve "$STATE/registry.yml" \
    >>"$STATE/registry.log" 2>&1 </dev/null &
  wait_for 300 registry_up || die "registry did not answer on http://$REGISTRY/v2/ (see $STATE/registry.log)"
fi

# --- Base image for example apps and tests ---------------------------------------
base_present() {
  curl -fsS --max-time 2 -o /dev/null -I \
    -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
    -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
    "http://$REGISTRY/v2/$BASE_REPO/manifests/$BASE_TAG" 2>/dev/null
}
if ! base_present; then
  say "building $REGISTRY/$BASE_REPO:$BASE_TAG (static busybox FROM scratch)"
  ctx=$(mktemp -d)
  trap 'rm -rf "$ctx"' EXIT
  cp /bin/busybox "$ctx/busybox"
  # /bin/sh is busybox too, so RUN lines work in images built on this one.
  cat >"$ctx/Dockerfile" <<'EOF'
FROM scratch
COPY busybox /bin/busybox
COPY busybox /bin/sh
CMD ["/bin/sh"]
EOF
  podman build --quiet --tag "$REGISTRY/$BASE_REPO:$BASE_TAG" "$ctx" >/dev/null
  podman push --quiet --tls-verify=false "$REGISTRY/$BASE_REPO:$BASE_TAG" >&2
  base_present || die "pushed $REGISTRY/$BASE_REPO:$BASE_TAG but the registry does not list it"
fi

say "ready ($MODE): podman unix://$PODMAN_SOCK, registry $REGISTRY, redis 127.0.0.1:6379$([ "$NEEDS_PG" = 1 ] && echo ', postgresql 127.0.0.1:5432')"
