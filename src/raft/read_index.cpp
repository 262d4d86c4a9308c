// ReadIndex (Raft thesis §6.4): a leader serves a linearizable read at its
// commit index once (1) an entry of its own term has committed, so the commit
// index is at least that of any previous leader, and (2) a quorum has
// confirmed, after the read arrived, that it is still the leader. A
// partitioned leader never gets (2), so it never answers (item 39).
#include <algorithm>

#include "core/check.hpp"
#include "core/planted.hpp"
#include "raft/node.hpp"

namespace pss::raft {

bool node::committed_in_current_term() const { return log_.term_at(commit_) == term_; }

status node::read_index(millis now, std::uint64_t request_id) {
  PSS_CHECK_MSG(!ready_outstanding_, "advance() the last ready before new input");
  (void)now;
  if (role_ != role::leader)
    return error{errc::not_leader, "linearizable reads go to the leader; retry at the leader hint"};
  if (!committed_in_current_term())
    return error{errc::unavailable, "the new leader has not committed its no-op yet; retry shortly"};
  if (opts_.trace_reads) read_traces_.push_back(read_trace{request_id, false, commit_});
  // The planted bug serves at once, without asking a quorum whether this
  // node still leads.
  if ((config().voters.size() == 1 && is_voter()) || planted::armed(planted::bug::stale_read)) {
    release_read(read_state{request_id, commit_});
    return ok_status();
  }
  ++read_context_;
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

void node::release_read(read_state r) {
  if (opts_.trace_reads) read_traces_.push_back(read_trace{r.request_id, true, r.index});
  reads_ready_.push_back(r);
}

void node::fail_pending_reads() {
  for (const auto& read : pending_reads_) reads_failed_.push_back(read.request_id);
  pending_reads_.clear();
}

} // namespace pss::raft
