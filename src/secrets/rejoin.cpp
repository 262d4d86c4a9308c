#include "secrets/rejoin.hpp"

#include "core/check.hpp"

namespace pss::secrets {

rejoin_machine::rejoin_machine(node_id self, std::optional<std::uint64_t> nonce, millis request_interval,
                               millis propose_interval)
    : self_(self), nonce_(nonce), request_interval_(request_interval), propose_interval_(propose_interval) {
  PSS_CHECK(request_interval_ > millis{0});
  PSS_CHECK(propose_interval_ > millis{0});
}

bool rejoin_machine::unrecorded(const catalog& c) const {
  return nonce_ && !c.rejoin_recorded(self_, *nonce_);
}

rejoin_machine::own_step rejoin_machine::step(millis now, const catalog& c, const raft::configuration& cfg) {
  if (!nonce_) return {};
  // Done means a configuration committed after the removal has this node as a
  // voter again; both must hold before the node may vote.
  if (c.rejoin_done(self_, *nonce_) && cfg.is_voter(self_)) return {.finish = true, .ask = std::nullopt};
  if (!unrecorded(c) || now < next_request_) return {};
  next_request_ = now + request_interval_;
  return {.finish = false, .ask = rejoin_request{self_, *nonce_}};
}

void rejoin_machine::finished() {
  PSS_CHECK(nonce_.has_value());
  nonce_.reset();
}

rejoin_machine::verdict rejoin_machine::on_request(millis now, node_id from, const rejoin_request& m, bool leader,
                                                   const catalog& c) {
  if (m.node != from) return verdict::unexpected;
  const auto last = proposed_.find(m.node);
  const bool just_proposed =
      last != proposed_.end() && last->second.first == m.nonce && now < last->second.second + propose_interval_;
  if (!leader || c.rejoin_recorded(m.node, m.nonce) || just_proposed) return verdict::ignore;
  proposed_[m.node] = {m.nonce, now};
  return verdict::propose;
}

// One change at a time: Raft refuses a change while another is uncommitted,
// so the removal commits before the node is added back. A voter loses its
// vote only through a committed change.
std::optional<raft::config_change> rejoin_machine::next_change(const catalog& c,
                                                               const raft::configuration& cfg) const {
  for (const auto& [n, r] : c.rejoins()) {
    if (r.done || n == self_) continue;
    if (!cfg.contains(n)) return raft::config_change{raft::config_change_kind::add_learner, n};
    if (!r.removed) return raft::config_change{raft::config_change_kind::remove, n};
    if (cfg.is_learner(n)) return raft::config_change{raft::config_change_kind::promote_learner, n};
    // Removed and a voter again: done once that configuration commits.
  }
  return std::nullopt;
}

std::optional<millis> rejoin_machine::wakeup(const catalog& c) const {
  if (!unrecorded(c)) return std::nullopt;
  return next_request_;
}

} // namespace pss::secrets
