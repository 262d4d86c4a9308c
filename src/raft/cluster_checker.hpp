// A reusable checker of Raft's safety properties across a whole cluster, for
// unit tests and the simulator (in the style of LogCabin's invariant checks
// and TigerBeetle's VOPR). It is fed each node's observable state after every
// event and returns a description of the first violation instead of
// aborting, so the caller can print the seed that reproduces it.
//
// Checked: at most one leader per term (Raft §5.2 Election Safety); one vote
// per term from the persisted hard state; term and commit index monotonic
// per node (within one process life for memory, forever for disk); a leader
// only appends (Leader Append-Only); Log Matching (§5.3), via the inductive
// rule that one (index, term) pair always names the same command and the same
// previous term; every index applied at most once per life and with the same
// command on every node (State Machine Safety); and, when the harness says
// every ready was flushed, persisted state equal to in-memory state.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "raft/node.hpp"
#include "raft/types.hpp"

namespace pss::raft {

struct node_observation {
  node_id id;
  term_id term;
  node_id vote;
  enum role role = role::follower;
  log_index commit;
  log_index snapshot_index;
  term_id snapshot_term;
  std::span<const entry> entries; // the in-memory log after the snapshot
  // What the harness says is on disk. When `settled`, every ready has been
  // flushed, so disk and memory must agree.
  hard_state persisted_hard;
  log_index persisted_snapshot_index;
  std::span<const entry> persisted_entries;
  bool settled = false;
};

// Builds an observation of a node; the persisted fields are the caller's.
[[nodiscard]] node_observation observe(const node& n);

class cluster_checker {
public:
  // Each returns a violation, or nothing if all is well. After the first
  // violation every later call returns it again.
  [[nodiscard]] std::optional<std::string> observe(const node_observation& o);
  // The node crashed and restarts from disk: its in-memory history restarts,
  // and it will re-apply from its snapshot at `snapshot_index`.
  void on_restart(node_id id, log_index snapshot_index);
  // The node's whole disk was lost (it rejoins under its id): its persisted
  // term starts again from zero. The votes it cast stay on record, so a vote
  // its new incarnation casts in a term where the old one voted for another
  // candidate is still reported.
  void on_disk_lost(node_id id);
  [[nodiscard]] std::optional<std::string> on_applied(node_id id, const entry& e);
  // The state machine was replaced by a snapshot covering up to `index`.
  [[nodiscard]] std::optional<std::string> on_snapshot_installed(node_id id, log_index index);

  [[nodiscard]] const std::optional<std::string>& violation() const noexcept { return violation_; }
  // The highest index applied anywhere, and what was applied there.
  [[nodiscard]] log_index applied_max() const noexcept;

private:
  struct per_node {
    bool seen = false;
    term_id term;
    log_index commit;
    term_id persisted_term;
    std::map<term_id, node_id> votes;
    enum role role = role::follower;
    log_index first_index{1};
    std::vector<std::uint64_t> terms; // in-memory log terms from first_index
    log_index applied;
  };
  struct entry_fact {
    std::uint64_t previous_term = 0;
    std::uint64_t digest = 0;
  };
  void fail(std::string what);
  void check_hard_state(per_node& p, const node_observation& o);
  void check_log(per_node& p, const node_observation& o);
  void check_persisted(const node_observation& o);

  std::map<node_id, per_node> nodes_;
  std::map<term_id, node_id> leaders_;
  std::map<std::pair<std::uint64_t, std::uint64_t>, entry_fact> entries_;
  std::map<log_index, std::pair<term_id, std::uint64_t>> applied_;
  std::optional<std::string> violation_;
};

} // namespace pss::raft
