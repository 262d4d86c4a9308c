// A small deterministic network for the secrets engines: simulated time, a
// message queue with fixed latency, crashes and client-side cuts, one
// sim_disk per node, and raft::cluster_checker fed after every node input.
#pragma once

#include <doctest/doctest.h>

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "core/prng.hpp"
#include "crypto/random_source.hpp"
#include "raft/cluster_checker.hpp"
#include "secrets/client_engine.hpp"
#include "secrets/node_engine.hpp"
#include "storage/sim_disk.hpp"

namespace pss::secrets::testing {

// The cluster's bootstrap admin: every test client signs with it unless a
// test gives it another identity.
inline std::shared_ptr<const crypto::sign_key_pair> test_identity(std::uint64_t seed) {
  crypto::seeded_random r{seed};
  return std::make_shared<const crypto::sign_key_pair>(crypto::sign_key_pair::generate(r));
}
inline const std::shared_ptr<const crypto::sign_key_pair> admin_identity = test_identity(0xAD);
// The wall clock at simulated time zero (signed requests are dated by it).
inline constexpr access::unix_ms test_wall_clock_offset = 1'700'000'000'000;
inline secure_bytes value_of(std::string_view s) { return secure_bytes{as_bytes(s)}; }
inline std::string text_of(const secure_bytes& b) { return std::string{b.as_string()}; }

struct in_flight {
  millis at{0};
  std::uint64_t order = 0;
  endpoint from;
  endpoint to;
  bytes payload;

  // The wire type of what it carries: a client's signed request counts as
  // the request inside it.
  [[nodiscard]] std::optional<message_type> type() const {
    if (payload.empty()) return std::nullopt;
    if (payload[0] == access::signed_request_tag) {
      auto q = access::decode_signed_request(payload);
      if (!q.ok()) return std::nullopt;
      return static_cast<message_type>(q->body[0]);
    }
    return static_cast<message_type>(payload[0]);
  }
};

class network {
public:
  explicit network(std::size_t n = 5, std::size_t t = 3, std::uint64_t seed = 7,
                   std::uint64_t snapshot_every = 64) // often, so the tests see compactions and installs
    : cluster_(make_test_cluster(n, t, seed)), random_(seed), snapshot_every_(snapshot_every) {
    for (const auto& m : cluster_.view.members) {
      disks_[m.id] = std::make_unique<storage::sim_disk>();
      start_node(m.id, true);
    }
  }

  // ---- nodes --------------------------------------------------------------
  node_options options_for(node_id id, bool first_start) {
    node_options o;
    o.cluster = cluster_.view;
    o.data_dir = "/data";
    o.first_start = first_start;
    o.admin_key = admin_identity->public_key;
    o.wall_clock_offset = test_wall_clock_offset;
    o.prng_seed = random_.next_u64() ^ id.value();
    o.snapshot_every_entries = snapshot_every_;
    o.record_apply_events = true;
    o.test_only = test_only[id];
    o.rejoin = rejoin.contains(id);
    o.joining = extra_keys_.contains(id);
    if (auto next = next_keys_.find(id); next != next_keys_.end()) o.next_keys = next->second.clone();
    if (auto r = retired_keys_.find(id); r != retired_keys_.end()) o.retired_keys = r->second;
    if (tweak) tweak(id, o);
    return o;
  }

  result<std::unique_ptr<node_engine>> open_node(node_id id, bool first_start) {
    const auto extra = extra_keys_.find(id);
    const auto rotated = rotated_keys_.find(id);
    const auto& keys = rotated != rotated_keys_.end() ? rotated->second
                       : extra != extra_keys_.end()   ? extra->second
                                                      : cluster_.keys[id.value() - 1];
    return node_engine::open(options_for(id, first_start), keys.clone(), *disks_.at(id),
                             std::make_unique<crypto::seeded_random>(random_.next_u64()), now);
  }

  void start_node(node_id id, bool first_start) {
    auto opened = open_node(id, first_start);
    REQUIRE_MESSAGE(opened.ok(), (opened.ok() ? "" : opened.err().describe()));
    checker_.on_restart(id, (*opened)->persisted().snapshot_index);
    nodes_[id] = std::move(*opened);
    collect(endpoint::of(id));
  }

  // A power failure: the engine is gone and unsynced writes are lost. Its
  // connections close with it: whatever it sent or was sent that is still in
  // flight is lost, as with TCP (a new incarnation never sees the old one's
  // traffic).
  void crash(node_id id) {
    nodes_.erase(id);
    wakeups_.erase(endpoint::of(id));
    flushes_.erase(endpoint::of(id));
    std::erase_if(queue_, [&](const in_flight& m) { return m.from == endpoint::of(id) || m.to == endpoint::of(id); });
    prng p{random_.next_u64()};
    disks_.at(id)->crash(p);
  }
  void restart(node_id id) { start_node(id, false); }
  // A new member's node (docs/refresh.md §7.3): its own keys, a fresh disk,
  // started with the joining option; the cluster's first view lacks it.
  void start_joining(node_keys keys) {
    const node_id id = keys.id;
    extra_keys_.emplace(id, std::move(keys));
    disks_[id] = std::make_unique<storage::sim_disk>();
    start_node(id, true);
  }
  // The whole disk is lost: the node restarts with the rejoin option (the
  // operator's --rejoin) under its old id.
  void wipe_and_rejoin(node_id id) {
    if (is_up(id)) crash(id);
    disks_.at(id)->wipe();
    checker_.on_disk_lost(id);
    rejoin.insert(id);
    start_node(id, false);
  }
  std::set<node_id> rejoin; // nodes started with the rejoin option
  // A rotation of a node's keys (docs/refresh.md §7.9): the node restarts
  // holding `next` as well, as its host does with a next key file.
  void give_next_keys(node_keys next) {
    const node_id id = next.id;
    next_keys_.insert_or_assign(id, std::move(next));
    if (is_up(id)) crash(id);
    restart(id);
  }
  // What the host does once the node switched: the next keys become its
  // keys, the old public ones retired.
  void adopt_rotated_keys(node_id id) {
    auto next = next_keys_.extract(id);
    REQUIRE(!next.empty());
    const auto rotated = rotated_keys_.find(id);
    const auto extra = extra_keys_.find(id);
    const node_keys& old = rotated != rotated_keys_.end() ? rotated->second
                           : extra != extra_keys_.end()   ? extra->second
                                                          : cluster_.keys[id.value() - 1];
    retired_keys_[id].push_back(public_keys(old));
    rotated_keys_.insert_or_assign(id, std::move(next.mapped()));
  }

  node_engine& node(std::uint64_t id) { return *nodes_.at(node_id{id}); }
  bool is_up(node_id id) const { return nodes_.contains(id); }
  storage::sim_disk& disk(std::uint64_t id) { return *disks_.at(node_id{id}); }
  const test_cluster& cluster() const { return cluster_; }
  std::map<node_id, node_test_only_options> test_only;
  std::function<void(node_id, node_options&)> tweak; // applied to every node's options

  node_id leader() {
    for (auto& [id, n] : nodes_)
      if (n->raft().role() == raft::role::leader) return id;
    return no_node;
  }

  void elect(std::uint64_t id) {
    node(id).campaign(now);
    collect(endpoint::of(node_id{id}));
    run_until([&] { return leader() == node_id{id}; }, millis{2'000});
    REQUIRE(leader() == node_id{id});
    run_for(millis{100}); // let the no-op commit everywhere
  }

  // ---- clients ------------------------------------------------------------
  client_engine& add_client(std::uint64_t id, client_options o = {}) {
    o.id = client_id{id};
    if (!o.identity) o.identity = admin_identity;
    o.wall_clock_offset = test_wall_clock_offset;
    if (o.nodes.empty()) o.nodes = cluster_.view.node_ids();
    o.expected_cluster_id = cluster_.view.cluster_id;
    clients_[client_id{id}] =
      std::make_unique<client_engine>(o, std::make_unique<crypto::seeded_random>(random_.next_u64()));
    return *clients_.at(client_id{id});
  }
  client_engine& client(std::uint64_t id) { return *clients_.at(client_id{id}); }
  // Sends what a client queued when an operation was started directly.
  void flush_client(std::uint64_t id) { collect(endpoint::of(client_id{id})); }
  void flush_node(std::uint64_t id) { collect(endpoint::of(node_id{id})); }

  // Runs until the client completes the operation; fails the test if not.
  completion await(std::uint64_t client_id_value, std::uint64_t op, millis limit = millis{30'000}) {
    collect(endpoint::of(client_id{client_id_value}));
    std::optional<completion> done;
    run_until([&] {
      for (auto& c : client(client_id_value).take_completions()) completed_[c.operation_id] = std::move(c);
      if (auto it = completed_.find(op); it != completed_.end()) {
        done = std::move(it->second);
        completed_.erase(it);
        return true;
      }
      return false;
    }, limit);
    REQUIRE_MESSAGE(done.has_value(), "operation " << op << " did not complete");
    return std::move(*done);
  }

  completion put(std::uint64_t c, std::uint64_t op, const std::string& name, std::string_view value) {
    client(c).put(now, op, name, value_of(value));
    return await(c, op);
  }
  completion get(std::uint64_t c, std::uint64_t op, const std::string& name, secret_version v = {}) {
    client(c).get(now, op, name, v);
    return await(c, op);
  }

  // ---- faults -------------------------------------------------------------
  void cut(endpoint a, endpoint b) {
    cut_.insert({a, b});
    cut_.insert({b, a});
  }
  std::function<bool(const in_flight&)> drop_if; // a selective fault, by payload
  void heal() { cut_.clear(); }
  bool duplicate_client_messages = false;
  double drop = 0;      // probability a message is lost
  double duplicate = 0; // probability a message arrives twice
  millis latency_jitter{0}; // extra delay drawn from [0, jitter], which reorders
  bool print_events = false;

  // Hands a raw payload to an engine as if `from` had sent it.
  void inject(endpoint from, endpoint to, bytes payload) {
    queue_.push_back(in_flight{now + latency, order_++, from, to, std::move(payload)});
  }

  // ---- running ------------------------------------------------------------
  void run_until(const std::function<bool()>& done, millis limit) {
    const millis end = now + limit;
    while (!done()) {
      if (!step(end)) return;
    }
  }
  void run_for(millis d) {
    const millis end = now + d;
    while (step(end)) {
    }
    now = end;
  }

  // Every Raft entry and snapshot any node holds in memory or on disk.
  std::vector<bytes> replicated_bytes() {
    std::vector<bytes> out;
    for (auto& [id, n] : nodes_) {
      for (const auto& e : n->raft().log().entries()) out.push_back(e.data);
      for (const auto& e : n->persisted().entries) out.push_back(e.data);
      out.push_back(n->state().snapshot());
    }
    for (auto& [id, d] : disks_)
      for (auto& [path, contents] : d->durable_files())
        if (path.find("/raft/") != std::string::npos) out.push_back(contents);
    return out;
  }

  void check() {
    REQUIRE_MESSAGE(!checker_.violation().has_value(), *checker_.violation());
  }

  millis now{0};
  millis latency{2};
  std::uint64_t trace_hash = 14695981039346656037ULL;
  std::vector<std::string> events; // every event any engine reported

private:
  std::map<node_id, node_keys> extra_keys_; // new members' keys, by id
  std::map<node_id, node_keys> next_keys_;  // keys a rotation switches to
  std::map<node_id, node_keys> rotated_keys_; // keys after a rotation
  std::map<node_id, std::vector<member_keys>> retired_keys_;
  bool step(millis end) {
    millis next = end + millis{1};
    for (const auto& m : queue_) next = std::min(next, m.at);
    for (const auto& [e, at] : wakeups_) next = std::min(next, at);
    if (!flushes_.empty()) next = std::min(next, now);
    if (next > end) return false;
    now = std::max(now, next);
    // Deliver every message due now, in send order.
    std::vector<in_flight> due;
    std::erase_if(queue_, [&](in_flight& m) {
      if (m.at > now) return false;
      due.push_back(std::move(m));
      return true;
    });
    std::sort(due.begin(), due.end(), [](const auto& a, const auto& b) { return a.order < b.order; });
    for (auto& m : due) deliver(m);
    std::vector<endpoint> wake;
    for (const auto& [e, at] : wakeups_)
      if (at <= now) wake.push_back(e);
    for (auto e : wake) {
      wakeups_.erase(e);
      if (engine* x = find(e)) {
        x->on_tick(now);
        collect(e);
      }
    }
    // Group commit: a flush after everything due at this instant.
    while (!flushes_.empty()) {
      const endpoint e = *flushes_.begin();
      flushes_.erase(flushes_.begin());
      if (engine* x = find(e)) {
        x->on_flush(now);
        collect(e);
      }
    }
    return true;
  }

  engine* find(endpoint e) {
    if (e.is_node()) {
      auto it = nodes_.find(e.as_node());
      return it == nodes_.end() ? nullptr : it->second.get();
    }
    auto it = clients_.find(e.as_client());
    return it == clients_.end() ? nullptr : it->second.get();
  }

  void deliver(const in_flight& m) {
    if (cut_.contains({m.from, m.to})) return;
    if (drop_if && drop_if(m)) return;
    // FNV-1a over what is delivered, when and to whom: equal for equal seeds.
    auto mix = [&](std::uint64_t v) { trace_hash = (trace_hash ^ v) * 1099511628211ULL; };
    mix(static_cast<std::uint64_t>(now.count()));
    mix(m.to.id);
    for (auto b : m.payload) mix(b);
    engine* x = find(m.to);
    if (x == nullptr) return;
    x->on_message(now, m.from, m.payload);
    collect(m.to);
  }

  void collect(endpoint e) {
    engine* x = find(e);
    if (x == nullptr) return;
    engine_output out = x->take_output();
    for (auto& msg : out.messages) {
      if (net_random_.chance(drop)) continue;
      int copies = duplicate_client_messages && !e.is_node() ? 2 : 1;
      if (net_random_.chance(duplicate)) ++copies;
      for (int c = 0; c < copies; ++c) {
        const millis jitter{static_cast<millis::rep>(
          net_random_.below(static_cast<std::uint64_t>(latency_jitter.count()) + 1))};
        queue_.push_back(in_flight{now + latency + jitter, order_++, e, msg.to, msg.payload});
      }
    }
    if (out.next_wakeup) wakeups_[e] = *out.next_wakeup;
    if (out.flush_requested) flushes_.insert(e);
    for (auto& ev : out.events) {
      if (print_events) MESSAGE(ev);
      events.push_back(std::move(ev));
    }
    if (e.is_node()) observe(nodes_.at(e.as_node()).get());
  }

  void observe(node_engine* n) {
    for (const auto& ev : n->take_apply_events()) {
      if (ev.snapshot) (void)checker_.on_snapshot_installed(n->id(), ev.index);
      else (void)checker_.on_applied(n->id(), ev.entry);
    }
    (void)checker_.observe(n->observe());
    check();
  }

  test_cluster cluster_;
  prng random_;
  prng net_random_{random_.next_u64()};
  std::uint64_t snapshot_every_;
  std::map<node_id, std::unique_ptr<storage::sim_disk>> disks_;
  std::map<node_id, std::unique_ptr<node_engine>> nodes_;
  std::map<client_id, std::unique_ptr<client_engine>> clients_;
  std::map<endpoint, millis> wakeups_;
  std::set<endpoint> flushes_; // engines that asked for on_flush
  std::vector<in_flight> queue_;
  std::uint64_t order_ = 0;
  std::set<std::pair<endpoint, endpoint>> cut_;
  raft::cluster_checker checker_;
  std::map<std::uint64_t, completion> completed_;
};

// Client 100 puts s0..s2 with values "value 0".."value 2" (the round tests'
// starting point).
inline void put_three(network& net) {
  net.add_client(100);
  for (std::uint64_t i = 0; i < 3; ++i)
    REQUIRE(net.put(100, i + 1, "s" + std::to_string(i), "value " + std::to_string(i)).outcome ==
            operation_outcome::ok);
  net.run_for(millis{100});
}

// Asks `node` for a refresh and runs until the leader counts more committed
// or aborted rounds than `rounds_before` and no round runs.
// An admin's committee change through client `client`, awaited.
inline completion change_committee(network& net, std::uint64_t client, std::uint64_t op, committee_change c) {
  net.client(client).change_committee(net.now, op, std::move(c));
  return net.await(client, op);
}

inline bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

inline void refresh_and_wait(network& net, std::uint64_t node, std::uint64_t rounds_before) {
  net.node(node).request_refresh(net.now);
  net.flush_node(node);
  net.run_until([&] {
    const auto& s = net.node(net.leader().value()).state().stats();
    return s.refresh_epochs_committed + s.rounds_aborted > rounds_before && !net.node(node).state().round();
  }, millis{20'000});
  net.run_for(millis{200}); // every node applies the end of the round
}

} // namespace pss::secrets::testing
