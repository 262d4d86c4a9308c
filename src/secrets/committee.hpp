// Committee changes (docs/refresh.md §7): what an operator asks for, the
// record the catalog keeps of the one that runs, and the rules that refuse
// a change before anything changes (§7.6). Pure: the catalog applies these
// rules to a change with the replicated state when it records it, and the
// leader to a fresh view first, for a clear message.
//
// Built: removal, add and replace (§7.3), raising t (§7.4), lowering t
// through a reshare (§7.5) and rotating a member's keys (§7.9).
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "core/bytes.hpp"
#include "core/ids.hpp"
#include "core/result.hpp"
#include "secrets/cluster.hpp"

namespace pss::secrets {

enum class committee_change_kind : std::uint8_t {
  add = 1,       // a new member: learner, recovered, then promoted
  remove = 2,    // a refresh that leaves it out, then the Raft removal
  replace = 3,   // add the new member, then remove the old one
  threshold = 4, // a new t
  rotate = 5,    // new identity and signing keys for a member, in one entry
};

struct committee_change {
  committee_change_kind kind = committee_change_kind::add;
  node_id old_member;               // remove, replace, rotate
  std::optional<member> new_member; // add, replace (its index is the catalog's to give);
                                    // rotate: the member with its new keys
  std::uint32_t threshold = 0;      // threshold: the new t
  bool operator==(const committee_change&) const = default;
};

void encode(byte_writer& out, const committee_change& c);
// Refuses an unknown kind, a member that does not decode, and trailing
// bytes; the rules below judge the rest.
[[nodiscard]] result<committee_change> decode_committee_change(byte_reader& in);
[[nodiscard]] std::string describe(const committee_change& c);

// Where a recorded change stands (docs/refresh.md §7.3). An add (and a
// replace first) is `joining` from the record, which puts the new member in
// the view at the catalog's next index, until a committed Raft configuration
// has it as a voter. A removal (and a replace then) is `excluding` until a
// refresh that leaves the member out commits with no readable version
// listing it; then `removing` until a committed Raft configuration no longer
// has it, when the view drops it and the record ends. A new t is `raising`
// until a refresh that deals polynomials of degree t'-1 commits (§7.4).
enum class committee_step : std::uint8_t { excluding = 1, removing = 2, joining = 3, raising = 4 };
[[nodiscard]] std::string_view to_string(committee_step s) noexcept;

struct committee_record {
  committee_change change;
  committee_step step = committee_step::excluding;
  bool operator==(const committee_record&) const = default;
};

// What the rules need besides the view.
struct committee_context {
  bool change_running = false; // another committee change is recorded and not done
  node_id joining;             // that change's newcomer while it is not a voter yet
  std::uint32_t new_threshold = 0; // that change's new t, if it changes t
  bool rejoin_running = false; // a wiped node's rejoin is not done
  std::set<node_id> up;        // members the leader heard from recently
  const std::vector<member_keys>* retired = nullptr; // keys earlier rotations retired
};
// How many retired key pairs the catalog keeps (one per rotation); a
// rotation beyond that is refused.
inline constexpr std::size_t retired_keys_max = 1024;

// Refuses (invalid_argument, naming the rule) a change that another change
// or a rejoin is running beside (except the removal of a newcomer that is
// not a voter yet, which calls its add off, and setting t to the current t
// while a raise runs, which calls the raise off); a removal that would leave fewer than t+1
// members or fewer up than a Raft majority of the rest; a new member whose
// id is in use or whose box or signing key equals a member's; a threshold
// outside 2..n-1 of the committee after the change or equal to t, or with
// fewer than min(n, t'+1) members up (the round that changes t needs them;
// lowering needs the old t up as well, to reshare); a committee larger
// than members_max; and a rotation that is not the member's own id and
// address with a box key and a signing key that both differ from every
// member's (its own included) and from every key a rotation retired.
[[nodiscard]] status check_committee_change(const cluster_view& view, const committee_change& c,
                                            const committee_context& ctx);

} // namespace pss::secrets
