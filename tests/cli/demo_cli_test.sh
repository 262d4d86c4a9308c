#!/usr/bin/env bash
# Runs `pss demo` (a whole cluster on CAF's real scheduler, real files) and
# checks that it exits 0 within its time bound and narrates every step: the
# election, a put read back equal, each node's share fingerprint, two refresh
# epochs that change every fingerprint, the leader's crash and the
# re-election, a read with the node down, the restart from disk and catch-up,
# a node that loses its shares and recovers the same fingerprint, and the
# summary. Also checks that bad options exit 2 and that the temporary
# directory is removed. Usage: demo_cli_test.sh PATH_TO_PSS
set -uo pipefail
pss=${1:?usage: demo_cli_test.sh PATH_TO_PSS}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0
failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }

began=$(date +%s)
timeout 60 "$pss" demo > "$work/out" 2> "$work/err"
rc=$?
took=$(( $(date +%s) - began ))
cat "$work/out"
if [ "$rc" -eq 0 ]; then ok; else bad "pss demo exited $rc: $(cat "$work/err")"; fi
if [ "$took" -le 20 ]; then ok; else bad "pss demo took ${took}s"; fi

expect_line() {
  local what=$1 pattern=$2
  if grep -Eq "$pattern" "$work/out"; then ok; else bad "no line for $what (/$pattern/)"; fi
}
expect_line "timestamps" '^\[ *[0-9]+\.[0-9]{3}s\] starting 5 nodes'
expect_line "the first election" 'node [1-5] was elected leader for term [0-9]+ \(the first election'
expect_line "a put" 'put demo/greeting = "hello from the pss demo" in [0-9.]+ ms'
expect_line "a read back" 'get demo/greeting in [0-9.]+ ms: rebuilt from 3 verified shares, equal to what was put$'
fp='[0-9a-f]{8}'
expect_line "the fingerprints" "each node.s share of demo/greeting in epoch [0-9]+ .*: node 1 $fp, node 2 $fp, node 3 $fp, node 4 $fp, node 5 $fp\$"
expect_line "a refresh request" 'requested refresh epoch [0-9]+ \(accepted in [0-9.]+ ms\)'
epochs=$(grep -Ec "refresh epoch [0-9]+ committed on every node [0-9.]+ ms after the request; fingerprints changed on every node: node 1 $fp -> $fp, node 2 $fp -> $fp, node 3 $fp -> $fp, node 4 $fp -> $fp, node 5 $fp -> $fp\$" "$work/out")
if [ "$epochs" -eq 2 ]; then ok; else bad "want 2 refresh epochs with every fingerprint changed, saw $epochs"; fi
expect_line "a read of refreshed shares" 'get demo/greeting in [0-9.]+ ms: .* equal to what was put \(from epoch [0-9]+ shares\)'
expect_line "the share loss" "node [1-5] loses its shares: .* had fingerprint $fp\$"
expect_line "the wait for recovery" 'restarted node [1-5] with an empty share journal; waiting for recovery'
lost=$(sed -nE "s/.*node ([1-5]) loses its shares: .* had fingerprint ($fp)\$/\1 \2/p" "$work/out")
recovered=$(sed -nE "s/.*node ([1-5]) recovered [0-9.]+ ms after its restart: its share of demo\/greeting has fingerprint ($fp) again.*/\1 \2/p" "$work/out")
if [ -n "$lost" ] && [ "$lost" = "$recovered" ]; then ok; else bad "recovered fingerprint '$recovered' is not the lost one '$lost'"; fi
expect_line "a read after recovery" "get demo/greeting in [0-9.]+ ms: .* equal to what was put after node [1-5].s recovery"
expect_line "the round summary" 'summary: 2 refresh epochs committed \(median [0-9.]+ ms .*\), [1-9][0-9]* recover(y|ies) '
# A fingerprint is 8 hex digits; a share, a key or a digest would be 64.
if grep -Eq '[0-9a-fA-F]{64}' "$work/out" "$work/err"; then bad "the output holds a 64-hex-digit string"; else ok; fi
expect_line "the crash" 'crashing node [1-5], the leader'
expect_line "the re-election" 'was elected leader for term [0-9]+ \(the re-election'
expect_line "a read with a node down" 'get demo/greeting in .* equal to what was put with node [1-5] down'
expect_line "the restart" 'restarted node [1-5] from its disk'
expect_line "the catch-up" 'node [1-5] caught up: its applied index [0-9]+ reached leader node [1-5].s commit index [0-9]+'
expect_line "the summary" 'summary: 5 nodes, t = 3, [2-9] leaders elected'
expect_line "the latencies" 'summary: [0-9]+ puts, median [0-9.]+ ms; [0-9]+ gets, median [0-9.]+ ms'
expect_line "the end" 'demo complete in [0-9.]+ s'
dir=$(sed -n 's/.*on disk under \(\/[^ ]*\)\/node-<i>.*/\1/p' "$work/out")
if [ -n "$dir" ] && [ ! -e "$dir" ]; then ok; else bad "the temporary directory '$dir' was not removed"; fi

for args in "--nodes 3" "--threshold 4" "--threshold 1" "--bogus"; do
  # shellcheck disable=SC2086
  "$pss" demo $args > /dev/null 2> "$work/err"
  rc=$?
  if [ "$rc" -eq 2 ] && grep -q "pss demo:" "$work/err"; then ok; else bad "pss demo $args: exit $rc, want 2"; fi
done
"$pss" demo --help > "$work/out" 2>&1 && grep -q "real, threaded scheduler" "$work/out" && ok || bad "pss demo --help"

TMPDIR="$work/missing" "$pss" demo > /dev/null 2> "$work/err"
rc=$?
if [ "$rc" -eq 1 ] && grep -q "pss demo: FAILED: cannot create a temporary directory under $work/missing" "$work/err"; then
  ok
else
  bad "pss demo with an unusable TMPDIR: exit $rc, want 1 and a clear message ($(cat "$work/err"))"
fi

echo "demo cli: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
