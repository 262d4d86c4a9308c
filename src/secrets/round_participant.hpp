// A member's part in a round (docs/refresh.md §3), as a decision without
// I/O: given the round as the catalog holds it and what this node has done
// so far, which steps to take now. Pure, like round_leader.hpp;
// round_member::step opens the bundles that arrived, asks plan_part, and
// performs each step (deal, send, respond, reveal, finish, recover).
#pragma once

#include <chrono>
#include <optional>
#include <vector>

#include "core/ids.hpp"
#include "secrets/catalog.hpp"

namespace pss::secrets {

using millis = std::chrono::milliseconds;

// What the decision needs of this node's private work in the round.
struct part_progress {
  bool dealt = false;                 // its dealing is made (and forwarded once)
  std::optional<millis> closed_at;    // when it saw dealing close
  bool dealers_settled = false;       // every dealer's bundle opened, bad or unmatched
  bool responded = false;             // it sent its response once (the log may not show it yet)
  bool resend = false;                // a resend tick is due now
  millis phase_timeout{0};
};

enum class part_step : std::uint8_t {
  deal,           // make the dealing, send its bundles, forward its commitments
  resend_dealing, // its dealing is not in the log yet: send the bundles and forward it again
  resend_bundles, // resend the bundles receivers still miss
  respond,        // answer for every dealer (good, bad, missing)
  reveal,         // answer the disputes against it
  finish_refresh, // store the new shares, erase the old, say ready
  send_masked,    // as a recovery's helper: send the target its masked values
  recover,        // as a recovery's target: rebuild its shares
};

[[nodiscard]] std::vector<part_step> plan_part(const round_state& r, node_id self, const part_progress& p,
                                               millis now);

} // namespace pss::secrets
