#!/usr/bin/env bash
# The planted Figure 8 bug (commit of earlier-term entries by counting,
# Raft §5.4.2) must be caught by the simulator's checkers within the sweep:
# `pss sim --seeds ... --planted-bug figure8 --first-failure` must exit 1
# and name the seed. Proves the checkers can fail. Usage: planted_bug_test.sh PSS
set -uo pipefail
pss=${1:?usage: planted_bug_test.sh PATH_TO_PSS}
seeds=${PSS_SIM_PLANTED_SEEDS:-1500}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$pss" sim --seeds "1..$seeds" --nodes 3 --clients 8 --seconds 10 --planted-bug figure8 \
  --first-failure > "$out" 2>/dev/null
rc=$?
cat "$out"
if [ "$rc" -eq 1 ] && grep -q '^seed [0-9]*: FAILED safety' "$out"; then
  echo "planted-bug: caught"
  exit 0
fi
echo "planted-bug: NOT caught within $seeds seeds (exit $rc)"
exit 1
