#include "sim/read_freshness.hpp"

namespace pss::sim {

// A node accepts at most a bounded number of reads at once; a trace with
// no acceptance (the core refused or failed it) is never served.
void read_freshness_checker::after_input(node_id node, const std::vector<raft::read_trace>& traces,
                                         log_index commit, std::vector<std::string>& violations) {
  for (const auto& t : traces) {
    const auto key = std::pair{node, t.request_id};
    if (!t.served) {
      accepted_[key] = floor_;
      continue;
    }
    auto it = accepted_.find(key);
    if (it == accepted_.end()) {
      violations.push_back("read freshness: n" + std::to_string(node.value()) + " released read "
                           + std::to_string(t.request_id) + " that it never accepted");
      continue;
    }
    ++checked_;
    if (t.index < it->second)
      violations.push_back("read freshness: n" + std::to_string(node.value()) + " served a read at index "
                           + std::to_string(t.index.value()) + ", but index " + std::to_string(it->second.value())
                           + " was already committed when the read arrived (a stale leader)");
    accepted_.erase(it);
  }
  if (commit > highest_commit_) highest_commit_ = commit;
}

void read_freshness_checker::forget(node_id node) {
  std::erase_if(accepted_, [&](const auto& kv) { return kv.first.first == node; });
}

} // namespace pss::sim
