#include "secrets/round_leader.hpp"

#include <algorithm>
#include <utility>

namespace pss::secrets {
namespace {

// Every participant answered; or every one but the quiet ones, with t+1
// answers in and the phase at least quiet_grace old. A member that is down
// for good then costs a round nothing, where it cost two phase timeouts.
template <class Answers>
bool answered_enough(const round_state& r, const Answers& answers, const lead_clock& c, millis now) {
  if (answers.size() == r.participants.size()) return true;
  if (c.quiet.empty() || now < c.phase_since + c.quiet_grace || answers.size() < r.threshold + std::size_t{1})
    return false;
  return std::all_of(r.participants.begin(), r.participants.end(),
                     [&](node_id p) { return answers.contains(p) || c.quiet.contains(p); });
}

} // namespace

std::optional<command_body> decide(const round_state& r, const lead_clock& c, millis now) {
  const bool disputes_done = r.phase == round_phase::disputing
                             && std::none_of(r.disputes.begin(), r.disputes.end(), [](const round_dispute& d) {
                                  return d.verdict == dispute_verdict::open;
                                });
  const bool all_ready = r.phase == round_phase::finishing && r.kind == round_kind::refresh
                         && r.ready.size() == r.receivers.size();
  const bool all_answered = (r.phase == round_phase::dealing && answered_enough(r, r.dealings, c, now))
                            || (r.phase == round_phase::responding && answered_enough(r, r.responses, c, now));
  if (c.led_round == r.id && c.led_phase == r.phase && now < c.next_lead) return std::nullopt;
  const bool timed_out = now >= c.phase_since + c.phase_timeout;
  if (!disputes_done && !all_ready && !all_answered && now < c.next_send && !timed_out) return std::nullopt;
  switch (r.phase) {
    case round_phase::dealing:
      if (all_answered || timed_out) return round_close{r.id};
      return std::nullopt;
    case round_phase::responding:
      if (all_answered || timed_out) return round_qualify{r.id};
      return std::nullopt;
    case round_phase::disputing:
      if (timed_out || disputes_done) return round_qualify{r.id};
      return std::nullopt;
    case round_phase::finishing:
      if (r.kind == round_kind::refresh && (all_ready || timed_out)) return round_commit{r.id};
      if (r.kind == round_kind::recovery && timed_out)
        return round_abort{r.id, "the target did not recover in time"};
      return std::nullopt;
  }
  return std::nullopt;
}

std::optional<round_start> next_round(round_queue& q, millis now, millis refresh_interval) {
  const bool refresh_due = refresh_interval > millis{0} && now >= q.next_refresh;
  if ((!refresh_due || q.recovery_turn) && !q.recoveries.empty()) {
    q.recovery_turn = false;
    auto next = q.recoveries.upper_bound(q.last_recovery);
    if (next == q.recoveries.end()) next = q.recoveries.begin();
    const node_id target = *next;
    q.recoveries.erase(next);
    q.last_recovery = target;
    return round_start{round_kind::recovery, target};
  }
  if (!refresh_due && !q.refresh_requested) return std::nullopt;
  q.next_refresh = now + refresh_interval;
  q.refresh_requested = false;
  q.recovery_turn = true;
  return round_start{round_kind::refresh, std::exchange(q.leave_out, std::nullopt).value_or(node_id{})};
}

} // namespace pss::secrets
