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

using sim::size_range;
using sim::sweep_draw;

// Runs one seed verbosely (progress, reproduce line, JSON) and returns its
// exit code.
[[nodiscard]] int run_one_seed(const sim::sim_options& options);

struct sweep_request {
  sim::sim_options base;
  sim::sweep_draw draw;
  std::uint64_t first = 0;
  std::uint64_t last = 0;
  unsigned jobs = 1;
  bool stop_at_first_failure = false;
  // A seed still running after this much wall time is killed and reported
  // as a failure (timeout); 0: no limit.
  unsigned seed_timeout_seconds = 300;
};

// Runs the sweep and returns its exit code: 1 if any seed violated safety or
// aborted, else 3 if any lost liveness or timed out, else 0.
[[nodiscard]] int run_sweep(const sweep_request& request);

} // namespace pss::cli
