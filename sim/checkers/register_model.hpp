// The sequential specification of one named secret, for the checker.
//
// Each name is an independent versioned register. A put that takes effect
// creates the next version (versions count from 1 and are never reused). A
// delete is a tombstone: it hides every existing version, so a later get of
// the latest or of any older version is "not found", and it does not itself
// consume a version; the next put continues the count. A get of version k
// sees the value of version k only if no delete came after that put.
//
// The model is pure: step() maps a state and one completed operation to the
// next state, or to nothing when the operation's result is impossible in
// that state. It never sees fail operations (they took no effect) or gets
// that did not complete ok (they observed nothing); an info put or delete
// steps with its effect and no result to check.
//
// The state holds only what the history can observe: the latest value, the
// version count if any operation observes versions, and the values of the
// older versions that some get asks for by number. States that differ only
// in what nobody observes are equal, which is what makes the checker's
// memoization effective.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "checkers/history.hpp"

namespace pss::sim {

struct register_state {
  // Whether the latest version is live (written and not deleted since).
  bool exists = false;
  // The value of the latest version, when it exists.
  value_id latest{};
  // The last version handed out; 0 before the first put, and always 0 when
  // the model does not count versions.
  std::uint64_t versions_used = 0;
  // (version, value) of the live versions some get asks for, oldest first.
  std::vector<std::pair<std::uint64_t, value_id>> remembered;

  friend bool operator==(const register_state&, const register_state&) = default;
  [[nodiscard]] std::size_t hash() const noexcept;
};

struct register_model {
  // Track version numbers. Off when no operation observes a version, so
  // that states differing only in the count are merged.
  bool counts_versions = true;
  // The versions that gets ask for by number, ascending. Only these are
  // remembered once they are no longer the latest.
  std::vector<std::uint64_t> asked_versions;

  // Builds the cheapest model that still sees everything these operations
  // can observe.
  [[nodiscard]] static register_model for_operations(const std::vector<const op_record*>& ops);

  // The state after `record` takes effect in `state`, or nullopt when its
  // ok result cannot be produced from `state`. record.result is ok or info.
  [[nodiscard]] std::optional<register_state> step(const register_state& state,
                                                   const op_record& record) const;
};

} // namespace pss::sim
