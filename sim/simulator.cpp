// The simulator's core: construction, the network actor, node boot, crash and
// restart, the host hooks that feed the checkers, and the event loop on the
// test coordinator; and the public simulation class. See simulator.hpp and
// simulation_impl.hpp for the other parts.
#include "sim/simulation_impl.hpp"

#include <cstdio>
#include <sstream>

namespace pss::sim {

simulation::impl::impl(sim_options o, std::ostream* out)
  : opts(std::move(o)), progress(out), master(opts.seed), chaos_rng(master.next_u64()),
    net_rng(master.next_u64()), sched_rng(master.next_u64()), disk_rng(master.next_u64()),
    workload_rng(master.next_u64()) {
  PSS_CHECK(opts.nodes >= 1 && opts.clients >= 1);
  planted::arm(opts.planted); // disarmed again in shutdown()
  prng plan_rng{master.next_u64()};
  plan = draw_plan(opts, plan_rng);
  raft_opts = raft_options_for(plan, plan_rng);
  secrets_mode = opts.engine == "secrets";
  if (secrets_mode) {
    PSS_CHECK(opts.threshold >= 2 && opts.threshold <= opts.nodes);
    // Only the refresh-faults profile loses data, at most once per run (a
    // share journal, or a whole disk whose node rejoins). With t = n every
    // share is needed, so one node's lost shares lose the secrets by
    // design (no t others can rebuild them): no data loss then.
    if (opts.profile != "refresh-faults" || opts.threshold >= opts.nodes) plan.wipe = 0;
    if (is_refresh_profile(opts.profile)) refresh_interval = millis{plan_rng.between(300, 1500)};
    if (opts.faulty_dealers < 0)
      opts.faulty_dealers = opts.profile == "refresh-faults"
                              ? static_cast<int>(std::min<std::size_t>(2, opts.nodes - opts.threshold)) : 0;
    cluster = secrets::make_test_cluster(opts.nodes, opts.threshold, opts.seed ^ 0x5EC4E75u);
    // membership: one more member's keys, for a node that `member add` brings
    // in (the first n members' keys are drawn first, so they stay as they were).
    if (opts.profile == "membership") {
      auto spare = secrets::make_test_cluster(opts.nodes + 1, opts.threshold, opts.seed ^ 0x5EC4E75u);
      cluster.keys.push_back(std::move(spare.keys.back()));
    }
    corruptor = std::make_unique<share_corruptor>(
      cluster.view, master.next_u64(),
      [this](const std::string& name, secret_version v) { return holders_of(name, v); },
      [this](node_id n) -> const crypto::box_key_pair& { return cluster.keys.at(n.value() - 1).box; });
    if (opts.byzantine < 0) opts.byzantine = opts.profile == "byzantine" ? static_cast<int>(opts.threshold - 1) : 0;
    opts.byzantine = std::min(opts.byzantine, static_cast<int>(opts.threshold - 1));
    if (opts.byzantine > 0) make_adversary();
    // The round checker's faulty nodes: the Byzantine ones and the faulty
    // dealers (the highest ids either way).
    std::set<node_id> faulty;
    for (std::size_t i = 1; i <= opts.nodes; ++i)
      if (is_byzantine(node_id{i}) || opts.nodes - i < static_cast<std::size_t>(std::max(opts.faulty_dealers, 0)))
        faulty.insert(node_id{i});
    rounds = std::make_unique<round_checker>(cluster.view, std::move(faulty));
  }
  if (!opts.check_history) opts.check_history = linearizability_checker();
  counters.fault_plan = plan.describe();
  actors::register_message_types(cfg);
  cfg.set("scheduler.policy", caf::atom("testing"));
  cfg.set("logger.verbosity", caf::atom("quiet"));
  sys = std::make_unique<caf::actor_system>(cfg);
  sched = &dynamic_cast<caf::scheduler::test_coordinator&>(sys->scheduler());
  for (std::size_t i = 1; i <= opts.nodes; ++i) {
    node_ids.push_back(node_id{i});
    initial.voters.push_back(node_id{i});
  }
  spawn_network();
  relay = std::make_shared<actors::relay_peer_directory>(network);
  for (node_id id : node_ids) {
    auto& n = nodes[id];
    n.id = id;
    boot(n, true);
  }
  for (std::size_t c = 1; c <= opts.clients + 1; ++c) spawn_client(c);
  if (opts.stranger && secrets_mode) spawn_client(stranger_client());
  spawn_workload();
  plan_membership();
  next_chaos = now() + plan.step;
  next_progress = now() + progress_step;
  say("sim: seed " + std::to_string(opts.seed) + ", profile " + opts.profile + ", "
      + std::to_string(opts.nodes) + " nodes, " + std::to_string(opts.clients) + " clients"
      + (opts.planted != planted::bug::none ? ", PLANTED BUG " + std::string{planted::name(opts.planted)} : "")
      + (secrets_mode && refresh_interval > millis{0} ? ", refresh every " + std::to_string(refresh_interval.count()) + " ms" : "")
      + (opts.faulty_dealers > 0 ? ", " + std::to_string(opts.faulty_dealers) + " faulty dealers" : "")
      + "; faults: " + plan.describe());
}

void simulation::impl::spawn_network() {
  targets = std::make_shared<actors::local_peer_directory>();
  // The simulator is passed as a spawn argument: CAF 0.17 binds a null
  // tuple for argument-less function actors (UBSan flags it).
  network = sys->spawn([](caf::event_based_actor* self, impl* sim) -> caf::behavior {
    return {
      [sim, self](wire_message& m) { sim->route(self, std::move(m)); },
      [sim, self](actors::deliver_atom, wire_message& m, std::uint64_t from_incarnation,
                  std::uint64_t to_incarnation, std::uint64_t link) {
        sim->deliver(self, std::move(m), from_incarnation, to_incarnation, endpoint_of_code(link));
      },
    };
  }, this);
}

bool simulation::impl::sent_by_dead_incarnation(caf::event_based_actor* self, endpoint from) const {
  if (!from.is_node()) return false;
  auto it = nodes.find(from.as_node());
  if (it == nodes.end() || !it->second.up) return true;
  return self->current_sender() != caf::actor_cast<caf::strong_actor_ptr>(it->second.actor);
}

void simulation::impl::route(caf::event_based_actor* self, wire_message m) {
  if (sent_by_dead_incarnation(self, m.from())) {
    ++counters.faults["incarnation_drop"];
    return;
  }
  if (byzantine && safety_phase && !m.to().is_node() && !byzantine->owns(m.to()) && m.from().is_node()
      && byzantine->controls(m.from().as_node())) {
    // A Byzantine node's answer to a client: the adversary's version of it,
    // and whatever it sends besides, all over that node's own connection.
    for (auto& f : byzantine->rewrite_reply(m.from().as_node(), m.to(), std::move(m.payload), byzantine_rng))
      transmit(self, wire_message::make(f.from, f.to, std::move(f.payload)), f.link, f.delay);
    return;
  }
  if (byzantine && m.to().is_node() && byzantine->controls(m.to().as_node()) && !m.from().is_node()
      && !byzantine->owns(m.from()))
    byzantine->observe_request(m.from(), m.to().as_node(), m.payload);
  if (byzantine && m.from().is_node() && m.to().is_node() && byzantine->controls(m.from().as_node()))
    byzantine->observe_link(m.from().as_node(), m.to().as_node(), m.payload);
  const endpoint link = m.from();
  transmit(self, std::move(m), link, millis{0});
}

void simulation::impl::transmit(caf::event_based_actor* self, wire_message m, endpoint link, millis extra_delay) {
  const std::uint64_t from_incarnation = incarnation_of(m.from());
  const std::uint64_t to_incarnation = incarnation_of(m.to());
  if (net_rng.chance(plan.drop)) {
    ++counters.faults["drop"];
    return;
  }
  if (secrets_mode && plan.corrupt > 0 && m.from().is_node() && !m.to().is_node())
    if (auto bad = corruptor->maybe_corrupt(m.from().as_node(), m.to(), m.payload, plan.corrupt, net_rng))
      m = wire_message::make(m.from(), m.to(), std::move(*bad));
  const int copies = net_rng.chance(plan.duplicate) ? 2 : 1;
  if (copies == 2) ++counters.faults["duplicate"];
  for (int c = 0; c < copies; ++c) {
    const millis delay = extra_delay
                         + millis{static_cast<millis::rep>(net_rng.between(plan.delay_min_ms, plan.delay_max_ms))};
    if (delay.count() == 0)
      deliver(self, c + 1 < copies ? m : std::move(m), from_incarnation, to_incarnation, link);
    else
      self->delayed_send(self, delay, actors::deliver_atom::value, c + 1 < copies ? m : std::move(m),
                         from_incarnation, to_incarnation, code_of(link));
  }
}

void simulation::impl::deliver(caf::event_based_actor* self, wire_message m, std::uint64_t from_incarnation,
                               std::uint64_t to_incarnation, endpoint link) {
  const endpoint to = m.to();
  if (incarnation_of(m.from()) != from_incarnation || incarnation_of(to) != to_incarnation) {
    ++counters.faults["incarnation_drop"];
    return;
  }
  if (!to.is_node()) {
    // A client host attributes a message to the connection it came over.
    const auto sender = actors::attributed_sender(m.from(), link);
    if (!sender) {
      ++counters.faults["unbound_reply_dropped"];
      return;
    }
    if (*sender != link) ++counters.faults["impersonated_reply_delivered"];
    m = wire_message::make(*sender, to, std::move(m.payload));
  }
  const endpoint from = m.from();
  if (byzantine && byzantine->owns(to)) {
    // What the adversary can do with it first, then whether it was a grant
    // (its filler's stores are granted: check_grant judges its own endpoint).
    if (from.is_node()) byzantine->on_reply(from.as_node(), to, m.payload);
    check_adversary_shares();
    if (from.is_node()) check_grant(from.as_node(), to, m.payload);
    return;
  }
  if (from.is_node() && to.is_node() && cuts.contains({from.as_node(), to.as_node()})) {
    ++counters.faults["partition_drop"];
    return;
  }
  if (from.is_node() != to.is_node()) {
    const endpoint client = from.is_node() ? to : from;
    const node_id node = from.is_node() ? from.as_node() : to.as_node();
    if (client_cuts.contains({client.id, node})) {
      ++counters.faults["partition_drop"];
      return;
    }
  }
  caf::actor dest = targets->route(to);
  if (!dest) return; // the node is down
  self->send(dest, std::move(m));
}

raft_engine_config simulation::impl::engine_config(node_id id) {
  raft_engine_config c;
  c.id = id;
  c.joining = nodes.at(id).joining;
  c.initial = initial;
  c.options = raft_opts;
  c.seed = master.next_u64();
  c.compact_every_entries = plan.snapshot_every;
  return c;
}

result<std::shared_ptr<sim_node_engine>> simulation::impl::open_engine(node_slot& n, bool first) {
  if (secrets_mode) {
    const std::uint64_t prng_seed = master.next_u64();
    const std::uint64_t random_seed = master.next_u64();
    secrets::node_test_only_options test_only;
    // The highest ids deal faulty bundles, alternately off their
    // polynomial and equivocating.
    const std::size_t from_top = opts.nodes - n.id.value();
    if (opts.faulty_dealers > 0 && from_top < static_cast<std::size_t>(opts.faulty_dealers)) {
      if (from_top % 2 == 0) test_only.deal_inconsistent = true;
      else test_only.deal_equivocating = true;
    }
    test_only.misbehave = misbehaviour_of(n.id);
    if (fills_stores()) test_only.store_limits = filled_store_limits;
    // The operator restarts a node whose disk was wiped with --rejoin.
    const auto [next, retired] = rotation_keys_of(n.id);
    auto opened = secrets_node_host::open(n.disk, cluster.view, cluster.keys.at(n.id.value() - 1), raft_opts,
                                          prng_seed, random_seed, now(), first, test_only, refresh_interval,
                                          n.disk_wiped, plan.snapshot_every, n.id.value() > opts.nodes, next, retired);
    if (!opened.ok()) return opened.err();
    if (opts.planted == planted::bug::share_leak) (*opened)->plant_share_leak(n.disk);
    return std::shared_ptr<sim_node_engine>(std::move(*opened));
  }
  auto opened = raft_engine::open(n.disk, engine_config(n.id), now(), first);
  if (!opened.ok()) return opened.err();
  return std::shared_ptr<sim_node_engine>(std::move(*opened));
}

bool simulation::impl::boot(node_slot& n, bool first) {
  auto opened = open_engine(n, first);
  if (!opened.ok()) {
    if (storage::is_empty_data_dir(opened.err())) {
      // A wiped node has lost its vote: storage refuses to start it as if
      // nothing happened (raft checklist item 27).
      if (!n.wiped) rejoins.push_back(rejoin{n.id, no_node});
      n.wiped = true;
      ++counters.faults["wipe_refused"];
      return false;
    }
    violation("node " + std::to_string(n.id.value()) + " could not reopen its disk after a crash: "
              + opened.err().describe());
    return false;
  }
  n.engine = std::move(*opened);
  ++n.incarnation;
  for (const auto& w : n.engine->open_warnings()) trace.add(as_bytes(w));
  checker.on_restart(n.id, n.engine->boot_snapshot_index());
  check_node(n);
  n.slot = std::make_shared<actors::host_slot>();
  n.slot->self = endpoint::of(n.id);
  n.slot->engine = n.engine;
  n.slot->directory = relay;
  n.slot->hooks = this;
  n.slot->log = event_printer();
  n.actor = actors::spawn_node_actor(*sys, n.slot);
  targets->set(endpoint::of(n.id), n.actor);
  n.up = true;
  return true;
}

void simulation::impl::kill(node_slot& n) {
  n.slot->alive = false;
  caf::anon_send_exit(n.actor, caf::exit_reason::kill);
  targets->erase(endpoint::of(n.id));
  n.actor = caf::actor{};
  n.slot.reset();
  n.engine.reset();
  n.up = false;
}

void simulation::impl::crash_node(node_slot& n, const char* kind) {
  if (!n.up) return;
  ++counters.faults[kind];
  trace.add(0xC0A5);
  trace.add(n.id.value());
  kill(n);
  freshness.forget(n.id);
  n.disk.crash(disk_rng);
  // An armed sync failure belongs to the flush it was aimed at: a power
  // failure does not carry it over to the next boot's first sync.
  n.disk.fail_next_syncs(0, 0);
  n.sync_failure_armed = false;
}

void simulation::impl::restart_node(node_slot& n) {
  if (n.up || n.wiped) return;
  ++counters.faults["restart"];
  trace.add(0x5EB0);
  trace.add(n.id.value());
  boot(n, false);
}

void simulation::impl::check_node(node_slot& n) {
  sim_node_engine& e = *n.engine;
  if (auto v = checker.observe(e.observation())) violation(*v);
  for (const auto& a : e.take_applied()) {
    auto v = a.snapshot ? checker.on_snapshot_installed(n.id, a.index) : checker.on_applied(n.id, a.entry);
    if (v) violation(*v);
  }
  if (e.core().role() == raft::role::leader) leader_terms.insert(e.core().term());
  std::vector<std::string> stale;
  freshness.after_input(n.id, e.take_read_traces(), e.core().commit_index(), stale);
  for (auto& v : stale) violation(std::move(v));
  if (e.halted() && std::find(halted.begin(), halted.end(), n.id) == halted.end())
    halted.push_back(n.id);
  if (secrets_mode && !e.halted()) follow_rotation(n);
  if (secrets_mode && !e.halted()) {
    std::vector<std::string> found;
    const auto& engine = static_cast<const secrets_node_host&>(e).engine();
    const std::array<std::uint64_t, 3> at{n.incarnation, engine.shares().mutations(), engine.state().applied_index().value()};
    if (n.share_checks_at != at) {
      epochs.observe(engine, found);
      holders.observe(engine, found);
      n.share_checks_at = at;
    }
    epochs.observe_round_material(engine, found);
    seal_keys.observe(now(), engine, n.disk, found);
    if (opts.profile == "membership") check_committee(engine, found);
    if (opts.profile == "membership") check_rotation(engine, found);
    watch_commits(n, engine);
    if (!is_byzantine(n.id) && !rounds->is_faulty(n.id)) {
      rounds->observe(engine, found);
      counters.max_epoch_age_ms = std::max<std::uint64_t>(
        counters.max_epoch_age_ms, static_cast<std::uint64_t>(engine.refresh_health().age.count()));
    }
    for (auto& v : found) violation(std::move(v));
    if (byzantine && byzantine->controls(n.id)) {
      byzantine->observe_node(n.id);
      check_adversary_shares();
    }
  }
}

void simulation::impl::on_input(millis t, endpoint self, bool tick, endpoint from, byte_view payload) {
  if (self.is_node()) freshness.before_input();
  runaway.on_input(t, [&] { return describe_input(self, tick, from, payload); });
  if (runaway.tripped()) violation(runaway.describe());
  trace.add(static_cast<std::uint64_t>(t.count()));
  trace.add(code_of(self));
  trace.add(tick ? 1 : 0);
  if (tick) {
    ++counters.timer_firings;
    return;
  }
  ++counters.messages_delivered;
  trace.add(code_of(from));
  trace.add(payload);
}

static std::string endpoint_name(endpoint e) { return (e.is_node() ? "n" : "c") + std::to_string(e.id); }

std::string simulation::impl::describe_input(endpoint self, bool tick, endpoint from, byte_view payload) const {
  std::string out = endpoint_name(self) + (tick ? " tick" : " <- " + endpoint_name(from) + " ");
  if (tick) return out;
  const endpoint node = self.is_node() ? self : from;
  auto it = node.is_node() ? nodes.find(node.as_node()) : nodes.end();
  if (it != nodes.end() && it->second.engine)
    if (auto e = it->second.engine->raft_envelope_in(payload)) return out + std::string{raft::name_of(e->body)};
  return out + (payload.empty() ? std::string{"empty"} : "type " + std::to_string(payload[0]));
}

void simulation::impl::on_send(millis, endpoint self, endpoint to, byte_view payload) {
  if (!self.is_node()) {
    if (secrets_mode && to.is_node()) {
      const bytes body = client_request_body(payload);
      if (auto r = store_share_request_in(body))
        durability.on_share_request(self, to.as_node(), r->first, r->second);
      corruptor->on_client_send(self, to.as_node(), body);
    }
    return;
  }
  auto it = nodes.find(self.as_node());
  if (it == nodes.end() || !it->second.up) return;
  if (auto v = durability.on_node_send(self.as_node(), to, *it->second.engine, it->second.disk, payload))
    violation(*v);
  // A grant to the adversary is judged where it arrives (deliver).
  if (!byzantine || to != byzantine->self()) check_grant(self.as_node(), to, payload);
}

// The unauthorised-grants checker: the stranger's key holds no grant, and the
// Byzantine adversary holds no key the policy grants (only requests signed
// for its own nodes, and whatever credential it finds), so no honest node may
// ever release either a share or acknowledge a share either stored.
void simulation::impl::check_grant(node_id node, endpoint to, byte_view payload) {
  if (to.is_node() || payload.empty()) return;
  const bool stranger = opts.stranger && to.as_client() == client_id{stranger_client()};
  const bool adversary = byzantine && to == byzantine->self() && !byzantine->controls(node);
  if (!stranger && !adversary) return;
  const auto type = static_cast<secrets::message_type>(payload[0]);
  if (type != secrets::message_type::get_share_response && type != secrets::message_type::store_share_response) return;
  auto m = secrets::decode_wire_message(payload);
  if (!m.ok()) return;
  const auto* share = std::get_if<secrets::get_share_response>(&*m);
  const auto* store = std::get_if<secrets::store_share_response>(&*m);
  const bool granted = (share != nullptr && share->code == secrets::reply_code::ok)
                       || (store != nullptr && store->code == secrets::reply_code::ok);
  if (!granted) return;
  ++counters.unauthorised_grants;
  violation("unauthorised grant: n" + std::to_string(node.value()) + (share ? " released a share" : " stored a share")
            + " to client " + std::to_string(to.id) + (stranger ? ", whose key the policy grants nothing"
                                                                  : ", the Byzantine adversary"));
}

void simulation::impl::handle_halts() {
  while (!halted.empty()) {
    const node_id id = halted.back();
    halted.pop_back();
    crash_node(nodes.at(id), "crash_mid_flush");
  }
}

void simulation::impl::drain() {
  while (sched->has_job()) {
    if (opts.shuffle && sched->jobs.size() > 1) {
      const auto k = sched_rng.below(sched->jobs.size());
      std::swap(sched->jobs[0], sched->jobs[k]);
    }
    sched->run_once();
    handle_halts();
    if (!violations.empty()) return;
  }
}

void simulation::impl::run_until(millis end) {
  using clock_duration = caf::actor_clock::duration_type;
  for (;;) {
    drain();
    if (!violations.empty()) return;
    const millis t = now();
    if (next_chaos <= t) {
      if (safety_phase && plan.chaos()) chaos();
      if (safety_phase && byzantine) byzantine_step();
      if (safety_phase && member_plan) membership_step();
      drive_rejoins();
      next_chaos += plan.step;
      continue;
    }
    if (next_progress <= t) {
      print_progress();
      next_progress += progress_step;
      continue;
    }
    const auto& schedule = sched->clock().schedule();
    const auto clock_now = sched->clock().now();
    if (!schedule.empty() && schedule.begin()->first <= clock_now) {
      sched->trigger_timeout();
      continue;
    }
    millis next = std::min(end, next_progress);
    next = std::min(next, next_chaos);
    auto target = caf::actor_clock::time_point{std::chrono::duration_cast<clock_duration>(next)};
    if (!schedule.empty()) target = std::min(target, schedule.begin()->first);
    if (target <= clock_now) return; // reached the end
    sched->advance_time(target - clock_now);
  }
}

std::optional<node_id> simulation::impl::leader() const {
  std::optional<node_id> best;
  term_id best_term;
  for (const auto& [id, n] : nodes)
    if (n.up && n.engine->core().role() == raft::role::leader && n.engine->core().term() >= best_term) {
      best = id;
      best_term = n.engine->core().term();
    }
  return best;
}

sim_report simulation::impl::report() {
  sim_report r = counters;
  r.options = opts;
  r.violations = violations;
  r.ok = violations.empty();
  r.leaders_elected = leader_terms.size();
  r.entries_committed = checker.applied_max().value();
  r.trace_hash = trace.h;
  r.history = history;
  r.checks["durable_sends"] = durability.checked();
  r.checks["reads_fresh"] = freshness.reads_checked();
  r.inputs_per_instant_max = runaway.max_seen();
  if (corruptor) r.faults["share_reply_corrupted"] = corruptor->corrupted();
  if (byzantine) {
    const adversary_counters& a = byzantine->counters();
    r.adversary = {{"requests_seen", a.requests_seen}, {"redirects", a.redirects},
                   {"own_requests", a.own_requests}, {"credential_uses", a.credential_uses},
                   {"rollbacks", a.rollbacks}, {"fabricated_records", a.fabricated},
                   {"forged_shares", a.forged_shares}, {"forged_versions", a.forged_versions},
                   {"impersonations", a.impersonations}, {"shares_opened", a.shares_opened},
                   {"link_replays", a.link_replays}, {"stores_filled", a.stores_filled},
                   {"stores_refused", a.stores_refused}};
  }
  if (secrets_mode) {
    r.checks["holder_listings"] = holders.listings_checked();
    r.checks["rounds_qualified"] = rounds->rounds_checked();
    r.checks["qualified_dealers"] = rounds->qualified_checked();
    r.honest_excluded = rounds->honest_excluded();
  }
  return r;
}

void simulation::impl::shutdown() {
  if (!sys) return;
  std::vector<caf::actor> all{network, workload};
  for (auto& [id, n] : nodes)
    if (n.up) {
      n.slot->alive = false;
      all.push_back(n.actor);
    }
  for (auto& c : clients) {
    c.slot->alive = false;
    all.push_back(c.actor);
  }
  for (auto& a : all)
    if (a) caf::anon_send_exit(a, caf::exit_reason::kill);
  sched->run();
  targets->clear();
  relay->reset();
  for (auto& [id, n] : nodes) {
    n.actor = caf::actor{};
    n.slot.reset();
  }
  clients.clear();
  network = caf::actor{};
  workload = caf::actor{};
  sched->run();
  planted::arm(planted::bug::none);
  sys.reset();
}


simulation::simulation(sim_options options, std::ostream* progress)
  : impl_(std::make_unique<impl>(std::move(options), progress)) {}

simulation::~simulation() = default;

sim_report simulation::run() {
  impl& s = *impl_;
  s.run_until(millis{static_cast<millis::rep>(s.opts.seconds * 1000)});
  if (s.violations.empty()) s.liveness();
  if (s.secrets_mode && s.violations.empty() && s.counters.live) {
    // Let every node catch up (and apply the last registers) before
    // reading the acknowledged secrets back from the share stores.
    s.run_until(s.now() + millis{2000});
    if (s.violations.empty()) s.check_secrets();
  }
  if (s.violations.empty() && s.opts.check_history)
    if (auto v = s.opts.check_history(s.history)) s.violation("history: " + *v);
  auto r = s.report();
  s.say(r.ok ? (r.live ? "result: ok" : "result: LOST LIVENESS")
             : "result: SAFETY VIOLATION: " + r.violations.front());
  return r;
}

void simulation::run_until(millis t) { impl_->run_until(t); }
millis simulation::now() const { return impl_->now(); }
std::optional<node_id> simulation::leader() const { return impl_->leader(); }
bool simulation::is_up(node_id n) const { return impl_->nodes.at(n).up; }
log_index simulation::commit_index(node_id n) const {
  const auto& x = impl_->nodes.at(n);
  return x.up ? x.engine->core().commit_index() : log_index{0};
}
log_index simulation::applied_index(node_id n) const {
  const auto& x = impl_->nodes.at(n);
  return x.up ? x.engine->core().applied_index() : log_index{0};
}
void simulation::crash(node_id n) { impl_->crash_node(impl_->nodes.at(n), "crash"); }
void simulation::restart(node_id n) { impl_->restart_node(impl_->nodes.at(n)); }
void simulation::crash_and_wipe(node_id n) {
  auto& x = impl_->nodes.at(n);
  impl_->crash_node(x, "crash");
  impl_->wipe_disk(x);
}
std::vector<node_id> simulation::voters() const {
  const auto l = impl_->leader();
  if (!l) return {};
  return impl_->nodes.at(*l).engine->core().config().voters;
}
std::uint64_t simulation::submit(std::size_t client, actors::operation op) {
  return impl_->start_op(nullptr, client, std::move(op));
}
std::optional<actors::completion> simulation::completion_of(std::uint64_t op_id) const {
  auto it = impl_->completions.find(op_id);
  if (it == impl_->completions.end()) return std::nullopt;
  return it->second;
}
std::optional<std::string> simulation::violation() const {
  if (impl_->violations.empty()) return std::nullopt;
  return impl_->violations.front();
}
std::uint64_t simulation::trace_hash() const { return impl_->trace.h; }
sim_report simulation::report() const { return impl_->report(); }

} // namespace pss::sim
