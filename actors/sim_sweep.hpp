// Running simulator seeds in forked children, one at a time or a sweep of
// them in parallel (`pss sim --seeds A..B --jobs N`).
//
// Each seed runs in its own child process so that a PSS_CHECK abort inside a
// core (which is how some invariants fail) is reported as a safety violation
// of that seed instead of ending the sweep, and so that N children use N
// cores. A sweep prints one line per failing seed, in seed order whatever
// order the children finish in, then a total line. The simulated path never
// reads the wall clock; only the reports of speed on stderr do.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "sim/simulator.hpp"

namespace pss::cli {

// An inclusive range a sweep draws a value from, per seed.
struct size_range {
  std::size_t min = 0;
  std::size_t max = 0;
};

// What varies from seed to seed in a sweep. The draw depends on the seed
// only, so a failing seed's reproduce line names the values it ran with.
struct sweep_draw {
  std::optional<size_range> nodes;
  std::optional<size_range> clients;
  // With a range of nodes and no --threshold: t is a majority of the drawn
  // nodes (at least 2 with --engine secrets).
  bool threshold_from_nodes = false;
};

// The options one seed of a sweep runs with.
[[nodiscard]] sim::sim_options options_for_seed(sim::sim_options base, const sweep_draw& draw,
                                                std::uint64_t seed);

// Runs one seed verbosely (progress, reproduce line, JSON) and returns its
// exit code.
[[nodiscard]] int run_one_seed(const sim::sim_options& options);

struct sweep_request {
  sim::sim_options base;
  sweep_draw draw;
  std::uint64_t first = 0;
  std::uint64_t last = 0;
  unsigned jobs = 1;
  bool stop_at_first_failure = false;
};

// Runs the sweep and returns its exit code: 1 if any seed violated safety or
// aborted, else 3 if any lost liveness, else 0.
[[nodiscard]] int run_sweep(const sweep_request& request);

} // namespace pss::cli
