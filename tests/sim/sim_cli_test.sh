#!/usr/bin/env bash
# CLI tests for `pss sim`: usage errors exit 2, the JSON summary is the last
# line with the reproduce line before it, the same seed gives the same trace
# hash in two processes (and another seed a different one), and a sweep
# reports a total line. Usage: sim_cli_test.sh PATH_TO_PSS
set -uo pipefail
pss=${1:?usage: sim_cli_test.sh PATH_TO_PSS}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0
failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }

expect_usage() {
  local name=$1; shift
  "$pss" sim "$@" > "$work/out" 2> "$work/err"
  local rc=$?
  if [ "$rc" -ne 2 ]; then bad "$name: exit $rc, want 2"; return; fi
  if ! grep -q "pss sim:" "$work/err"; then bad "$name: no error message"; return; fi
  ok
}
expect_usage "no seed" --profile calm
expect_usage "both seed and seeds" --seed 1 --seeds 1..2
expect_usage "unknown profile" --seed 1 --profile stormy
expect_usage "bad range" --seeds 5..2
expect_usage "unknown planted bug" --seed 1 --planted-bug lost-vote
expect_usage "wrong-share without the secrets engine" --seed 1 --engine raft --planted-bug wrong-share
expect_usage "share-leak without the secrets engine" --seed 1 --engine raft --planted-bug share-leak
expect_usage "threshold above nodes" --seed 1 --nodes 3 --threshold 4

hash_of() { tail -n 1 "$1" | sed -n 's/.*"trace_hash":"\([0-9a-f]*\)".*/\1/p'; }

"$pss" sim --engine raft --seed 42 --seconds 3 --profile swarm > "$work/a" 2>/dev/null; rc_a=$?
"$pss" sim --engine raft --seed 42 --seconds 3 --profile swarm > "$work/b" 2>/dev/null
"$pss" sim --engine raft --seed 43 --seconds 3 --profile swarm > "$work/c" 2>/dev/null
if [ "$rc_a" -eq 0 ]; then ok; else bad "seed 42 exited $rc_a"; fi
if tail -n 1 "$work/a" | grep -qE '^\{"seed":42,"ok":true,.*"violations":\[\],"trace_hash":"[0-9a-f]{16}"\}$'; then ok
else bad "last line is not the JSON summary: $(tail -n 1 "$work/a")"; fi
if tail -n 2 "$work/a" | head -n 1 | grep -q '^reproduce: pss sim --seed 42 '; then ok
else bad "no reproduce line before the JSON"; fi
if [ -n "$(hash_of "$work/a")" ] && [ "$(hash_of "$work/a")" = "$(hash_of "$work/b")" ]; then ok
else bad "same seed, different trace hashes: $(hash_of "$work/a") $(hash_of "$work/b")"; fi
if [ "$(hash_of "$work/a")" != "$(hash_of "$work/c")" ]; then ok
else bad "seeds 42 and 43 gave the same trace hash"; fi

"$pss" sim --engine raft --seeds 1..5 --seconds 2 --profile faults > "$work/sweep" 2>/dev/null; rc=$?
if [ "$rc" -eq 0 ] && grep -q '^sweep: seeds 1..5 (profile faults): 5 ok, 0 failed' "$work/sweep"; then ok
else bad "sweep: exit $rc, output $(cat "$work/sweep")"; fi

# Parallel sweeps: the same verdicts and the failing seeds in seed order,
# whatever order the children finish in; ranges of nodes and clients are
# drawn per seed and named in each reproduce line.
expect_usage "a range without --seeds" --seed 1 --nodes 3..7
expect_usage "jobs 0" --seeds 1..2 --jobs 0
expect_usage "clients range past 16" --seeds 1..2 --clients 1..17
"$pss" sim --engine raft --seeds 1..6 --seconds 2 --profile swarm --jobs 3 --nodes 3..7 --clients 1..16 > "$work/par" 2>/dev/null; rc=$?
if [ "$rc" -eq 0 ] && grep -q '^sweep: seeds 1..6 (profile swarm): 6 ok, 0 failed' "$work/par"; then ok
else bad "parallel sweep: exit $rc, output $(cat "$work/par")"; fi
"$pss" sim --engine raft --seeds 1..40 --nodes 3 --clients 8 --seconds 3 --planted-bug figure8 --jobs 2 > "$work/p2" 2>/dev/null
"$pss" sim --engine raft --seeds 1..40 --nodes 3 --clients 8 --seconds 3 --planted-bug figure8 --jobs 1 > "$work/p1" 2>/dev/null
if cmp -s "$work/p1" "$work/p2"; then ok; else bad "--jobs 2 and --jobs 1 printed different sweeps"; fi
seeds_listed=$(sed -n 's/^seed \([0-9]*\): FAILED.*/\1/p' "$work/p2" | tr '\n' ' ')
if [ "$seeds_listed" = "$(echo "$seeds_listed" | tr ' ' '\n' | grep . | sort -n | tr '\n' ' ')" ]; then ok
else bad "failing seeds out of order: $seeds_listed"; fi
# (A liveness bound of 1 ms fails every seed, so every seed prints its line.)
"$pss" sim --engine raft --seeds 1..12 --nodes 3..7 --clients 1..16 --seconds 1 --liveness-seconds 0.001 --jobs 2 \
  > "$work/drawn" 2>/dev/null
if [ "$(grep -cE -- '--nodes [3-7] --threshold [2-4] --clients ([1-9]|1[0-6]) ' "$work/drawn")" -eq 12 ] \
   && [ "$(sed -n 's/.*--nodes \([0-9]\).*/\1/p' "$work/drawn" | sort -u | wc -l)" -ge 3 ]; then ok
else bad "drawn seeds do not name their nodes and clients, or all drew the same: $(cat "$work/drawn")"; fi

# A seed that runs past --seed-timeout is killed and counted, and the sweep
# goes on (a 600 s run of 7 nodes cannot finish in 1 s of wall time).
began=$(date +%s)
"$pss" sim --seeds 1..2 --nodes 7 --clients 16 --seconds 600 --profile swarm --seed-timeout 1 --jobs 2 \
  > "$work/timeout" 2>/dev/null; rc=$?
took=$(( $(date +%s) - began ))
if [ "$rc" -eq 3 ] && [ "$took" -lt 30 ] && [ "$(grep -c '^seed [12]: FAILED timeout: still running after 1 s' "$work/timeout")" -eq 2 ] \
   && grep -q '^sweep: seeds 1..2 (profile swarm): 0 ok, 2 failed (.*timeout 2)' "$work/timeout"; then ok
else bad "seed timeout: exit $rc after $took s, output $(cat "$work/timeout")"; fi

# The real secrets engines: usage checks, a passing run whose JSON says so,
# and the same trace hash from the same seed in two processes.
expect_usage "unknown engine" --seed 1 --engine paxos
expect_usage "secrets threshold 1" --seed 1 --engine secrets --threshold 1
expect_usage "secrets threshold equal to nodes" --seed 1 --engine secrets --nodes 3 --threshold 3
expect_usage "secrets with two nodes" --seed 1 --engine secrets --nodes 2
"$pss" sim --seed 7 --seconds 3 --nodes 5 --threshold 3 --profile swarm --engine secrets > "$work/s1" 2>/dev/null; rc_s=$?
"$pss" sim --seed 7 --seconds 3 --nodes 5 --threshold 3 --profile swarm --engine secrets > "$work/s2" 2>/dev/null
if [ "$rc_s" -eq 0 ]; then ok; else bad "secrets seed 7 exited $rc_s: $(tail -n 1 "$work/s1")"; fi
if tail -n 1 "$work/s1" | grep -qE '^\{"seed":7,"ok":true,.*"engine":"secrets".*"violations":\[\],'; then ok
else bad "secrets JSON: $(tail -n 1 "$work/s1")"; fi
if tail -n 1 "$work/s1" | grep -qE '"puts_acked":[1-9][0-9]*,"gets_ok":[0-9]+,"secrets_verified":[1-9]'; then ok
else bad "secrets run acknowledged or verified nothing: $(tail -n 1 "$work/s1")"; fi
if tail -n 2 "$work/s1" | head -n 1 | grep -q -- '--engine secrets$'; then ok
else bad "secrets reproduce line lacks --engine secrets: $(tail -n 2 "$work/s1" | head -n 1)"; fi
if [ -n "$(hash_of "$work/s1")" ] && [ "$(hash_of "$work/s1")" = "$(hash_of "$work/s2")" ]; then ok
else bad "secrets: same seed, different trace hashes: $(hash_of "$work/s1") $(hash_of "$work/s2")"; fi
# --events: the nodes' events on stderr, with the simulated time; the run
# itself (its trace hash) is unchanged.
"$pss" sim --seed 7 --seconds 3 --nodes 5 --threshold 3 --profile swarm --engine secrets --events \
  > "$work/s3" 2> "$work/s3.events"
if grep -qE '^t=[0-9]+ms node [1-5]: leader in term [0-9]+$' "$work/s3.events" \
   && [ "$(hash_of "$work/s3")" = "$(hash_of "$work/s1")" ]; then ok
else bad "--events: $(head -n 3 "$work/s3.events"), hash $(hash_of "$work/s3")"; fi
expect_usage "--events in a sweep" --seeds 1..2 --events

echo "sim-cli: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
