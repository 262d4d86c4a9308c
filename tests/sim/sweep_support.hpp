// The CI seed sweeps' shared loop: run each seed in this process, print the
// reproduce line of every failing one, and sum what the sweep exercised, so
// a sweep can also require that its faults and rounds happened at all.
// Node and client counts are drawn per seed (3..7 nodes, 1..16 clients).
#pragma once

#include <doctest/doctest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <string>

#include "sim/simulator.hpp"

namespace pss::sim::testing {

inline std::uint64_t env_or(const char* name, std::uint64_t fallback) {
  const char* v = std::getenv(name);
  return v ? std::strtoull(v, nullptr, 10) : fallback;
}

// 3..7 nodes, 1..16 clients, t a majority (at least 2 with the secrets engines).
inline const sweep_draw ci_draw{size_range{3, 7}, size_range{1, 16}, true};

struct sweep_totals {
  std::uint64_t seeds = 0, ok = 0;
  std::map<std::string, std::uint64_t> sums; // counters and faults, summed
  std::uint64_t sum(const std::string& k) const {
    auto it = sums.find(k);
    return it == sums.end() ? 0 : it->second;
  }
};

// Runs seeds [start, start + count) with options_of(seed), checking each.
inline sweep_totals run_seeds(const char* label, std::uint64_t start, std::uint64_t count,
                              const std::function<sim_options(std::uint64_t)>& options_of,
                              const std::function<void(const sim_report&)>& per_run = {}) {
  const auto began = std::chrono::steady_clock::now();
  sweep_totals t;
  for (std::uint64_t seed = start; seed < start + count; ++seed) {
    const sim_options o = options_of(seed);
    simulation s{o};
    const auto r = s.run();
    ++t.seeds;
    t.sums["puts_acked"] += r.puts_acked;
    t.sums["secrets_verified"] += r.secrets_verified;
    t.sums["entries_committed"] += r.entries_committed;
    t.sums["refresh_epochs_committed"] += r.refresh_epochs_committed;
    t.sums["dealers_excluded"] += r.dealers_excluded;
    t.sums["recoveries"] += r.recoveries;
    t.sums["rejoins"] += r.rejoins;
    t.sums["share_epochs_checked"] += r.share_epochs_checked;
    t.sums["complaints_resolved"] += r.complaints_resolved;
    t.sums["liars_excluded"] += r.liars_excluded;
    t.sums["dealers_convicted"] += r.dealers_convicted;
    t.sums["honest_excluded"] += r.honest_excluded;
    t.sums["shares_lost_refused"] += r.shares_lost_refused;
    t.sums["shares_lost_throttled"] += r.shares_lost_throttled;
    t.sums["max_epoch_age_ms"] = std::max(t.sums["max_epoch_age_ms"], r.max_epoch_age_ms);
    for (const auto& [kind, n] : r.faults) t.sums["fault:" + kind] += n;
    for (const auto& [kind, n] : r.checks) t.sums["check:" + kind] += n;
    for (const auto& [kind, n] : r.adversary) t.sums["adversary:" + kind] += n;
    t.sums["adversary_shares_max"] = std::max(t.sums["adversary_shares_max"], r.adversary_shares_max);
    if (per_run) per_run(r);
    if (r.ok && r.live) {
      ++t.ok;
      continue;
    }
    std::printf("%s: seed %llu failed: %s\nreproduce: %s\n", label, static_cast<unsigned long long>(seed),
                r.ok ? "lost liveness after healing" : r.violations.front().c_str(), reproduce_command(o).c_str());
    CHECK_MESSAGE(false, "seed ", seed);
  }
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - began).count();
  std::printf("%s: %llu/%llu seeds ok in %lld ms;", label, static_cast<unsigned long long>(t.ok),
              static_cast<unsigned long long>(t.seeds), static_cast<long long>(ms));
  for (const auto& [k, v] : t.sums)
    if (v > 0) std::printf(" %s=%llu", k.c_str(), static_cast<unsigned long long>(v));
  std::printf("\n");
  return t;
}

} // namespace pss::sim::testing
