// What a leader knows about one follower's log, and the flow control that
// decides how much to send it (Raft §5.3; etcd-style probe/replicate states).
//
// In probe the leader sends one append at a time and waits, because it does
// not know where the follower's log matches. In replicate it pipelines up to
// inflight_appends_max appends. In snapshot it streams one snapshot chunk at a
// time. match_index never moves backwards: a late or duplicated response
// cannot undo an acknowledgement (checklist item 22); only a follower that
// reports a log shorter than match (a wiped disk) resets it.
#pragma once

#include <cstdint>
#include <deque>

#include "core/ids.hpp"

namespace pss::raft {

enum class progress_state : std::uint8_t { probe, replicate, snapshot };

struct progress {
  log_index match;
  log_index next{1};
  progress_state state = progress_state::probe;
  // Probe: an append is outstanding; wait for its answer or a heartbeat.
  bool probe_sent = false;
  // Replicate: the last index of each append in flight, oldest first.
  std::deque<log_index> inflight;
  // match when the previous heartbeat answer arrived: a replicate stream
  // that made no progress for a whole heartbeat lost messages, so it probes.
  log_index match_at_last_heartbeat;
  // Heard from since the last CheckQuorum round (thesis §6.2).
  bool recent_active = false;
  // Snapshot: which snapshot is being streamed, and how far it is acked.
  log_index snapshot_index;
  std::uint64_t snapshot_offset = 0;

  [[nodiscard]] bool paused(std::size_t inflight_max) const noexcept {
    switch (state) {
      case progress_state::probe: return probe_sent;
      case progress_state::replicate: return inflight.size() >= inflight_max;
      case progress_state::snapshot: return true;
    }
    return true;
  }

  // The follower's log ends before match: it lost entries it acknowledged,
  // which only a wiped disk rejoining under its old id does. The one place
  // match moves back; probing restarts from what the follower holds.
  void forget_lost_entries(log_index follower_last) noexcept {
    match = follower_last;
    match_at_last_heartbeat = follower_last;
    become_probe();
  }
  // Records an acknowledgement; returns whether match moved.
  bool acknowledge(log_index index) noexcept {
    bool moved = false;
    if (index > match) {
      match = index;
      moved = true;
    }
    if (next <= index) next = index.next();
    while (!inflight.empty() && inflight.front() <= index) inflight.pop_front();
    probe_sent = false;
    return moved;
  }

  void become_probe() noexcept {
    state = progress_state::probe;
    next = match.next();
    probe_sent = false;
    inflight.clear();
  }
  void become_replicate() noexcept {
    state = progress_state::replicate;
    next = match.next();
    inflight.clear();
  }
  void become_snapshot(log_index index) noexcept {
    state = progress_state::snapshot;
    snapshot_index = index;
    snapshot_offset = 0;
    inflight.clear();
  }
};

} // namespace pss::raft
