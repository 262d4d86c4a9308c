#!/usr/bin/env bash
# The HTTP gateway as an application uses it (docs/gateway.md): a 3-node
# cluster (t = 2) and `pss gateway` started by scripts/cluster, driven with
# curl and with Python's requests. Puts and gets round-trip (JSON base64 and
# raw bytes); every bad input the issue lists gets its status (a missing or
# bad key, a right the key lacks, a malformed name, a wrong method, an
# oversized body or header, a rate above the key's, a slow client, too many
# connections); with too few nodes the gateway answers 503 at once, naming
# how many it reaches, and it serves again once they are back.
PSS=${1:?usage: gateway_test.sh PSS_BINARY}
BASE_PORT=7440
GW_PORT=7450
source "$(dirname "$0")/lib.sh"
python=/usr/bin/python3 # Debian's, with python3-requests

e2e_start 3 2
wait_healthy 30 3 || bad "cluster healthy"
"$cluster" gateway --port "$GW_PORT" >"$work/gateway-start.log" 2>&1 || { cat "$work/gateway-start.log"; bad "gateway start"; e2e_finish; }
g=$work/cluster/client
KEY=$(cat "$g/gateway.key")
url=http://127.0.0.1:$GW_PORT
check "the key file is private" test "$(stat -c %a "$g/gateway.key")" = 600
check "the config holds the key's hash, not the key" bash -c "! grep -q '$KEY' '$g/gateway.toml'"

# A reader key limited to db/*, and tighter limits to test them quickly.
READER=$("$PSS" gateway new-key --config "$g/gateway.toml" --label reader --rights read,list --pattern 'db/*' 2>/dev/null)
check "new-key prints a key" test -n "$READER"
sed -i 's/^threads = 8/threads = 2/; s/^connections_max = 64/connections_max = 4\nread_timeout_ms = 1000/; s/^requests_per_second = 50/requests_per_second = 20/; s/^burst = 100/burst = 30/' "$g/gateway.toml"
check "the edited config loads" "$PSS" gateway --config "$g/gateway.toml" --check-config
"$cluster" stop-gateway >/dev/null
"$cluster" gateway --port "$GW_PORT" >>"$work/gateway-start.log" 2>&1 || bad "gateway restart"
wait_until 15 curl -sf "$url/v1/sys/health" -o /dev/null || bad "health 200"

# status CODE CURL-ARGS...: the HTTP status of one request
status() { curl -s -o "$work/body" -w '%{http_code}' -m 20 "$@"; }
expect() { # expect WHAT CODE CURL-ARGS...
  local what=$1 code=$2 got
  shift 2
  got=$(status "$@")
  if [ "$got" = "$code" ]; then ok; else bad "$what: HTTP $got, expected $code: $(head -c 300 "$work/body")"; fi
}
auth=(-H "Authorization: Bearer $KEY")

# ---- round trips with curl
expect "put JSON" 200 -X PUT "${auth[@]}" -H 'Content-Type: application/json' -d '{"value":"Y29ycmVjdCBob3JzZQ=="}' "$url/v1/secrets/db/root"
check "put answers the version" test "$(jq -r .version "$work/body")" = 1
expect "get" 200 "${auth[@]}" "$url/v1/secrets/db/root"
check "get answers the value in base64" test "$(jq -r .value "$work/body" | base64 -d)" = "correct horse"
check "the CLI reads what the gateway stored" get_equals db/root "correct horse"
head -c 65536 /dev/urandom >"$work/raw.bin"
expect "put 64 KiB raw" 200 -X POST "${auth[@]}" -H 'Content-Type: application/octet-stream' --data-binary @"$work/raw.bin" "$url/v1/secrets/db/blob"
expect "get raw" 200 "${auth[@]}" -H 'Accept: application/octet-stream' "$url/v1/secrets/db/blob"
check "raw bytes round-trip" cmp -s "$work/body" "$work/raw.bin"
expect "put a second version" 200 -X PUT "${auth[@]}" -d '{"value":"djI="}' "$url/v1/secrets/db/root"
expect "get version 1" 200 "${auth[@]}" "$url/v1/secrets/db/root?version=1"
check "version 1 is the first value" test "$(jq -r .value "$work/body" | base64 -d)" = "correct horse"
expect "get a version that does not exist" 404 "${auth[@]}" "$url/v1/secrets/db/root?version=9"
expect "put app/token" 200 -X PUT "${auth[@]}" -d '{"value":"dA=="}' "$url/v1/secrets/app/token"
expect "list db/" 200 "${auth[@]}" "$url/v1/secrets?prefix=db/"
check "list under a prefix" test "$(jq -c '[.secrets[].name]' "$work/body")" = '["db/blob","db/root"]'
expect "reader lists only db/*" 200 -H "Authorization: Bearer $READER" "$url/v1/secrets"
check "reader sees no app/ names" test "$(jq -c '[.secrets[].name]' "$work/body")" = '["db/blob","db/root"]'
expect "delete" 200 -X DELETE "${auth[@]}" "$url/v1/secrets/app/token"
expect "get after delete" 404 "${auth[@]}" "$url/v1/secrets/app/token"
check "a 404 is JSON with a code" test "$(jq -r .error.code "$work/body")" = not_found
expect "status" 200 "${auth[@]}" "$url/v1/sys/status"
check "status names a leader" test "$(jq -r .leader "$work/body")" != 0
# The dashboard's audit shows a key only the names its pattern matches.
sleep 7 # the gateway reads the audit logs every 6 s
expect "dashboard data" 200 "${auth[@]}" "$url/v1/sys/dashboard"
check "the full key sees app/token in the audit" test "$(jq '[.audit.records[].name] | index("app/token")' "$work/body")" != null
expect "dashboard data for the reader" 200 -H "Authorization: Bearer $READER" "$url/v1/sys/dashboard"
check "the reader sees db/ names in the audit" test "$(jq '[.audit.records[].name] | index("db/root")' "$work/body")" != null
check "the reader does not see app/token" test "$(jq '[.audit.records[].name] | index("app/token")' "$work/body")" = null

# ---- bad input
expect "no key" 401 "$url/v1/secrets/db/root"
check "401 says the key is missing" test "$(jq -r .error.code "$work/body")" = missing_key
expect "a bad key" 401 -H "Authorization: Bearer pssk_0000" "$url/v1/secrets/db/root"
expect "status without a key" 401 "$url/v1/sys/status"
expect "reader may not write" 403 -X PUT -H "Authorization: Bearer $READER" -d '{"value":"eA=="}' "$url/v1/secrets/db/x"
expect "reader may not read outside db/*" 403 -H "Authorization: Bearer $READER" "$url/v1/secrets/app/token"
expect "a malformed name" 400 "${auth[@]}" "$url/v1/secrets/db//root"
expect "a dot-dot name" 400 "${auth[@]}" "$url/v1/secrets/db/%2E%2E/root"
expect "a bad version" 400 "${auth[@]}" "$url/v1/secrets/db/root?version=abc"
expect "a wrong method" 405 -X OPTIONS "${auth[@]}" "$url/v1/secrets/db/root"
expect "no such route" 404 "${auth[@]}" "$url/v2/secrets/db/root"
expect "a bad JSON body" 400 -X PUT "${auth[@]}" -d '{"value": 1' "$url/v1/secrets/db/x"
expect "a text body" 415 -X PUT "${auth[@]}" -H 'Content-Type: text/plain' -d 'x' "$url/v1/secrets/db/x"
head -c 70000 /dev/zero >"$work/big.bin"
expect "a body above 64 KiB" 413 -X PUT "${auth[@]}" -H 'Content-Type: application/octet-stream' --data-binary @"$work/big.bin" "$url/v1/secrets/db/x"
long=$(head -c 5000 /dev/zero | tr '\0' a)
expect "headers above the limit" 431 "${auth[@]}" -H "X-A: $long" -H "X-B: $long" "$url/v1/secrets/db/root"

# ---- Python requests: a session, the rate limit, a slow client, the connection limit
if PSS_URL=$url PSS_KEY=$KEY PSS_READER=$READER "$python" "$repo/tests/e2e/gateway_client.py" >"$work/py.log" 2>&1; then
  ok
  cat "$work/py.log"
else
  bad "gateway_client.py: $(tail -5 "$work/py.log")"
fi

# ---- too few nodes: 503 at once, naming how many; back once they return
"$cluster" kill-node 2 >/dev/null
"$cluster" kill-node 3 >/dev/null
sleep 2
start=$SECONDS
expect "a get with 1 of 3 nodes" 503 "${auth[@]}" "$url/v1/secrets/db/root"
check "the 503 came at once" test $((SECONDS - start)) -le 3
check "the 503 names how many nodes answer" grep -q "reaches 1 of 3 nodes; this needs 2" "$work/body"
expect "health with 1 of 3 nodes" 503 "$url/v1/sys/health"
"$cluster" start-node 2 >/dev/null
"$cluster" start-node 3 >/dev/null
served() { [ "$(status "${auth[@]}" "$url/v1/secrets/db/root")" = 200 ]; }
check "the gateway serves again once the nodes are back" wait_until 30 served

# ---- TLS: a second gateway with a certificate answers over https only
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$work/tls.key" \
  -out "$work/tls.crt" -days 2 -subj /CN=127.0.0.1 -addext "subjectAltName=IP:127.0.0.1" 2>/dev/null
sed -e "s/^listen = .*/listen = \"127.0.0.1:$((GW_PORT + 1))\"/" "$g/gateway.toml" >"$work/tls.toml"
printf 'tls_certificate = "%s"\ntls_key = "%s"\n' "$work/tls.crt" "$work/tls.key" | cat - "$work/tls.toml" >"$work/tls2.toml"
"$PSS" gateway --config "$work/tls2.toml" >"$work/tls.log" 2>&1 &
tls_pid=$!
tls_up() { curl -s --cacert "$work/tls.crt" -o /dev/null "https://127.0.0.1:$((GW_PORT + 1))/v1/sys/health"; }
check "the TLS gateway starts" wait_until 15 tls_up
expect "a get over TLS" 200 --cacert "$work/tls.crt" "${auth[@]}" "https://127.0.0.1:$((GW_PORT + 1))/v1/secrets/db/root"
check "plain HTTP to the TLS port gets no answer" bash -c "! curl -sf -m 5 http://127.0.0.1:$((GW_PORT + 1))/v1/sys/health"
kill "$tls_pid"; wait "$tls_pid" 2>/dev/null

check "the gateway log holds no value and no name" bash -c "! grep -E 'correct horse|Y29ycmVjdCBob3JzZQ|db/root' '$g/gateway.log'"
"$cluster" stop >/dev/null 2>&1
e2e_finish
