#!/usr/bin/env bash
# Removing a member over real processes (docs/refresh.md §7.3): the admin's
# `pss member remove` is recorded, a refresh leaves the member out, Raft
# removes it, and the others no longer count it; it holds no share; every
# secret reads and new puts work with the same cluster file; a removal that
# would leave fewer than t+1 members is refused with the reason, and a bad
# id is a usage error. Usage: member_test.sh PATH_TO_PSS
PSS=${1:?usage: member_test.sh PATH_TO_PSS}
BASE_PORT=7370
source "$(dirname "$0")/lib.sh"

e2e_start 5 3
check "a leader within 20 s" wait_healthy 20 5
for name in a b c; do check "put $name" put "$name" "value-$name"; done

"$PSS" member remove --id 9 >/dev/null 2>"$work/nine.err"
check "removing an id the cluster file lacks is a usage error (exit 2)" test $? -eq 2
"$PSS" member --help >"$work/help.txt" 2>&1
check "pss member --help explains the removal" grep -q 'leaves it out' "$work/help.txt"

"$PSS" member remove --id 5 >"$work/remove.out" 2>"$work/remove.err"
rc=$?
check "member remove --id 5 (exit $rc: $(head -c 300 "$work/remove.err"))" test $rc -eq 0
check "it says what was recorded" grep -q 'recorded: remove node 5' "$work/remove.err"

# The leader's voters without node 5.
removed() {
  local s
  s=$(status_json)
  [ -n "$s" ] || return 1
  jq -e '.leader as $l | [.members[] | select(.id == $l)][0].voters | (length == 4 and (index(5) | not))' <<<"$s" >/dev/null
}
wait_removed() {
  local deadline=$((SECONDS + 40))
  while [ $SECONDS -lt $deadline ]; do removed && return 0; sleep 0.5; done
  return 1
}
check "within 40 s the leader's configuration has 4 voters, node 5 not among them" wait_removed
check "the leader's view has 4 members" \
  test "$(status_json | jq '.leader as $l | [.members[] | select(.id == $l)][0].members')" -eq 4
shares5=$(status_json | jq '[.members[] | select(.id == 5)][0].shares_live // 0')
check "node 5 holds no share ($shares5)" test "$shares5" -eq 0
for name in a b c; do check "get $name after the removal" get_equals "$name" "value-$name"; done
check "a new put with the same cluster file" put d 'value-d'
check "and it reads back" get_equals d 'value-d'

"$PSS" member remove --id 4 >/dev/null 2>"$work/four.err"
check "removing another, leaving 3 < t+1, is refused (exit 1)" test $? -eq 1
check "and says why ($(head -c 200 "$work/four.err"))" grep -q 'fewer than t+1' "$work/four.err"
check "no value in any node's log" bash -c "! grep -q -e 'value-a' -e 'value-d' $work/cluster/node-*/node.log"

e2e_finish
