// Snapshots and InstallSnapshot (Raft §7, Figure 13): the leader streams its
// latest snapshot in chunks of snapshot_chunk_bytes_max, one chunk in flight
// per follower, retransmitting on every heartbeat until acknowledged. A
// follower assembles chunks for one (leader term, snapshot) at a time, answers
// duplicates and out-of-range chunks with the offset it wants next, ignores
// a snapshot its commit index already covers, and discards a conflicting log
// (items 28-31).
#include <algorithm>

#include "core/check.hpp"
#include "raft/node.hpp"

namespace pss::raft {

void node::send_snapshot_chunk(node_id to, progress& pr) {
  PSS_CHECK(pr.state == progress_state::snapshot);
  if (pr.snapshot_index != log_.snapshot_index()) pr.become_snapshot(log_.snapshot_index());
  const std::uint64_t total = snapshot_data_.size();
  const std::uint64_t offset = std::min(pr.snapshot_offset, total);
  const std::uint64_t length = std::min<std::uint64_t>(opts_.snapshot_chunk_bytes_max, total - offset);
  install_snapshot chunk;
  chunk.term = term_;
  chunk.meta = snapshot_meta{log_.snapshot_index(), log_.snapshot_term(), snapshot_config_};
  chunk.total_bytes = total;
  chunk.offset = offset;
  const auto first = snapshot_data_.begin() + static_cast<std::ptrdiff_t>(offset);
  chunk.data.assign(first, first + static_cast<std::ptrdiff_t>(length));
  chunk.done = offset + length == total;
  send(to, std::move(chunk));
}

void node::on_install_snapshot(millis now, node_id from, const install_snapshot& m) {
  PSS_CHECK(m.term == term_);
  if (role_ == role::leader) return;
  if (role_ != role::follower || leader_ != from)
    become_follower(now, term_, from);
  leader_contact_ = now;
  reset_election_timer(now);

  const log_index index = m.meta.last_index;
  if (index <= commit_) {
    // Stale: everything it covers is committed here already.
    incoming_.reset();
    send(from, install_snapshot_response{term_, index, m.total_bytes, true});
    return;
  }
  const bool same = incoming_ && incoming_->term == m.term && incoming_->meta == m.meta
                    && incoming_->total_bytes == m.total_bytes;
  if (!same) {
    incoming_.reset();
    if (m.offset != 0) {
      send(from, install_snapshot_response{term_, index, 0, false});
      return;
    }
    incoming_ = incoming_snapshot{m.term, m.meta, m.total_bytes, {}};
  }
  const std::uint64_t have = incoming_->data.size();
  if (m.offset != have) {
    // A duplicate or a chunk from beyond what we hold: say what we want.
    send(from, install_snapshot_response{term_, index, have, false});
    return;
  }
  incoming_->data.insert(incoming_->data.end(), m.data.begin(), m.data.end());
  if (!m.done) {
    send(from, install_snapshot_response{term_, index, incoming_->data.size(), false});
    return;
  }
  PSS_CHECK(incoming_->data.size() == incoming_->total_bytes);
  auto assembled = std::move(*incoming_);
  incoming_.reset();
  install_received_snapshot(now, std::move(assembled.meta), std::move(assembled.data));
  send(from, install_snapshot_response{term_, index, m.total_bytes, true});
}

void node::install_received_snapshot(millis now, snapshot_meta meta, bytes data) {
  PSS_CHECK(meta.last_index > commit_);
  if (log_.matches(meta.last_index, meta.last_term)) {
    // Our log already holds the snapshot's last entry: keep the log and the
    // entries after it, and just learn that the prefix is committed (§7).
    advance_commit(now, meta.last_index);
    return;
  }
  log_.reset_to_snapshot(meta.last_index, meta.last_term);
  config_entries_.clear();
  snapshot_config_ = meta.config;
  commit_ = meta.last_index;
  snapshot_data_ = data;
  pending_install_ = snapshot{std::move(meta), std::move(data)};
}

void node::on_install_snapshot_response(millis now, node_id from,
                                        const install_snapshot_response& m) {
  if (role_ != role::leader || m.term != term_) return;
  auto it = progress_.find(from);
  if (it == progress_.end()) return;
  progress& pr = it->second;
  pr.recent_active = true;
  if (m.done) {
    if (m.snapshot_index > log_.last_index()) return; // cannot be true
    pr.acknowledge(m.snapshot_index);
    if (pr.state == progress_state::snapshot && pr.match >= pr.snapshot_index) pr.become_probe();
    if (maybe_commit(now) && role_ != role::leader) return; // removed leader stepped down
    send_append(from, pr, false);
    return;
  }
  if (pr.state != progress_state::snapshot || m.snapshot_index != pr.snapshot_index) return;
  if (m.next_offset > snapshot_data_.size()) return;
  // Stop-and-wait: only an answer that moves forward sends the next chunk,
  // so duplicated answers cannot multiply chunks. An answer asking for an
  // earlier offset (the follower restarted, or a late duplicate) rewinds,
  // and the heartbeat retransmission resends from there.
  const bool forward = m.next_offset > pr.snapshot_offset;
  pr.snapshot_offset = m.next_offset;
  if (forward) send_snapshot_chunk(from, pr);
}

} // namespace pss::raft
