#!/usr/bin/env bash
# A planted secrets bug must be caught by the simulator's end-of-run secrets
# checkers on every seed, with a violation matching PATTERN, and the very
# same seeds without the bug must pass. Proves those checkers can fail:
#   wrong-share  every node stores a different share than the one it verified:
#                the read-back check (acknowledged puts rebuilt from t live
#                holders' share stores) finds them unreadable;
#   share-leak   every node's host dumps its shares into its Raft directory:
#                the share scan finds share material in Raft storage;
#   skip-erasure nodes keep their old share after a refresh commits (run with
#                PROFILE refresh): the epoch checker finds the old share.
# Usage: planted_secrets_bug_test.sh PSS BUG PATTERN [PROFILE]
set -uo pipefail
pss=${1:?usage: planted_secrets_bug_test.sh PSS BUG PATTERN}
bug=${2:?usage: planted_secrets_bug_test.sh PSS BUG PATTERN}
pattern=${3:?usage: planted_secrets_bug_test.sh PSS BUG PATTERN}
profile=${4:-calm}
seeds=${PSS_SIM_PLANTED_SECRETS_SEEDS:-1..3}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
failed=0
common=(--seeds "$seeds" --engine secrets --nodes 5 --threshold 3 --clients 3 --seconds 5 --profile "$profile")

"$pss" sim "${common[@]}" --planted-bug "$bug" > "$out" 2>/dev/null
rc=$?
cat "$out"
caught=$(grep -c "^seed [0-9]*: FAILED safety: $pattern" "$out")
total=$(grep -c '^seed [0-9]*:' "$out")
if [ "$rc" -eq 1 ] && [ "$caught" -ge 1 ] && [ "$caught" -eq "$total" ] \
   && grep -q "planted bug $bug): 0 ok" "$out"; then
  echo "planted $bug: caught on every seed ($caught)"
else
  echo "planted $bug: NOT caught on every seed (exit $rc, $caught of $total failing seeds matched /$pattern/)"
  failed=1
fi

"$pss" sim "${common[@]}" > "$out" 2>/dev/null
rc=$?
cat "$out"
if [ "$rc" -eq 0 ] && grep -q ' 0 failed' "$out"; then
  echo "without the planted bug: the same seeds pass"
else
  echo "without the planted bug: the same seeds FAILED (exit $rc)"
  failed=1
fi
exit "$failed"
