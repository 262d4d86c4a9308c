#!/usr/bin/env bash
# The replicated access policy over real processes (docs/access.md): an
# admin grants a new identity read and list on app/*, which then reads
# app/* and lists only those names, and is refused elsewhere; `pss access
# list` shows the grant; a revoke takes effect while the cluster runs, with
# no restart, and the next get is refused by every node; the last admin
# cannot be revoked; a non-admin cannot grant itself anything. `pss audit`
# shows the reads with the reader's key, and checks every node's chain.
# Usage: access_test.sh PATH_TO_PSS
PSS=${1:?usage: access_test.sh PATH_TO_PSS}
BASE_PORT=7350
source "$(dirname "$0")/lib.sh"

e2e_start 5 3
check "a leader within 20 s" wait_healthy 20 5
check "put app/db" put app/db 'app-value'
check "put ops/root" put ops/root 'ops-value'

key=$("$PSS" identity new --out "$work/reader" | sed -n 's/^public key: //p')
check "a new identity has a public key" test ${#key} -eq 64
as_reader() { PSS_IDENTITY=$work/reader "$PSS" "$@"; }
as_reader get app/db >/dev/null 2>"$work/refused.err"
rc=$?
check "before any grant the new identity is refused (exit 7, got $rc: $(head -c 200 "$work/refused.err"))" test $rc -eq 7

id=$("$PSS" access grant --key "$key" --pattern 'app/*' --rights read,list --label reader 2>"$work/grant.err")
check "access grant prints the new grant's id (got '$id')" test "$id" = 2
check "access list shows both grants" test "$("$PSS" access list --json | jq '.grants | length')" -eq 2
check "and the reader's pattern and rights" \
  test "$("$PSS" access list --json | jq -r '.grants[1] | .pattern + " " + .rights + " " + .label')" = 'app/* read,list reader'
check "the reader reads app/db" test "$(as_reader get app/db 2>>"$work/client.err")" = 'app-value'
as_reader get ops/root >"$work/ops.out" 2>"$work/ops.err"
check "but not ops/root (exit 7)" test $? -eq 7
check "and is told which right it lacks" grep -q 'no read right on this name' "$work/ops.err"
as_reader list >"$work/list.txt" 2>>"$work/client.err"
check "its list shows only app/db" test "$(cut -f1 "$work/list.txt")" = 'app/db'
as_reader access list >/dev/null 2>&1
check "it cannot read the policy (exit 7)" test $? -eq 7
as_reader access grant --key "$key" --pattern '*' --rights all >/dev/null 2>&1
check "nor grant itself more (exit 7)" test $? -eq 7

# The audit logs show the reader's reads, with its key, on at least t nodes.
audit_json=$("$PSS" audit --name 'app/*' --json 2>>"$work/client.err")
check "pss audit reads all 5 chains intact" test "$(jq '[.nodes[] | select(.chain_ok)] | length' <<<"$audit_json")" -eq 5
released=$(jq --arg k "$key" '[.records[] | select(.action == "share_released" and .client == $k and .name == "app/db")] | length' <<<"$audit_json")
check "the reader's releases of app/db are recorded on t nodes or more ($released)" test "$released" -ge 3
check "--name filters (no ops/ records)" test "$(jq '[.records[] | select(.name | startswith("ops/"))] | length' <<<"$audit_json")" -eq 0
check "the grant is recorded with the admin's key" \
  test "$("$PSS" audit --json | jq '[.records[] | select(.action == "grant" and .outcome == "ok")] | length')" -ge 1
"$PSS" audit --since 1h >"$work/audit.txt" 2>"$work/audit.err"
check "human audit output has the reads" grep -q 'share_released.*app/db' "$work/audit.txt"
check "and each node's chain ($(grep -v 'chain intact' "$work/audit.err" | head -3 | tr '\n' ' '))" \
  test "$(grep -c 'chain intact' "$work/audit.err")" -eq 5
as_reader audit >/dev/null 2>&1
check "a non-admin cannot read the audit (exit 7)" test $? -eq 7
check "every node has an audit journal" test "$(ls "$work"/cluster/node-*/data/audit/journal | wc -l)" -eq 5
check "no value in any audit log" bash -c "! grep -q -e 'app-value' -e 'ops-value' $work/cluster/node-*/data/audit/journal"

refused_before=$(status_json | jq -c '[.members[] | .requests_refused.not_allowed // 0]')
check "access revoke $id" "$PSS" access revoke "$id"
as_reader get app/db >"$work/revoked.out" 2>"$work/revoked.err"
rc=$?
check "after the revoke, its next get is refused (exit 7, got $rc)" test "$rc" -eq 7
check "and prints nothing" test ! -s "$work/revoked.out"
refused_after=$(status_json | jq -c '[.members[] | .requests_refused.not_allowed // 0]')
every_node_refused() {
  jq -n --argjson a "$refused_before" --argjson b "$refused_after" \
    '[range(0; 5) | $b[.] > $a[.]] | all' | grep -q true
}
check "every node refused it ($refused_before -> $refused_after)" every_node_refused
check "access list shows one grant again" test "$("$PSS" access list --json | jq '.grants | length')" -eq 1

"$PSS" access revoke 1 >/dev/null 2>"$work/lockout.err"
check "revoking the last admin is refused" test $? -eq 1
check "and says why" grep -q 'lock out the last admin' "$work/lockout.err"
"$PSS" access grant --key nothex --pattern '*' --rights read >/dev/null 2>&1
check "a bad key is a usage error (exit 2)" test $? -eq 2
"$PSS" access grant --key "$key" --pattern 'app/*' --rights admin >/dev/null 2>"$work/scope.err"
check "admin on a narrower pattern is refused (exit 1)" test $? -eq 1
check "the admin's get still works" get_equals ops/root 'ops-value'
e2e_finish
