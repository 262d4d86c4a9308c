#!/usr/bin/env bash
# Leader kill: a stream of puts runs while the leader is killed with
# kill -9. A new leader is elected, and every put that was acknowledged
# (exit 0) reads back with its value at its version; puts whose outcome is
# unknown (exit 6) may or may not exist, as with any timeout.
# Usage: leader_kill_test.sh PATH_TO_PSS
PSS=${1:?usage: leader_kill_test.sh PATH_TO_PSS}
BASE_PORT=7230
source "$(dirname "$0")/lib.sh"

e2e_start 5 3
check "a leader within 20 s" wait_healthy 20 5
old=$(leader_id)

# The stream: sequential puts of k<i> = v<i>, each acknowledged one recorded
# with its version.
stream() {
  local i=0 out
  while [ ! -e "$work/stop" ]; do
    i=$((i + 1))
    if out=$(printf 'value-%d' "$i" | "$PSS" put "k$i" --json 2>/dev/null); then
      echo "k$i value-$i $(jq -r .version <<<"$out")" >>"$work/acked"
    else
      echo "k$i $?" >>"$work/not-acked"
    fi
  done
}
stream &
stream_pid=$!
sleep 3
"$cluster" kill-node "$old" >/dev/null
killed_at=$SECONDS
sleep 6
touch "$work/stop"
wait "$stream_pid"

acked=$(wc -l <"$work/acked")
echo "acknowledged puts: $acked, not acknowledged: $(wc -l <"$work/not-acked" 2>/dev/null || echo 0)"
check "puts were acknowledged before and after the kill" test "$acked" -ge 4
check "a new leader within 10 s of the kill" wait_healthy 10 4
new=$(leader_id)
check "the new leader is another node" test "$new" != "$old"
lost=0
while read -r name value version; do
  get_equals "$name" "$value" "$version" || { lost=$((lost + 1)); echo "lost: $name v$version"; }
done <"$work/acked"
check "every acknowledged put reads back ($lost lost)" test "$lost" -eq 0

# The killed node comes back from its disk and catches up.
"$cluster" start-node "$old" >/dev/null
check "all 5 answer after the restart" wait_healthy 20 5
e2e_finish
