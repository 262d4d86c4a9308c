#include "raft/log.hpp"

#include <algorithm>

#include "core/check.hpp"

namespace pss::raft {

raft_log::raft_log(snapshot_meta snapshot, std::vector<entry> entries)
  : snapshot_index_(snapshot.last_index), snapshot_term_(snapshot.last_term),
    entries_(std::move(entries)) {
  for (std::size_t i = 0; i < entries_.size(); ++i)
    PSS_CHECK_MSG(entries_[i].index.value() == snapshot_index_.value() + 1 + i,
                  "persisted entries must follow the snapshot without gaps");
  persisted_last_ = last_index();
  unstable_first_ = last_index().next();
}

term_id raft_log::last_term() const noexcept {
  return entries_.empty() ? snapshot_term_ : entries_.back().term;
}

std::optional<term_id> raft_log::term_at(log_index index) const noexcept {
  if (index == snapshot_index_) return snapshot_term_;
  if (index < snapshot_index_ || index > last_index()) return std::nullopt;
  return entries_[offset(index)].term;
}

bool raft_log::is_up_to_date(log_index index, term_id term) const noexcept {
  const term_id ours = last_term();
  return term > ours || (term == ours && index >= last_index());
}

const entry& raft_log::at(log_index index) const {
  PSS_CHECK(index > snapshot_index_ && index <= last_index());
  return entries_[offset(index)];
}

std::vector<entry> raft_log::slice(log_index from, log_index to,
                                   std::size_t count_max,
                                   std::size_t bytes_max) const {
  PSS_CHECK(from > snapshot_index_);
  std::vector<entry> out;
  std::size_t bytes = 0;
  for (log_index i = from; i <= to && i <= last_index(); i = i.next()) {
    const entry& e = at(i);
    if (!out.empty() && (out.size() >= count_max || bytes + e.data.size() > bytes_max))
      break;
    bytes += e.data.size();
    out.push_back(e);
  }
  return out;
}

log_index raft_log::first_index_of_term_at(log_index index) const {
  const auto term = term_at(index);
  PSS_CHECK(term.has_value());
  log_index i = index;
  while (i > first_index() && term_at(i.prev()) == term) i = i.prev();
  return i;
}

std::optional<log_index> raft_log::last_index_of_term(term_id term) const {
  for (log_index i = last_index(); i >= snapshot_index_; i = i.prev()) {
    const auto t = term_at(i);
    if (!t || *t < term) return std::nullopt;
    if (*t == term) return i;
    if (i == log_index{0}) break;
  }
  return std::nullopt;
}

void raft_log::append(entry e) {
  PSS_CHECK(e.index == last_index().next());
  PSS_CHECK(e.term >= last_term());
  entries_.push_back(std::move(e));
}

void raft_log::truncate_from(log_index from, log_index commit) {
  PSS_CHECK_MSG(from > commit, "raft must never truncate a committed entry");
  PSS_CHECK(from > snapshot_index_);
  if (from > last_index()) return;
  entries_.resize(offset(from));
  persisted_last_ = std::min(persisted_last_, from.prev());
  unstable_first_ = std::min(unstable_first_, from);
}

void raft_log::compact(log_index index, term_id term) {
  PSS_CHECK(index > snapshot_index_ && index <= persisted_last_);
  PSS_CHECK(term_at(index) == term);
  entries_.erase(entries_.begin(), entries_.begin() + static_cast<std::ptrdiff_t>(offset(index) + 1));
  snapshot_index_ = index;
  snapshot_term_ = term;
}

void raft_log::reset_to_snapshot(log_index index, term_id term) {
  entries_.clear();
  snapshot_index_ = index;
  snapshot_term_ = term;
  // The snapshot is persisted in the same ready as anything that follows it.
  persisted_last_ = index;
  unstable_first_ = index.next();
}

std::vector<entry> raft_log::take_unstable() {
  std::vector<entry> out;
  if (!has_unstable()) return out;
  out.assign(entries_.begin() + static_cast<std::ptrdiff_t>(offset(unstable_first_)),
             entries_.end());
  unstable_first_ = last_index().next();
  return out;
}

void raft_log::mark_persisted(log_index up_to) noexcept {
  PSS_CHECK(up_to <= last_index());
  persisted_last_ = std::max(persisted_last_, up_to);
}

} // namespace pss::raft
