// The end of a simulation run: healing, the liveness probe, settling
// recoveries, probe reads through a real client, and the secrets checks
// (holders, erasure, read-back, share scan).
#include "sim/simulation_impl.hpp"

#include <algorithm>
#include <cstdio>

namespace pss::sim {

void simulation::impl::heal_everything() {
  safety_phase = false;
  cuts.clear();
  client_cuts.clear();
  plan.drop = plan.duplicate = 0;
  plan.delay_min_ms = 1;
  plan.delay_max_ms = std::min<std::uint64_t>(plan.delay_max_ms, 5);
  plan.partition = plan.crash = 0;
  for (auto& [id, n] : nodes) {
    n.disk.fail_next_syncs(0, 0);
    n.sync_failure_armed = false;
    if (!n.up) restart_node(n);
  }
  trace.add(0x11FE);
}

void simulation::impl::liveness() {
  heal_everything();
  const millis healed = now();
  const millis bound{static_cast<millis::rep>(opts.liveness_seconds * 1000)};
  say("liveness: healed at t=" + std::to_string(healed.count() / 1000.0) + "s; a leader must commit a new put within "
      + std::to_string(bound.count() / 1000.0) + "s");
  const std::size_t prober = opts.clients + 1;
  std::uint64_t probe = 0; // op ids start at 1
  while (now() < healed + bound && violations.empty()) {
    if (probe == 0) {
      actors::operation op{actors::op_kind::put, "liveness", bytes{'o', 'k'}};
      probe = start_op(nullptr, prober, std::move(op));
    }
    run_until(std::min(now() + millis{100}, healed + bound));
    if (auto it = completions.find(probe); it != completions.end()) {
      if (it->second.outcome == actors::op_outcome::ok) {
        counters.liveness_ms = static_cast<double>((now() - healed).count());
        say("liveness: a new put committed " + std::to_string((now() - healed).count()) + " ms after healing");
        if (secrets_mode && is_refresh_profile(opts.profile)) settle_recoveries(healed + bound);
        if (secrets_mode && violations.empty() && counters.live) probe_reads(healed + bound);
        if (secrets_mode && violations.empty() && counters.live) check_epoch_age();
        return;
      }
      probe = 0;
    }
  }
  // No put committed: refresh may still have to, and a store filled past
  // its reserve stops both (the planted bug unbounded-pending).
  if (secrets_mode && violations.empty()) check_epoch_age();
  if (violations.empty()) {
    counters.live = false;
    describe_nodes();
  }
}

const secrets::node_engine* simulation::impl::most_advanced() const {
  const secrets::node_engine* ahead = nullptr;
  for (const auto& [id, n] : nodes) {
    if (!n.up) continue;
    const auto& e = static_cast<const secrets_node_host&>(*n.engine).engine();
    if (!ahead || e.raft().applied_index() > ahead->raft().applied_index()) ahead = &e;
  }
  return ahead;
}

std::size_t simulation::impl::holders_of(const std::string& name, secret_version v) const {
  const auto* e = most_advanced();
  if (e == nullptr) return 0;
  auto rec = e->state().lookup(name, v);
  return rec.ok() ? rec->holders.size() : 0;
}

void simulation::impl::probe_reads(millis until) {
  // The workload's last operations finish first (they stop starting at
  // healing), so that no write lands between a probe and its check.
  auto busy = [&] {
    return std::any_of(clients.begin(), clients.end(), [](const client_info& c) { return c.busy; });
  };
  while (busy() && now() < until && violations.empty()) run_until(std::min(now() + millis{50}, until));
  std::map<std::pair<std::string, secret_version>, bytes> acked;
  for (const auto& h : history) {
    if (h.invoke || h.kind != actors::op_kind::put || h.outcome != actors::op_outcome::ok) continue;
    const auto& versions = clients.at(h.client - 1).secrets_client->put_versions();
    if (auto v = versions.find(h.op_id); v != versions.end()) acked[{h.key, v->second}] = h.value;
  }
  const std::size_t keys = is_refresh_profile(opts.profile) ? keys_in_refresh_workload : keys_in_workload;
  for (std::size_t k = 0; k < keys && violations.empty() && now() < until; ++k)
    probe_read("k" + std::to_string(k), acked, until);
}

void simulation::impl::probe_read(const std::string& key, const std::map<std::pair<std::string, secret_version>, bytes>& acked, millis until) {
  const std::uint64_t op = start_op(nullptr, opts.clients + 1, actors::operation{actors::op_kind::get, key, {}});
  while (!completions.contains(op) && now() < until && violations.empty())
    run_until(std::min(now() + millis{50}, until));
  auto it = completions.find(op);
  if (it == completions.end()) return; // the bound passed: liveness decides
  ++counters.checks["probe_reads"];
  if (it->second.outcome != actors::op_outcome::ok)
    return violation("reads: the probe read of " + key + " after healing failed: " + it->second.note);
  const auto* e = most_advanced();
  auto rec = e ? e->state().lookup(key, secret_version{}) : result<secrets::version_record>{error{errc::not_found, ""}};
  if (!rec.ok()) {
    if (!it->second.value.empty()) violation("reads: the probe read of " + key + " found a value the catalog does not have");
    return;
  }
  auto want = acked.find({key, rec->version});
  if (want != acked.end() && it->second.value != want->second)
    violation("reads: the probe read of " + key + " did not return the acknowledged value of v"
              + std::to_string(rec->version.value()));
}

// A node's rounds, for a run that lost liveness: the one in progress (its
// phase and what the log shows of it), the counts so far and the last abort.
void simulation::impl::describe_rounds(const secrets::node_engine& e, std::ostream& o) const {
  const auto& st = e.state().stats();
  o << "; rounds: " << st.refresh_epochs_committed << " committed, " << st.rounds_aborted << " aborted, "
    << st.recoveries << " recoveries, " << st.complaints_resolved << " disputes decided";
  if (const auto& r = e.state().round()) {
    o << "; round " << r->id << " " << secrets::to_string(r->kind) << " phase " << static_cast<int>(r->phase)
      << " (" << r->dealings.size() << " dealt, " << r->responses.size() << " responded of "
      << r->participants.size() << ", " << r->disputes.size() << " disputes, " << r->ready.size() << " ready)";
  }
  if (!e.state().last_abort_reason().empty()) o << "; last abort: " << e.state().last_abort_reason();
}

void simulation::impl::describe_nodes() {
  for (const auto& [id, n] : nodes) {
    std::ostringstream o;
    o << "state: n" << id.value() << (n.up ? " up" : " down") << (n.disk_wiped ? ", disk wiped" : "")
      << (n.joining ? ", joining" : "");
    if (n.up) {
      const auto& c = n.engine->core();
      o << ", role " << static_cast<int>(c.role()) << ", term " << c.term().value() << ", vote n"
        << c.vote().value() << ", commit " << c.commit_index().value() << ", last " << c.log().last_index().value()
        << "@" << c.log().last_term().value() << (c.voting_suspended() ? ", voting suspended" : "")
        << ", voters";
      for (auto v : c.config().voters) o << " n" << v.value();
      o << ", learners";
      for (auto v : c.config().learners) o << " n" << v.value();
      if (secrets_mode) describe_rounds(static_cast<const secrets_node_host&>(*n.engine).engine(), o);
    }
    say(o.str());
  }
}

std::size_t simulation::impl::rebuildable_missing(const secrets::catalog& c, node_id id) const {
  std::size_t out = 0;
  for (const auto& v : c.recoverable_for(id)) {
    auto rec = c.lookup(v.name, v.version);
    PSS_CHECK(rec.ok());
    const auto& h = rec->holders;
    const auto liars = std::count_if(h.begin(), h.end(), [&](node_id n) {
      return misbehaviour_of(n) == secrets::round_misbehaviour::false_masked;
    });
    const auto honest = std::count_if(h.begin(), h.end(), [&](node_id n) { return !is_byzantine(n) && n != id; });
    const bool outvoted = rec->epoch != rec->dealt_epoch && liars > 0
                          && static_cast<std::size_t>(honest) < c.view().threshold + 1;
    out += outvoted ? 0 : 1;
  }
  return out;
}

void simulation::impl::settle_recoveries(millis until) {
  const millis from = now();
  std::string missing;
  while (true) {
    missing.clear();
    const auto l = leader();
    for (const auto& [id, n] : nodes) {
      // A Byzantine node that lies in rounds loses its shares at every
      // refresh, by design: only the honest ones must hold every share.
      if (!n.up || is_byzantine(id) || removed_member(id)) continue;
      const auto& e = static_cast<const secrets_node_host&>(*n.engine).engine();
      // A wiped node must be a voter again, in its own view and the leader's.
      if (n.disk_wiped && (!readmitted(n) || !l || !nodes.at(*l).engine->core().config().is_voter(id)))
        missing += " n" + std::to_string(id.value()) + " is not re-admitted as a voter";
      // What no recovery can rebuild (a refreshed version with t holders
      // left, or t+1 with a liar among them) stays missing by design.
      const auto lacks = rebuildable_missing(e.state(), id);
      if (lacks > 0) missing += " n" + std::to_string(id.value()) + " misses " + std::to_string(lacks) + " shares";
      if (const auto stale = listed_without_share(e); stale > 0)
        missing += " n" + std::to_string(id.value()) + " is listed for " + std::to_string(stale) + " shares it lacks";
    }
    if (missing.empty() || now() >= until || !violations.empty()) break;
    run_until(std::min(now() + millis{100}, until));
  }
  if (missing.empty()) {
    say("liveness: every node holds every share" + std::string{fault_count("wipe") > 0 ? " (the wiped node rejoined)" : ""}
        + " " + std::to_string((now() - from).count()) + " ms later");
    return;
  }
  say("liveness: recovery did not finish:" + missing);
  if (violations.empty()) counters.live = false;
  describe_nodes();
}

std::map<std::string, secret_version> simulation::impl::acknowledged_deletes() const {
  std::map<std::string, secret_version> out;
  for (const auto& h : history) {
    if (h.invoke || h.kind != actors::op_kind::remove || h.outcome != actors::op_outcome::ok) continue;
    const auto& versions = clients.at(h.client - 1).secrets_client->removed_versions();
    auto v = versions.find(h.op_id);
    PSS_CHECK(v != versions.end());
    out[h.key] = std::max(out[h.key], v->second);
  }
  return out;
}

std::size_t simulation::impl::listed_without_share(const secrets::node_engine& e) {
  std::size_t n = 0;
  for (const auto& [name, s] : e.state().secrets())
    for (const auto& [v, rec] : s.versions)
      if (std::find(rec.holders.begin(), rec.holders.end(), e.id()) != rec.holders.end()
          && !e.shares().holds_live_from(name, v, rec.epoch, rec.commitments_digest))
        ++n;
  return n;
}

void simulation::impl::check_secrets() {
  check_erased();
  check_read_back();
  check_share_scan();
  record_round_stats();
}

void simulation::impl::check_erased() {
  const auto deleted = acknowledged_deletes();
  for (const auto& [id, n] : nodes) {
    if (!n.up) continue;
    std::vector<std::string> found;
    const auto& e = static_cast<const secrets_node_host&>(*n.engine).engine();
    epochs.check_disk(e, n.disk, found);
    // A removed member that never applied a delete keeps its shares of the
    // name: of the epoch before its removal, which every member erased at
    // the refresh that left it out (the committee checker holds it to that).
    if (!removed_member(id)) epochs.check_deleted(e, n.disk, deleted, found);
    for (auto& v : found) violation(std::move(v));
  }
  counters.checks["names_deleted"] = deleted.size();
  counters.share_epochs_checked = epochs.values_seen();
}

std::vector<const secrets::node_engine*> simulation::impl::live_secrets_nodes() const {
  std::vector<const secrets::node_engine*> live;
  for (const auto& [id, n] : nodes)
    if (n.up) live.push_back(&static_cast<const secrets_node_host&>(*n.engine).engine());
  return live;
}

void simulation::impl::check_read_back() {
  std::vector<acked_secret> acked;
  for (const auto& h : history) {
    if (h.invoke || h.kind != actors::op_kind::put || h.outcome != actors::op_outcome::ok) continue;
    const auto& versions = clients.at(h.client - 1).secrets_client->put_versions();
    auto v = versions.find(h.op_id);
    PSS_CHECK(v != versions.end());
    acked.push_back(acked_secret{h.key, v->second, h.value});
  }
  auto r = check_secrets_read_back(live_secrets_nodes(), cluster.view, acked);
  counters.secrets_verified = r.verified;
  counters.faults["secrets_retired"] = r.retired;
  for (auto& v : r.violations) violation(std::move(v));
}

void simulation::impl::check_share_scan() {
  std::uint64_t controls = 0, held = 0;
  for (const auto& [id, n] : nodes) {
    if (!n.up) continue;
    const auto& e = static_cast<const secrets_node_host&>(*n.engine).engine();
    held += e.shares().size();
    for (auto& v : check_no_shares_in_raft(e, n.disk, controls)) violation(std::move(v));
  }
  counters.faults["share_scan_controls"] = controls;
  if (held > 0 && controls == 0)
    violation("secrets: the share scan found no share even in the share journals (the scan is blind)");
}

void simulation::impl::record_round_stats() {
  const secrets::node_engine* ahead = nullptr;
  for (const auto* e : live_secrets_nodes())
    if (!ahead || e->raft().applied_index() > ahead->raft().applied_index()) ahead = e;
  if (!ahead) return;
  const auto& st = ahead->state().stats();
  counters.refresh_epochs_committed = st.refresh_epochs_committed;
  counters.refresh_rounds_aborted = st.rounds_aborted;
  counters.recoveries = st.recoveries;
  counters.rejoins = st.rejoins;
  counters.dealers_excluded = st.dealers_excluded;
  counters.complaints_resolved = st.complaints_resolved;
  counters.liars_excluded = st.liars_excluded;
  counters.dealers_convicted = st.dealers_convicted;
  counters.shares_lost_refused = st.shares_lost_replayed + st.holder_floor_refusals;
  if (st.members_removed > 0) counters.faults["members_removed"] = st.members_removed;
  if (st.members_added > 0) counters.faults["members_added"] = st.members_added;
  if (st.thresholds_raised > 0) counters.faults["thresholds_raised"] = st.thresholds_raised;
  if (st.thresholds_lowered > 0) counters.faults["thresholds_lowered"] = st.thresholds_lowered;
  if (st.seal_keys_recorded > 0) counters.faults["seal_keys_recorded"] = st.seal_keys_recorded;
  if (seal_keys.keys_gone() > 0) counters.faults["seal_keys_checked_gone"] = seal_keys.keys_gone();
  counters.shares_lost_throttled = 0;
  for (const auto* e : live_secrets_nodes()) counters.shares_lost_throttled += e->counters().shares_lost_throttled;
}

void simulation::impl::check_epoch_age() {
  const auto commits = [&] {
    std::uint64_t most = 0;
    for (const auto* e : live_secrets_nodes()) most = std::max(most, e->state().stats().refresh_epochs_committed);
    return most;
  };
  const std::size_t honest = opts.nodes - static_cast<std::size_t>(std::max(opts.byzantine, 0));
  if (refresh_interval <= millis{0} || honest < secrets::holders_min(cluster.view) || 2 * honest <= opts.nodes)
    return;
  const millis from = now();
  const millis bound = 3 * std::max(refresh_interval, 2 * secrets::round_phase_timeout_default);
  const std::uint64_t before = commits();
  while (commits() == before && now() < from + bound && violations.empty()) run_until(now() + millis{100});
  ++counters.checks["epoch_age"];
  if (commits() == before && violations.empty())
    violation("epoch age: no refresh committed within " + std::to_string(bound.count()) +
              " ms while every node was up and connected (" + std::to_string(honest) + " honest of " +
              std::to_string(opts.nodes) + ")");
}

} // namespace pss::sim

namespace pss::sim {

std::function<void(const std::string&)> simulation::impl::event_printer() {
  if (!opts.events) return {};
  return [this](const std::string& e) {
    std::fprintf(stderr, "t=%lldms %s\n", static_cast<long long>(now().count()), e.c_str());
  };
}

// The progress line, every simulated second or so.
void simulation::impl::print_progress() {
  std::ostringstream line;
  line << "t=" << now().count() / 1000.0 << "s";
  if (auto l = leader()) line << " leader=n" << l->value() << " term=" << nodes.at(*l).engine->core().term().value();
  else line << " leader=none";
  line << " committed=" << checker.applied_max().value() << " puts_acked=" << counters.puts_acked
       << " gets_ok=" << counters.gets_ok << " delivered=" << counters.messages_delivered;
  std::uint64_t faults = 0;
  for (const auto& [k, v] : counters.faults) faults += v;
  line << " faults=" << faults;
  say(line.str());
}

} // namespace pss::sim
