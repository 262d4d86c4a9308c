# Shared helpers of the process-level tests: real `pss node` processes on
# 127.0.0.1 ports, driven through scripts/cluster and the client commands.
# A test sources this with PSS (the binary) and BASE_PORT set, calls
# e2e_start N T, and reports with ok/bad; e2e_finish prints the totals,
# stops every node and removes the work directory.
set -uo pipefail
# meson passes the binary relative to the build directory; the scripts cd.
PSS=$(realpath "$PSS")

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
work=$(mktemp -d /tmp/pss-e2e.XXXXXX)
export PSS_BIN=$PSS
export PSS_CLUSTER_DIR=$work/cluster
export PSS_CLUSTER=$work/cluster/client/cluster.toml
cluster="$repo/scripts/cluster"
passed=0
failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }
check() { # check WHAT COMMAND...: passes if the command succeeds
  local what=$1
  shift
  if "$@"; then ok; else bad "$what"; fi
}

cleanup() {
  "$cluster" stop >/dev/null 2>&1 || true
  if [ "$failed" -gt 0 ] && [ -d "$work/cluster" ]; then
    for log in "$work"/cluster/node-*/node.log; do
      echo "---- last lines of $log"
      tail -15 "$log"
    done
    if [ -s "$work/client.err" ]; then
      echo "---- last lines of the clients' stderr"
      tail -15 "$work/client.err"
    fi
  fi
  [ -n "${PSS_E2E_KEEP:-}" ] && echo "kept $work" || rm -rf "$work"
}
trap cleanup EXIT

e2e_start() { # e2e_start NODES THRESHOLD [extra scripts/cluster start options]
  local n=$1 t=$2
  shift 2
  "$cluster" start --nodes "$n" --threshold "$t" --base-port "$BASE_PORT" "$@" >"$work/start.log" 2>&1 \
    || { cat "$work/start.log"; bad "scripts/cluster start"; e2e_finish; }
}

# status_json: one `pss status --json` (empty output when it fails hard).
status_json() { "$PSS" status --json 2>/dev/null || true; }

# wait_until SECONDS COMMAND...: 0 once COMMAND succeeds, 1 after SECONDS.
wait_until() {
  local deadline=$((SECONDS + $1))
  shift
  while [ $SECONDS -lt $deadline ]; do "$@" && return 0; sleep 0.5; done
  return 1
}

# wait_healthy SECONDS [MIN_ANSWERED]: a leader that a majority agrees on.
wait_healthy() {
  local deadline=$((SECONDS + $1)) min=${2:-0} s
  while [ $SECONDS -lt $deadline ]; do
    s=$(status_json)
    if [ -n "$s" ] && [ "$(jq -r .healthy <<<"$s")" = true ] && [ "$(jq -r .answered <<<"$s")" -ge "$min" ]; then
      return 0
    fi
    sleep 0.3
  done
  return 1
}

leader_id() { status_json | jq -r '.leader'; }

# put NAME VALUE: 0 when acknowledged
put() { printf '%s' "$2" | "$PSS" put "$1" >/dev/null 2>>"$work/client.err"; }
# get_equals NAME VALUE [VERSION]
get_equals() {
  local got
  if [ $# -ge 3 ]; then got=$("$PSS" get "$1" --version "$3" 2>>"$work/client.err") || return 1
  else got=$("$PSS" get "$1" 2>>"$work/client.err") || return 1; fi
  [ "$got" = "$2" ]
}

e2e_finish() {
  echo "e2e: $passed passed, $failed failed"
  if [ "$failed" -eq 0 ]; then exit 0; fi
  exit 1
}
