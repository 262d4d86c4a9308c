#!/usr/bin/env bash
# Metrics as an operator uses them (docs/gateway.md §2): a 3-node cluster
# whose nodes serve /metrics, /healthz and /readyz; `promtool check metrics`
# passes on every node's output; Debian's Prometheus server scrapes the
# three on loopback, and its HTTP API shows exactly one leader and an epoch
# that advances after `pss refresh`. A killed node's target goes down, and
# /readyz says why a node is not ready.
PSS=${1:?usage: metrics_test.sh PSS_BINARY}
BASE_PORT=7460
METRICS_PORT=7470
PROM_PORT=7479
source "$(dirname "$0")/lib.sh"

command -v prometheus >/dev/null && command -v promtool >/dev/null \
  || { echo "metrics: prometheus and promtool are missing (Debian package prometheus; scripts/setup.sh installs it)"; exit 1; }

e2e_start 3 2 --metrics-base-port "$METRICS_PORT"
wait_healthy 30 3 || bad "cluster healthy"
put db/root "correct horse" || bad "put"

metrics() { curl -sf -m 5 "http://127.0.0.1:$((METRICS_PORT + $1 - 1))/metrics"; }
for i in 1 2 3; do
  metrics "$i" >"$work/metrics-$i.txt" || bad "node $i serves /metrics"
  if promtool check metrics <"$work/metrics-$i.txt" >"$work/promtool-$i.txt" 2>&1; then ok
  else bad "promtool check metrics on node $i: $(head -5 "$work/promtool-$i.txt")"; fi
  check "node $i: /healthz" curl -sf -m 5 -o /dev/null "http://127.0.0.1:$((METRICS_PORT + i - 1))/healthz"
  ready() { curl -sf -m 5 -o /dev/null "http://127.0.0.1:$((METRICS_PORT + $1 - 1))/readyz"; }
  check "node $i: /readyz" wait_until 10 ready "$i"
done
for name in pss_raft_term pss_raft_commit_index pss_raft_applied_index pss_raft_is_leader \
            pss_raft_elections_started_total pss_proposals_total pss_reads_total pss_fsync_seconds_bucket \
            pss_shares_held pss_epoch pss_epoch_age_seconds pss_refresh_rounds_committed_total \
            pss_recoveries_total pss_dealers_excluded_total pss_requests_admitted_total pss_peers_connected; do
  check "metric $name" grep -q "^$name" "$work/metrics-1.txt"
done
check "fsyncs were timed" bash -c "awk '/^pss_fsync_seconds_count/ {exit !(\$2 > 0)}' '$work/metrics-1.txt'"
check "no secret's name in any metric" bash -c "! grep -q 'db/root' '$work'/metrics-*.txt"

# ---- Prometheus scrapes the three
cat >"$work/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: pss
    static_configs:
      - targets: ['127.0.0.1:$METRICS_PORT', '127.0.0.1:$((METRICS_PORT + 1))', '127.0.0.1:$((METRICS_PORT + 2))']
EOF
check "promtool check config" promtool check config "$work/prometheus.yml"
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/tsdb" \
  --web.listen-address="127.0.0.1:$PROM_PORT" >"$work/prometheus.log" 2>&1 &
prom_pid=$!
trap 'kill $prom_pid 2>/dev/null; cleanup' EXIT
query() { curl -sf -m 5 --data-urlencode "query=$1" "http://127.0.0.1:$PROM_PORT/api/v1/query" | jq -r "$2"; }
three_up() { [ "$(query 'sum(up{job="pss"})' '.data.result[0].value[1] // empty')" = 3 ]; }
check "Prometheus scrapes the three nodes" wait_until 30 three_up
one_leader() { [ "$(query 'sum(pss_raft_is_leader)' '.data.result[0].value[1] // empty')" = 1 ]; }
check "exactly one leader" wait_until 15 one_leader
epoch_now() { query 'max(pss_epoch)' '.data.result[0].value[1] // empty'; }
before=$(epoch_now)
check "an epoch before the refresh" test -n "$before"
"$PSS" refresh >/dev/null 2>>"$work/client.err" || bad "pss refresh"
advanced() { local e; e=$(epoch_now); [ -n "$e" ] && [ "$e" -gt "$before" ]; }
check "the epoch advances after pss refresh (Prometheus)" wait_until 30 advanced
committed() { [ "$(query 'min(pss_refresh_rounds_committed_total)' '.data.result[0].value[1] // empty')" -ge 1 ] 2>/dev/null; }
check "every node counts the committed round" wait_until 15 committed

# ---- a killed node: its target goes down; /readyz of a live one still ready
"$cluster" kill-node 3 >/dev/null
two_up() { [ "$(query 'sum(up{job="pss"})' '.data.result[0].value[1] // empty')" = 2 ]; }
check "a killed node's target goes down" wait_until 20 two_up
check "node 1 stays ready" curl -sf -m 5 -o /dev/null "http://127.0.0.1:$METRICS_PORT/readyz"

kill "$prom_pid" 2>/dev/null; wait "$prom_pid" 2>/dev/null
e2e_finish
