// Randomized cluster test in the style of TigerBeetle's VOPR: every fault
// probability is drawn from the seed (swarm testing). A safety phase runs a
// 3- or 5-node cluster through drops, duplicates, reordering, symmetric and
// asymmetric partitions, crashes at any persistence point and restarts,
// random proposals, reads, snapshots, leadership transfers and a few
// membership changes, with the cluster checker after every event. A
// liveness phase then heals everything and requires that a leader is
// elected and a new proposal commits on every voter within a bound
// (checklist item 41). A failing seed is printed; rerun it with
// PSS_RAFT_SEED_START=<seed> PSS_RAFT_SEEDS=1.
//
// PSS_RAFT_SEEDS (default 1000) sets how many seeds run.
#include "harness.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>

using namespace pss;
using namespace pss::raft;
using namespace pss::raft::testing;

namespace {

std::uint64_t env_or(const char* name, std::uint64_t fallback) {
  const char* v = std::getenv(name);
  return v ? std::strtoull(v, nullptr, 10) : fallback;
}

struct outcome {
  std::optional<std::string> violation;
  bool live = false;
  std::string note;
  std::uint64_t committed = 0;
  // What the seed exercised, summed over the sweep for the report.
  std::uint64_t config_changes = 0, transfers = 0, reads_served = 0, snapshot_chunks = 0,
                crashes = 0, partitions = 0, messages = 0;
  void add(const outcome& o) {
    committed += o.committed;
    config_changes += o.config_changes;
    transfers += o.transfers;
    reads_served += o.reads_served;
    snapshot_chunks += o.snapshot_chunks;
    crashes += o.crashes;
    partitions += o.partitions;
    messages += o.messages;
  }
};

struct simulation {
  explicit simulation(std::uint64_t seed, bool unsafe)
    : seed(seed), random(seed), c(voters_for(random), options_for(random, unsafe), seed) {
    c.faults.drop = random.unit() * 0.3;
    c.faults.duplicate = random.unit() * 0.3;
    c.faults.delay_min = millis{0};
    c.faults.delay_max = millis{static_cast<millis::rep>(random.between(0, 20))};
    crash_rate = random.unit() * 0.004;
    partition_rate = random.unit() * 0.01;
    if (unsafe) {
      // The planted-bug sweep uses a harsher swarm profile: Figure 8 needs
      // leaders to change often while old-term entries sit on a minority.
      crash_rate = 0.01 + random.unit() * 0.04;
      partition_rate = 0.01 + random.unit() * 0.04;
      c.faults.drop = 0.05 + random.unit() * 0.3;
      c.faults.delay_max = millis{static_cast<millis::rep>(random.between(5, 40))};
      propose_rate = 0.3 + random.unit() * 0.5;
      restart_rate = 0.05;
      prefer_leader_crash = true;
    }
    propose_rate = 0.05 + random.unit() * 0.3;
    compact_rate = random.unit() * 0.01;
    next_node = c.members().size() + 1;
  }

  static std::vector<std::uint64_t> voters_for(prng& r) {
    return r.chance(0.5) ? std::vector<std::uint64_t>{1, 2, 3} : std::vector<std::uint64_t>{1, 2, 3, 4, 5};
  }
  static options options_for(prng& r, bool unsafe) {
    options o;
    o.snapshot_chunk_bytes_max = r.between(16, 512);
    o.inflight_appends_max = r.between(1, 8);
    o.append_batch_entries_max = unsafe ? 1 : r.between(1, 16);
    if (unsafe) {
      // More, and more contested, elections give Figure 8 more chances.
      o.pre_vote = r.chance(0.5);
      o.check_quorum = r.chance(0.5);
      o.election_timeout_min = millis{static_cast<millis::rep>(r.between(40, 150))};
      o.heartbeat_interval = millis{10};
    }
    return o;
  }

  std::vector<std::uint64_t> ids(bool up) {
    std::vector<std::uint64_t> out;
    for (auto& [id, m] : c.members())
      if (m.up == up) out.push_back(id.value());
    return out;
  }
  std::uint64_t pick(const std::vector<std::uint64_t>& v) { return v[random.below(v.size())]; }

  void random_partition() {
    ++stats.partitions;
    c.heal();
    auto all = ids(true);
    for (auto id : ids(false)) all.push_back(id);
    switch (random.below(4)) {
      case 0: return; // healed
      case 1: {       // symmetric split
        std::set<std::uint64_t> side;
        for (auto id : all)
          if (random.chance(0.5)) side.insert(id);
        c.partition(side);
        return;
      }
      case 2: c.isolate(pick(all)); return;
      default: // asymmetric: a few one-way cuts
        for (int k = 0; k < 3; ++k) c.cut(pick(all), pick(all));
    }
  }

  void random_crash() {
    auto up = ids(true);
    if (ids(false).size() >= up.size() - 1 || up.size() < 2) return;
    ++stats.crashes;
    auto victim = pick(up);
    if (auto leader = c.leader(); leader && prefer_leader_crash && random.chance(0.7))
      victim = leader->value();
    if (random.chance(0.5)) {
      c.crash(victim);
    } else {
      // Crash in the middle of the victim's next flush.
      const crash_point points[] = {crash_point::before_persist, crash_point::after_snapshot,
                                    crash_point::after_entries, crash_point::after_hard_state,
                                    crash_point::after_send};
      c.m(victim).armed = points[random.below(5)];
    }
  }

  void random_membership(node_id leader) {
    node& l = c.raft(leader.value());
    const configuration& cfg = l.config();
    if (!cfg.learners.empty()) {
      stats.config_changes += l.propose_config_change(c.now, {config_change_kind::promote_learner, cfg.learners.front()}).ok();
    } else if (cfg.voters.size() > 3 && random.chance(0.5)) {
      stats.config_changes += l.propose_config_change(c.now, {config_change_kind::remove, cfg.voters[random.below(cfg.voters.size())]}).ok();
    } else if (membership_changes < 3) {
      const node_id fresh{next_node};
      auto p = l.propose_config_change(c.now, {config_change_kind::add_learner, fresh});
      if (p.ok()) {
        c.add(fresh, {});
        ++stats.config_changes;
        ++next_node;
        ++membership_changes;
      }
    }
    c.flush(leader.value());
  }

  void step_events() {
    // An armed crash can take the leader down in any flush, so look it up
    // again before each action.
    if (auto leader = c.leader(); leader && random.chance(propose_rate)) {
      (void)c.raft(leader->value()).propose(c.now, data_of("s" + std::to_string(seed) + "-" + std::to_string(proposals++)));
      c.flush(leader->value());
    }
    if (auto leader = c.leader(); leader && random.chance(0.01)) {
      (void)c.raft(leader->value()).read_index(c.now, ++reads);
      c.flush(leader->value());
    }
    if (auto leader = c.leader(); leader && random.chance(0.004)) random_membership(*leader);
    if (auto leader = c.leader(); leader && random.chance(0.002)) {
      const auto& voters = c.raft(leader->value()).config().voters;
      stats.transfers += c.raft(leader->value()).transfer_leadership(c.now, voters[random.below(voters.size())]).ok();
      c.flush(leader->value());
    }
    if (random.chance(partition_rate)) random_partition();
    if (random.chance(crash_rate)) random_crash();
    if (random.chance(restart_rate) && !ids(false).empty()) c.restart(pick(ids(false)));
    if (random.chance(compact_rate) && !ids(true).empty()) c.compact(pick(ids(true)));
  }

  outcome run(millis safety, millis liveness_bound) {
    outcome out;
    const millis step{2};
    while (c.now < safety && !c.violation()) {
      step_events();
      c.run_for(step, step);
    }
    if ((out.violation = c.violation())) return out;
    // Liveness: heal, restart everyone, stop injecting faults.
    c.heal();
    c.faults = network_faults{0, 0, millis{0}, millis{2}};
    for (auto id : ids(false)) c.restart(id);
    for (auto& [id, m] : c.members()) m.armed = crash_point::none;
    const millis healed = c.now;
    std::optional<proposal> probe;
    std::uint64_t prober = 0;
    while (c.now < healed + liveness_bound && !c.violation()) {
      c.run_for(step, step);
      auto leader = c.leader();
      if (!leader) continue;
      if (!probe || prober != leader->value()) {
        auto p = c.raft(leader->value()).propose(c.now, data_of("live"));
        c.flush(leader->value());
        if (p.ok()) {
          probe = *p;
          prober = leader->value();
        }
        continue;
      }
      if (all_voters_applied(*probe)) {
        out.live = true;
        break;
      }
    }
    out.violation = c.violation();
    if (!out.live)
      out.note = "no leader committed a proposal on every voter within " +
                 std::to_string(liveness_bound.count()) + " ms of healing";
    out.committed = c.checker().applied_max().value();
    out.config_changes = stats.config_changes;
    out.transfers = stats.transfers;
    out.crashes = stats.crashes;
    out.partitions = stats.partitions;
    for (auto& [id, m] : c.members()) out.reads_served += m.reads.size();
    out.snapshot_chunks = c.delivered_kinds["install_snapshot"];
    out.messages = c.delivered;
    return out;
  }

  bool all_voters_applied(const proposal& p) {
    auto leader = c.leader();
    if (!leader) return false;
    for (node_id v : c.raft(leader->value()).config().voters) {
      member& m = c.m(v.value());
      if (!m.up || m.applied < p.index) return false;
    }
    return true;
  }

  std::uint64_t seed;
  prng random;
  cluster c;
  bool prefer_leader_crash = false;
  double restart_rate = 0.02;
  double crash_rate = 0, partition_rate = 0, propose_rate = 0, compact_rate = 0;
  std::uint64_t next_node = 0;
  std::uint64_t proposals = 0;
  std::uint64_t reads = 0;
  int membership_changes = 0;
  outcome stats;
};

outcome run_seed(std::uint64_t seed, bool unsafe) {
  std::optional<planted::scoped_arm> bug;
  if (unsafe) bug.emplace(planted::bug::figure8);
  simulation sim{seed, unsafe};
  return sim.run(millis{4000}, millis{6000});
}

} // namespace

TEST_CASE("raft random: 3- and 5-node clusters stay safe under faults and recover after healing (items 7, 18, 24, 41)") {
  const std::uint64_t seeds = env_or("PSS_RAFT_SEEDS", 1000);
  const std::uint64_t start = env_or("PSS_RAFT_SEED_START", 1);
  const auto began = std::chrono::steady_clock::now();
  outcome total;
  for (std::uint64_t seed = start; seed < start + seeds; ++seed) {
    const auto t0 = std::chrono::steady_clock::now();
    auto out = run_seed(seed, false);
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
    if (std::getenv("PSS_RAFT_VERBOSE") || ms > 1000)
      std::printf("seed %llu: %lld ms, applied %llu\n", static_cast<unsigned long long>(seed),
                  static_cast<long long>(ms), static_cast<unsigned long long>(out.committed));
    total.add(out);
    if (out.violation || !out.live) {
      std::printf("raft random: seed %llu failed: %s\n", static_cast<unsigned long long>(seed),
                  out.violation ? out.violation->c_str() : out.note.c_str());
      std::printf("reproduce: PSS_RAFT_SEED_START=%llu PSS_RAFT_SEEDS=1 unit_raft_random\n",
                  static_cast<unsigned long long>(seed));
    }
    REQUIRE_MESSAGE(!out.violation, "seed ", seed, ": ", out.violation.value_or(""));
    REQUIRE_MESSAGE(out.live, "seed ", seed, ": ", out.note);
  }
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - began);
  auto u = [](std::uint64_t v) { return static_cast<unsigned long long>(v); };
  std::printf("raft random: %llu seeds in %lld ms: %llu messages delivered, %llu entries committed "
              "(sum of highest applied index), %llu crashes, %llu partition changes, %llu config "
              "changes proposed, %llu transfers started, %llu reads served, %llu snapshot chunks\n",
              u(seeds), static_cast<long long>(took.count()), u(total.messages), u(total.committed),
              u(total.crashes), u(total.partitions), u(total.config_changes), u(total.transfers),
              u(total.reads_served), u(total.snapshot_chunks));
}

// The planted Figure 8 bug must be caught within the seeds. A PSS_CHECK
// (for example a follower refusing to truncate a committed entry) aborts, so
// the sweep runs in a child process: either the checker reports a violation
// or an invariant aborts the child; both count as caught.
TEST_CASE("raft random: the sweep catches the planted commit-by-counting bug") {
  // Figure 8 needs a rare interleaving (about 1 seed in 250 with the harsh
  // profile), so this sweep may look at up to four times as many seeds; it
  // stops at the first one that catches the bug.
  const std::uint64_t seeds = 4 * env_or("PSS_RAFT_SEEDS", 1000);
  std::fflush(stdout);
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    const bool count_all = std::getenv("PSS_RAFT_PLANTED_COUNT") != nullptr;
    std::uint64_t caught = 0;
    for (std::uint64_t seed = 1; seed <= seeds; ++seed) {
      auto out = run_seed(seed, true);
      if (out.violation && count_all) {
        ++caught;
        continue;
      }
      if (out.violation) {
        std::printf("raft random (planted bug): seed %llu caught by the checker: %s\n",
                    static_cast<unsigned long long>(seed), out.violation->c_str());
        std::fflush(stdout);
        _exit(3);
      }
    }
    if (count_all) std::printf("planted bug caught by the checker in %llu of %llu seeds\n",
                               static_cast<unsigned long long>(caught), static_cast<unsigned long long>(seeds));
    std::fflush(stdout);
    _exit(0);
  }
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  const bool by_checker = WIFEXITED(status) && WEXITSTATUS(status) == 3;
  const bool by_abort = WIFSIGNALED(status);
  if (by_abort) std::printf("raft random (planted bug): an invariant check aborted the run\n");
  CHECK((by_checker || by_abort));
}
