#!/usr/bin/env bash
# CLI test for `pss init-cluster`: a five-node cluster is written with every
# file in place and private where it must be, the certificates verify against
# the cluster CA, every config loads, and bad runs fail with clear messages.
# A failing case prints what it expected and what it got; the last line is
# "cli-init-cluster: N passed, M failed". Usage: init_cluster_test.sh PATH_TO_PSS
set -uo pipefail
pss=${1:?usage: init_cluster_test.sh PATH_TO_PSS}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0
failed=0

ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }

mode_of() { stat -c '%a' "$1"; }

# expect_fail NAME RC PATTERN -- ARGS...: the run fails with RC and PATTERN on stderr.
expect_fail() {
  local name=$1 want_rc=$2 pattern=$3; shift 4
  "$pss" init-cluster "$@" > "$work/out" 2> "$work/err"
  local rc=$?
  if [ "$rc" -ne "$want_rc" ]; then bad "$name: exit $rc, want $want_rc ($(cat "$work/err"))"; return; fi
  if ! grep -qE -- "$pattern" "$work/err"; then bad "$name: stderr '$(cat "$work/err")' lacks /$pattern/"; return; fi
  ok
}

# --- a five-node cluster with TLS -------------------------------------------
out="$work/cluster"
if "$pss" init-cluster --nodes 5 --threshold 3 --out "$out" > "$work/summary" 2> "$work/err"; then
  ok
else
  bad "init-cluster failed: $(cat "$work/err")"
fi

for f in ca.crt ca.key client/cluster.toml client/client.crt client/client.key client/identity; do
  [ -f "$out/$f" ] && ok || bad "missing $f"
done
for i in 1 2 3 4 5; do
  for f in node.toml node.key tls.crt tls.key; do
    [ -f "$out/node-$i/$f" ] && ok || bad "missing node-$i/$f"
  done
done
for f in ca.key client/client.key client/identity node-1/node.key node-1/tls.key \
         node-5/node.key node-5/tls.key; do
  [ "$(mode_of "$out/$f")" = 600 ] && ok || bad "$f has mode $(mode_of "$out/$f"), want 600"
done

if openssl verify -CAfile "$out/ca.crt" "$out/node-1/tls.crt" "$out/node-5/tls.crt" \
     "$out/client/client.crt" > "$work/verify" 2>&1; then
  ok
else
  bad "openssl verify failed: $(cat "$work/verify")"
fi
openssl x509 -in "$out/node-3/tls.crt" -noout -subject | grep -q 'CN *= *pss-node-3' && ok \
  || bad "node-3 certificate subject is not pss-node-3"
openssl x509 -in "$out/node-3/tls.crt" -noout -ext subjectAltName | grep -q 'IP Address:127.0.0.1' && ok \
  || bad "node-3 certificate lacks IP:127.0.0.1"

# Every node config loads with its keys, and so does the client's file.
for i in 1 2 3 4 5; do
  got=$("$pss" init-cluster --check-config "$out/node-$i/node.toml" 2>&1)
  [ "$got" = "ok: node $i of $(sed -n 's/^cluster_id = "\(.*\)"/\1/p' "$out/node-1/node.toml")" ] && ok \
    || bad "node-$i config does not load: $got"
done
"$pss" init-cluster --check-cluster "$out/client/cluster.toml" | grep -q '^ok: cluster file' && ok \
  || bad "the client cluster file does not load"
grep -q 'listen = "127.0.0.1:7105"' "$out/node-5/node.toml" && ok || bad "node-5 does not listen on 7105"
grep -q '^threshold = 3$' "$out/client/cluster.toml" && ok || bad "cluster.toml lacks threshold = 3"
# The nodes name the admin's public key and hold no client secret.
admin=$("$pss" identity show "$out/client/identity")
grep -q "^admin_key = \"$admin\"$" "$out/node-2/node.toml" && ok || bad "node-2 does not name the admin's key $admin"
seed=$(sed -n 's/^seed = "\(.*\)"/\1/p' "$out/client/identity")
[ ${#seed} -eq 64 ] && ok || bad "client/identity has no 64-digit seed"
grep -rqF "$seed" "$out"/node-* && bad "a node directory holds the admin's seed" || ok
[ -z "$(ls "$out"/node-1 | grep -i token)" ] && ok || bad "a node directory still has a token file"

# The summary names the files and the next step and never a secret.
grep -q 'pss node --config' "$work/summary" && ok || bad "the summary does not say how to start nodes"
grep -qF "$seed" "$work/summary" "$work/err" && bad "the admin's seed was printed" || ok
box_secret=$(sed -n 's/^box_secret_key = "\(.*\)"/\1/p' "$out/node-1/node.key")
[ ${#box_secret} -eq 64 ] && ok || bad "node-1/node.key has no 64-digit box_secret_key"
grep -qF "$box_secret" "$work/summary" "$work/err" && bad "a secret key was printed" || ok

# A damaged config is reported with its key.
cp -r "$out/node-1" "$work/node-copy"
sed -i 's/^listen = .*/listen = "127.0.0.1"/' "$work/node-copy/node.toml"
sed -i 's|^ca = "../ca.crt"|ca = "'"$out"'/ca.crt"|' "$work/node-copy/node.toml"
got=$("$pss" init-cluster --check-config "$work/node-copy/node.toml" 2>&1)
echo "$got" | grep -q "key 'node.listen': \"127.0.0.1\" has no port" && ok || bad "bad listen not reported: $got"
chmod 644 "$work/node-copy/node.key"
sed -i 's/^listen = .*/listen = "127.0.0.1:7101"/' "$work/node-copy/node.toml"
got=$("$pss" init-cluster --check-config "$work/node-copy/node.toml" 2>&1)
echo "$got" | grep -q "chmod 600" && ok || bad "a 0644 key file was not refused: $got"

# --- refusals ---------------------------------------------------------------
expect_fail "second run into the same directory" 1 "already exists and is not empty" -- \
  --nodes 5 --threshold 3 --out "$out"
expect_fail "threshold above nodes" 2 "--threshold must be 2..--nodes minus 1 \(2..4\), not 9" -- \
  --nodes 5 --threshold 9 --out "$work/t9"
expect_fail "threshold equal to nodes" 2 "n = t never refreshes" -- --nodes 3 --threshold 3 --out "$work/t3"
[ ! -e "$work/t9" ] && ok || bad "a refused run created its directory"
expect_fail "missing --out" 2 "out" -- --nodes 3 --threshold 2
expect_fail "wrong number of hosts" 2 "--hosts lists 2 hosts for 3 nodes" -- \
  --nodes 3 --threshold 2 --hosts a.lan,b.lan --out "$work/h"
expect_fail "bad cluster id" 2 "--cluster-id:.*may use only" -- \
  --nodes 3 --threshold 2 --cluster-id 'a b' --out "$work/c"
expect_fail "ports past 65535" 2 "--base-port 65534 leaves no room" -- \
  --nodes 3 --threshold 2 --base-port 65534 --out "$work/p"

# --- multi-host and plaintext -------------------------------------------------
if "$pss" init-cluster --nodes 3 --threshold 2 --hosts node1.lan,node2.lan,10.0.0.3 \
     --cluster-id demo-1 --out "$work/multi" > /dev/null 2> "$work/err"; then
  grep -q 'address = "node2.lan:7101"' "$work/multi/node-3/node.toml" && ok || bad "--hosts addresses wrong"
  openssl x509 -in "$work/multi/node-2/tls.crt" -noout -ext subjectAltName | grep -q 'DNS:node2.lan' && ok \
    || bad "node-2 certificate lacks DNS:node2.lan"
  grep -q '^cluster_id = "demo-1"$' "$work/multi/node-1/node.toml" && ok || bad "--cluster-id ignored"
else
  bad "multi-host init failed: $(cat "$work/err")"
fi
if "$pss" init-cluster --nodes 3 --threshold 2 --insecure-plaintext --out "$work/plain" \
     > /dev/null 2> "$work/err"; then
  [ ! -e "$work/plain/ca.crt" ] && [ ! -e "$work/plain/node-1/tls.crt" ] && ok || bad "plaintext wrote certificates"
  grep -q '^insecure_plaintext = true' "$work/plain/node-1/node.toml" && ok || bad "plaintext flag not written"
  grep -q '^\[tls\]' "$work/plain/node-1/node.toml" && bad "plaintext config has [tls]" || ok
  "$pss" init-cluster --check-config "$work/plain/node-2/node.toml" > /dev/null && ok \
    || bad "plaintext node config does not load"
  "$pss" init-cluster --check-cluster "$work/plain/client/cluster.toml" > /dev/null && ok \
    || bad "plaintext cluster file does not load"
else
  bad "plaintext init failed: $(cat "$work/err")"
fi

"$pss" init-cluster --help | grep -q 'pss node --config' && ok || bad "--help lacks the next steps"

# --rotate-keys (docs/refresh.md §7.9): next keys for a member, refused clearly when it cannot.
if [ -d "$work/plain/node-2" ]; then
  "$pss" init-cluster --rotate-keys 2 > /dev/null 2> "$work/err"; rc=$?
  [ $rc -eq 2 ] && grep -q 'needs --out' "$work/err" && ok || bad "--rotate-keys without --out: exit $rc"
  "$pss" init-cluster --rotate-keys 9 --out "$work/plain" > /dev/null 2> "$work/err"; rc=$?
  [ $rc -eq 2 ] && grep -q 'node-9/node.toml' "$work/err" && ok || bad "--rotate-keys of no node: exit $rc, $(cat "$work/err")"
  "$pss" init-cluster --rotate-keys 2 --out "$work/plain" > "$work/out" 2> "$work/err" && ok \
    || bad "--rotate-keys 2 failed: $(cat "$work/err")"
  [ "$(stat -c %a "$work/plain/node-2/node.key.next")" = 600 ] && ok || bad "node.key.next is not 0600"
  grep -q 'pss member rotate-keys --id 2' "$work/out" && ok || bad "--rotate-keys does not say the next step"
  "$pss" init-cluster --check-config "$work/plain/node-2/node.toml" > /dev/null && ok \
    || bad "a node config with a next key file beside its key file does not load"
  "$pss" init-cluster --rotate-keys 2 --out "$work/plain" > /dev/null 2> "$work/err"; rc=$?
  [ $rc -eq 1 ] && grep -q 'prepared' "$work/err" && ok || bad "a second --rotate-keys: exit $rc"
fi

echo "cli-init-cluster: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
