// Read freshness: a linearizable read is served at an index no older than
// the highest commit index anywhere in the cluster when the read arrived
// (Raft thesis §6.4). A leader that serves a read without confirming that
// it still leads (cut off, deposed, unaware) answers from its own commit
// index while a newer leader has committed past it; this checker sees that
// on the very read, not only when a window with two leaders happens to show
// up in the client history.
//
// Every node's Raft core records the reads it accepts (with the index it
// will serve them at) and releases (raft::read_trace). Before each input of
// a node the checker notes the highest commit index seen anywhere so far;
// a read accepted during that input must later be released at that index or
// above. CAF-free, pure.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/ids.hpp"
#include "raft/node.hpp"

namespace pss::sim {

class read_freshness_checker {
public:
  // A node is about to take an input: reads it accepts now arrive after
  // every commit seen so far.
  void before_input() noexcept { floor_ = highest_commit_; }
  // After the input (or a boot): the reads it accepted and released, and
  // its commit index now.
  void after_input(node_id node, const std::vector<raft::read_trace>& traces, log_index commit,
                   std::vector<std::string>& violations);
  // A node crashed: the reads its old incarnation accepted die with it
  // (read ids restart with the process).
  void forget(node_id node);
  [[nodiscard]] std::uint64_t reads_checked() const noexcept { return checked_; }

private:
  log_index highest_commit_;
  log_index floor_;
  std::map<std::pair<node_id, std::uint64_t>, log_index> accepted_; // -> the floor when it arrived
  std::uint64_t checked_ = 0;
};

} // namespace pss::sim
