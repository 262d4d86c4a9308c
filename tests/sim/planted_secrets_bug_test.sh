#!/usr/bin/env bash
# The planted secrets bug: with `--planted-bug wrong-share` every node stores
# a different share than the one it verified, so the end-of-run read-back
# check (every acknowledged put rebuilt from t live holders' share stores)
# must report a violation on every seed, naming an unreadable acknowledged
# secret; the very same seeds without the switch must pass. Proves the
# secrets-mode read-back checker can fail. Usage: planted_wrong_share_test.sh PSS
set -uo pipefail
pss=${1:?usage: planted_wrong_share_test.sh PATH_TO_PSS}
seeds=${PSS_SIM_WRONG_SHARE_SEEDS:-1..3}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
failed=0
common=(--seeds "$seeds" --engine secrets --nodes 5 --threshold 3 --clients 3 --seconds 5 --profile calm)

"$pss" sim "${common[@]}" --planted-bug wrong-share > "$out" 2>/dev/null
rc=$?
cat "$out"
caught=$(grep -c '^seed [0-9]*: FAILED safety: secrets: acknowledged .* is unreadable' "$out")
total=$(grep -c '^seed [0-9]*:' "$out")
if [ "$rc" -eq 1 ] && [ "$caught" -ge 1 ] && [ "$caught" -eq "$total" ] \
   && grep -q "planted bug wrong-share): 0 ok" "$out"; then
  echo "planted wrong-share: caught on every seed ($caught) by the read-back check"
else
  echo "planted wrong-share: NOT caught on every seed (exit $rc, $caught caught of $total failing)"
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
