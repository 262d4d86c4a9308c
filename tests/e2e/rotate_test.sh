#!/usr/bin/env bash
# Rotating a member's identity and signing keys over real processes
# (docs/refresh.md §7.9, `pss member rotate-keys`): init-cluster writes the
# next keys; a rotation of a node that does not hold them stops that node
# with a message saying what to do, and it starts again once the file is in
# place; the node switches when the change applies, rewrites its key file
# (the old public keys retired) and erases the next file; its links re-key;
# a client with the old cluster file refuses and says how
# to take the change in, `pss cluster-file --update` does; every secret
# reads, a refresh commits with the rotated node, and the node restarts
# from its rewritten key file. Usage: rotate_test.sh PATH_TO_PSS
PSS=${1:?usage: rotate_test.sh PATH_TO_PSS}
BASE_PORT=7420
source "$(dirname "$0")/lib.sh"

e2e_start 5 2
check "a leader within 20 s" wait_healthy 20 5
for name in a b c; do check "put $name" put "$name" "value-$name"; done
node3=$work/cluster/node-3

"$PSS" init-cluster --rotate-keys 3 --out "$work/cluster" >"$work/init.out" 2>&1
rc=$?
check "init-cluster --rotate-keys 3 (exit $rc: $(head -c 300 "$work/init.out"))" test $rc -eq 0
check "it wrote node.key.next, mode 0600" test "$(stat -c %a "$node3/node.key.next")" = 600
check "and member.next.toml" test -s "$node3/member.next.toml"
"$PSS" init-cluster --rotate-keys 3 --out "$work/cluster" >/dev/null 2>"$work/again.err"
check "preparing a second rotation beside the first is refused" test $? -eq 1
"$PSS" member rotate-keys --help >"$work/help.txt" 2>&1
check "pss member rotate-keys --help explains the next key file" grep -q 'node.key.next' "$work/help.txt"

# Restarted with the next file beside its key file, node 3 holds the next keys.
"$cluster" stop-node 3 >/dev/null
"$cluster" start-node 3 >/dev/null
holds_next() { status_json | jq -e '[.members[] | select(.id == 3)][0].next_keys_held == true' >/dev/null; }
check "pss status shows node 3 holding next keys" wait_until 20 holds_next
"$PSS" status >"$work/status-next.txt" 2>&1
check "and says what they wait for" grep -q 'node 3 holds next keys' "$work/status-next.txt"

# Node 3 runs without its next keys loaded: the rotation stops it, saying why.
"$cluster" stop-node 3 >/dev/null
mv "$node3/node.key.next" "$work/held.next"
"$cluster" start-node 3 >/dev/null
check "node 3 back without them, 5 answer" wait_healthy 30 5
"$PSS" member rotate-keys --id 3 --keys "$node3/member.next.toml" >"$work/rotate.out" 2>"$work/rotate.err"
rc=$?
check "member rotate-keys --id 3 (exit $rc: $(head -c 300 "$work/rotate.err"))" test $rc -eq 0
check "it says what was recorded" grep -q 'recorded: the keys of node 3 rotated' "$work/rotate.err"
check "node 3, without its next keys, says how to start it" \
  wait_until 20 grep -q 'key_file>.next' "$node3/node.log"
"$cluster" kill-node 3 >/dev/null 2>&1
mv "$work/held.next" "$node3/node.key.next"
"$cluster" start-node 3 >/dev/null
check "with the next key file it switches and rewrites its key file" \
  wait_until 30 bash -c "grep -q 'retired' '$node3/node.key' && [ ! -e '$node3/node.key.next' ]"
check "its key file stays 0600" test "$(stat -c %a "$node3/node.key")" = 600

"$PSS" get a >/dev/null 2>"$work/stale.err"
check "a client with the old file refuses the cluster" test $? -ne 0
check "and says how to take the change in ($(head -c 300 "$work/stale.err"))" grep -q 'cluster-file --update' "$work/stale.err"
"$PSS" cluster-file --update >"$work/update.out" 2>&1
rc=$?
check "cluster-file --update (exit $rc: $(head -c 300 "$work/update.out"))" test $rc -eq 0
check "a leader and 5 answering within 30 s" wait_healthy 30 5
check "a put with the updated file" put d 'value-d'
for name in a b c d; do check "get $name after the rotation" get_equals "$name" "value-$name"; done

# A refresh with node 3 dealing under its new keys commits.
epoch_of_3() { status_json | jq '[.members[] | select(.id == 3)][0].epoch // 0'; }
before=$(epoch_of_3)
"$PSS" refresh >/dev/null 2>>"$work/client.err"
advanced() { [ "$(epoch_of_3)" -gt "$before" ]; }
check "a refresh commits with node 3 (epoch $before, then later)" wait_until 40 advanced
check "a put after the refresh" put e 'value-e'

# Node 3 restarts from the rewritten key file; its config still names the old keys.
"$cluster" stop-node 3 >/dev/null
"$cluster" start-node 3 >/dev/null
check "after node 3 restarts, 5 answer and a leader within 30 s" wait_healthy 30 5
for name in a b c d e; do check "get $name after node 3 restarted" get_equals "$name" "value-$name"; done
check "no value in any node's log" bash -c "! grep -q -e 'value-a' -e 'value-e' $work/cluster/node-*/node.log"

e2e_finish
