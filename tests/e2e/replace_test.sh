#!/usr/bin/env bash
# Replacing a member of a running 5-node cluster with a new host (a new
# port), over real processes (docs/refresh.md §7.3): `pss init-cluster
# --add-node` writes the newcomer's files, it starts with joining = true,
# the admin's `pss member replace 5 6` adds it as a learner, it recovers a
# share of every secret, becomes a voter, and node 5 is refreshed out and
# removed. A client keeps putting and reading all along with the old cluster
# file; afterwards `pss cluster-file --update` takes node 6 in, every
# acknowledged secret reads back, node 5 holds no share, and restarts of an
# old member (whose config never named node 6) and of the newcomer lose
# nothing. Bad input is refused. Usage: replace_test.sh PATH_TO_PSS
PSS=${1:?usage: replace_test.sh PATH_TO_PSS}
BASE_PORT=7390
source "$(dirname "$0")/lib.sh"

e2e_start 5 3
check "a leader within 20 s" wait_healthy 20 5
for name in a b c; do check "put $name" put "$name" "value-$name"; done

"$PSS" init-cluster --add-node 3 --out "$work/cluster" >/dev/null 2>"$work/add3.err"
check "--add-node of a first member's id is a usage error" test $? -eq 2
"$PSS" init-cluster --add-node 6 --out "$work/cluster" >"$work/add6.out" 2>&1
check "init-cluster --add-node 6 ($(head -c 300 "$work/add6.out"))" test $? -eq 0
check "it names the next command" grep -q 'pss member add --id 6 --address 127.0.0.1:7395' "$work/add6.out"
check "node 6's config says joining" grep -q '^joining = true' "$work/cluster/node-6/node.toml"
check "its key file is private" test "$(stat -c %a "$work/cluster/node-6/node.key")" = 600
"$cluster" start-node 6 >>"$work/start.log" 2>&1
check "node 6 starts and waits to be added" bash -c "sleep 1; kill -0 \$(cat $work/cluster/node-6/node.pid)"

# A client that keeps writing and reading through the whole change.
writer() {
  local i=0
  while [ ! -e "$work/stop" ]; do
    i=$((i + 1))
    if printf 'value-w%d' "$i" | "$PSS" put "w$i" >/dev/null 2>>"$work/writer.err"; then
      echo "w$i" >>"$work/acked"
    else
      echo "w$i" >>"$work/put-failed"
    fi
    if "$PSS" get a >/dev/null 2>>"$work/writer.err"; then echo ok >>"$work/got"; else echo f >>"$work/get-failed"; fi
  done
}
writer &
writer_pid=$!
sleep 2

cp "$PSS_CLUSTER" "$work/cluster/client/old-cluster.toml"
"$PSS" member replace 5 6 --address 127.0.0.1:7395 --keys "$work/cluster/node-6/member.toml" \
  >"$work/replace.out" 2>"$work/replace.err"
rc=$?
check "member replace 5 6 (exit $rc: $(head -c 300 "$work/replace.err"))" test $rc -eq 0
check "it says what was recorded" grep -q 'replace node 5 by node 6' "$work/replace.err"
"$PSS" member add --id 6 --address 127.0.0.1:7395 --keys "$work/cluster/node-6/member.toml" >/dev/null 2>"$work/again.err"
rc=$?
check "a second change while one runs is refused (exit $rc: $(head -c 200 "$work/again.err"))" test $rc -eq 1

# The leader's voters: 1-4 and 6.
replaced() {
  local s
  s=$(PSS_CLUSTER="$work/cluster/client/old-cluster.toml" "$PSS" status --json 2>/dev/null) || true
  [ -n "$s" ] || return 1
  jq -e '.leader as $l | [.members[] | select(.id == $l)][0] | (.voters | sort) == [1,2,3,4,6] and (.committee // "") == ""' \
    <<<"$s" >/dev/null
}
check "within 120 s the leader's voters are 1-4 and 6, and no change runs" wait_until 120 replaced
old_status=$(PSS_CLUSTER="$work/cluster/client/old-cluster.toml" "$PSS" status --json 2>/dev/null)
shares5=$(jq '[.members[] | select(.id == 5)][0].shares_live // 0' <<<"$old_status")
check "node 5 holds no share ($shares5)" test "$shares5" = 0
epoch=$(jq '.leader as $l | [.members[] | select(.id == $l)][0].epoch' <<<"$old_status")
check "a refresh that left node 5 out moved the epoch on ($epoch)" test "$epoch" -ge 2
[ "$failed" -eq 0 ] || echo "$old_status" | jq -c '.members[] | {id, role, voters, learners, committee, epoch, shares_live}' 
sleep 2
touch "$work/stop"
wait "$writer_pid"
acked=$(wc -l <"$work/acked" 2>/dev/null || echo 0)
put_failed=$(wc -l <"$work/put-failed" 2>/dev/null || echo 0)
got=$(wc -l <"$work/got" 2>/dev/null || echo 0)
get_failed=$(wc -l <"$work/get-failed" 2>/dev/null || echo 0)
echo "during the replace: $acked puts acknowledged, $put_failed failed; $got gets, $get_failed failed"
check "puts went on during the replace ($acked acknowledged, $put_failed failed)" test "$acked" -ge 3
check "gets went on during the replace ($got, $get_failed failed)" test "$got" -ge 3

"$PSS" cluster-file --update >"$work/update.out" 2>"$work/update.err"
check "cluster-file --update ($(head -c 300 "$work/update.err"))" test $? -eq 0
check "it adds node 6" grep -q '+ node 6 at 127.0.0.1:7395' "$work/update.out"
check "it drops node 5" grep -q -- '- node 5' "$work/update.out"
check "the file names node 6 now" grep -q '^id = 6' "$PSS_CLUSTER"
"$PSS" cluster-file --update >"$work/update2.out" 2>&1
check "a second update changes nothing" grep -q 'up to date' "$work/update2.out"
"$cluster" stop-node 5 >/dev/null 2>&1

missing=0
for name in $(cat "$work/acked" 2>/dev/null); do get_equals "$name" "value-$name" || missing=$((missing + 1)); done
check "every acknowledged put of the replace reads back ($missing missing of $acked)" test "$missing" -eq 0
for name in a b c; do check "get $name after the replace" get_equals "$name" "value-$name"; done
shares6=$(status_json | jq '[.members[] | select(.id == 6)][0].shares_live // 0')
check "node 6 holds shares ($shares6)" test "$shares6" -ge 3
check "a new put" put d 'value-d'
check "and it reads back" get_equals d 'value-d'

# Node 1's config never named node 6; node 6's still says joining.
"$cluster" stop-node 1 >/dev/null 2>&1
"$cluster" start-node 1 >/dev/null 2>&1
"$cluster" stop-node 6 >/dev/null 2>&1
"$cluster" start-node 6 >/dev/null 2>&1
check "healthy again after restarting node 1 and node 6" wait_healthy 30 5
check "a put after the restarts" put e 'value-e'
for name in a d e; do check "get $name after the restarts" get_equals "$name" "value-$name"; done
check "node 1 links to node 6 again after its restart" \
  test "$(grep -c 'link to node 6 at 127.0.0.1:7395 is up' "$work/cluster/node-1/node.log")" -ge 2
check "no value in any node's log" bash -c "! grep -q -e 'value-a' -e 'value-w1\b' -e 'value-d' $work/cluster/node-*/node.log"

e2e_finish
