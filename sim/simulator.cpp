// The simulator's CAF side: the test-coordinator fixture and event loop,
// the network actor, the workload actor, node crashes and restarts, and the
// checkers. See simulator.hpp.
#include "sim/simulator.hpp"

#include <algorithm>
#include <cstdio>
#include <ostream>
#include <set>
#include <sstream>

#include "caf/actor_system.hpp"
#include "caf/actor_system_config.hpp"
#include "caf/event_based_actor.hpp"
#include "caf/exit_reason.hpp"
#include "caf/scheduler/test_coordinator.hpp"
#include "caf/send.hpp"
#include "caf/stateful_actor.hpp"

#include "actors/engine_actor.hpp"
#include "actors/messages.hpp"
#include "core/prng.hpp"
#include "raft/cluster_checker.hpp"
#include "sim/durability_checker.hpp"
#include "sim/fault_plan.hpp"
#include "sim/read_freshness.hpp"
#include "sim/raft_engine.hpp"
#include "sim/secrets_checkers.hpp"
#include "sim/share_corruption.hpp"
#include "sim/secrets_engine.hpp"
#include "storage/data_dir.hpp"
#include "storage/sim_disk.hpp"

namespace pss::sim {

using actors::wire_message;
using secrets::endpoint;

namespace {

// How often progress prints, and the shape of the workload.
constexpr millis progress_step{5000};
constexpr std::size_t keys_in_workload = 3;
constexpr std::size_t keys_in_refresh_workload = 16;
constexpr millis think_time_max{40};

std::uint64_t code_of(endpoint e) { return (static_cast<std::uint64_t>(e.kind) << 56) ^ e.id; }

} // namespace

struct simulation::impl final : actors::host_hooks {
  // The actor system comes first so it is destroyed last.
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  caf::scheduler::test_coordinator* sched = nullptr;

  sim_options opts;
  std::ostream* progress = nullptr;
  prng master;
  prng chaos_rng;
  prng net_rng;
  prng sched_rng;
  prng disk_rng;
  prng workload_rng;
  fault_plan plan;
  raft::options raft_opts;
  raft::configuration initial;
  std::vector<node_id> node_ids;
  bool secrets_mode = false;
  secrets::test_cluster cluster; // secrets mode: keys and the public view

  struct node_slot {
    node_id id;
    storage::sim_disk disk;
    std::shared_ptr<sim_node_engine> engine;
    std::shared_ptr<actors::host_slot> slot;
    caf::actor actor;
    bool up = false;
    bool wiped = false;      // storage refused to start it: its disk was wiped
    bool disk_wiped = false; // the nemesis wiped its disk (restart will be refused)
    bool joining = false;    // a new incarnation that replaces a wiped node
    bool sync_failure_armed = false;
    // Bumped at every boot. A message carries its endpoints' incarnations,
    // and one whose sender or receiver has been reborn since is lost, as on
    // a TCP connection that closed with the old process.
    std::uint64_t incarnation = 0;
  };
  std::map<node_id, node_slot> nodes;

  struct client_info {
    std::shared_ptr<actors::client_slot> slot;
    std::shared_ptr<actors::client_host_engine> engine;
    std::shared_ptr<raft_client_engine> raft_client;       // raft mode
    std::shared_ptr<secrets_client_host> secrets_client;   // secrets mode
    caf::actor actor;
    std::uint64_t seq = 0;
    bool busy = false;
  };
  std::vector<client_info> clients; // index 0 is client 1

  std::shared_ptr<actors::local_peer_directory> targets;
  std::shared_ptr<actors::relay_peer_directory> relay;
  caf::actor network;
  caf::actor workload;

  // A wiped node comes back as a new member: the operator removes the old
  // id, adds a fresh one as a learner, and promotes it once it caught up
  // (raft checklist item 27; thesis §4 single-server changes).
  struct rejoin {
    node_id old_id;
    node_id new_id; // no_node until the new incarnation boots
  };
  std::vector<rejoin> rejoins;
  std::uint64_t next_admin_op = 1;

  std::set<std::pair<node_id, node_id>> cuts; // directed: from, to
  std::set<std::pair<std::uint64_t, node_id>> client_cuts; // client id, node: both ways
  raft::cluster_checker checker;
  std::set<term_id> leader_terms;
  std::vector<std::string> violations;
  std::vector<node_id> halted;
  trace_hasher trace;
  sim_report counters;
  std::vector<history_event> history;
  std::map<std::uint64_t, actors::completion> completions;
  std::map<std::uint64_t, std::size_t> op_client; // op id -> client index
  std::map<std::string, std::set<bytes>> values_put;
  std::uint64_t next_op = 1;
  bool safety_phase = true;
  millis next_chaos{0};
  millis next_progress{0};
  millis refresh_interval{0};      // secrets mode, refresh profiles
  share_epoch_checker epochs;      // secrets mode
  holder_checker holders;          // secrets mode
  durability_checker durability;
  read_freshness_checker freshness;
  std::unique_ptr<share_corruptor> corruptor; // secrets mode

  impl(sim_options o, std::ostream* out)
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
      corruptor = std::make_unique<share_corruptor>(cluster.view, master.next_u64(),
                                                    [this](const std::string& name, secret_version v) {
                                                      return holders_of(name, v);
                                                    });
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
    spawn_workload();
    next_chaos = now() + plan.step;
    next_progress = now() + progress_step;
    say("sim: seed " + std::to_string(opts.seed) + ", profile " + opts.profile + ", "
        + std::to_string(opts.nodes) + " nodes, " + std::to_string(opts.clients) + " clients"
        + (opts.planted != planted::bug::none ? ", PLANTED BUG " + std::string{planted::name(opts.planted)} : "")
        + (secrets_mode && refresh_interval > millis{0} ? ", refresh every " + std::to_string(refresh_interval.count()) + " ms" : "")
        + (opts.faulty_dealers > 0 ? ", " + std::to_string(opts.faulty_dealers) + " faulty dealers" : "")
        + "; faults: " + plan.describe());
  }

  ~impl() override { shutdown(); }

  void say(const std::string& line) {
    if (progress) *progress << line << '\n';
  }

  [[nodiscard]] millis now() const {
    return std::chrono::duration_cast<millis>(sched->clock().now().time_since_epoch());
  }

  void violation(std::string what) {
    if (std::find(violations.begin(), violations.end(), what) == violations.end())
      violations.push_back(std::move(what));
  }

  // ---- network actor -------------------------------------------------------
  void spawn_network() {
    targets = std::make_shared<actors::local_peer_directory>();
    // The simulator is passed as a spawn argument: CAF 0.17 binds a null
    // tuple for argument-less function actors (UBSan flags it).
    network = sys->spawn([](caf::event_based_actor* self, impl* sim) -> caf::behavior {
      return {
        [sim, self](wire_message& m) { sim->route(self, std::move(m)); },
        [sim, self](actors::deliver_atom, wire_message& m, std::uint64_t from_incarnation,
                    std::uint64_t to_incarnation) {
          sim->deliver(self, std::move(m), from_incarnation, to_incarnation);
        },
      };
    }, this);
  }

  // The incarnation of a node endpoint (clients never restart: 0).
  [[nodiscard]] std::uint64_t incarnation_of(endpoint e) const {
    if (!e.is_node()) return 0;
    auto it = nodes.find(e.as_node());
    return it == nodes.end() ? 0 : it->second.incarnation;
  }

  // A node's message that reaches the network after its sender died (it was
  // still in the network's mailbox) belongs to a closed connection.
  [[nodiscard]] bool sent_by_dead_incarnation(caf::event_based_actor* self, endpoint from) const {
    if (!from.is_node()) return false;
    auto it = nodes.find(from.as_node());
    if (it == nodes.end() || !it->second.up) return true;
    return self->current_sender() != caf::actor_cast<caf::strong_actor_ptr>(it->second.actor);
  }

  void route(caf::event_based_actor* self, wire_message m) {
    if (sent_by_dead_incarnation(self, m.from())) {
      ++counters.faults["incarnation_drop"];
      return;
    }
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
      const millis delay{static_cast<millis::rep>(net_rng.between(plan.delay_min_ms, plan.delay_max_ms))};
      if (delay.count() == 0)
        deliver(self, c + 1 < copies ? m : std::move(m), from_incarnation, to_incarnation);
      else
        self->delayed_send(self, delay, actors::deliver_atom::value, c + 1 < copies ? m : std::move(m),
                           from_incarnation, to_incarnation);
    }
  }

  void deliver(caf::event_based_actor* self, wire_message m, std::uint64_t from_incarnation,
               std::uint64_t to_incarnation) {
    const endpoint from = m.from(), to = m.to();
    if (incarnation_of(from) != from_incarnation || incarnation_of(to) != to_incarnation) {
      ++counters.faults["incarnation_drop"];
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

  // ---- nodes ---------------------------------------------------------------
  raft_engine_config engine_config(node_id id) {
    raft_engine_config c;
    c.id = id;
    c.joining = nodes.at(id).joining;
    c.initial = initial;
    c.options = raft_opts;
    c.seed = master.next_u64();
    c.compact_every_entries = plan.snapshot_every;
    return c;
  }

  result<std::shared_ptr<sim_node_engine>> open_engine(node_slot& n, bool first) {
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
      // The operator restarts a node whose disk was wiped with --rejoin.
      auto opened = secrets_node_host::open(n.disk, cluster.view, cluster.keys.at(n.id.value() - 1), raft_opts,
                                            prng_seed, random_seed, now(), first, test_only, refresh_interval,
                                            n.disk_wiped, plan.snapshot_every);
      if (!opened.ok()) return opened.err();
      if (opts.planted == planted::bug::share_leak) (*opened)->plant_share_leak(n.disk);
      return std::shared_ptr<sim_node_engine>(std::move(*opened));
    }
    auto opened = raft_engine::open(n.disk, engine_config(n.id), now(), first);
    if (!opened.ok()) return opened.err();
    return std::shared_ptr<sim_node_engine>(std::move(*opened));
  }

  bool boot(node_slot& n, bool first) {
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
    n.actor = actors::spawn_node_actor(*sys, n.slot);
    targets->set(endpoint::of(n.id), n.actor);
    n.up = true;
    return true;
  }

  void kill(node_slot& n) {
    n.slot->alive = false;
    caf::anon_send_exit(n.actor, caf::exit_reason::kill);
    targets->erase(endpoint::of(n.id));
    n.actor = caf::actor{};
    n.slot.reset();
    n.engine.reset();
    n.up = false;
  }

  void crash_node(node_slot& n, const char* kind) {
    if (!n.up) return;
    ++counters.faults[kind];
    trace.add(0xC0A5);
    trace.add(n.id.value());
    kill(n);
    freshness.forget(n.id);
    n.disk.crash(disk_rng);
    n.sync_failure_armed = false;
  }

  void restart_node(node_slot& n) {
    if (n.up || n.wiped) return;
    ++counters.faults["restart"];
    trace.add(0x5EB0);
    trace.add(n.id.value());
    boot(n, false);
  }

  // The checkers, after every input a node processed.
  void check_node(node_slot& n) {
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
    if (secrets_mode && !e.halted()) {
      std::vector<std::string> found;
      epochs.observe(static_cast<const secrets_node_host&>(e).engine(), found);
      holders.observe(static_cast<const secrets_node_host&>(e).engine(), found);
      for (auto& v : found) violation(std::move(v));
    }
  }

  void on_input(millis t, endpoint self, bool tick, endpoint from, byte_view payload) override {
    if (self.is_node()) freshness.before_input();
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

  // Durability on send: what a node's message implies must be on its disk
  // now. A client's store request tells the checker what the ack will claim.
  void on_send(millis, endpoint self, endpoint to, byte_view payload) override {
    if (!self.is_node()) {
      if (secrets_mode && to.is_node()) {
        if (auto r = store_share_request_in(payload, cluster.view.threshold))
          durability.on_share_request(self, to.as_node(), r->first, r->second);
        corruptor->on_client_send(self, to.as_node(), payload);
      }
      return;
    }
    auto it = nodes.find(self.as_node());
    if (it == nodes.end() || !it->second.up) return;
    if (auto v = durability.on_node_send(self.as_node(), to, *it->second.engine, it->second.disk, payload))
      violation(*v);
  }

  void after_input(millis, endpoint self) override {
    if (!self.is_node()) return;
    auto it = nodes.find(self.as_node());
    if (it != nodes.end() && it->second.up) check_node(it->second);
  }

  // ---- clients and workload ------------------------------------------------
  void spawn_client(std::size_t c) {
    client_info info;
    if (secrets_mode) {
      secrets::client_options co;
      co.id = client_id{c};
      co.token = secrets_sim_token;
      co.nodes = node_ids;
      co.expected_cluster_id = cluster.view.cluster_id;
      info.secrets_client = std::make_shared<secrets_client_host>(co, master.next_u64());
      info.engine = info.secrets_client;
    } else {
      raft_client_config cc;
      cc.id = client_id{c};
      cc.nodes = node_ids;
      info.raft_client = std::make_shared<raft_client_engine>(cc);
      info.engine = info.raft_client;
    }
    info.slot = std::make_shared<actors::client_slot>();
    info.slot->self = endpoint::of(client_id{c});
    info.slot->engine = info.engine;
    info.slot->directory = relay;
    info.slot->hooks = this;
    info.actor = actors::spawn_client_actor(*sys, info.slot);
    targets->set(info.slot->self, info.actor);
    clients.push_back(std::move(info));
  }

  void spawn_workload() {
    workload = sys->spawn([](caf::event_based_actor* self, impl* sim) -> caf::behavior {
      if (sim->opts.workload)
        for (std::size_t c = 1; c <= sim->opts.clients; ++c)
          self->delayed_send(self, millis{static_cast<millis::rep>(1 + sim->workload_rng.below(100))},
                             actors::next_atom::value, static_cast<std::uint64_t>(c));
      return {
        [sim, self](actors::client_operation_result& r) { sim->on_result(self, r); },
        [sim, self](actors::next_atom, std::uint64_t c) { sim->issue_random(self, c); },
      };
    }, this);
  }

  std::uint64_t start_op(caf::event_based_actor* self, std::size_t c, actors::operation op) {
    client_info& info = clients.at(c - 1);
    const std::uint64_t id = next_op++;
    info.busy = true;
    op_client[id] = c;
    history.push_back({now(), c, id, true, op.kind, op.key, op.value, actors::op_outcome::info});
    if (op.kind == actors::op_kind::put) values_put[op.key].insert(op.value);
    actors::client_operation_request req{id, static_cast<std::uint8_t>(op.kind), op.key, op.value};
    if (self)
      self->send(info.actor, std::move(req));
    else
      caf::send_as(workload, info.actor, std::move(req));
    return id;
  }

  void issue_random(caf::event_based_actor* self, std::uint64_t c) {
    if (!safety_phase || clients.at(c - 1).busy) return;
    actors::operation op;
    // Refresh profiles spread puts over more names, so that versions live
    // long enough (versions_kept_max per name) to be refreshed.
    const std::size_t keys = is_refresh_profile(opts.profile) ? keys_in_refresh_workload : keys_in_workload;
    op.key = "k" + std::to_string(workload_rng.below(keys));
    const std::uint64_t roll = workload_rng.below(100);
    if (roll < 65) {
      op.kind = actors::op_kind::put;
      const std::string v = "c" + std::to_string(c) + "-" + std::to_string(++clients.at(c - 1).seq);
      op.value.assign(v.begin(), v.end());
    } else if (roll < 92) {
      op.kind = actors::op_kind::get;
    } else {
      op.kind = actors::op_kind::remove; // a tombstone: later gets find nothing
    }
    start_op(self, c, std::move(op));
  }

  void on_result(caf::event_based_actor* self, actors::client_operation_result& r) {
    auto it = op_client.find(r.op_id);
    if (it == op_client.end()) return;
    const std::size_t c = it->second;
    clients.at(c - 1).busy = false;
    const auto outcome = static_cast<actors::op_outcome>(r.outcome);
    const history_event* invoke = nullptr;
    for (auto h = history.rbegin(); h != history.rend(); ++h)
      if (h->op_id == r.op_id && h->invoke) {
        invoke = &*h;
        break;
      }
    PSS_CHECK(invoke != nullptr);
    history_event done = *invoke;
    done.time = now();
    done.invoke = false;
    done.outcome = outcome;
    if (done.kind == actors::op_kind::get) done.value = r.value;
    trace.add(0x0F00 + r.outcome);
    trace.add(r.op_id);
    if (outcome == actors::op_outcome::ok && done.kind == actors::op_kind::put) ++counters.puts_acked;
    if (outcome == actors::op_outcome::ok && done.kind == actors::op_kind::get) {
      ++counters.gets_ok;
      if (!done.value.empty()) {
        // The weak value check the Raft-only engine affords: a read returns
        // only something some client wrote to that key.
        auto w = values_put.find(done.key);
        if (w == values_put.end() || !w->second.contains(done.value))
          violation("client " + std::to_string(c) + " read a value nobody wrote to " + done.key);
        else
          if (!secrets_mode) ++counters.secrets_verified; // secrets mode: counted by check_secrets
      }
    }
    if (outcome == actors::op_outcome::info) ++counters.ops_info;
    if (outcome == actors::op_outcome::fail) ++counters.ops_failed;
    completions[r.op_id] = actors::completion{r.op_id, outcome, r.value, r.note};
    history.push_back(std::move(done));
    if (opts.workload && safety_phase && c <= opts.clients)
      self->delayed_send(self, millis{static_cast<millis::rep>(workload_rng.below(think_max().count()) + 1)},
                         actors::next_atom::value, static_cast<std::uint64_t>(c));
  }

  // The Figure 8 schedule proposes densely: it needs uncommitted entries of
  // old terms lying around when leaders change.
  [[nodiscard]] millis think_max() const { return plan.figure8 ? millis{5} : think_time_max; }

  // ---- the nemesis ---------------------------------------------------------
  std::vector<node_slot*> pick_nodes(bool up) {
    std::vector<node_slot*> out;
    for (auto& [id, n] : nodes)
      if (n.up == up && !(n.wiped && !up)) out.push_back(&n);
    return out;
  }

  std::size_t wiped_count() const {
    std::size_t w = 0;
    for (const auto& [id, n] : nodes) w += n.disk_wiped && !n.wiped && !readmitted(n) ? 1 : 0;
    return w + rejoins.size();
  }

  // Secrets mode: a wiped node is a voter again (its rejoin is done).
  [[nodiscard]] bool readmitted(const node_slot& n) const {
    if (!secrets_mode || !n.up) return false;
    const auto& e = static_cast<const secrets_node_host&>(*n.engine).engine();
    return !e.rejoining() && e.raft().config().is_voter(n.id);
  }

  // The leader is cut off from the other nodes, and some clients can talk
  // to it only, while the others cannot reach it: the stuck clients keep
  // asking a leader that may be deposed while the rest commit elsewhere (a
  // load balancer that never noticed).
  void stuck_leader_partition(node_id lone) {
    ++counters.faults["partition_stuck_clients"];
    for (node_id b : node_ids)
      if (b != lone) {
        cuts.insert({lone, b});
        cuts.insert({b, lone});
      }
    for (std::uint64_t c = 1; c <= opts.clients; ++c) {
      const bool stuck = chaos_rng.chance(0.5);
      for (node_id b : node_ids)
        if (stuck != (b == lone)) client_cuts.insert({c, b});
      trace.add(stuck ? c : 0);
    }
  }

  void partition() {
    cuts.clear();
    client_cuts.clear();
    ++counters.faults["partition"];
    if (plan.stick > 0 && chaos_rng.chance(plan.stick))
      if (auto l = leader()) {
        stuck_leader_partition(*l);
        trace.add(0x571C);
        return;
      }
    switch (chaos_rng.below(3)) {
      case 0: { // symmetric split into two sides
        std::set<node_id> side;
        for (node_id id : node_ids)
          if (chaos_rng.chance(0.5)) side.insert(id);
        for (node_id a : node_ids)
          for (node_id b : node_ids)
            if (side.contains(a) != side.contains(b)) cuts.insert({a, b});
        break;
      }
      case 1: { // one node isolated
        const node_id lone = node_ids[chaos_rng.below(node_ids.size())];
        for (node_id b : node_ids)
          if (b != lone) {
            cuts.insert({lone, b});
            cuts.insert({b, lone});
          }
        break;
      }
      default: { // asymmetric: a few one-way cuts
        ++counters.faults["partition_asymmetric"];
        for (int k = 0; k < 3; ++k) {
          const node_id a = node_ids[chaos_rng.below(node_ids.size())];
          const node_id b = node_ids[chaos_rng.below(node_ids.size())];
          if (a != b) cuts.insert({a, b});
        }
      }
    }
    trace.add(0x9A97);
    for (const auto& [a, b] : cuts) trace.add((a.value() << 32) ^ b.value());
  }

  void chaos() {
    if (!cuts.empty() && chaos_rng.chance(plan.heal)) {
      cuts.clear();
      client_cuts.clear();
      ++counters.faults["heal"];
      trace.add(0x4EA1);
    } else if (chaos_rng.chance(plan.partition)) {
      partition();
    }
    if (plan.figure8) crash_leader_with_unreplicated_entries();
    if (chaos_rng.chance(plan.crash)) {
      auto up = pick_nodes(true);
      if (!up.empty()) {
        node_slot* victim = up[chaos_rng.below(up.size())];
        if (plan.prefer_leader && chaos_rng.chance(0.7))
          if (auto l = leader()) victim = &nodes.at(*l);
        if (chaos_rng.chance(plan.mid_flush)) {
          arm_mid_flush_crash(*victim);
        } else {
          crash_node(*victim, "crash");
          if (secrets_mode) {
            if (chaos_rng.chance(plan.wipe)) lose_data_once(*victim);
          } else if (chaos_rng.chance(plan.wipe) && 2 * (wiped_count() + 1) < opts.nodes) {
            wipe_disk(*victim);
          }
        }
      }
    }
    if (plan.transfer > 0 && chaos_rng.chance(plan.transfer)) transfer_leadership();
    if (chaos_rng.chance(plan.restart)) {
      auto down = pick_nodes(false);
      if (!down.empty()) restart_node(*down[chaos_rng.below(down.size())]);
    }
  }

  // The Figure 8 schedule: a leader whose last entries are on a minority
  // often crashes before replicating them further, so that entries of old
  // terms lie on minorities when the next leaders are elected (Raft §5.4.2).
  void crash_leader_with_unreplicated_entries() {
    const auto l = leader();
    if (!l) return;
    const raft::node& core = nodes.at(*l).engine->core();
    std::size_t holders = 1; // the leader
    for (const auto& [id, pr] : core.progresses())
      if (id != *l && pr.match >= core.log().last_index()) ++holders;
    if (2 * holders <= core.config().voters.size() && chaos_rng.chance(0.1)) crash_node(nodes.at(*l), "crash");
  }

  // Let a few syncs pass, then fail one: the engine halts inside a flush and
  // the node crashes with that write unsynced or torn. The failure is aimed
  // at any file, at the Raft directory (the log and the hard state) or, in
  // secrets mode, at the share journal, so that crashes land between every
  // kind of write and the messages that depend on it.
  void arm_mid_flush_crash(node_slot& victim) {
    if (victim.sync_failure_armed) return;
    const std::string raft_dir = secrets_mode ? "/data/raft" : "/raft";
    std::string target;
    switch (chaos_rng.below(secrets_mode ? 3 : 2)) {
      case 1: target = raft_dir; break;
      case 2: target = "/data/shares"; break;
      default: break;
    }
    victim.disk.fail_next_syncs(1, chaos_rng.below(4), target);
    victim.sync_failure_armed = true;
    ++counters.faults["mid_flush_armed"];
  }

  // Secrets mode loses data once per run, so that every version keeps t
  // holders: either the share journal (the Raft state stays) or, half the
  // time, the whole disk, if a majority of the disks stays intact; the node
  // then restarts with --rejoin.
  void lose_data_once(node_slot& victim) {
    if (fault_count("shares_wiped") + fault_count("wipe") > 0) return;
    if (chaos_rng.chance(0.5) && 2 * (wiped_count() + 1) < opts.nodes) {
      wipe_disk(victim);
      return;
    }
    wipe_share_journal(victim.disk);
    holders.on_data_lost(victim.id);
    ++counters.faults["shares_wiped"];
    trace.add(0x5A9E);
  }

  [[nodiscard]] std::uint64_t fault_count(const std::string& kind) const {
    auto it = counters.faults.find(kind);
    return it == counters.faults.end() ? 0 : it->second;
  }

  void wipe_disk(node_slot& victim) {
    victim.disk.wipe();
    if (secrets_mode) holders.on_data_lost(victim.id);
    victim.disk_wiped = true;
    checker.on_disk_lost(victim.id);
    ++counters.faults["wipe"];
    trace.add(0x3A9E);
  }

  // The operator asks the leader to hand leadership to another voter.
  void transfer_leadership() {
    const auto l = leader();
    if (!l) return;
    const auto& voters = nodes.at(*l).engine->core().config().voters;
    if (voters.size() < 2) return;
    const node_id target = voters[chaos_rng.below(voters.size())];
    if (target == *l) return;
    ++counters.faults["transfer"];
    trace.add(0x7A5F);
    trace.add(target.value());
    const endpoint admin = endpoint::of(client_id{0});
    caf::anon_send(nodes.at(*l).actor, wire_message::make(admin, endpoint::of(*l), encode_sim_transfer(target)));
  }

  void send_admin(node_id to, raft::config_change change) {
    const auto& target = nodes.at(to);
    if (!target.up) return;
    membership_request r{next_admin_op++, change};
    const endpoint admin = endpoint::of(client_id{0});
    caf::anon_send(target.actor, wire_message::make(admin, endpoint::of(to), encode(r)));
  }

  // One operator step per nemesis step for the oldest pending rejoin.
  void drive_rejoins() {
    // Secrets mode: a wiped node rejoins under its id by itself (--rejoin).
    if (rejoins.empty() || secrets_mode) return;
    const auto l = leader();
    if (!l) return;
    const raft::configuration& cfg = nodes.at(*l).engine->core().config();
    rejoin& r = rejoins.front();
    if (cfg.contains(r.old_id)) {
      if (r.old_id != *l) send_admin(*l, {raft::config_change_kind::remove, r.old_id});
      return;
    }
    if (r.new_id == no_node) {
      r.new_id = node_id{node_ids.back().value() + 1};
      node_ids.push_back(r.new_id);
      auto& fresh = nodes[r.new_id];
      fresh.id = r.new_id;
      fresh.joining = true;
      ++counters.faults["rejoin_started"];
      trace.add(0x7E70);
      trace.add(r.new_id.value());
      boot(fresh, true);
      // The operator adds the new member to the clients' cluster file.
      for (auto& c : clients) c.raft_client->learn_node(r.new_id);
    }
    if (!cfg.contains(r.new_id)) {
      send_admin(*l, {raft::config_change_kind::add_learner, r.new_id});
    } else if (cfg.is_learner(r.new_id)) {
      send_admin(*l, {raft::config_change_kind::promote_learner, r.new_id});
    } else {
      ++counters.faults["rejoined"];
      rejoins.erase(rejoins.begin());
    }
  }

  // ---- the event loop ------------------------------------------------------
  void handle_halts() {
    while (!halted.empty()) {
      const node_id id = halted.back();
      halted.pop_back();
      crash_node(nodes.at(id), "crash_mid_flush");
    }
  }

  void drain() {
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

  void print_progress() {
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

  void run_until(millis end) {
    using clock_duration = caf::actor_clock::duration_type;
    for (;;) {
      drain();
      if (!violations.empty()) return;
      const millis t = now();
      if (next_chaos <= t) {
        if (safety_phase && plan.chaos()) chaos();
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

  [[nodiscard]] std::optional<node_id> leader() const {
    std::optional<node_id> best;
    term_id best_term;
    for (const auto& [id, n] : nodes)
      if (n.up && n.engine->core().role() == raft::role::leader && n.engine->core().term() >= best_term) {
        best = id;
        best_term = n.engine->core().term();
      }
    return best;
  }

  // ---- the phases ----------------------------------------------------------
  void heal_everything() {
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

  void liveness() {
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
          return;
        }
        probe = 0;
      }
    }
    if (violations.empty()) {
      counters.live = false;
      describe_nodes();
    }
  }

  // The secrets node with the most applied entries (nullptr if none is up).
  [[nodiscard]] const secrets::node_engine* most_advanced() const {
    const secrets::node_engine* ahead = nullptr;
    for (const auto& [id, n] : nodes) {
      if (!n.up) continue;
      const auto& e = static_cast<const secrets_node_host&>(*n.engine).engine();
      if (!ahead || e.raft().applied_index() > ahead->raft().applied_index()) ahead = &e;
    }
    return ahead;
  }

  [[nodiscard]] std::size_t holders_of(const std::string& name, secret_version v) const {
    const auto* e = most_advanced();
    if (e == nullptr) return 0;
    auto rec = e->state().lookup(name, v);
    return rec.ok() ? rec->holders.size() : 0;
  }

  // After healing, every name reads back through a real client, with share
  // replies still corrupted on the wire when the plan draws it: each read
  // must succeed (t good answers always remain) and return the latest
  // version's value when that put was acknowledged. A read that fails here
  // is a client that gave up on good shares.
  void probe_reads(millis until) {
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

  void probe_read(const std::string& key, const std::map<std::pair<std::string, secret_version>, bytes>& acked,
                  millis until) {
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

  // After lost liveness: each node's Raft state, to start the diagnosis.
  void describe_nodes() {
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
      }
      say(o.str());
    }
  }

  // Refresh profiles: after healing, every node must also get back every
  // share it missed (recovery is automatic) before the bound; else liveness
  // is lost. (Refresh rounds keep running meanwhile.)
  void settle_recoveries(millis until) {
    const millis from = now();
    std::string missing;
    while (true) {
      missing.clear();
      const auto l = leader();
      for (const auto& [id, n] : nodes) {
        if (!n.up) continue;
        const auto& e = static_cast<const secrets_node_host&>(*n.engine).engine();
        // A wiped node must be a voter again, in its own view and the leader's.
        if (n.disk_wiped && (!readmitted(n) || !l || !nodes.at(*l).engine->core().config().is_voter(id)))
          missing += " n" + std::to_string(id.value()) + " is not re-admitted as a voter";
        const auto lacks = e.state().missing_for(id).size();
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
  }

  // Each name an acknowledged delete hid, with the highest version it hid.
  [[nodiscard]] std::map<std::string, secret_version> acknowledged_deletes() const {
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

  // How many versions a node's own catalog lists it for without the share
  // (its journal was lost; it must leave those lists and be recovered).
  [[nodiscard]] static std::size_t listed_without_share(const secrets::node_engine& e) {
    std::size_t n = 0;
    for (const auto& [name, s] : e.state().secrets())
      for (const auto& [v, rec] : s.versions)
        if (std::find(rec.holders.begin(), rec.holders.end(), e.id()) != rec.holders.end()
            && !e.shares().holds_live_from(name, v, rec.epoch, rec.commitments_digest))
          ++n;
    return n;
  }

  // The secrets checkers at the end of a secrets-mode run: acknowledged
  // puts read back from the share stores, no share material in Raft.
  void check_secrets() {
    check_erased();
    check_read_back();
    check_share_scan();
    record_round_stats();
  }

  // Erased means gone: no disk still holds a share of an older epoch, and no
  // node holds, in memory or on disk, a share of a version whose delete was
  // acknowledged.
  void check_erased() {
    const auto deleted = acknowledged_deletes();
    for (const auto& [id, n] : nodes) {
      if (!n.up) continue;
      std::vector<std::string> found;
      const auto& e = static_cast<const secrets_node_host&>(*n.engine).engine();
      epochs.check_disk(e, n.disk, found);
      epochs.check_deleted(e, n.disk, deleted, found);
      for (auto& v : found) violation(std::move(v));
    }
    counters.checks["names_deleted"] = deleted.size();
    counters.share_epochs_checked = epochs.values_seen();
  }

  [[nodiscard]] std::vector<const secrets::node_engine*> live_secrets_nodes() const {
    std::vector<const secrets::node_engine*> live;
    for (const auto& [id, n] : nodes)
      if (n.up) live.push_back(&static_cast<const secrets_node_host&>(*n.engine).engine());
    return live;
  }

  // Every acknowledged put reads back from the live holders' share stores.
  void check_read_back() {
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

  // No share material in Raft storage. The scan must be able to see shares
  // where they belong, or it proves nothing: every durable live share must
  // show up in its journal.
  void check_share_scan() {
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

  // The rounds' outcome, from the most advanced live node's catalog.
  void record_round_stats() {
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
  }

  sim_report report() {
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
    if (corruptor) r.faults["share_reply_corrupted"] = corruptor->corrupted();
    if (secrets_mode) r.checks["holder_listings"] = holders.listings_checked();
    return r;
  }

  void shutdown() {
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
};

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
