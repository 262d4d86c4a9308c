#!/usr/bin/env bash
# A planted bug (core/planted.hpp) must be caught by the checker made for
# it: proof that the checker can fail.
#
#   planted_bug_test.sh PSS BUG PATTERN first SWEEP_OPTIONS...
#     sweeps with --first-failure: some seed must fail with a violation
#     matching PATTERN, and that very seed must pass without the bug;
#   planted_bug_test.sh PSS BUG PATTERN every SWEEP_OPTIONS...
#     every seed must fail with PATTERN, and all pass without the bug.
#
# SWEEP_OPTIONS are passed to `pss sim` and must include --seeds A..B. The
# seed that caught the bug is printed ("caught by seed N"), so a closing note
# can cite it.
set -uo pipefail
usage="usage: planted_bug_test.sh PSS BUG PATTERN first|every SWEEP_OPTIONS..."
pss=${1:?$usage}
bug=${2:?$usage}
pattern=${3:?$usage}
mode=${4:?$usage}
shift 4
out=$(mktemp)
trap 'rm -f "$out"' EXIT

case "$mode" in
  first) "$pss" sim "$@" --planted-bug "$bug" --first-failure > "$out" 2>/dev/null ;;
  every) "$pss" sim "$@" --planted-bug "$bug" > "$out" 2>/dev/null ;;
  *) echo "$usage" >&2; exit 2 ;;
esac
rc=$?
cat "$out"
caught=$(grep -c "^seed [0-9]*: FAILED safety: $pattern" "$out")
total=$(grep -c '^seed [0-9]*:' "$out")
first=$(sed -n "s/^seed \([0-9]*\): FAILED safety: $pattern.*/\1/p" "$out" | head -n 1)
if [ "$rc" -ne 1 ] || [ "$caught" -lt 1 ]; then
  echo "planted $bug: NOT caught (exit $rc; $caught of $total failing seeds matched /$pattern/)"
  exit 1
fi
if [ "$mode" = every ] && { [ "$caught" -ne "$total" ] || ! grep -q "planted bug $bug): 0 ok" "$out"; }; then
  echo "planted $bug: caught on $caught seeds, not on every seed"
  exit 1
fi
echo "planted $bug: caught by seed $first ($caught of $total failing seeds matched)"

# The control: without the bug the seeds that caught it pass.
# (Same options, the seed range narrowed to the seed that caught it, so that
# node and client ranges draw the same values.)
if [ "$mode" = first ]; then
  control=()
  next_is_range=0
  for a in "$@"; do
    if [ "$next_is_range" = 1 ]; then a="$first..$first"; next_is_range=0; fi
    [ "$a" = --seeds ] && next_is_range=1
    control+=("$a")
  done
  "$pss" sim "${control[@]}" > "$out" 2>/dev/null
else
  "$pss" sim "$@" > "$out" 2>/dev/null
fi
rc=$?
if [ "$rc" -eq 0 ]; then
  echo "without the planted bug: the same seeds pass"
  exit 0
fi
tail -n 3 "$out"
echo "without the planted bug: the same seeds FAILED (exit $rc)"
exit 1
