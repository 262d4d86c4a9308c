// The simulator seed sweep: many seeds across every profile and both
// cluster sizes, each a full run (faults, then healing and liveness). A
// failing seed prints the command that reproduces it.
//
// PSS_SIM_SEEDS (default 1000) sets how many seeds run; PSS_SIM_SEED_START
// (default 1) where they start; PSS_SIM_SECONDS (default 5) the simulated
// safety phase of each.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "sim/simulator.hpp"

using namespace pss;
using namespace pss::sim;

namespace {

std::uint64_t env_or(const char* name, std::uint64_t fallback) {
  const char* v = std::getenv(name);
  return v ? std::strtoull(v, nullptr, 10) : fallback;
}

} // namespace

TEST_CASE("sim sweep: every seed of every profile stays safe and recovers after healing") {
  const std::uint64_t seeds = env_or("PSS_SIM_SEEDS", 1000);
  const std::uint64_t start = env_or("PSS_SIM_SEED_START", 1);
  const double seconds = static_cast<double>(env_or("PSS_SIM_SECONDS", 5));
  const auto began = std::chrono::steady_clock::now();
  std::uint64_t committed = 0, puts = 0, faults = 0, ok = 0;
  for (std::uint64_t seed = start; seed < start + seeds; ++seed) {
    sim_options o;
    o.seed = seed;
    o.profile = profile_names[seed % 5];
    o.nodes = seed % 2 == 0 ? 5 : 3;
    o.seconds = seconds;
    simulation s{o};
    const auto r = s.run();
    committed += r.entries_committed;
    puts += r.puts_acked;
    for (const auto& [kind, n] : r.faults) faults += n;
    if (r.ok && r.live) {
      ++ok;
      continue;
    }
    std::printf("sim sweep: seed %llu failed: %s\nreproduce: %s\n",
                static_cast<unsigned long long>(seed),
                r.ok ? "lost liveness after healing" : r.violations.front().c_str(),
                reproduce_command(o).c_str());
    CHECK_MESSAGE(false, "seed ", seed);
  }
  CHECK(ok == seeds);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - began).count();
  std::printf("sim sweep: %llu/%llu seeds ok in %lld ms; %llu entries committed, %llu puts acked, %llu faults injected\n",
              static_cast<unsigned long long>(ok), static_cast<unsigned long long>(seeds),
              static_cast<long long>(ms), static_cast<unsigned long long>(committed),
              static_cast<unsigned long long>(puts), static_cast<unsigned long long>(faults));
}
