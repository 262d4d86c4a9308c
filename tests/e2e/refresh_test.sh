#!/usr/bin/env bash
# Refresh over the wire: `pss refresh` twice (and a short refresh interval)
# across 5 processes; the cluster's epoch advances by at least 2, every node
# applies it, and the secrets still read back. Every member renews its sealing
# key with the epoch and, after the grace, holds only the new one
# (docs/refresh.md §7.9).
# Usage: refresh_test.sh PATH_TO_PSS
PSS=${1:?usage: refresh_test.sh PATH_TO_PSS}
BASE_PORT=7270
source "$(dirname "$0")/lib.sh"

e2e_start 5 3
check "a leader within 20 s" wait_healthy 20 5
for i in 1 2 3; do check "put r$i" put "r$i" "refresh-value-$i"; done
epoch0=$(status_json | jq '[.members[] | select(.reachable) | .epoch] | max')

wait_epoch() { # wait_epoch TARGET SECONDS: every node applied epoch >= TARGET
  local deadline=$((SECONDS + $2)) s
  while [ $SECONDS -lt $deadline ]; do
    s=$(status_json)
    if [ -n "$s" ] && [ "$(jq "[.members[] | select(.reachable) | .epoch] | min" <<<"$s")" -ge "$1" ] \
       && [ "$(jq .answered <<<"$s")" -eq 5 ]; then return 0; fi
    sleep 0.3
  done
  return 1
}

check "pss refresh is accepted" "$PSS" refresh
check "every node reaches epoch $((epoch0 + 1))" wait_epoch $((epoch0 + 1)) 30
check "a second pss refresh" "$PSS" refresh
check "every node reaches epoch $((epoch0 + 2))" wait_epoch $((epoch0 + 2)) 30
wait_sealed() { # wait_sealed EPOCH SECONDS: every node's recorded sealing key is of EPOCH, and it holds that pair only
  local deadline=$((SECONDS + $2)) s
  while [ $SECONDS -lt $deadline ]; do
    s=$(status_json)
    if [ -n "$s" ] && [ "$(jq "[.members[] | select(.reachable) | .seal_key_epoch] | min" <<<"$s")" -ge "$1" ] \
       && [ "$(jq "[.members[] | select(.reachable) | .seal_keys_held] | max" <<<"$s")" -eq 1 ] \
       && [ "$(jq .answered <<<"$s")" -eq 5 ]; then return 0; fi
    sleep 0.5
  done
  echo "last status: $(jq -c '[.members[] | {id, epoch, seal_key_epoch, seal_keys_held}]' <<<"$s")" >&2
  return 1
}
check "every node renewed its sealing key and erased the old one" wait_sealed $((epoch0 + 2)) 30
s=$(status_json)
check "refresh counters agree" test "$(jq '[.members[].refresh_epochs_committed] | min' <<<"$s")" -ge 2
for i in 1 2 3; do check "r$i still reads after two epochs" get_equals "r$i" "refresh-value-$i"; done
check "a put in the new epoch" put r4 "refresh-value-4"
check "reads back" get_equals r4 "refresh-value-4"
e2e_finish
