#!/bin/sh
# One entry point for `npm start`, `npm test` and `npm run bench`: installs
# dependencies when needed, makes the local services ready, then runs the mode.
#
#   scripts/bootstrap.sh start|test|bench [args passed on...]
set -eu

usage() { echo "usage: $0 start|test|bench [args...]" >&2; exit 2; }
[ $# -ge 1 ] || usage
MODE=$1
shift
case "$MODE" in start|test|bench) ;; *) usage ;; esac

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

if [ ! -d node_modules ] || [ ! -f node_modules/.package-lock.json ] \
  || [ package.json -nt node_modules/.package-lock.json ]; then
  echo "bootstrap: npm install" >&2
  npm install --no-audit --no-fund >&2
fi

sh scripts/setup-services.sh "$MODE"

: "${DOCKER_HOST:=unix:///run/podman/podman.sock}"
: "${HOIST_REGISTRY_URL:=127.0.0.1:5000/hoist}"
export DOCKER_HOST HOIST_REGISTRY_URL

# The cold-start burst holds every acknowledgement to 1 s: it runs alone, after
# every other file, so that no other test competes with it for the CPU. Arguments
# go to both runs; file filters (arguments without a leading "-"; give options as
# --name=value) pick the files, the burst file only when one of them matches it.
ACK_BURST=test/e2e/ack-burst.test.ts
run_tests() {
  burst=yes
  for arg in "$@"; do
    case "$arg" in -*) ;; *) burst=no ;; esac
  done
  for arg in "$@"; do
    case "$arg" in -*) ;; *) case "$ACK_BURST" in *"$arg"*) burst=yes ;; esac ;; esac
  done
  status=0
  node_modules/.bin/vitest run --exclude "$ACK_BURST" --passWithNoTests "$@" || status=$?
  if [ "$burst" = yes ]; then
    options=""
    for arg in "$@"; do
      case "$arg" in -*) options="$options $arg" ;; esac
    done
    # shellcheck disable=SC2086 # options are words without spaces (--name=value)
    node_modules/.bin/vitest run $options "$ACK_BURST" || status=$?
  fi
  return "$status"
}

# The embedded default for one person: only this machine reaches it (HOST overrides), and an
# admin API token is written once to HOIST_ADMIN_TOKEN_FILE so the API can be read at once.
# `hoist start`/`hoist server` themselves keep every interface (Slack's HTTP mode, probes).
if [ "$MODE" = start ]; then
  : "${HOST:=127.0.0.1}"
  : "${HOIST_ADMIN_TOKEN_FILE:=${HOIST_DATA_DIR:-.hoist}/admin-token}"
  export HOST HOIST_ADMIN_TOKEN_FILE
fi

case "$MODE" in
  # One process (no tsx wrapper), so SIGTERM reaches Hoist itself.
  start) exec node bin/hoist.mjs start "$@" ;;
  test) run_tests "$@" ;;
  bench) exec node_modules/.bin/tsx bench/run.ts "$@" ;;
esac
