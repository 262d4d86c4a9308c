#!/usr/bin/env bash
# The operator dashboard in a real browser (docs/gateway.md §3): a 3-node
# cluster, the gateway, a put and two refreshes; headless Debian chromium
# loads /ui/ with the API key in the URL's fragment, and the test checks what
# the page shows: the members with their health and the leader, the term and
# commit index, the epoch, a timeline with epochs 2 and 3, each node's share
# fingerprints changing across the epochs, and the audit events of the put.
# It never shows the value. The screenshot is kept in OUTPUT_DIR.
PSS=${1:?usage: dashboard_test.sh PSS_BINARY OUTPUT_DIR}
OUT=${2:?usage: dashboard_test.sh PSS_BINARY OUTPUT_DIR}
BASE_PORT=7480
GW_PORT=7490
source "$(dirname "$0")/lib.sh"

browser=$(command -v chromium || command -v chromium-browser || true)
[ -n "$browser" ] || { echo "dashboard: chromium is missing (scripts/setup.sh installs it)"; exit 1; }
mkdir -p "$OUT"

e2e_start 3 2
wait_healthy 30 3 || bad "cluster healthy"
"$cluster" gateway --port "$GW_PORT" >"$work/gateway-start.log" 2>&1 || { cat "$work/gateway-start.log"; bad "gateway"; e2e_finish; }
KEY=$(cat "$work/cluster/client/gateway.key")
VALUE="dashboard-must-never-show-this"
put db/root "$VALUE" || bad "put"
epoch() { status_json | jq -r '[.members[] | select(.reachable) | .epoch] | max'; }
# The first refresh piped: it returns once requested, with no progress line.
before=$(epoch)
"$PSS" refresh >"$work/refresh1.out" 2>&1 || bad "refresh 1"
check "piped, pss refresh prints one line and no progress" bash -c "[ \"\$(cat '$work/refresh1.out')\" = 'refresh requested' ]"
advanced() { [ "$(epoch)" -gt "$before" ]; }
check "refresh 1 commits" wait_until 30 advanced
sleep 2.5 # the gateway observes the cluster every 2 s
# The second on a terminal (script(1) gives it one): it waits, showing phases.
before=$(epoch)
script -qec "$PSS refresh" /dev/null >"$work/refresh2.out" 2>&1 || bad "refresh 2 on a terminal"
check "on a terminal, pss refresh waits for the new epoch" grep -q "refresh: committed, epoch $((before + 1))" "$work/refresh2.out"
check "on a terminal, pss refresh shows its phases" grep -q "refresh: asking the leader" "$work/refresh2.out"
check "refresh 2 commits" test "$(epoch)" -gt "$before"
sleep 2.5

page() {
  "$browser" --headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run \
    --user-data-dir="$work/chromium" --virtual-time-budget=8000 --window-size=1280,1000 "$@" \
    "http://127.0.0.1:$GW_PORT/ui/#key=$KEY" 2>>"$work/chromium.log"
}
page --dump-dom >"$work/dom.html" || bad "chromium loads the page"
page --screenshot="$OUT/dashboard.png" >/dev/null || bad "chromium takes a screenshot"
check "a screenshot was saved" test -s "$OUT/dashboard.png"
echo "dashboard: screenshot in $OUT/dashboard.png"

# The page's own text, one cell per line.
/usr/bin/python3 - "$work/dom.html" >"$work/text.txt" <<'PY'
import html.parser, sys
class Text(html.parser.HTMLParser):
    skip = 0
    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"): self.skip += 1
        if tag == "body": print("body-loaded=" + dict(attrs).get("data-loaded", ""))
    def handle_endtag(self, tag):
        if tag in ("script", "style"): self.skip -= 1
        if tag in ("td", "th"): print(" ", end="")
        if tag in ("tr", "p", "span", "h1", "h2"): print()
    def handle_data(self, data):
        if not self.skip and data.strip(): print(data.strip(), end=" ")
Text().feed(open(sys.argv[1]).read())
PY
has() { grep -qE -- "$1" "$work/text.txt"; }
check "the page rendered the API's data" has "body-loaded=1"
check "all three members answered" has "3 of 3 answered"
check "three member rows, each healthy" test "$(grep -cE '^ *[0-9]+ +127\.0\.0\.1:[0-9]+ +healthy' "$work/text.txt")" = 3
leader=$(status_json | jq -r .leader)
check "the leader is named" has "leader node $leader"
check "the leader's row says leader" has "127\.0\.0\.1:$((BASE_PORT + leader - 1)) +healthy +leader"
check "the term and commit index are shown" has "term [0-9]+" 
check "the epoch is 3" has "^ *epoch 3 *$"
check "the timeline shows epoch 2" has "[0-9:]{8} epoch 2"
check "the timeline shows epoch 3" has "[0-9:]{8} epoch 3"
check "fingerprint columns for epochs 2 and 3" has "epoch 2"
fp_rows=$(grep -cE '^ *[1-3] +(([0-9a-f]{8}|-) +)*[0-9a-f]{8} +[0-9a-f]{8}' "$work/text.txt")
check "every node shows fingerprints in two epochs or more" test "$fp_rows" = 3
changed=$(/usr/bin/python3 - "$work/text.txt" <<'PY'
import re, sys
n = 0
for line in open(sys.argv[1]):
    m = re.match(r"^[1-3]( +(?:[0-9a-f]{8}|-))+$", line.strip())
    if m:
        fps = [f for f in line.split()[1:] if f != "-"]
        n += len(fps) == len(set(fps)) and len(fps) >= 2
print(n)
PY
)
check "each node's fingerprint differs in every epoch" test "$changed" = 3
check "the audit shows the put registered" has "registered +db/root"
check "the audit shows the refreshes" has "refresh"
check "the value is nowhere in the page" bash -c "! grep -q '$VALUE' '$work/dom.html'"
check "nor its base64" bash -c "! grep -q '$(printf '%s' "$VALUE" | base64)' '$work/dom.html'"
check "the API key is not in the page" bash -c "! grep -q '$KEY' '$work/dom.html'"

# Without a key the page asks for one, and shows no data.
"$browser" --headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run \
  --user-data-dir="$work/chromium2" --virtual-time-budget=3000 --dump-dom \
  "http://127.0.0.1:$GW_PORT/ui/" >"$work/nokey.html" 2>>"$work/chromium.log"
check "without a key the form is shown" bash -c "grep -q 'id=\"keyform\"' '$work/nokey.html' && ! grep -q 'id=\"keyform\" hidden' '$work/nokey.html'"
check "without a key no member is shown" bash -c "! grep -q '127.0.0.1:$BASE_PORT' '$work/nokey.html'"
e2e_finish
