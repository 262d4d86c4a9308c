// The in-memory Raft log: a snapshot prefix followed by entries, with the
// boundary between what the shell has made durable and what it still must.
//
// The log never does I/O. It tracks which suffix is "unstable" (changed since
// the last ready) so the core can hand exactly that to the shell, and the
// index up to which the shell has reported the entries durable, so that a
// leader counts only durable entries toward commit (Raft §5.4, "durable acks
// only"). It never truncates at or below the commit index: that would lose
// an acknowledged write, and a PSS_CHECK stops it.
#pragma once

#include <optional>
#include <span>
#include <vector>

#include "raft/types.hpp"

namespace pss::raft {

class raft_log {
public:
  raft_log() = default;
  raft_log(snapshot_meta snapshot, std::vector<entry> entries);

  [[nodiscard]] log_index first_index() const noexcept { return snapshot_index_.next(); }
  [[nodiscard]] log_index last_index() const noexcept {
    return log_index{snapshot_index_.value() + entries_.size()};
  }
  [[nodiscard]] term_id last_term() const noexcept;
  [[nodiscard]] log_index snapshot_index() const noexcept { return snapshot_index_; }
  [[nodiscard]] term_id snapshot_term() const noexcept { return snapshot_term_; }

  // The term at `index`, or nothing if it is compacted or beyond the end.
  // The snapshot's own last index has a known term.
  [[nodiscard]] std::optional<term_id> term_at(log_index index) const noexcept;
  [[nodiscard]] bool matches(log_index index, term_id term) const noexcept {
    auto t = term_at(index);
    return t && *t == term;
  }
  // Raft §5.4.1: is (last_term, last_index) at least as up to date as ours?
  [[nodiscard]] bool is_up_to_date(log_index last_index, term_id last_term) const noexcept;

  [[nodiscard]] const entry& at(log_index index) const;
  // Entries in [from, to], at most `bytes_max` bytes and `count_max` entries,
  // but always at least one if the range is non-empty.
  [[nodiscard]] std::vector<entry> slice(log_index from, log_index to,
                                         std::size_t count_max,
                                         std::size_t bytes_max) const;
  [[nodiscard]] std::span<const entry> entries() const noexcept { return entries_; }

  // The first index of the term of the entry at `index`, no lower than the
  // first index still in memory (for conflict hints).
  [[nodiscard]] log_index first_index_of_term_at(log_index index) const;
  // The last index holding `term`, if any (for the leader's backtracking).
  [[nodiscard]] std::optional<log_index> last_index_of_term(term_id term) const;

  // Appends a leader's own entry; it must follow the last index.
  void append(entry e);
  // Drops the suffix from `from` onwards (a conflict, Raft §5.3).
  void truncate_from(log_index from, log_index commit);

  // Discards entries up to `index` after the shell persisted a snapshot there.
  void compact(log_index index, term_id term);
  // Replaces the whole log with a received snapshot (Raft §7).
  void reset_to_snapshot(log_index index, term_id term);

  // The durability boundary.
  [[nodiscard]] log_index persisted_last() const noexcept { return persisted_last_; }
  [[nodiscard]] log_index unstable_first() const noexcept { return unstable_first_; }
  [[nodiscard]] bool has_unstable() const noexcept { return unstable_first_ <= last_index(); }
  // Hands the unstable suffix to the shell; it becomes durable at mark_persisted.
  [[nodiscard]] std::vector<entry> take_unstable();
  void mark_persisted(log_index up_to) noexcept;

private:
  [[nodiscard]] std::size_t offset(log_index index) const noexcept {
    return static_cast<std::size_t>(index.value() - snapshot_index_.value() - 1);
  }

  log_index snapshot_index_;
  term_id snapshot_term_;
  std::vector<entry> entries_;
  log_index persisted_last_;
  log_index unstable_first_{1};
};

} // namespace pss::raft
