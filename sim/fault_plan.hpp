// The faults one simulated seed injects, every probability drawn from the
// seed (swarm testing, as in TigerBeetle's VOPR), the Raft options a seed
// runs with, and the trace hash. Included by simulator.cpp only; no CAF.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <string>

#include "core/bytes.hpp"
#include "core/prng.hpp"
#include "raft/node.hpp"
#include "sim/simulator.hpp"

namespace pss::sim {

// The faults one seed injects, every probability drawn from the seed.
struct fault_plan {
  double drop = 0;
  double duplicate = 0;
  std::uint64_t delay_min_ms = 1;
  std::uint64_t delay_max_ms = 5;
  double partition = 0; // per chaos step: form a new partition
  double heal = 0.05;   // per chaos step, while partitioned
  double crash = 0;     // per chaos step
  double restart = 0.05;
  double mid_flush = 0; // share of crashes that hit the middle of a flush
  double wipe = 0;      // share of crashes that also wipe the disk
  double transfer = 0;  // per chaos step: the leader hands leadership to a random voter
  double stick = 0;     // share of partitions that cut the leader off with clients stuck to it
  double corrupt = 0;   // secrets mode: share of share replies corrupted or re-labelled on the wire
  bool prefer_leader = false;
  // The Figure 8 schedule (Raft §5.4.2): fast chaos steps, crashes aimed at
  // the leader, one entry per append and dense proposals, so that entries of
  // earlier terms lie around on minorities when leaders change.
  bool figure8 = false;
  // Snapshot (and compact) once this many entries were applied after the
  // last snapshot: often, so that restarts from a snapshot taken in the
  // middle of a round, and InstallSnapshot, are common.
  std::uint64_t snapshot_every = 64;
  millis step{10}; // how often the nemesis considers a fault

  [[nodiscard]] bool chaos() const { return partition > 0 || crash > 0 || transfer > 0; }
  [[nodiscard]] std::string describe() const {
    char line[400];
    std::snprintf(line, sizeof line,
                  "drop=%.3f dup=%.3f delay=%llu..%llums partition=%.4f heal=%.3f crash=%.4f "
                  "restart=%.3f mid_flush=%.2f wipe=%.2f transfer=%.4f stick=%.2f corrupt=%.2f%s",
                  drop, duplicate, static_cast<unsigned long long>(delay_min_ms),
                  static_cast<unsigned long long>(delay_max_ms), partition, heal, crash, restart,
                  mid_flush, wipe, transfer, stick, corrupt, figure8 ? " figure8" : "");
    return line;
  }
};

inline void draw_network(fault_plan& p, prng& r) {
  p.drop = r.unit() * 0.3;
  p.duplicate = r.unit() * 0.3;
  p.delay_min_ms = r.between(0, 2);
  p.delay_max_ms = p.delay_min_ms + r.between(1, 50);
}
inline void draw_partitions(fault_plan& p, prng& r) {
  p.partition = 0.002 + r.unit() * 0.02;
  p.heal = 0.01 + r.unit() * 0.1;
  p.stick = r.unit() * 0.5;
}
inline void draw_crashes(fault_plan& p, prng& r) {
  p.crash = 0.001 + r.unit() * 0.01;
  p.restart = 0.01 + r.unit() * 0.1;
  p.mid_flush = r.unit() * 0.6;
  p.wipe = r.unit() * 0.15;
}

// Figure 8 needs leaders to change often while entries of older terms sit
// on a minority (the harsh profile of the Raft unit sweep), per 2 ms step.
inline void draw_figure8(fault_plan& p, prng& r) {
  p.figure8 = true;
  p.step = millis{2};
  p.crash = 0.01 + r.unit() * 0.04;
  p.restart = 0.05;
  p.mid_flush = 0.5;
  p.partition = 0.01 + r.unit() * 0.04;
  p.heal = 0.05 + r.unit() * 0.1;
  p.drop = r.unit() * 0.1;
  p.delay_max_ms = r.between(5, 20);
  p.prefer_leader = true;
  p.wipe = 0;
}

inline fault_plan draw_plan(const sim_options& o, prng& r) {
  fault_plan p;
  p.delay_max_ms = r.between(1, 10);
  if (o.profile == "faults") {
    draw_network(p, r);
  } else if (o.profile == "partitions") {
    draw_partitions(p, r);
    p.drop = r.unit() * 0.05;
  } else if (o.profile == "crashes") {
    draw_crashes(p, r);
  } else if (o.profile == "swarm" || o.profile == "refresh-faults" || o.profile == "byzantine"
             || o.profile == "membership") {
    if (r.chance(0.5)) draw_network(p, r);
    if (r.chance(0.5)) draw_partitions(p, r);
    if (r.chance(0.5)) draw_crashes(p, r);
    // refresh-faults: a crash often loses data (its share journal or, half
    // the time, its whole disk; at most once per run), so recovery and the
    // rejoin of a wiped node are exercised.
    if (o.profile == "refresh-faults" && p.crash > 0) p.wipe = 0.6 + r.unit() * 0.4;
  }
  // Leadership moves by transfer too (thesis §3.10), so that a candidate
  // wins without PreVote's check or a leader's timeout.
  if (o.profile == "swarm" || o.profile == "partitions" || o.profile == "crashes" || o.profile == "byzantine")
    if (r.chance(0.5)) p.transfer = 0.001 + r.unit() * 0.01;
  // byzantine: leadership moves often, so that the Byzantine nodes lead
  // at times and serve the clients' catalog reads.
  if (o.profile == "byzantine" && p.transfer == 0) p.transfer = 0.002 + r.unit() * 0.01;
  p.snapshot_every = r.between(8, 256);
  // Share replies corrupted or re-labelled on the wire (secrets engines).
  if ((o.profile == "swarm" || o.profile == "refresh-faults" || o.profile == "byzantine") && r.chance(0.5))
    p.corrupt = 0.05 + r.unit() * 0.3;
  // One swarm seed in four runs the Figure 8 schedule.
  if (o.profile == "swarm" && r.chance(0.25)) draw_figure8(p, r);
  // "refresh" keeps the calm network: refresh rounds and recovery alone.
  return p;
}

// PreVote and CheckQuorum are drawn per run: with PreVote always on, a vote
// granted without the log check is masked by the pre-vote's own check.
inline raft::options raft_options_for(const fault_plan& p, prng& r) {
  raft::options opts;
  opts.trace_reads = true; // for the read-freshness checker
  opts.pre_vote = r.chance(0.5);
  opts.check_quorum = r.chance(0.75);
  if (p.figure8) {
    opts.append_batch_entries_max = 1;
    opts.inflight_appends_max = r.between(1, 2);
    opts.election_timeout_min = millis{static_cast<millis::rep>(r.between(40, 150))};
    opts.heartbeat_interval = millis{10};
  } else {
    opts.append_batch_entries_max = r.between(1, 64);
    opts.inflight_appends_max = r.between(1, 8);
  }
  return opts;
}

// FNV-1a over 64-bit words: the trace hash.
struct trace_hasher {
  std::uint64_t h = 1469598103934665603ull;
  void add(std::uint64_t v) {
    for (int i = 0; i < 8; ++i) {
      h ^= (v >> (8 * i)) & 0xff;
      h *= 1099511628211ull;
    }
  }
  void add(byte_view data) {
    add(data.size());
    for (auto b : data) {
      h ^= b;
      h *= 1099511628211ull;
    }
  }
};

} // namespace pss::sim
