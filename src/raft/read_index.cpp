// ReadIndex (Raft thesis §6.4): a leader serves a linearizable read at its
// commit index once (1) an entry of its own term has committed, so the commit
// index is at least that of any previous leader, and (2) a quorum has
// confirmed, after the read arrived, that it is still the leader. A
// partitioned leader never gets (2), so it never answers (item 39).
//
// With the leader lease (thesis §6.4.1) the leader skips (2) while a quorum's
// acknowledgements vouch for it: a voter that answered a heartbeat sent at
// time s refuses every vote until at least s + election_timeout_min
// (node::in_lease, also across its own restart), and every quorum that could
// elect another leader holds one such voter. The lease ends a quarter of an
// election timeout early, for clocks that run at slightly different rates,
// and for good once the leader sends timeout_now, whose target is voted for
// inside any lease.
#include <algorithm>
#include <functional>
#include <iterator>
#include <vector>

#include "core/check.hpp"
#include "core/planted.hpp"
#include "raft/node.hpp"

namespace pss::raft {

// Heartbeat contexts remembered with their send times: a few election
// timeouts' worth of heartbeats and reads; an older echo earns no lease.
constexpr std::size_t heartbeat_contexts_kept = 256;

bool node::committed_in_current_term() const { return log_.term_at(commit_) == term_; }

status node::read_index(millis now, std::uint64_t request_id) {
  PSS_CHECK_MSG(!ready_outstanding_, "advance() the last ready before new input");
  if (role_ != role::leader)
    return error{errc::not_leader, "linearizable reads go to the leader; retry at the leader hint"};
  if (!committed_in_current_term())
    return error{errc::unavailable, "the new leader has not committed its no-op yet; retry shortly"};
  if (opts_.trace_reads) read_traces_.push_back(read_trace{request_id, false, commit_});
  // The planted bug serves at once, without asking a quorum whether this
  // node still leads.
  if ((config().voters.size() == 1 && is_voter()) || planted::armed(planted::bug::stale_read) || in_own_lease(now)) {
    release_read(read_state{request_id, commit_});
    return ok_status();
  }
  note_heartbeat_context(now);
  pending_read read{request_id, commit_, read_context_, {}};
  if (is_voter()) read.acks.insert(opts_.id);
  pending_reads_.push_back(std::move(read));
  for (auto& [id, pr] : progress_) send_heartbeat(id, pr);
  check_invariants();
  return ok_status();
}

void node::on_read_confirmation(node_id from, std::uint64_t context) {
  if (!config().is_voter(from)) return;
  for (auto& read : pending_reads_)
    if (read.context <= context) read.acks.insert(from);
  // Reads are released in arrival order, each once a quorum confirmed it.
  std::size_t released = 0;
  for (const auto& read : pending_reads_) {
    std::size_t votes = 0;
    for (node_id id : read.acks) votes += config().is_voter(id) ? 1 : 0;
    if (votes < quorum()) break;
    release_read(read_state{read.request_id, read.index});
    ++released;
  }
  pending_reads_.erase(pending_reads_.begin(),
                       pending_reads_.begin() + static_cast<std::ptrdiff_t>(released));
}

// Each heartbeat context is stamped with when it went out, so that an echo
// tells the leader which send time a voter vouched for.
void node::note_heartbeat_context(millis now) {
  ++read_context_;
  heartbeats_sent_.emplace_back(read_context_, now);
  while (heartbeats_sent_.size() > heartbeat_contexts_kept) heartbeats_sent_.pop_front();
}

void node::credit_lease(node_id from, std::uint64_t context) {
  if (!config().is_voter(from)) return;
  // The newest send at or before the echoed context (contexts only grow).
  auto it = std::upper_bound(heartbeats_sent_.begin(), heartbeats_sent_.end(), context,
                             [](std::uint64_t c, const auto& sent) { return c < sent.first; });
  if (it == heartbeats_sent_.begin()) return; // older than anything kept: no credit
  const millis sent = std::prev(it)->second;
  auto& acked = lease_acks_[from];
  acked = std::max(acked, sent);
}

// Whether the leader may serve a read now without a heartbeat round: the
// quorum-th newest vouched send time (this voter's own is now) is recent.
bool node::in_own_lease(millis now) const {
  if (!opts_.lease_reads || !opts_.check_quorum || role_ != role::leader || lease_broken_)
    return false;
  std::vector<millis> vouched;
  if (is_voter()) vouched.push_back(now);
  for (const auto& [id, sent] : lease_acks_)
    if (config().is_voter(id) && id != opts_.id) vouched.push_back(sent);
  const std::size_t q = quorum();
  if (vouched.size() < q) return false;
  std::nth_element(vouched.begin(), vouched.begin() + static_cast<std::ptrdiff_t>(q - 1), vouched.end(),
                   std::greater<>{});
  const millis lease = opts_.election_timeout_min - opts_.election_timeout_min / 4;
  return now < vouched[q - 1] + lease;
}

void node::release_read(read_state r) {
  if (opts_.trace_reads) read_traces_.push_back(read_trace{r.request_id, true, r.index});
  reads_ready_.push_back(r);
}

void node::fail_pending_reads() {
  for (const auto& read : pending_reads_) reads_failed_.push_back(read.request_id);
  pending_reads_.clear();
}

} // namespace pss::raft
