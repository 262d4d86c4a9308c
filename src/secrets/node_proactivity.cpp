// Proactivity, measured where it happens: the current epoch's age and the
// rounds aborted since its commit, for `pss status`, and a warning in the
// node's log while refresh has stopped (issue: "nobody is told when refresh
// stops"). Node-local and in memory: a restarted node counts from its start.
// And what a node does when it cannot take part in a round: sit it out, and
// when the round machine next needs the clock (rounds_wakeup).
#include "secrets/node_engine.hpp"

#include <algorithm>
#include <utility>

namespace pss::secrets {

// A node sits a round out when its store cannot take the round's shares
// (full: too_large) or it lacks a share it is listed for (not_found): it never
// says ready, the leader aborts or finishes without it, and the pending shares
// of the round are erased when it ends. Any other storage error stops it.
void node_engine::sit_out(const round_state& r, const error& e) {
  if (e.code() != errc::too_large && e.code() != errc::not_found) return fail(e);
  ++counters_.rounds_sat_out;
  event("round " + std::to_string(r.id) + ": sitting it out: " + e.message());
  member_.sat_out(); // never says ready in this round
}

void node_engine::watch_proactivity(millis now) {
  const epoch_id epoch = catalog_.view().epoch;
  if (epoch != proactive_.epoch) {
    proactive_.epoch = epoch;
    proactive_.since = now;
    proactive_.aborted_since_commit = 0;
  }
  const std::uint64_t aborted = catalog_.stats().rounds_aborted;
  if (aborts_seen_ && aborted > *aborts_seen_) {
    proactive_.aborted_since_commit += aborted - *aborts_seen_;
    proactive_.last_abort = catalog_.last_abort_reason();
    proactive_.aborted_by_kind[catalog_.last_abort_kind()] += aborted - *aborts_seen_;
  }
  aborts_seen_ = aborted;
  proactive_.age = now - proactive_.since;
  const millis interval = options_.refresh_interval;
  if (interval <= millis{0} || proactive_.age <= 2 * interval) return;
  if (warned_at_ > millis{0} && now - warned_at_ < interval) return;
  warned_at_ = now;
  event("warning: epoch " + std::to_string(epoch.value()) + " is " + std::to_string(proactive_.age.count() / 1000) +
        " s old, more than twice the refresh interval; " + std::to_string(proactive_.aborted_since_commit) +
        " rounds aborted since" + (proactive_.last_abort.empty() ? "" : " (the last: " + proactive_.last_abort + ")"));
}

// When the round machine next decides something by the clock alone. An idle
// cluster must not tick every millisecond: that cost each node a timer, a
// thread wake-up and a drain per millisecond, and the CPU it took slowed
// every request on a small machine.
millis node_engine::rounds_wakeup(millis now) const {
  const millis soon = std::max(clock_.next_send, now + millis{1});
  if (catalog_.round() || queue_.refresh_requested) return soon; // phases, resends, timeouts
  // The periodic check that this node holds what the catalog lists.
  millis wake = next_round_request_ > now ? next_round_request_ : now + options_.round_resend_interval;
  if (std::as_const(*host_).core().role() == raft::role::leader) {
    if (!queue_.recoveries.empty()) wake = std::min(wake, soon);
    if (options_.refresh_interval > millis{0}) wake = std::min(wake, std::max(queue_.next_refresh, soon));
  }
  if (options_.test_only.misbehave == round_misbehaviour::spam_recovery)
    wake = std::min(wake, std::max(spam_next_, now + millis{1}));
  return wake;
}

} // namespace pss::secrets
