#!/usr/bin/env bash
# Removing a member over real processes (docs/refresh.md §7.3): the admin's
# `pss member remove` is recorded, a refresh leaves the member out, Raft
# removes it, and the others no longer count it; it holds no share; every
# secret reads and new puts work with the same cluster file; then t is
# raised (§7.4): clients with the old file refuse the cluster and say how to
# take the change in, `pss cluster-file --update` does, and every secret
# reads; a removal that would leave fewer than t+1 members is refused with
# the reason, and a bad id is a usage error; then t is lowered again (§7.5)
# and every secret reads. Usage: member_test.sh PATH_TO_PSS
PSS=${1:?usage: member_test.sh PATH_TO_PSS}
BASE_PORT=7370
source "$(dirname "$0")/lib.sh"

e2e_start 5 2
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
check "within 40 s the leader's configuration has 4 voters, node 5 not among them" wait_until 40 removed
check "the leader's view has 4 members" \
  test "$(status_json | jq '.leader as $l | [.members[] | select(.id == $l)][0].members')" -eq 4
shares5=$(status_json | jq '[.members[] | select(.id == 5)][0].shares_live // 0')
check "node 5 holds no share ($shares5)" test "$shares5" -eq 0
for name in a b c; do check "get $name after the removal" get_equals "$name" "value-$name"; done
check "a new put with the same cluster file" put d 'value-d'
check "and it reads back" get_equals d 'value-d'

# Raising t from 2 to 3 on the 4 members that remain.
"$PSS" threshold set 4 >/dev/null 2>"$work/t4.err"
check "threshold set 4 on 4 members is refused (exit 1)" test $? -eq 1
check "and says why ($(head -c 200 "$work/t4.err"))" grep -q 't must be 2..3' "$work/t4.err"
"$PSS" threshold set 3 >/dev/null 2>"$work/t3.err"
rc=$?
check "threshold set 3 (exit $rc: $(head -c 300 "$work/t3.err"))" test $rc -eq 0
check "it says what was recorded" grep -q 'recorded: set t to 3' "$work/t3.err"
# The leader's t is $1 and no committee change runs.
threshold_is() {
  local s
  s=$(status_json)
  [ -n "$s" ] || return 1
  jq -e --argjson t "$1" '.leader as $l | [.members[] | select(.id == $l)][0] | (.threshold == $t and (has("committee") | not))' \
    <<<"$s" >/dev/null
}
check "within 40 s the leader's t is 3 and no change runs" wait_until 40 threshold_is 3
"$PSS" status >"$work/status-t.txt" 2>&1
check "pss status says the file lags the cluster's t" grep -q 'has t = 3, the cluster file says 2' "$work/status-t.txt"
"$PSS" get a >/dev/null 2>"$work/stale.err"
check "a client with the old file refuses the cluster" test $? -ne 0
check "and says how to take the change in ($(head -c 300 "$work/stale.err"))" grep -q 'cluster-file --update' "$work/stale.err"
printf 'x' | "$PSS" put stale >/dev/null 2>"$work/stale-put.err"
check "a put with the old file is refused" test $? -ne 0
check "and says how ($(head -c 300 "$work/stale-put.err"))" grep -q 'cluster-file --update' "$work/stale-put.err"
"$PSS" cluster-file --update >"$work/update-t.out" 2>&1
rc=$?
check "cluster-file --update (exit $rc: $(head -c 300 "$work/update-t.out"))" test $rc -eq 0
check "the file now says t = 3" grep -Eq "^threshold *= *3" "$PSS_CLUSTER"
for name in a b c d; do check "get $name after the raise" get_equals "$name" "value-$name"; done
check "a put after the raise" put e 'value-e'
check "and it reads back" get_equals e 'value-e'

"$PSS" member remove --id 4 >/dev/null 2>"$work/four.err"
check "removing another, leaving 3 < t+1 = 4, is refused (exit 1)" test $? -eq 1
check "and says why ($(head -c 200 "$work/four.err"))" grep -q 'fewer than t+1' "$work/four.err"

# Lowering t from 3 back to 2 (§7.5): one reshare round, checked against C_0.
"$PSS" threshold set 2 >/dev/null 2>"$work/t2.err"
rc=$?
check "threshold set 2 (exit $rc: $(head -c 300 "$work/t2.err"))" test $rc -eq 0
check "it says a reshare deals for it" grep -q 'round reshares' "$work/t2.err"
check "within 40 s the leader's t is 2 and no change runs" wait_until 40 threshold_is 2
"$PSS" cluster-file --update >"$work/update-t2.out" 2>&1
rc=$?
check "cluster-file --update after the lowering (exit $rc: $(head -c 300 "$work/update-t2.out"))" test $rc -eq 0
check "the file now says t = 2" grep -Eq "^threshold *= *2" "$PSS_CLUSTER"
for name in a b c d e; do check "get $name after the lowering" get_equals "$name" "value-$name"; done
check "a put after the lowering" put f 'value-f'
check "and it reads back" get_equals f 'value-f'
check "no value in any node's log" bash -c "! grep -q -e 'value-a' -e 'value-d' -e 'value-f' $work/cluster/node-*/node.log"

e2e_finish
