#include "secrets/request_desk.hpp"

#include "core/check.hpp"

namespace pss::secrets {

std::optional<pending_proposal> request_desk::proposed(term_id term, log_index index, pending_proposal p) {
  p.term = term;
  std::optional<pending_proposal> displaced;
  if (auto it = proposals_.find(index); it != proposals_.end()) {
    PSS_CHECK(it->second.term < term); // within one term, Raft hands out an index once
    displaced = std::move(it->second);
    it->second = std::move(p);
    return displaced;
  }
  PSS_CHECK(!proposals_full());
  proposals_.emplace(index, std::move(p));
  return displaced;
}

std::optional<request_desk::settled> request_desk::applied(const raft::entry& e) {
  auto it = proposals_.find(e.index);
  if (it == proposals_.end()) return std::nullopt;
  settled s{std::move(it->second), false};
  proposals_.erase(it);
  s.ours = e.term == s.proposal.term && e.kind == raft::entry_kind::command;
  return s;
}

std::vector<pending_proposal> request_desk::overtaken(log_index index) {
  std::vector<pending_proposal> out;
  for (auto it = proposals_.begin(); it != proposals_.end() && it->first <= index;) {
    out.push_back(std::move(it->second));
    it = proposals_.erase(it);
  }
  return out;
}

void request_desk::reading(std::uint64_t id, pending_read r) {
  PSS_CHECK(!reads_full());
  PSS_CHECK(id < next_read_id_);
  const bool fresh = reads_.emplace(id, std::move(r)).second;
  PSS_CHECK(fresh);
}

std::vector<pending_read> request_desk::confirmed(std::span<const raft::read_state> ready,
                                                  std::span<const std::uint64_t> failed) {
  for (const auto& rs : ready)
    if (auto it = reads_.find(rs.request_id); it != reads_.end()) it->second.index = rs.index;
  std::vector<pending_read> out;
  for (auto id : failed) {
    auto it = reads_.find(id);
    if (it == reads_.end()) continue;
    out.push_back(std::move(it->second));
    reads_.erase(it);
  }
  return out;
}

std::vector<pending_read> request_desk::due(log_index applied) {
  std::vector<pending_read> out;
  for (auto it = reads_.begin(); it != reads_.end();) {
    if (it->second.index && *it->second.index <= applied) {
      out.push_back(std::move(it->second));
      it = reads_.erase(it);
    } else {
      ++it;
    }
  }
  return out;
}

void request_desk::check_invariants(log_index applied) const {
  PSS_CHECK(proposals_.size() <= pending_proposals_max);
  PSS_CHECK(reads_.size() <= pending_reads_max);
  for (const auto& [index, p] : proposals_) PSS_CHECK(index > applied);
  for (const auto& [id, r] : reads_) PSS_CHECK(id < next_read_id_);
}

} // namespace pss::secrets
