// The simulator's linearizability checker for the secret store's clients.
//
// Given a history of put, get and delete operations (each an invoke and a
// completion on the simulated clock, see history.hpp), it decides whether
// some total order of the operations respects real time (an operation that
// completed before another was invoked comes first) and matches the
// sequential register model (register_model.hpp). Each name is checked on
// its own, which is sound because linearizability is local: a history is
// linearizable if each object's is (Herlihy and Wing 1990, "locality").
//
// The search is Wing and Gong's, with Lowe's memoization of (linearized set,
// model state) as in Porcupine. Operations that failed are dropped; gets
// that did not complete ok are dropped; an info put or delete may take
// effect at any point after its invoke, or never. Two reductions that lose
// no linearization keep histories with many timeouts fast: values no get
// returned are merged into one, and interchangeable timed-out puts and
// deletes are taken in invoke order (see linearizability.cpp). At equal
// times an invoke sorts before a completion, so operations that touch at
// one instant count as concurrent. The search is bounded by a number of
// explored states, and hitting the bound yields "unknown", never a hang.
// The checker is pure and deterministic: no clocks, no threads, no
// randomness, and names are visited in sorted order.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "checkers/history.hpp"

namespace pss::sim {

// Distinct (linearized set, model state) pairs one name may explore before
// the checker gives up with verdict::unknown. Seeded 200-operation histories
// with five clients need a few thousand; reaching the limit took about four
// seconds and 140 MB on a hand-made worst case (22 concurrent puts).
inline constexpr std::uint64_t linearizability_states_max = 1'000'000;

enum class verdict : std::uint8_t {
  ok,        // linearizable
  violation, // no linearization exists
  unknown,   // the search limit was reached first
  malformed, // the history itself is broken (see collect_operations)
};

[[nodiscard]] std::string_view to_string(verdict v) noexcept;

struct check_options {
  std::uint64_t states_max = linearizability_states_max;
};

// The verdict for one name that was not ok.
struct name_finding {
  std::string name;
  verdict result = verdict::ok;
  // Several lines: the operation that could not be linearized, the longest
  // linearizable prefix the search found, and the model state after it.
  std::string explanation;
  std::uint64_t states_explored = 0;
};

struct linearizability_report {
  // malformed, else violation if any name has one, else unknown if any name
  // hit the limit, else ok.
  verdict overall = verdict::ok;
  // One entry per name that is not ok, in name order.
  std::vector<name_finding> findings;
  // Set when overall is malformed; names the offending event.
  std::string malformed_reason;
  std::size_t names_checked = 0;
  std::size_t operations_checked = 0;
  std::uint64_t states_explored = 0;

  [[nodiscard]] bool ok() const noexcept { return overall == verdict::ok; }
  // A readable multi-line summary, ending with every finding.
  [[nodiscard]] std::string describe() const;
};

[[nodiscard]] linearizability_report check_linearizability(const history& h,
                                                           const check_options& options = {});

// The verdict for the operations of one name (all with the same name).
[[nodiscard]] name_finding check_name(const std::string& name,
                                      const std::vector<const op_record*>& ops,
                                      const check_options& options = {});

} // namespace pss::sim
