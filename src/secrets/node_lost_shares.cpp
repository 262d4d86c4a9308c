// A node's shares lost and its recovery asked for (docs/refresh.md,
// "Recovery"): noticing that the catalog lists it for shares it lacks,
// declaring that once per loss under a nonce, the leader's throttle on such
// declarations, and asking for the recovery of what can be rebuilt.
#include <algorithm>
#include <array>

#include "secrets/node_engine.hpp"

namespace pss::secrets {

// Asks the leader for a recovery of what this node misses and a recovery
// can rebuild; warns, once per refresh interval, about what none can.
void node_engine::ask_for_recovery(millis now) {
  const std::size_t missing = catalog_.missing_for(keys_.id).size();
  const std::size_t recoverable = catalog_.recoverable_for(keys_.id).size();
  if (missing > recoverable
      && (!unrecoverable_warned_at_ || now >= *unrecoverable_warned_at_ + options_.refresh_interval)) {
    unrecoverable_warned_at_ = now;
    event("warning: " + std::to_string(missing - recoverable) +
          " refreshed shares this node misses have t holders left; a recovery needs t+1 helpers after a refresh, "
          "so they stay missing (readable from their holders) until the cluster has more members");
  }
  if (recoverable == 0) return;
  if (core().role() == raft::role::leader) queue_.recoveries.insert(keys_.id);
  else forward(now, round_begin{round_kind::recovery, catalog_.last_round_id() + 1, keys_.id});
}

// The leader proposes one node's shares_lost at most once per refresh
// interval: each costs the cluster a recovery round, and a node that keeps
// declaring its shares lost must not turn rounds into recoveries. A resend
// of the declaration just proposed (same nonce) goes through, in case the
// proposal was lost.
bool node_engine::admit_shares_lost(millis now, const shares_lost& l) {
  auto [it, fresh] = lost_admitted_.try_emplace(l.node, lost_admission{now, l.nonce});
  if (fresh || it->second.nonce == l.nonce || now >= it->second.at + options_.refresh_interval) {
    it->second = lost_admission{now, l.nonce};
    return true;
  }
  ++counters_.shares_lost_throttled;
  return false;
}

// One nonce per declaration, resent unchanged until it applies.
std::uint64_t node_engine::lost_nonce() {
  while (!lost_nonce_ || *lost_nonce_ == 0) {
    std::array<std::uint8_t, 8> b{};
    random_->fill(b);
    std::uint64_t v = 0;
    for (auto x : b) v = v << 8 | x;
    lost_nonce_ = v;
  }
  return *lost_nonce_;
}

// Whether this node is a listed holder of some version of `name` whose live
// share it does not hold.
bool node_engine::name_short(const std::string& name, const secret_record& s) const {
  for (const auto& [v, rec] : s.versions)
    if (std::find(rec.holders.begin(), rec.holders.end(), keys_.id) != rec.holders.end()
        && !shares_->holds_live_from(name, v, rec.epoch, rec.commitments_digest))
      return true;
  return false;
}

// Rescans every version only after a change the apply did not name (a
// round's end, a snapshot, a declaration, a rejoin; and at start), else only
// the names registered, deleted or trimmed since: a node holding a million
// secrets does not walk them all every few seconds.
bool node_engine::holds_less_than_listed() {
  if (holder_check_all_) {
    short_names_.clear();
    for (const auto& [name, s] : catalog_.secrets())
      if (name_short(name, s)) short_names_.insert(name);
  } else {
    for (const auto& name : holder_check_names_) {
      const secret_record* s = catalog_.find(name);
      if (s != nullptr && name_short(name, *s)) short_names_.insert(name);
      else short_names_.erase(name);
    }
  }
  holder_check_all_ = false;
  holder_check_names_.clear();
  return !short_names_.empty();
}

} // namespace pss::secrets
