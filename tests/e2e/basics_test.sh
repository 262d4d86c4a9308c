#!/usr/bin/env bash
# Basics over real processes: a 5-node cluster (t = 3) started with
# scripts/cluster; put, get, list, delete and status, exit codes, a get
# that writes exactly the value to stdout, a refused identity, and bad input.
# Usage: basics_test.sh PATH_TO_PSS
PSS=${1:?usage: basics_test.sh PATH_TO_PSS}
BASE_PORT=7210
source "$(dirname "$0")/lib.sh"

e2e_start 5 3
check "a leader within 20 s with all 5 answering" wait_healthy 20 5

s=$(status_json)
check "status lists 5 members" test "$(jq '.members | length' <<<"$s")" -eq 5
check "status names a leader" test "$(jq -r .leader <<<"$s")" -ge 1
links_up() {
  local deadline=$((SECONDS + 10))
  while [ $SECONDS -lt $deadline ]; do
    [ "$(status_json | jq '[.members[].peers[] | select(.connected)] | length')" -eq 20 ] && return 0
    sleep 0.3
  done
  return 1
}
check "every member reports its 4 links up within 10 s" links_up
"$PSS" status >"$work/status.txt" 2>&1
check "human status has a header and 5 rows" test "$(grep -c '^[0-9]' "$work/status.txt")" -eq 5

check "put db/root" put db/root 'correct horse battery staple'
check "get db/root reads it back" get_equals db/root 'correct horse battery staple'
check "a second put makes version 2" put db/root 'second value'
check "get --version 1 still reads the first" get_equals db/root 'correct horse battery staple' 1
check "get reads the latest" get_equals db/root 'second value'

# Binary data, with newlines and zero bytes, comes back byte for byte and
# alone on stdout.
head -c 3000 /dev/urandom >"$work/blob"
check "put --file of binary data" "$PSS" put blob --file "$work/blob"
"$PSS" get blob >"$work/blob.out" 2>"$work/blob.err"
check "get writes exactly the value to stdout" cmp -s "$work/blob" "$work/blob.out"

"$PSS" list >"$work/list.txt" 2>&1
check "list shows both names" grep -q '^db/root	2$' "$work/list.txt"
check "list shows blob" grep -q '^blob	1$' "$work/list.txt"
check "list --json" test "$("$PSS" list --json | jq '.secrets | length')" -eq 2

check "delete blob" "$PSS" delete blob
"$PSS" get blob >/dev/null 2>"$work/deleted.err"
rc=$?
check "get of a deleted secret exits 4" test "$rc" -eq 4
"$PSS" get no/such/name >/dev/null 2>&1
check "get of an unknown name exits 4" test $? -eq 4

check "pss identity new" "$PSS" identity new --out "$work/stranger" >/dev/null
PSS_IDENTITY=$work/stranger "$PSS" get db/root >/dev/null 2>"$work/stranger.err"
rc=$?
check "an identity the policy does not name exits 7 (got $rc)" test "$rc" -eq 7
check "the refusal names the check" grep -q 'not_allowed' "$work/stranger.err"
refused=$("$PSS" status --json | jq '[.members[] | .requests_refused.not_allowed // 0] | add')
check "pss status counts the refusals (not_allowed: $refused)" test "$refused" -ge 1
check "and shows them to a person" bash -c "\"$PSS\" status | grep -q 'refused client requests:.*not_allowed='"

"$PSS" get db/root --json >"$work/get.json"
check "get --json has the value in base64" \
  test "$(jq -r .value_base64 "$work/get.json" | base64 -d)" = 'second value'

"$PSS" put >/dev/null 2>&1
check "put without a name exits 2" test $? -eq 2
PSS_CLUSTER=$work/nonexistent.toml "$PSS" list >/dev/null 2>"$work/nofile.err"
check "a missing cluster file exits 2" test $? -eq 2
check "and names the file" grep -q nonexistent.toml "$work/nofile.err"
head -c 70000 /dev/zero | "$PSS" put big >/dev/null 2>"$work/big.err"
check "a value above 64 KiB exits 2" test $? -eq 2

# Nothing secret in any log: the values, the identity's seed, or any 64-hex string.
seed=$(sed -n 's/^seed = "\(.*\)"/\1/p' "$work/cluster/client/identity")
check "no value in the node logs" bash -c "! grep -q -e 'correct horse' -e 'second value' $work/cluster/node-*/node.log"
check "no identity seed in the node logs" bash -c "! grep -qF '$seed' $work/cluster/node-*/node.log"
check "no 64-hex string in the node logs" bash -c "! grep -qE '[0-9a-f]{64}' $work/cluster/node-*/node.log"
e2e_finish
