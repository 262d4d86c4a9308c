// Leader election: randomized timeouts (Raft §5.2), the election restriction
// (§5.4.1), PreVote (thesis §9.6), CheckQuorum and leader stickiness
// (thesis §6.2, §4.2.3).
#include "core/check.hpp"
#include "core/planted.hpp"
#include "raft/node.hpp"

namespace pss::raft {

void node::start_campaign(millis now, bool leadership_transfer) {
  if (!may_campaign()) {
    // Learners, removed servers and rejoining nodes never campaign, so they
    // cannot disrupt the cluster (checklist item 35).
    reset_election_timer(now);
    return;
  }
  if (role_ == role::leader) return;
  if (opts_.pre_vote && !leadership_transfer)
    become_pre_candidate(now);
  else
    become_candidate(now, leadership_transfer);
}

void node::become_follower(millis now, term_id term, node_id leader) {
  PSS_CHECK(term >= term_);
  if (term > term_) {
    term_ = term;
    vote_ = no_node;
  }
  if (role_ == role::leader) {
    fail_pending_reads();
    progress_.clear();
  }
  abort_transfer();
  role_ = role::follower;
  leader_ = leader;
  votes_.clear();
  reset_election_timer(now);
  if (leader != no_node) leader_contact_ = now;
}

void node::become_pre_candidate(millis now) {
  PSS_CHECK(role_ != role::leader);
  role_ = role::pre_candidate;
  leader_ = no_node;
  votes_.clear();
  votes_[opts_.id] = true;
  reset_election_timer(now);
  if (vote_quorum_reached(votes_)) {
    become_candidate(now, false);
    return;
  }
  const pre_vote_request request{term_.next(), log_.last_index(), log_.last_term()};
  for (node_id voter : config().voters)
    if (voter != opts_.id) send(voter, request);
}

void node::become_candidate(millis now, bool leadership_transfer) {
  PSS_CHECK(role_ != role::leader);
  ++elections_started_;
  term_ = term_.next();
  vote_ = opts_.id;
  role_ = role::candidate;
  leader_ = no_node;
  campaign_is_transfer_ = leadership_transfer;
  votes_.clear();
  votes_[opts_.id] = true;
  reset_election_timer(now);
  if (vote_quorum_reached(votes_)) {
    become_leader(now);
    return;
  }
  const vote_request request{term_, log_.last_index(), log_.last_term(), leadership_transfer};
  for (node_id voter : config().voters)
    if (voter != opts_.id) send(voter, request);
}

// Raft §5.4.2 and §8: a new leader appends a no-op so that entries of
// earlier terms commit through it, and so ReadIndex knows its commit index.
void node::become_leader(millis now) {
  PSS_CHECK(role_ == role::candidate && vote_ == opts_.id);
  role_ = role::leader;
  ++elections_won_;
  leader_ = opts_.id;
  votes_.clear();
  progress_.clear();
  pending_reads_.clear();
  heartbeats_sent_.clear();
  lease_acks_.clear();
  lease_broken_ = false;
  sync_progress_with_config();
  heartbeat_deadline_ = now + opts_.heartbeat_interval;
  check_quorum_deadline_ = now + opts_.election_timeout_min;
  leader_contact_ = now;
  append_own(now, entry_kind::noop, {});
}

// Thesis §4.2.3: while a node believes a live leader exists it ignores vote
// requests, so a partitioned or removed server cannot depose it. The leader
// itself is in lease while CheckQuorum keeps confirming it.
bool node::in_lease(millis now) const {
  if (!opts_.check_quorum) return false;
  // A node that restarted may have vouched for a leader's lease before it
  // went down, and has forgotten whom: it votes for no one for an election
  // timeout, which is as long as any lease it gave. A node that never saw a
  // term (new, or wiped) vouched for nothing.
  if (opts_.lease_reads && restarted_ && now < started_at_ + opts_.election_timeout_min) return true;
  if (leader_ == no_node) return false;
  if (role_ == role::leader) return true;
  return now < leader_contact_ + opts_.election_timeout_min;
}

bool node::vote_quorum_reached(const std::map<node_id, bool>& votes) const {
  std::size_t granted = 0;
  for (node_id voter : config().voters) {
    auto it = votes.find(voter);
    if (it != votes.end() && it->second) ++granted;
  }
  return !config().voters.empty() && granted >= quorum();
}

// A node whose voting is suspended (a wiped node rejoining under its old id:
// it has forgotten the votes it cast, and its empty log would look up to
// date to anyone) never grants a vote or a pre-vote. Any other node may,
// even one that is not a voter in its own latest configuration: as in
// etcd-io/raft, a learner can be promoted in the candidate's log before the
// promotion reaches it, and if the old leader is gone by then, the new
// configuration may have no majority without it. (Refusing cost liveness
// for ever in swarm seeds 2162 and 8965653 of 3 nodes: one voter wiped, the
// learner just promoted in the only other voter's log.) A candidate counts
// only the votes of voters in its own configuration, so a vote from a
// non-member changes nothing; a node that has never voted keeps its vote
// and term durable like any other, so granting stays one vote per term.
void node::on_pre_vote_request(millis now, node_id from, const pre_vote_request& m) {
  const bool grant = may_grant_vote() && m.term > term_ && !in_lease(now)
                     && log_.is_up_to_date(m.last_log_index, m.last_log_term);
  send(from, pre_vote_response{term_, m.term, grant});
}

void node::on_pre_vote_response(millis now, node_id from, const pre_vote_response& m) {
  if (role_ != role::pre_candidate || m.request_term != term_.next()) return;
  votes_[from] = m.granted;
  if (vote_quorum_reached(votes_)) become_candidate(now, false);
}

// Raft §5.2 and §5.4.1: one vote per term, only for an up-to-date log. The
// vote is part of the hard state, persisted before this response is sent.
void node::on_vote_request(millis now, node_id from, const vote_request& m) {
  PSS_CHECK(m.term == term_);
  const bool can_vote = vote_ == from || (vote_ == no_node && leader_ == no_node);
  const bool up_to_date = log_.is_up_to_date(m.last_log_index, m.last_log_term)
                          || planted::armed(planted::bug::vote_ignores_log);
  const bool grant = may_grant_vote() && can_vote && up_to_date;
  if (grant) {
    vote_ = from;
    reset_election_timer(now);
  }
  send(from, vote_response{term_, grant});
}

void node::on_vote_response(millis now, node_id from, const vote_response& m) {
  if (role_ != role::candidate || m.term != term_) return;
  votes_[from] = m.granted;
  if (vote_quorum_reached(votes_)) become_leader(now);
}

void node::tick_election(millis now) {
  if (now >= election_deadline_) start_campaign(now, false);
}

void node::tick_leader(millis now) {
  if (now >= heartbeat_deadline_) {
    broadcast_heartbeat(now);
    heartbeat_deadline_ = now + opts_.heartbeat_interval;
  }
  if (opts_.check_quorum && now >= check_quorum_deadline_) {
    check_quorum_round(now);
    if (role_ != role::leader) return;
  }
  if (transfer_target_ && now >= transfer_deadline_) abort_transfer();
}

// Thesis §6.2: a leader that has not heard from a quorum within an election
// timeout steps down, so a partitioned leader stops serving (item 11).
void node::check_quorum_round(millis now) {
  std::size_t active = is_voter() ? 1 : 0;
  for (auto& [id, pr] : progress_) {
    if (pr.recent_active && config().is_voter(id)) ++active;
    pr.recent_active = false;
  }
  if (active < quorum()) {
    become_follower(now, term_, no_node);
    return;
  }
  check_quorum_deadline_ = now + opts_.election_timeout_min;
}

} // namespace pss::raft
