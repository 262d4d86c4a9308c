// Who sent a reply, as the client hosts see it (issue 12, "a client that
// checks every reply"): the authenticated connection it came over, never the
// `from` it claims. One function for every client host (remote_client over
// CAF's middleman, the simulator's network), so that the rule cannot diverge
// and its planted bug (`unbound-sender`) sits in one place. CAF-free.
#pragma once

#include <optional>

#include "core/planted.hpp"
#include "secrets/engine.hpp"

namespace pss::actors {

// `link`: the peer at the other end of the connection, if known. nullopt:
// the message claims another sender than its connection's, or came over no
// known connection; the host drops it and counts it.
[[nodiscard]] inline std::optional<secrets::endpoint> attributed_sender(secrets::endpoint claimed,
                                                                       std::optional<secrets::endpoint> link) {
  if (planted::armed(planted::bug::unbound_sender)) return claimed;
  if (!link || *link != claimed) return std::nullopt;
  return link;
}

} // namespace pss::actors
