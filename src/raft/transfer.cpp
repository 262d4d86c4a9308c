// Leadership transfer (Raft thesis §3.10): the leader brings the target up to
// date, then sends it timeout_now; the target campaigns at once, and its
// vote requests are honoured inside the leader lease. Proposals are refused
// while a transfer runs, and it is abandoned after one election timeout.
#include "core/check.hpp"
#include "core/planted.hpp"
#include "raft/node.hpp"

namespace pss::raft {

status node::transfer_leadership(millis now, node_id target) {
  PSS_CHECK_MSG(!ready_outstanding_, "advance() the last ready before new input");
  if (role_ != role::leader)
    return error{errc::not_leader, "only the leader can transfer leadership"};
  if (target == opts_.id)
    return error{errc::invalid_argument, "this node is already the leader"};
  if (!config().is_voter(target))
    return error{errc::invalid_argument, "leadership can only go to a voter"};
  if (transfer_target_ == target) return ok_status();
  transfer_target_ = target;
  transfer_deadline_ = now + opts_.election_timeout_min;
  auto& pr = progress_.at(target);
  if (pr.match == log_.last_index())
    maybe_send_timeout_now(target);
  else
    send_append(target, pr, false);
  check_invariants();
  return ok_status();
}

void node::maybe_send_timeout_now(node_id to) {
  if (transfer_target_ != to) return;
  if (progress_.at(to).match != log_.last_index()) return;
  lease_broken_ = !planted::armed(planted::bug::lease_through_transfer);
  send(to, timeout_now{term_});
}

void node::abort_transfer() { transfer_target_.reset(); }

void node::on_timeout_now(millis now, node_id from, const timeout_now& m) {
  PSS_CHECK(m.term == term_);
  // Only our own leader may tell us to campaign.
  if (role_ != role::follower || from != leader_) return;
  start_campaign(now, true);
}

} // namespace pss::raft
