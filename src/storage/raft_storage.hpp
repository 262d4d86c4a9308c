// The durable state of one Raft node, behind an interface.
//
// The node actor (the shell around the pure Raft core) owns one raft_storage.
// For every Ready-style output of the core it appends entries, saves the hard
// state, then calls sync(), and only then sends the messages that depend on
// them (Raft §5, "persist before send"). Many appends followed by one sync()
// is a group commit.
//
// Contract:
// - append() buffers; nothing is durable until sync() returns success.
// - save_hard_state() and save_snapshot() are atomic and durable on return;
//   save_commit() is atomic, and durable only with a later save_hard_state().
// - The hard state's commit index is a hint that must never be ahead of the
//   durable log: sync() the entries before saving a hard state whose commit
//   covers them. open refuses a directory where it is ahead (that means
//   acknowledged entries were lost).
// - After any failed operation the storage refuses all further work; the
//   node must restart and recover from what is durable.
// - Nothing here holds share material: entries and snapshots carry only
//   replicated, public state (DESIGN §4).
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "raft/types.hpp"

namespace pss::storage {

// What a node finds on its disk when it starts.
struct recovered_raft_state {
  raft::hard_state hard_state;
  // The latest snapshot's metadata; last_index 0 when there is none. Its data
  // is read on demand with raft_storage::read_snapshot().
  raft::snapshot_meta snapshot;
  // The log after the snapshot: contiguous, starting at snapshot.last_index+1.
  std::vector<raft::entry> entries;
  // Damage that was found and repaired (a torn tail cut off, a leftover file
  // removed), one human-readable line each, naming the file and offset. The
  // caller logs them; they never contain secret material.
  std::vector<std::string> warnings;
};

// Where an entry's record lies on disk, so that a checker can ask the disk
// itself whether the entry is durable (the simulator's durability-on-send
// check) instead of trusting the storage's own bookkeeping.
struct entry_location {
  std::string path;
  std::uint64_t offset = 0; // where the entry's record starts
  std::uint64_t end = 0;    // and where it ends
};

class raft_storage {
public:
  virtual ~raft_storage() = default;

  // Buffers entries after the last one. They must be contiguous
  // (entries[0].index == last_index()+1) with non-decreasing terms.
  [[nodiscard]] virtual status append(std::span<const raft::entry> entries) = 0;
  // Removes the entries from `from` on (a conflicting suffix, Raft §5.3).
  // `from` must be above the snapshot and at most last_index()+1. Entries
  // that were durable are durably gone when it returns; buffered ones are
  // simply dropped.
  [[nodiscard]] virtual status truncate_suffix(log_index from) = 0;
  // Makes every appended entry durable (one fdatasync for all of them).
  [[nodiscard]] virtual status sync() = 0;
  // Atomically and durably replaces the hard state.
  [[nodiscard]] virtual status save_hard_state(const raft::hard_state& hs) = 0;
  // Replaces the hard state when only its commit index moved, without a
  // sync: Raft keeps the commit index in volatile state (Fig. 2), and a
  // leader tells it again, so a crash may bring back the last durable hard
  // state but never a torn one, nor an older term or vote. It saves one
  // fdatasync per commit on every node. The term and vote must be the last
  // durably saved ones.
  [[nodiscard]] virtual status save_commit(const raft::hard_state& hs) = 0;
  // Atomically and durably replaces the snapshot. As in Raft §7, a log that
  // does not contain the snapshot's last entry (same index and term) is
  // discarded: the next append is meta.last_index+1. A snapshot older than
  // the current one is refused (errc::conflict).
  [[nodiscard]] virtual status save_snapshot(const raft::snapshot_meta& meta,
                                             byte_view data) = 0;
  // Drops log entries up to up_to, which the snapshot must cover. Whole
  // segments are removed (durably); entries that share a segment with later
  // ones stay on disk until that segment goes.
  [[nodiscard]] virtual status compact(log_index up_to) = 0;
  // The current snapshot's data (empty when there is none), checksum-verified.
  [[nodiscard]] virtual result<bytes> read_snapshot() = 0;

  // The index of the last entry (buffered ones included), or the snapshot's
  // last index when the log is empty.
  [[nodiscard]] virtual log_index last_index() const = 0;

  // For checkers: the record of entry i (nullopt if it is not in the log:
  // covered by the snapshot, or past the end), and the files that hold the
  // snapshot and the hard state.
  [[nodiscard]] virtual std::optional<entry_location> locate(log_index i) const = 0;
  [[nodiscard]] virtual std::string snapshot_path() const = 0;
  [[nodiscard]] virtual std::string hard_state_path() const = 0;
};

struct opened_raft_storage {
  std::unique_ptr<raft_storage> storage;
  recovered_raft_state state;
  bool initialised = false; // true if the directory was empty and is now set up
};

} // namespace pss::storage
