#!/usr/bin/env bash
# Security over real processes: a client whose certificate comes from
# another CA is refused, an impostor at a member's address is ignored by
# clients and members (pinned identities), a plaintext client cannot talk to a TLS node, no
# share (taken from the nodes' own share journals) and no value, seed or
# 64-hex string appears in any log, the secret files are mode 0600 and the
# data directories 0700, a broken config fails fast naming the key, and an
# unreachable peer is reported by `pss status` without hanging anything.
# Usage: security_test.sh PATH_TO_PSS
PSS=${1:?usage: security_test.sh PATH_TO_PSS}
BASE_PORT=7310
source "$(dirname "$0")/lib.sh"

e2e_start 5 3
check "a leader within 20 s" wait_healthy 20 5
for i in 1 2 3; do check "put sec$i" put "sec$i" "security-value-$i"; done
check "a refresh epoch (more share files to scan)" "$PSS" refresh
sleep 3
seed=$(sed -n 's/^seed = "\(.*\)"/\1/p' "$work/cluster/client/identity")

# Another cluster's CA and client certificate, with this cluster's members
# and even the right identity: the TLS handshake fails at every node.
"$PSS" init-cluster --nodes 3 --threshold 2 --base-port 7390 --out "$work/other" >/dev/null
cp "$work/cluster/client/cluster.toml" "$work/other/client/foreign.toml"
PSS_IDENTITY=$work/cluster/client/identity "$PSS" list --cluster "$work/other/client/foreign.toml" >/dev/null 2>"$work/foreign.err"
rc=$?
check "a client with another CA's certificate is refused (exit 5, got $rc)" test "$rc" -eq 5
check "and told how many nodes it reached" grep -q 'reached 0 of 5 nodes' "$work/foreign.err"

# A plaintext client.
sed -e '/^\[tls\]/,/^$/d' -e 's/^threshold = .*/&\ninsecure_plaintext = true/' \
  "$work/cluster/client/cluster.toml" >"$work/cluster/client/plain.toml"
PSS_IDENTITY=$work/cluster/client/identity "$PSS" list --cluster "$work/cluster/client/plain.toml" >/dev/null 2>"$work/plain.err"
rc=$?
check "a plaintext client cannot talk to TLS nodes (exit 5, got $rc)" test "$rc" -eq 5

# A thief copies node 1's whole directory (config, keys, TLS certificate,
# data) while it runs. Nothing in it is a client credential: its TLS
# certificate connects, but its Ed25519 key, used as a client identity,
# is not in the policy, and no node directory holds the admin's seed.
cp -r "$work/cluster/node-1" "$work/stolen"
sign_key=$(awk '/^\[\[members\]\]/{m++} m==1 && /^sign_key/{gsub(/"/, "", $3); print $3}' "$work/stolen/node.toml")
sign_seed=$(sed -n 's/^sign_seed = "\(.*\)"/\1/p' "$work/stolen/node.key")
printf 'public_key = "%s"\nseed = "%s"\n' "$sign_key" "$sign_seed" >"$work/stolen/identity"
chmod 600 "$work/stolen/identity"
check "the stolen node key makes a valid identity file" "$PSS" identity show "$work/stolen/identity"
sed -e "s|^certificate = .*|certificate = \"$work/stolen/tls.crt\"|" \
    -e "s|^key = .*|key = \"$work/stolen/tls.key\"|" \
    -e "/^identity_file/d" "$work/cluster/client/cluster.toml" >"$work/cluster/client/thief.toml"
PSS_IDENTITY=$work/stolen/identity "$PSS" get sec1 --cluster "$work/cluster/client/thief.toml" \
  >"$work/thief.out" 2>"$work/thief.err"
rc=$?
check "the thief's get is refused (exit 7, got $rc)" test "$rc" -eq 7
check "by the policy, on the nodes" grep -q 'not_allowed' "$work/thief.err"
check "and prints nothing" test ! -s "$work/thief.out"
PSS_IDENTITY=$work/stolen/identity "$PSS" list --cluster "$work/cluster/client/thief.toml" >/dev/null 2>&1
check "the thief cannot list either" test $? -eq 7
check "no node directory holds the admin's seed" \
  bash -c "! grep -rqF '$seed' $work/cluster/node-* $work/stolen"
check "no node directory holds a token file" test -z "$(find "$work/stolen" -iname '*token*')"

# Pinned identities. An impostor takes member 1's address with a valid
# certificate of the cluster CA and member keys of its own (another
# cluster's). With the client's certificate, clients cannot even finish a
# TLS handshake with it (a client certificate cannot serve as a node), and
# the members refuse its link messages (the link tags need member 1's box
# key). With node 2's certificate (a stolen node certificate), clients
# connect, but ignore its replies: they do not prove the key the cluster
# file pins for member 1. Puts and gets go on with the other four.
"$cluster" stop-node 1 >/dev/null
imp=$work/cluster/impostor-1
mkdir -p "$imp"
other_key() { awk -v k="$1" '/^\[\[members\]\]/{m++} m==3 && $1==k {print $3}' "$work/other/node-3/node.toml"; }
sed 's/^id = .*/id = 1/' "$work/other/node-3/node.key" >"$imp/node.key"
chmod 600 "$imp/node.key"
start_impostor() { # start_impostor CERT KEY: member 1's config with other keys and this certificate
  awk -v box="$(other_key box_key)" -v sign="$(other_key sign_key)" -v crt="$1" -v key="$2" '
    /^\[\[members\]\]/ { m++ }
    m == 1 && $1 == "box_key" { print "box_key = " box; next }
    m == 1 && $1 == "sign_key" { print "sign_key = " sign; next }
    /^certificate = / { print "certificate = \"" crt "\""; next }
    /^key = / { print "key = \"" key "\""; next }
    { print }' "$work/cluster/node-1/node.toml" >"$imp/node.toml"
  rm -rf "$imp/data"
  (cd "$imp" && exec "$PSS" node --config node.toml --init >>node.log 2>&1) &
  impostor=$!
  sleep 1
}
stop_impostor() { kill "$impostor" 2>/dev/null; wait "$impostor" 2>/dev/null; }
start_impostor "$work/cluster/client/client.crt" "$work/cluster/client/client.key"
check "an impostor runs with the client's certificate" kill -0 "$impostor"
check "a leader among the other four" wait_healthy 20
refused_tags=$(status_json | jq '[.members[] | select(.id != 1) | .transport_refused.bad_link_tag // 0] | add')
check "the members refused the impostor's link tags (got $refused_tags)" test "${refused_tags:-0}" -gt 0
# The impostor may still be starting: wait for its port, then ask.
for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/$BASE_PORT) 2>/dev/null && break; sleep 0.1; done
status_json | jq -c '.members[] | select(.id == 1)' >"$work/impostor-status.json"
check "a client cannot talk to it: member 1 is unreachable ($(jq -r .error "$work/impostor-status.json"))" \
  test "$(jq -r .reachable "$work/impostor-status.json")" = false
stop_impostor
start_impostor "$work/cluster/node-2/tls.crt" "$work/cluster/node-2/tls.key"
check "an impostor runs with node 2's certificate" kill -0 "$impostor"
printf 'pinned' | "$PSS" put pinned1 >/dev/null 2>"$work/pinned.err"
check "a put succeeds with the impostor at member 1's address" test $? -eq 0
check "and the client says it ignored the impostor's replies" \
  grep -q 'node 1 at .* did not prove the key the cluster file pins' "$work/pinned.err"
check "a get reads it back" get_equals pinned1 pinned
stop_impostor
check "the real node 1 comes back" bash -c "'$cluster' start-node 1 >/dev/null"
check "and the cluster is whole again" wait_healthy 20 5

# Shares, as the nodes hold them on their own disks, never reach a log.
# Every 32-byte window of every share journal, in lower and upper hex.
for f in "$work"/cluster/node-*/data/shares/*; do
  [ -f "$f" ] || continue
  od -An -v -tx1 "$f" | tr -d ' \n' | awk '{ for (i = 1; i + 63 <= length($0); i += 2) print substr($0, i, 64) }'
done | sort -u >"$work/windows.lower"
check "share journals were found to scan" test "$(wc -l <"$work/windows.lower")" -gt 100
tr 'a-f' 'A-F' <"$work/windows.lower" | cat "$work/windows.lower" - >"$work/windows"
# The scan itself can fail: a log line with one window in it is caught.
echo "a line with $(tail -1 "$work/windows") in it" >"$work/planted.log"
check "the share scan catches a planted share" grep -qF -f "$work/windows" "$work/planted.log"
check "no share bytes in any log" bash -c "! grep -qF -f $work/windows $work/cluster/node-*/node.log"
check "no value in any log" bash -c "! grep -q 'security-value' $work/cluster/node-*/node.log"
check "no identity seed in any log" bash -c "! grep -qF '$seed' $work/cluster/node-*/node.log"
check "no 64-hex string in any log" bash -c "! grep -qE '[0-9a-fA-F]{64}' $work/cluster/node-*/node.log"

# File modes.
for i in 1 2 3 4 5; do
  d=$work/cluster/node-$i
  for f in node.key tls.key; do
    check "node-$i/$f is 0600" test "$(stat -c %a "$d/$f")" = 600
  done
  check "node-$i data files are 0600" test -z "$(find "$d/data" -type f ! -perm 600)"
  check "node-$i data directories are 0700" test -z "$(find "$d/data" -type d ! -perm 700)"
done
check "the CA key is 0600" test "$(stat -c %a "$work/cluster/ca.key")" = 600
check "the client key is 0600" test "$(stat -c %a "$work/cluster/client/client.key")" = 600

# A broken config fails fast with the file and the key.
sed 's/^listen = .*/listen = "127.0.0.1"/' "$work/cluster/node-1/node.toml" >"$work/cluster/node-1/broken.toml"
began=$SECONDS
"$PSS" node --config "$work/cluster/node-1/broken.toml" >"$work/broken.log" 2>&1
rc=$?
check "a broken config exits 2" test "$rc" -eq 2
check "at once" test $((SECONDS - began)) -le 2
check "naming the file and the key" grep -q "broken.toml.*node.listen" "$work/broken.log"

# A second process on a running node's data directory is refused.
"$PSS" node --config "$work/cluster/node-2/node.toml" >"$work/second.log" 2>&1
check "a second node on the same data directory exits 1" test $? -eq 1
check "and says the directory is in use" grep -q "another process is using the data directory" "$work/second.log"

# An unreachable peer is reported, and nothing hangs.
"$cluster" kill-node 5 >/dev/null
sleep 2
began=$SECONDS
s=$(status_json)
check "status answers within 5 s with a node down" test $((SECONDS - began)) -le 5
check "status reports node 5 unreachable" \
  test "$(jq '.members[] | select(.id == 5) | .reachable' <<<"$s")" = false
check "the others report their link to node 5 down" \
  test "$(jq '[.members[] | select(.reachable) | .peers[] | select(.id == 5 and .connected == false)] | length' <<<"$s")" -eq 4
check "and the cluster still works" put after-kill "still-works"
e2e_finish
