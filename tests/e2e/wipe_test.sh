#!/usr/bin/env bash
# Wiped disk: one node's data directory is deleted. Started without a flag
# it refuses (an empty data_dir is never taken for a new cluster); started
# with --rejoin it is re-admitted, catches up and recovers its shares. Then
# two other nodes are killed, so every read needs the rejoined node's share.
# Usage: wipe_test.sh PATH_TO_PSS
PSS=${1:?usage: wipe_test.sh PATH_TO_PSS}
BASE_PORT=7290
source "$(dirname "$0")/lib.sh"

e2e_start 5 3
check "a leader within 20 s" wait_healthy 20 5
for i in 1 2 3 4; do check "put w$i" put "w$i" "wipe-value-$i"; done
leader=$(leader_id)
victim=$(( leader % 5 + 1 )) # a follower
shares_before=$(status_json | jq ".members[] | select(.id == $victim) | .shares_live")
check "the victim holds shares" test "${shares_before:-0}" -ge 4

"$cluster" wipe-node "$victim" >/dev/null
"$PSS" node --config "$work/cluster/node-$victim/node.toml" >"$work/refused.log" 2>&1
rc=$?
check "a wiped node started without a flag refuses (exit 2)" test "$rc" -eq 2
check "and says to use --rejoin" grep -q -- --rejoin "$work/refused.log"

"$cluster" start-node "$victim" --rejoin >/dev/null
rejoined() {
  local deadline=$((SECONDS + 60)) s
  while [ $SECONDS -lt $deadline ]; do
    s=$(status_json)
    if [ -n "$s" ] && [ "$(jq ".members[] | select(.id == $victim) | .shares_live // 0" <<<"$s")" -ge "$shares_before" ] \
       && [ "$(jq ".members[] | select(.id == $victim) | .voters | index($victim) != null" <<<"$s")" = true ]; then
      return 0
    fi
    sleep 0.5
  done
  return 1
}
check "the wiped node is a voter again and holds its $shares_before shares within 60 s" rejoined
s=$(status_json)
check "the cluster counted the recovery" test "$(jq "[.members[].recoveries] | max" <<<"$s")" -ge 1

# Kill two other nodes: three remain, the rejoined one among them, and t = 3.
others=$(for i in 1 2 3 4 5; do [ "$i" != "$victim" ] && echo "$i"; done | head -2)
for i in $others; do "$cluster" kill-node "$i" >/dev/null; done
check "a leader among the three left" wait_healthy 20 3
for i in 1 2 3 4; do check "w$i reads with the rejoined node's share" get_equals "w$i" "wipe-value-$i"; done
e2e_finish
