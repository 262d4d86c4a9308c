// The simulator seed sweep: many seeds across every profile, with 3..7 nodes
// and 1..16 clients drawn per seed, each a full run (faults, then healing and
// liveness). A failing seed prints the command that reproduces it.
//
// PSS_SIM_SEEDS (default 1000) sets how many seeds run; PSS_SIM_SEED_START
// (default 1) where they start; PSS_SIM_SECONDS (default 5) the simulated
// safety phase of each.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "sim/simulator.hpp"
#include "sweep_support.hpp"

using namespace pss;
using namespace pss::sim;

TEST_CASE("sim sweep: every seed of every profile stays safe and recovers after healing") {
  const std::uint64_t seeds = testing::env_or("PSS_SIM_SEEDS", 1000);
  const std::uint64_t start = testing::env_or("PSS_SIM_SEED_START", 1);
  const double seconds = static_cast<double>(testing::env_or("PSS_SIM_SECONDS", 5));
  const auto t = testing::run_seeds("sim sweep", start, seeds, [&](std::uint64_t seed) {
    sim_options o;
    o.profile = profile_names[seed % 5];
    o.seconds = seconds;
    return options_for_seed(o, testing::ci_draw, seed);
  });
  CHECK(t.ok == seeds);
  CHECK(t.sum("puts_acked") > 0);
  // The faults the blind spots needed did happen somewhere in the sweep.
  for (const char* kind : {"fault:transfer", "fault:partition_stuck_clients", "fault:crash_mid_flush",
                           "check:reads_fresh", "check:durable_sends"})
    CHECK_MESSAGE(t.sum(kind) > 0, kind);
}
