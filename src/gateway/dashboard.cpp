#include "gateway/dashboard.hpp"

#include <algorithm>

namespace pss::gateway {

namespace {
using json = nlohmann::json;

// A count of the status row; 0 when absent or not a whole number from 0.
std::uint64_t field(const json& row, const char* key) {
  if (!row.contains(key) || !row[key].is_number_integer()) return 0;
  if (row[key].is_number_unsigned()) return row[key].get<std::uint64_t>();
  const auto v = row[key].get<std::int64_t>();
  return v < 0 ? 0 : static_cast<std::uint64_t>(v);
}
} // namespace

void dashboard_history::add_event(json event) {
  events_.push_back(std::move(event));
  while (events_.size() > timeline_events_max) events_.pop_front();
}

void dashboard_history::observe(const json& status, std::uint64_t now_ms) {
  if (!status.contains("members") || !status["members"].is_array()) return;
  std::uint64_t epoch = 0, aborted = 0, age = 0;
  std::string reason;
  for (const auto& row : status["members"]) {
    if (!row.value("reachable", false)) continue;
    if (field(row, "epoch") > epoch) {
      epoch = field(row, "epoch");
      age = field(row, "epoch_age_ms");
    }
    if (field(row, "rounds_aborted") >= aborted) {
      aborted = field(row, "rounds_aborted");
      reason = row.value("last_abort_reason", std::string{});
    }
    const std::string fp = row.value("shares_fingerprint", std::string{});
    if (!fp.empty()) by_epoch_[field(row, "epoch")][field(row, "id")] = fp;
  }
  while (by_epoch_.size() > fingerprint_epochs_max) by_epoch_.erase(by_epoch_.begin());
  if (epoch == 0) return; // nobody answered
  if (!seen_) {
    add_event({{"at_ms", now_ms - std::min(age, now_ms)}, {"event", "epoch"}, {"epoch", epoch}});
  } else {
    if (epoch > epoch_) add_event({{"at_ms", now_ms}, {"event", "epoch"}, {"epoch", epoch}});
    if (aborted > aborted_)
      add_event({{"at_ms", now_ms}, {"event", "abort"}, {"aborted", aborted - aborted_}, {"reason", reason}});
  }
  seen_ = true;
  epoch_ = std::max(epoch_, epoch);
  aborted_ = std::max(aborted_, aborted);
}

json dashboard_history::timeline() const {
  json out = json::array();
  for (const auto& e : events_) out.push_back(e);
  return out;
}

json dashboard_history::fingerprints() const {
  json out{{"epochs", json::array()}, {"nodes", json::object()}};
  for (const auto& [epoch, nodes] : by_epoch_) {
    out["epochs"].push_back(epoch);
    for (const auto& [node, fp] : nodes) out["nodes"][std::to_string(node)][std::to_string(epoch)] = fp;
  }
  return out;
}

std::string_view dashboard_page() noexcept {
  static constexpr std::string_view page = R"PAGE(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>pss dashboard</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 0; background: #f6f7f9; color: #1d2430; }
  header { background: #1d2430; color: #fff; padding: 12px 20px; display: flex; gap: 24px; align-items: baseline; flex-wrap: wrap; }
  header h1 { font-size: 18px; margin: 0; }
  header .kv b { font-weight: 600; }
  main { padding: 16px 20px; display: grid; gap: 16px; grid-template-columns: 1fr 1fr; }
  section { background: #fff; border: 1px solid #dde1e7; border-radius: 6px; padding: 12px 16px; }
  section.wide { grid-column: 1 / -1; }
  h2 { font-size: 15px; margin: 0 0 8px; }
  table { border-collapse: collapse; width: 100%; }
  th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #eef0f3; font-variant-numeric: tabular-nums; }
  th { font-weight: 600; color: #5a6474; }
  .ok { color: #137333; } .bad { color: #b3261e; font-weight: 600; } .muted { color: #7a8494; }
  .leader { background: #e8f0fe; }
  .fp { font-family: ui-monospace, monospace; }
  .changed { background: #fff4d6; }
  #timeline { display: flex; gap: 6px; flex-wrap: wrap; }
  .ev { border-radius: 4px; padding: 3px 8px; font-size: 13px; }
  .ev.epoch { background: #e6f4ea; } .ev.abort { background: #fce8e6; }
  #error { color: #b3261e; }
  #keyform { padding: 20px; }
</style>
</head>
<body>
<header>
  <h1>pss</h1>
  <span class="kv">cluster <b id="cluster">-</b></span>
  <span class="kv">leader <b id="leader">-</b></span>
  <span class="kv">term <b id="term">-</b></span>
  <span class="kv">commit <b id="commit">-</b></span>
  <span class="kv">epoch <b id="epoch">-</b></span>
  <span class="kv">epoch age <b id="age">-</b></span>
  <span class="kv">t = <b id="threshold">-</b></span>
  <span class="kv muted" id="updated">not loaded</span>
  <span id="error"></span>
</header>
<form id="keyform" hidden>
  <label>API key <input id="keyinput" type="password" autocomplete="off" size="72"></label>
  <button>Show</button>
</form>
<main id="main">
  <section class="wide"><h2>Members</h2>
    <table><thead><tr><th>id</th><th>address</th><th>health</th><th>role</th><th>term</th><th>commit</th><th>epoch</th><th>shares</th><th>links</th></tr></thead>
    <tbody id="members"></tbody></table></section>
  <section class="wide"><h2>Refresh timeline</h2><div id="timeline"></div></section>
  <section><h2>Share fingerprints by epoch</h2>
    <p class="muted">32 bits of a hash of each node's shares, computed inside the node; every refresh changes them all.</p>
    <table><thead id="fphead"></thead><tbody id="fingerprints"></tbody></table></section>
  <section><h2>Recent audit events</h2>
    <table><thead><tr><th>time</th><th>node</th><th>action</th><th>name</th><th>v</th><th>outcome</th></tr></thead>
    <tbody id="audit"></tbody></table><p class="muted" id="auditnote"></p></section>
</main>
<script>
"use strict";
let key = sessionStorage.getItem("pss-key") || "";
const fragment = new URLSearchParams(location.hash.slice(1));
if (fragment.get("key")) {
  key = fragment.get("key");
  sessionStorage.setItem("pss-key", key);
  history.replaceState(null, "", location.pathname);
}
const $ = (id) => document.getElementById(id);
function cell(row, text, cls) {
  const td = document.createElement("td");
  td.textContent = text;
  if (cls) td.className = cls;
  row.appendChild(td);
  return td;
}
function age(ms) {
  const s = Math.floor(ms / 1000);
  return s < 120 ? s + " s" : s < 7200 ? Math.floor(s / 60) + " min" : Math.floor(s / 3600) + " h";
}
function clock(ms) { return new Date(ms).toISOString().slice(11, 19); }
function render(d) {
  const s = d.status;
  const lead = s.members.find((m) => m.id === s.leader && m.reachable);
  $("cluster").textContent = s.cluster_id;
  $("leader").textContent = s.leader ? "node " + s.leader : "none";
  $("term").textContent = lead ? lead.term : "-";
  $("commit").textContent = lead ? lead.commit : "-";
  $("epoch").textContent = lead ? lead.epoch : "-";
  $("age").textContent = lead ? age(lead.epoch_age_ms) : "-";
  $("threshold").textContent = s.threshold;
  $("updated").textContent = "updated " + clock(Date.now()) + " UTC, " + s.answered + " of " + s.members.length + " answered";
  const members = $("members");
  members.replaceChildren();
  for (const m of s.members) {
    const tr = document.createElement("tr");
    if (m.id === s.leader) tr.className = "leader";
    cell(tr, m.id);
    cell(tr, m.address);
    if (!m.reachable) { cell(tr, "UNREACHABLE", "bad"); cell(tr, m.error || ""); members.appendChild(tr); continue; }
    const healthy = !m.failure && m.leader !== 0;
    cell(tr, healthy ? "healthy" : (m.failure || "no leader"), healthy ? "ok" : "bad");
    cell(tr, m.role);
    cell(tr, m.term);
    cell(tr, m.commit);
    cell(tr, m.epoch);
    cell(tr, m.shares_live);
    cell(tr, (m.peers || []).map((p) => p.id + (p.connected ? " up" : " DOWN")).join(", "));
    members.appendChild(tr);
  }
  const tl = $("timeline");
  tl.replaceChildren();
  for (const e of d.timeline) {
    const span = document.createElement("span");
    span.className = "ev " + e.event;
    span.textContent = clock(e.at_ms) + " " + (e.event === "epoch" ? "epoch " + e.epoch
                        : "aborted" + (e.aborted > 1 ? " x" + e.aborted : "") + ": " + e.reason);
    tl.appendChild(span);
  }
  const fp = d.fingerprints;
  const head = document.createElement("tr");
  cell(head, "node");
  for (const e of fp.epochs) cell(head, "epoch " + e);
  $("fphead").replaceChildren(head);
  const body = $("fingerprints");
  body.replaceChildren();
  for (const [node, by] of Object.entries(fp.nodes)) {
    const tr = document.createElement("tr");
    cell(tr, node);
    let before = null;
    for (const e of fp.epochs) {
      const v = by[e] || "";
      cell(tr, v || "-", "fp" + (before !== null && v && v !== before ? " changed" : ""));
      if (v) before = v;
    }
    body.appendChild(tr);
  }
  const audit = $("audit");
  audit.replaceChildren();
  for (const r of d.audit.records) {
    const tr = document.createElement("tr");
    cell(tr, clock(r.at_ms));
    cell(tr, r.node);
    cell(tr, r.action);
    cell(tr, r.name);
    cell(tr, r.version);
    cell(tr, r.outcome, r.outcome === "ok" ? "ok" : "bad");
    audit.appendChild(tr);
  }
  $("auditnote").textContent = d.audit.note || "";
  document.body.dataset.loaded = "1";
}
let loading = false; // one request at a time: a slow gateway is not asked again meanwhile
async function load() {
  if (!key) { $("keyform").hidden = false; return; }
  if (loading) return;
  loading = true;
  try {
    const r = await fetch("/v1/sys/dashboard", { headers: { Authorization: "Bearer " + key } });
    const d = await r.json();
    if (!r.ok) { $("error").textContent = d.error ? d.error.message : "HTTP " + r.status; return; }
    $("error").textContent = "";
    render(d);
  } catch (e) {
    $("error").textContent = "the gateway does not answer";
  } finally {
    loading = false;
  }
}
$("keyform").addEventListener("submit", (ev) => {
  ev.preventDefault();
  key = $("keyinput").value.trim();
  sessionStorage.setItem("pss-key", key);
  $("keyform").hidden = true;
  load();
});
load();
setInterval(load, 2000);
</script>
</body>
</html>
)PAGE";
  return page;
}

} // namespace pss::gateway
