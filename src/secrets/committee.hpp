// Committee changes (docs/refresh.md §7): what an operator asks for, and the
// rules that refuse a change before anything changes (§7.6). Pure: the
// catalog will apply these rules to a recorded change with the replicated
// state, and the CLI to a fresh view first, for a clear message.
//
// Not wired yet: no command carries a committee_change, and nothing applies
// one (docs/refresh.md §7, "Status").
#pragma once

#include <cstdint>
#include <optional>
#include <set>

#include "core/ids.hpp"
#include "core/result.hpp"
#include "secrets/cluster.hpp"

namespace pss::secrets {

enum class committee_change_kind : std::uint8_t {
  add = 1,       // a new member: learner, recovered, then promoted
  remove = 2,    // a refresh that leaves it out, then the Raft removal
  replace = 3,   // add the new member, then remove the old one
  threshold = 4, // a new t
};

struct committee_change {
  committee_change_kind kind = committee_change_kind::add;
  node_id old_member;               // remove, replace
  std::optional<member> new_member; // add, replace (its index is the catalog's to give)
  std::uint32_t threshold = 0;      // threshold: the new t
};

// What the rules need besides the view.
struct committee_context {
  bool change_running = false; // another committee change is recorded and not done
  bool rejoin_running = false; // a wiped node's rejoin is not done
  std::set<node_id> up;        // members the leader heard from recently
};

// Refuses (invalid_argument, naming the rule) a change that another change
// or a rejoin is running beside; a removal that would leave fewer than t+1
// members or fewer up than a Raft majority of the rest; a new member whose
// id is in use or whose box or signing key equals a member's; a threshold
// outside 2..n-1 of the committee after the change, or equal to t; and a
// committee larger than members_max.
[[nodiscard]] status check_committee_change(const cluster_view& view, const committee_change& c,
                                            const committee_context& ctx);

} // namespace pss::secrets
