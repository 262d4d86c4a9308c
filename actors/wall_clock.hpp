// The wall clock for the cores, which see only a monotonic `now` (the steady
// clock): signed requests carry wall-clock times, so the shells hand each
// engine the offset from the steady clock to unix time once, at start.
#pragma once

#include <chrono>

#include "access/policy.hpp"

namespace pss::actors {

// Unix time in ms minus the steady clock in ms, measured now.
[[nodiscard]] inline access::unix_ms wall_clock_offset() {
  using namespace std::chrono;
  const auto wall = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  const auto steady = duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
  return static_cast<access::unix_ms>(wall - steady);
}

} // namespace pss::actors
