#!/usr/bin/env bash
# Partitions between real hosts: each node runs in its own network
# namespace (ip netns) behind a veth pair on one bridge, as if on its own
# machine. First a follower, then the leader, is cut off by taking its link
# down. The majority keeps accepting puts; the cut-off node makes no
# progress (its commit index stays put, and a cut-off leader steps down);
# after healing it catches up and every acknowledged put reads back.
# Needs root (or CAP_NET_ADMIN) and `ip netns`; without them it says why and
# exits 77, which meson reports as SKIP, never as a pass.
# Usage: partition_test.sh PATH_TO_PSS
set -uo pipefail
PSS=$(realpath "${1:?usage: partition_test.sh PATH_TO_PSS}")
prefix=psse2e$$
probe=${prefix}p
if ! ip netns add "$probe" 2>/dev/null; then
  echo "SKIP: cannot create network namespaces here (needs root or CAP_NET_ADMIN and iproute2);"
  echo "      the partition test did not run"
  exit 77
fi
ip netns del "$probe"

work=$(mktemp -d /tmp/pss-e2e.XXXXXX)
passed=0
failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }
check() { local what=$1; shift; if "$@"; then ok; else bad "$what"; fi; }
bridge=${prefix}br
n=5
pids=()

cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
  for i in $(seq $n); do ip netns del "${prefix}n$i" 2>/dev/null; done
  ip link del "$bridge" 2>/dev/null
  if [ "$failed" -gt 0 ]; then
    for log in "$work"/cluster/node-*/node.log; do echo "---- $log"; tail -15 "$log"; done
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# The network: a bridge with the client's address, and one namespace per node.
ip link add "$bridge" type bridge
ip addr add 10.77.0.254/24 dev "$bridge"
ip link set "$bridge" up
hosts=""
for i in $(seq $n); do
  ns=${prefix}n$i
  ip netns add "$ns"
  ip link add "${prefix}v$i" type veth peer name eth0 netns "$ns"
  ip link set "${prefix}v$i" master "$bridge" up
  ip -n "$ns" addr add "10.77.0.$i/24" dev eth0
  ip -n "$ns" link set eth0 up
  ip -n "$ns" link set lo up
  # Bound how long a connect to a cut-off peer can block.
  ip netns exec "$ns" sysctl -qw net.ipv4.tcp_syn_retries=2
  hosts+="${hosts:+,}10.77.0.$i"
done

"$PSS" init-cluster --nodes $n --threshold 3 --hosts "$hosts" --base-port 7101 --out "$work/cluster" >/dev/null \
  || { echo "FAIL: init-cluster"; exit 1; }
export PSS_CLUSTER=$work/cluster/client/cluster.toml
start_node() { # start_node I [FLAG]
  local d=$work/cluster/node-$1
  (cd "$d" && exec ip netns exec "${prefix}n$1" "$PSS" node --config node.toml ${2:-} >>node.log 2>&1) &
  pids[$1]=$!
}
for i in $(seq $n); do start_node "$i" --init; done

status_json() { "$PSS" status --json 2>/dev/null || true; }
# What node I says about itself, asked from inside its own namespace.
self_view() { ip netns exec "${prefix}n$1" "$PSS" status --json 2>/dev/null | jq -c ".members[] | select(.id == $1)"; }
wait_healthy() {
  local deadline=$((SECONDS + $1)) s
  while [ $SECONDS -lt $deadline ]; do
    s=$(status_json)
    if [ -n "$s" ] && [ "$(jq -r .healthy <<<"$s")" = true ] && [ "$(jq .answered <<<"$s")" -ge "$2" ]; then return 0; fi
    sleep 0.3
  done
  return 1
}
acked=$work/acked
put_acked() { # put_acked NAME VALUE: records the acknowledged version
  local out
  out=$(printf '%s' "$2" | "$PSS" put "$1" --json 2>/dev/null) || return 1
  echo "$1 $2 $(jq -r .version <<<"$out")" >>"$acked"
}
cut() { ip link set "${prefix}v$1" down; }
heal() { ip link set "${prefix}v$1" up; }

check "a leader within 30 s with all 5 answering" wait_healthy 30 5
for i in 1 2 3; do check "put p$i" put_acked "p$i" "before-$i"; done

for round in follower leader; do
  leader=$(status_json | jq -r .leader)
  if [ "$round" = follower ]; then victim=$(( leader % n + 1 )); else victim=$leader; fi
  cut "$victim"
  check "[$round] the majority has a leader within 15 s" wait_healthy 15 3
  check "[$round] the new leader is not the cut-off node" test "$(status_json | jq -r .leader)" != "$victim"
  before=$(self_view "$victim" | jq .commit)
  for i in 1 2 3; do check "[$round] put during the cut" put_acked "$round-$i" "cut-$round-$i"; done
  sleep 2
  after=$(self_view "$victim")
  check "[$round] the cut-off node made no progress (commit $before -> $(jq .commit <<<"$after"))" \
    test "$(jq .commit <<<"$after")" = "$before"
  check "[$round] the cut-off node is not leader" test "$(jq -r .role <<<"$after")" != leader
  heal "$victim"
  check "[$round] all 5 answer after healing" wait_healthy 30 5
  caught_up() {
    local deadline=$((SECONDS + 20)) s
    while [ $SECONDS -lt $deadline ]; do
      s=$(status_json)
      [ "$(jq "[.members[].applied] | min" <<<"$s")" = "$(jq "[.members[].applied] | max" <<<"$s")" ] && return 0
      sleep 0.3
    done
    return 1
  }
  check "[$round] the healed node caught up" caught_up
done

lost=0
while read -r name value version; do
  got=$("$PSS" get "$name" --version "$version" 2>/dev/null) && [ "$got" = "$value" ] || { lost=$((lost + 1)); echo "lost: $name v$version"; }
done <"$acked"
check "every acknowledged put reads back after healing ($lost lost of $(wc -l <"$acked"))" test "$lost" -eq 0
echo "e2e: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
