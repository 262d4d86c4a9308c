// Strong identifier types for pss.
//
// Every protocol number that could be confused with another (a node id with a
// term, a log index with an epoch) gets its own type, so swapping two of them
// is a compile error instead of a silent bug. The types are plain values:
// cheap to copy, totally ordered, printable and hashable. Zero is reserved as
// "none" for node ids; for terms, indices and epochs zero is the natural
// starting point.
#pragma once

#include <compare>
#include <cstdint>
#include <functional>
#include <ostream>

namespace pss {

template <class Tag, class Rep = std::uint64_t>
class strong_id {
public:
  using rep_type = Rep;

  constexpr strong_id() noexcept = default;
  constexpr explicit strong_id(Rep value) noexcept : value_(value) {}

  [[nodiscard]] constexpr Rep value() const noexcept { return value_; }

  constexpr auto operator<=>(const strong_id&) const noexcept = default;

  // The successor and predecessor, for counters such as terms and indices.
  [[nodiscard]] constexpr strong_id next() const noexcept {
    return strong_id{static_cast<Rep>(value_ + 1)};
  }
  [[nodiscard]] constexpr strong_id prev() const noexcept {
    return strong_id{static_cast<Rep>(value_ - 1)};
  }

  friend std::ostream& operator<<(std::ostream& os, strong_id id) {
    return os << Tag::prefix << +id.value_;
  }

private:
  Rep value_ = 0;
};

struct node_id_tag { static constexpr const char* prefix = "n"; };
struct term_tag { static constexpr const char* prefix = "t"; };
struct log_index_tag { static constexpr const char* prefix = "i"; };
struct epoch_tag { static constexpr const char* prefix = "e"; };
struct share_index_tag { static constexpr const char* prefix = "x"; };
struct client_id_tag { static constexpr const char* prefix = "c"; };
struct sequence_tag { static constexpr const char* prefix = "s"; };
struct version_tag { static constexpr const char* prefix = "v"; };

// A cluster member. node_id{0} means "no node" (no vote, no known leader).
using node_id = strong_id<node_id_tag>;
// A Raft term (Raft §5.1).
using term_id = strong_id<term_tag>;
// A position in the replicated log; the first entry has index 1.
using log_index = strong_id<log_index_tag>;
// A proactive-refresh epoch; shares of different epochs never combine.
using epoch_id = strong_id<epoch_tag>;
// A Shamir evaluation point x in 1..n. Zero is never a valid share index.
using share_index = strong_id<share_index_tag, std::uint32_t>;
// A client session, for exactly-once commands.
using client_id = strong_id<client_id_tag>;
// A request sequence number within a client session.
using sequence_number = strong_id<sequence_tag>;
// A version of a named secret; the first version is 1.
using secret_version = strong_id<version_tag>;

inline constexpr node_id no_node{};

} // namespace pss

template <class Tag, class Rep>
struct std::hash<pss::strong_id<Tag, Rep>> {
  std::size_t operator()(pss::strong_id<Tag, Rep> id) const noexcept {
    return std::hash<Rep>{}(id.value());
  }
};
