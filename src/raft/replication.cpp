// Log replication and commitment: AppendEntries with the consistency check
// and conflict truncation (Raft §5.3), fast conflict backtracking (thesis
// §5.3 / Figure 7), batching, pipelining and probe/replicate flow control,
// and the commit rule that counts only current-term entries (§5.4.2).
#include <algorithm>

#include "core/check.hpp"
#include "core/planted.hpp"
#include "raft/node.hpp"

namespace pss::raft {

void node::append_own(millis now, entry_kind kind, bytes data) {
  PSS_CHECK(role_ == role::leader);
  (void)now;
  entry e{term_, log_.last_index().next(), kind, std::move(data)};
  log_.append(e);
  note_appended(e);
  broadcast_append();
}

void node::broadcast_append() {
  for (auto& [id, pr] : progress_) send_append(id, pr, false);
}

void node::send_append(node_id to, progress& pr, bool allow_empty) {
  if (pr.paused(opts_.inflight_appends_max)) return;
  const log_index prev = pr.next.prev();
  const auto prev_term = log_.term_at(prev);
  if (!prev_term) {
    // The entries the follower needs are compacted away (Raft §7).
    pr.become_snapshot(log_.snapshot_index());
    send_snapshot_chunk(to, pr);
    return;
  }
  auto entries = log_.slice(pr.next, log_.last_index(), opts_.append_batch_entries_max,
                            opts_.append_batch_bytes_max);
  if (entries.empty() && !allow_empty
      && (pr.state == progress_state::replicate || pr.match == log_.last_index()))
    return;
  if (pr.state == progress_state::replicate && !entries.empty()) {
    pr.next = entries.back().index.next();
    pr.inflight.push_back(entries.back().index);
  } else if (pr.state == progress_state::probe) {
    pr.probe_sent = true;
  }
  send(to, append_entries{term_, prev, *prev_term, commit_, std::move(entries)});
}

void node::broadcast_heartbeat(millis now) {
  note_heartbeat_context(now);
  for (auto& [id, pr] : progress_) {
    if (pr.state == progress_state::snapshot)
      send_snapshot_chunk(id, pr); // retransmits a lost chunk
    send_heartbeat(id, pr);
  }
}

void node::send_heartbeat(node_id to, const progress& pr) {
  send(to, heartbeat{term_, std::min(pr.match, commit_), read_context_});
}

void node::on_append_entries(millis now, node_id from, const append_entries& m) {
  PSS_CHECK(m.term == term_);
  if (role_ == role::leader) return; // a second leader in our term is impossible
  if (role_ != role::follower || leader_ != from)
    become_follower(now, term_, from);
  leader_contact_ = now;
  reset_election_timer(now);

  const log_index last_new{m.prev_log_index.value() + m.entries.size()};
  if (last_new <= commit_) {
    // Everything it carries is already committed here (a late duplicate).
    send(from, append_entries_response{term_, true, commit_, {}, {}, {}, log_.last_index()});
    return;
  }
  // Entries at or below our commit index are committed and therefore equal
  // to the leader's (Log Matching); skip them and check consistency at the
  // commit index instead, which may be the snapshot's last index.
  const std::size_t skip = m.prev_log_index < commit_
                             ? static_cast<std::size_t>(commit_.value() - m.prev_log_index.value())
                             : 0;
  const log_index prev = skip > 0 ? commit_ : m.prev_log_index;
  const term_id prev_term = skip > 0 ? m.entries[skip - 1].term : m.prev_log_term;
  if (!log_.matches(prev, prev_term)) {
    send(from, append_conflict(m.prev_log_index, prev));
    return;
  }
  merge_entries(m.entries, skip);
  if (m.leader_commit > commit_) advance_commit(now, std::min(m.leader_commit, last_new));
  send(from, append_entries_response{term_, true, last_new, {}, {}, {}, log_.last_index()});
}

// The hints for fast backtracking: the term of our conflicting entry and the
// first index we hold of it, or just our length if the log is too short.
append_entries_response node::append_conflict(log_index rejected_prev, log_index checked) const {
  append_entries_response reply{term_, false, {}, rejected_prev, {}, {}, log_.last_index()};
  if (checked > log_.last_index()) {
    reply.conflict_index = log_.last_index().next();
  } else {
    reply.conflict_term = *log_.term_at(checked);
    reply.conflict_index = std::max(log_.first_index_of_term_at(checked), commit_.next());
  }
  return reply;
}

// Raft §5.3: an entry that conflicts (same index, different term) is deleted
// with all that follow it; entries we already hold are left alone, so a
// duplicated or reordered request never removes anything (item 15).
void node::merge_entries(const std::vector<entry>& entries, std::size_t skip) {
  for (std::size_t i = skip; i < entries.size(); ++i) {
    const entry& e = entries[i];
    if (e.index <= log_.last_index()) {
      if (log_.matches(e.index, e.term)) continue;
      log_.truncate_from(e.index, commit_);
      rebuild_configs_after_truncation();
    }
    log_.append(e);
    note_appended(e);
  }
}

void node::on_append_entries_response(millis now, node_id from,
                                      const append_entries_response& m) {
  if (role_ != role::leader || m.term != term_) return;
  auto it = progress_.find(from);
  if (it == progress_.end()) return; // not a member we replicate to
  progress& pr = it->second;
  pr.recent_active = true;
  if (!m.success) {
    handle_append_rejection(pr, m);
    send_append(from, pr, false);
    return;
  }
  if (m.match_index > log_.last_index()) return; // cannot be true; ignore
  if (pr.state == progress_state::snapshot) {
    if (m.match_index >= pr.snapshot_index) {
      pr.acknowledge(m.match_index);
      pr.become_probe();
    }
  } else if (pr.acknowledge(m.match_index) && pr.state == progress_state::probe) {
    pr.become_replicate();
  }
  // Committing a configuration that removed this leader makes it step down
  // (thesis §4.2.2), which discards `pr`.
  if (maybe_commit(now) && role_ != role::leader) return;
  maybe_send_timeout_now(from);
  send_append(from, pr, false);
}

// Uses the follower's conflict hints to skip a whole term per round trip
// instead of one entry (the optimisation at the end of Raft §5.3). A late
// rejection of an old request is recognised and ignored (item 22).
void node::handle_append_rejection(progress& pr, const append_entries_response& m) {
  if (pr.state == progress_state::snapshot) return;
  if (m.rejected_prev_index < pr.match) return;
  if (m.last_log_index < pr.match && !planted::armed(planted::bug::keep_lost_match)) {
    // It lost what it acknowledged (a wiped disk rejoining under its id).
    // Probing at match + 1 again would be refused for ever, one round trip
    // after another (sim seed 469965483 of refresh-faults).
    pr.forget_lost_entries(m.last_log_index);
    return;
  }
  if (pr.state == progress_state::probe && m.rejected_prev_index != pr.next.prev()) return;
  log_index next = m.conflict_index;
  if (m.conflict_term != term_id{0}) {
    if (auto last = log_.last_index_of_term(m.conflict_term)) next = last->next();
  }
  next = std::min({next, m.rejected_prev_index, m.last_log_index.next()});
  pr.become_probe();
  pr.next = std::max(next, pr.match.next());
}

void node::on_heartbeat(millis now, node_id from, const heartbeat& m) {
  PSS_CHECK(m.term == term_);
  if (role_ == role::leader) return;
  if (role_ != role::follower || leader_ != from)
    become_follower(now, term_, from);
  leader_contact_ = now;
  reset_election_timer(now);
  if (m.commit > commit_) advance_commit(now, std::min(m.commit, log_.last_index()));
  send(from, heartbeat_response{term_, m.read_context});
}

void node::on_heartbeat_response(millis now, node_id from, const heartbeat_response& m) {
  (void)now;
  if (role_ != role::leader || m.term != term_) return;
  auto it = progress_.find(from);
  if (it == progress_.end()) return;
  progress& pr = it->second;
  pr.recent_active = true;
  if (m.read_context != 0) {
    credit_lease(from, m.read_context);
    on_read_confirmation(from, m.read_context);
  }
  // A pipeline that made no progress for a whole heartbeat lost messages:
  // fall back to probing from the last known match (item 21).
  if (pr.state == progress_state::replicate && pr.match < log_.last_index()
      && pr.match == pr.match_at_last_heartbeat)
    pr.become_probe();
  pr.match_at_last_heartbeat = pr.match;
  if (pr.state == progress_state::probe) pr.probe_sent = false;
  if (pr.match < log_.last_index()) send_append(from, pr, false);
}

log_index node::quorum_match() const {
  std::vector<log_index> matches;
  for (node_id voter : config().voters) {
    if (voter == opts_.id) {
      matches.push_back(log_.persisted_last()); // durable acks only (item 23)
      continue;
    }
    auto it = progress_.find(voter);
    matches.push_back(it == progress_.end() ? log_index{0} : it->second.match);
  }
  if (matches.empty()) return log_index{0};
  std::sort(matches.begin(), matches.end(), std::greater<>{});
  return matches[quorum() - 1];
}

// Raft §5.4.2 (Figure 8): a leader commits only entries of its own term by
// counting replicas; earlier entries commit indirectly through them.
bool node::maybe_commit(millis now) {
  PSS_CHECK(role_ == role::leader);
  const log_index candidate = quorum_match();
  if (candidate <= commit_) return false;
  if (log_.term_at(candidate) != term_ && !planted::armed(planted::bug::figure8)) return false;
  advance_commit(now, candidate);
  return true;
}

void node::advance_commit(millis now, log_index to) {
  if (to <= commit_) return;
  PSS_CHECK(to <= log_.last_index());
  commit_ = to;
  on_config_committed(now);
}

} // namespace pss::raft
