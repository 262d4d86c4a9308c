// A tiny deterministic cluster for testing the pure Raft core: simulated
// time, a message queue that can drop, duplicate, delay (reorder) and
// partition (per direction), a "disk" per node holding exactly what the node
// persisted (so a crash rebuilds the node from it and loses everything
// else), a small state machine with client sessions, and the cluster checker
// after every delivered message, tick and flush.
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/planted.hpp"
#include "core/prng.hpp"
#include "raft/cluster_checker.hpp"
#include "raft/messages.hpp"
#include "raft/node.hpp"
#include "raft/session_table.hpp"

namespace pss::raft::testing {

inline node_id n(std::uint64_t v) { return node_id{v}; }
inline log_index li(std::uint64_t v) { return log_index{v}; }
inline term_id tid(std::uint64_t v) { return term_id{v}; }
inline bytes data_of(std::string_view s) { return bytes(s.begin(), s.end()); }

// A log with the given terms at indices 1.., each entry naming its place.
inline std::vector<entry> log_of(std::vector<std::uint64_t> terms) {
  std::vector<entry> out;
  for (std::size_t i = 0; i < terms.size(); ++i)
    out.push_back(entry{term_id{terms[i]}, log_index{i + 1}, entry_kind::command,
                        data_of("t" + std::to_string(terms[i]) + "i" + std::to_string(i + 1))});
  return out;
}

// What a node has durably written.
struct disk {
  hard_state hard;
  snapshot_meta snap;
  bytes snap_data;
  std::vector<entry> log;
};

// Commands are either plain text (counted) or session commands:
// 'S' client seq time payload, applied exactly once through a session_table.
inline bytes session_command(std::uint64_t client, std::uint64_t seq, std::int64_t at,
                             std::string_view payload) {
  byte_writer w;
  w.u8('S');
  w.u64(client);
  w.u64(seq);
  w.u64(static_cast<std::uint64_t>(at));
  w.str(payload);
  return w.take();
}

struct state_machine {
  std::map<std::string, std::uint64_t> counts;
  session_table sessions{millis{10'000}};
  std::map<std::pair<std::uint64_t, std::uint64_t>, std::string> responses;

  void apply(const entry& e) {
    if (e.kind != entry_kind::command) return;
    if (e.data.empty() || e.data[0] != 'S') {
      ++counts[std::string(e.data.begin(), e.data.end())];
      return;
    }
    byte_reader r{e.data};
    r.u8();
    const client_id client{r.u64()};
    const sequence_number seq{r.u64()};
    const millis at{static_cast<millis::rep>(r.u64())};
    const std::string payload = r.str(1024);
    sessions.expire(at);
    auto look = sessions.check(client, seq);
    std::string answer;
    switch (look.kind) {
      case session_table::verdict::fresh: {
        answer = "done:" + payload + "#" + std::to_string(++counts[payload]);
        sessions.record(client, seq, data_of(answer), at);
        break;
      }
      case session_table::verdict::duplicate:
        answer = std::string(look.cached->begin(), look.cached->end());
        break;
      case session_table::verdict::stale: answer = "stale"; break;
      case session_table::verdict::expired: answer = "expired"; break;
    }
    responses[{client.value(), seq.value()}] = answer;
  }

  bytes snapshot() const {
    byte_writer w;
    w.u32(static_cast<std::uint32_t>(counts.size()));
    for (const auto& [k, v] : counts) {
      w.str(k);
      w.u64(v);
    }
    sessions.encode(w);
    return w.take();
  }

  void restore(const bytes& data) {
    counts.clear();
    responses.clear();
    sessions = session_table{millis{10'000}};
    if (data.empty()) return;
    byte_reader r{data};
    const std::uint32_t count = r.u32();
    for (std::uint32_t i = 0; i < count; ++i) {
      std::string k = r.str(1024);
      counts[k] = r.u64();
    }
    auto table = session_table::decode(r);
    REQUIRE(table.ok());
    sessions = std::move(*table);
  }
};

// Where a crash may interrupt the flushing of a ready.
enum class crash_point { none, before_persist, after_snapshot, after_entries, after_hard_state, after_send };

struct member {
  node_id id;
  options opts;
  std::unique_ptr<prng> random;
  std::unique_ptr<node> raft;
  disk d;
  state_machine sm;
  bool up = true;
  crash_point armed = crash_point::none;
  std::vector<read_state> reads;
  std::vector<std::uint64_t> failed_reads;
  log_index applied;
};

struct in_flight {
  millis deliver_at;
  std::uint64_t order = 0;
  envelope e;
};

struct network_faults {
  double drop = 0;
  double duplicate = 0;
  millis delay_min{0};
  millis delay_max{0};
};

class cluster {
public:
  cluster(std::vector<std::uint64_t> voters, options base = {}, std::uint64_t seed = 1)
    : base_(base), net_random_(seed) {
    configuration config;
    for (auto v : voters) config.voters.push_back(n(v));
    for (auto v : voters) add(n(v), config);
  }

  // Adds a node with the given initial configuration (empty for a joiner).
  void add(node_id id, configuration config) {
    member m;
    m.id = id;
    m.opts = base_;
    m.opts.id = id;
    m.random = std::make_unique<prng>(net_random_.next_u64());
    m.d.snap.config = std::move(config);
    members_.emplace(id, std::move(m));
    boot(members_.at(id));
  }

  member& m(std::uint64_t id) { return members_.at(n(id)); }
  node& raft(std::uint64_t id) { return *members_.at(n(id)).raft; }
  std::map<node_id, member>& members() { return members_; }

  // ---- faults -------------------------------------------------------------
  void cut(std::uint64_t from, std::uint64_t to) { cut_.insert({n(from), n(to)}); }
  void isolate(std::uint64_t id) {
    for (auto& [other, _] : members_)
      if (other != n(id)) {
        cut_.insert({n(id), other});
        cut_.insert({other, n(id)});
      }
  }
  void partition(std::set<std::uint64_t> side) {
    for (auto& [a, _] : members_)
      for (auto& [b, __] : members_)
        if (side.contains(a.value()) != side.contains(b.value())) cut_.insert({a, b});
  }
  void heal() { cut_.clear(); }
  network_faults faults;

  void crash(std::uint64_t id) {
    member& x = m(id);
    x.up = false;
    x.raft.reset();
  }
  void restart(std::uint64_t id) {
    member& x = m(id);
    REQUIRE_FALSE(x.up);
    x.up = true;
    boot(x);
  }

  // Replaces a node's disk (for hand-built logs) and boots it from there.
  void reboot_with(std::uint64_t id, disk d) {
    member& x = m(id);
    x.raft.reset();
    d.snap.config = x.d.snap.config;
    x.d = std::move(d);
    x.up = true;
    boot(x);
  }

  // ---- driving ------------------------------------------------------------
  millis now{0};
  std::vector<in_flight>& queue() { return queue_; }

  // Drains every ready of a node, persisting, sending, applying, observing.
  void flush(member& x) {
    while (x.up && x.raft->has_ready()) flush_one(x);
    if (x.up) observe(x);
  }
  void flush(std::uint64_t id) { flush(m(id)); }

  void tick(std::uint64_t id) {
    member& x = m(id);
    if (!x.up) return;
    x.raft->tick(now);
    flush(x);
  }
  void tick_all() {
    for (auto& [id, x] : members_)
      if (x.up) {
        x.raft->tick(now);
        flush(x);
      }
  }
  void campaign(std::uint64_t id) {
    raft(id).campaign(now);
    flush(id);
  }

  // Delivers one queued message (honouring partitions and crashes).
  void deliver(const envelope& e) {
    auto wire = encode(e);
    auto decoded = decode_envelope(wire);
    if (!decoded.ok() || !(*decoded == e)) {
      FAIL_CHECK("a message did not survive encoding: ", name_of(e.body));
      return;
    }
    if (cut_.contains({e.from, e.to})) return;
    auto it = members_.find(e.to);
    if (it == members_.end() || !it->second.up) return;
    ++delivered;
    ++delivered_kinds[std::string(name_of(e.body))];
    it->second.raft->step(now, *decoded);
    flush(it->second);
  }

  // Delivers queued messages in order (ignoring delays) until none remain.
  void deliver_all(std::size_t max = 100'000) {
    for (std::size_t i = 0; i < max && !queue_.empty(); ++i) {
      auto it = std::min_element(queue_.begin(), queue_.end(), by_order);
      envelope e = std::move(it->e);
      queue_.erase(it);
      deliver(e);
    }
  }
  // Drops every queued message matching the predicate.
  template <class Pred>
  std::size_t drop_if(Pred pred) {
    return std::erase_if(queue_, [&](const in_flight& f) { return pred(f.e); });
  }

  // Advances time in steps, ticking every node and delivering due messages.
  void run_for(millis span, millis step = millis{1}) {
    const millis end = now + span;
    while (now < end) {
      now += step;
      tick_all();
      deliver_due();
    }
  }
  void deliver_due() {
    for (std::size_t guard = 0; guard < 100'000; ++guard) {
      auto it = std::min_element(queue_.begin(), queue_.end(), by_time);
      if (it == queue_.end() || it->deliver_at > now) return;
      envelope e = std::move(it->e);
      queue_.erase(it);
      deliver(e);
    }
  }

  // Runs until some up node is leader (and every other up node agrees on
  // nothing in particular); returns it.
  std::optional<node_id> run_until_leader(millis limit = millis{5000}) {
    const millis end = now + limit;
    while (now < end) {
      if (auto l = leader()) return l;
      run_for(millis{1});
    }
    return leader();
  }
  std::optional<node_id> leader() {
    std::optional<node_id> best;
    term_id best_term;
    for (auto& [id, x] : members_)
      if (x.up && x.raft->role() == role::leader && x.raft->term() >= best_term) {
        best = id;
        best_term = x.raft->term();
      }
    return best;
  }
  // Campaigns on `id` and delivers until quiet; the node must win.
  void elect(std::uint64_t id) {
    campaign(id);
    deliver_all();
    REQUIRE(raft(id).role() == role::leader);
    deliver_all();
  }

  result<proposal> propose(std::uint64_t id, std::string_view text) {
    auto r = raft(id).propose(now, data_of(text));
    flush(id);
    return r;
  }

  // The application snapshots its state at its applied index. With
  // crash_before_trim the node crashes after the snapshot is durable but
  // before the log prefix it covers is deleted.
  void compact(std::uint64_t id, bool crash_before_trim = false) {
    member& x = m(id);
    const log_index at = x.applied;
    if (at <= x.d.snap.last_index) return;
    auto data = x.sm.snapshot();
    REQUIRE(x.raft->compact(at, data).ok());
    x.d.snap = x.raft->snapshot_metadata();
    x.d.snap_data = std::move(data);
    if (crash_before_trim) {
      crash(id);
      return;
    }
    std::erase_if(x.d.log, [&](const entry& e) { return e.index <= at; });
    observe(x);
  }

  std::size_t count(std::uint64_t id, std::string_view text) {
    auto& c = m(id).sm.counts;
    auto it = c.find(std::string(text));
    return it == c.end() ? 0 : it->second;
  }

  std::optional<std::string> violation() const { return checker_.violation(); }
  cluster_checker& checker() { return checker_; }
  std::uint64_t delivered = 0;
  std::map<std::string, std::uint64_t> delivered_kinds;

private:
  static bool by_order(const in_flight& a, const in_flight& b) { return a.order < b.order; }
  static bool by_time(const in_flight& a, const in_flight& b) {
    return a.deliver_at != b.deliver_at ? a.deliver_at < b.deliver_at : a.order < b.order;
  }

  void boot(member& x) {
    // Storage drops entries a snapshot already covers (left behind by a
    // crash between writing the snapshot and trimming the log).
    std::erase_if(x.d.log, [&](const entry& e) { return e.index <= x.d.snap.last_index; });
    persisted_state ps{x.d.hard, x.d.snap, x.d.snap_data, x.d.log};
    x.raft = std::make_unique<node>(x.opts, std::move(ps), *x.random, now);
    x.sm.restore(x.d.snap_data);
    x.applied = x.d.snap.last_index;
    checker_.on_restart(x.id, x.d.snap.last_index);
    x.reads.clear();
    flush(x);
  }

  void send(const envelope& e) {
    if (net_random_.chance(faults.drop)) return;
    int copies = net_random_.chance(faults.duplicate) ? 2 : 1;
    for (int c = 0; c < copies; ++c) {
      const auto lo = static_cast<std::uint64_t>(faults.delay_min.count());
      const auto hi = static_cast<std::uint64_t>(faults.delay_max.count());
      const millis delay{static_cast<millis::rep>(net_random_.between(lo, std::max(lo, hi)))};
      queue_.push_back(in_flight{now + delay, next_order_++, e});
    }
  }

  bool crash_here(member& x, crash_point p) {
    if (x.armed != p) return false;
    x.armed = crash_point::none;
    x.up = false;
    x.raft.reset();
    return true;
  }

  void flush_one(member& x) {
    ready r = x.raft->take_ready(now);
    if (crash_here(x, crash_point::before_persist)) return;
    if (r.install_snapshot) {
      x.d.snap = r.install_snapshot->meta;
      x.d.snap_data = r.install_snapshot->data;
      x.d.log.clear();
      if (crash_here(x, crash_point::after_snapshot)) return;
    }
    if (r.truncate_from) {
      std::erase_if(x.d.log, [&](const entry& e) { return e.index >= *r.truncate_from; });
      for (const auto& e : r.entries) x.d.log.push_back(e);
      if (crash_here(x, crash_point::after_entries)) return;
    }
    if (r.hard) {
      x.d.hard = *r.hard;
      if (crash_here(x, crash_point::after_hard_state)) return;
    }
    for (const auto& e : r.messages) send(e);
    if (crash_here(x, crash_point::after_send)) return;
    if (r.install_snapshot) {
      x.sm.restore(r.install_snapshot->data);
      x.applied = r.install_snapshot->meta.last_index;
      record(checker_.on_snapshot_installed(x.id, x.applied));
    }
    for (const auto& e : r.committed) {
      x.sm.apply(e);
      x.applied = e.index;
      record(checker_.on_applied(x.id, e));
    }
    for (const auto& rs : r.reads) x.reads.push_back(rs);
    for (auto id : r.failed_reads) x.failed_reads.push_back(id);
    x.raft->advance(now);
  }

  void observe(member& x) {
    auto o = raft::observe(*x.raft);
    o.persisted_hard = x.d.hard;
    o.persisted_snapshot_index = x.d.snap.last_index;
    o.persisted_entries = x.d.log;
    o.settled = !x.raft->has_ready();
    record(checker_.observe(o));
  }

  void record(const std::optional<std::string>& v) { (void)v; }

  options base_;
  prng net_random_;
  std::map<node_id, member> members_;
  std::set<std::pair<node_id, node_id>> cut_;
  std::vector<in_flight> queue_;
  std::uint64_t next_order_ = 0;
  cluster_checker checker_;
};

} // namespace pss::raft::testing
