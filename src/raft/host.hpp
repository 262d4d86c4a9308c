// The one Raft shell loop (docs/raft.md, "The shell contract"): a pure
// raft::node, its durable state in a storage::raft_storage, and the mirror of
// what is durable that the checkers compare with memory. Both engines that
// run Raft host it: secrets::node_engine (production) and the simulator's
// Raft-only register (sim/raft_engine.cpp), so there is one copy of the loop.
//
// For each ready, in this order: persist (snapshot, truncation, entries and
// one sync, then the hard state), send, install a received snapshot, apply
// the committed entries, let the owner flush its own state, hand over the
// read results, advance. Only the owner's state machine differs, and it is
// reached through host_client.
//
// A storage failure stops the host: the error is returned, nothing that
// depended on the failed write is sent, and every later drain returns it
// again. The owner stops too and is restarted from its disk.
//
// It sits above the core and storage: src/raft/node.hpp never includes it.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/prng.hpp"
#include "core/result.hpp"
#include "raft/cluster_checker.hpp"
#include "raft/node.hpp"
#include "storage/raft_storage.hpp"

namespace pss::raft {

// What is durable, mirrored for the checker's persisted-equals-memory test
// (cluster_checker) and the simulator's leak scans.
struct persisted_view {
  hard_state hard;
  log_index snapshot_index;
  std::vector<entry> entries;
};

// The owner's side of each ready. Called only from host::drain.
class host_client {
public:
  virtual ~host_client() = default;
  virtual void send(const envelope& m) = 0;
  // A received snapshot replaces the state machine; an error stops the host.
  [[nodiscard]] virtual status install(millis now, const snapshot& s) = 0;
  virtual void apply(millis now, const entry& e) = 0;
  // After a ready's entries were applied, before its reads: flush what the
  // state machine keeps in its own files. An error stops the host.
  [[nodiscard]] virtual status applied(millis now) = 0;
  // ReadIndex results: each read's index, and the reads that failed.
  virtual void reads(std::span<const read_state> ready, std::span<const std::uint64_t> failed) = 0;
};

struct host_boot {
  options raft;                      // id set by the owner
  storage::opened_raft_storage opened;
  bytes snapshot_data;               // read_snapshot() of `opened`
  configuration boot_config;         // the configuration when there is no snapshot yet
};

class host {
public:
  // Builds the core from what storage recovered. `random` outlives the host.
  host(host_boot boot, prng& random, millis now);

  // Runs every ready the core has (see the top of this file).
  [[nodiscard]] status drain(millis now, host_client& c);
  // Snapshots `data`, the state machine at `applied`, and drops the log it
  // covers: in the core, then durably, then the log's segments. False when
  // the core declines (nothing to compact).
  [[nodiscard]] result<bool> compact(log_index applied, bytes data);
  // Makes a commit index saved without a sync durable (one sync), for an
  // owner about to make a change that only the entries up to it justify.
  [[nodiscard]] status make_commit_durable();

  [[nodiscard]] node& core() noexcept { return *core_; }
  [[nodiscard]] const node& core() const noexcept { return *core_; }
  [[nodiscard]] const storage::raft_storage& storage() const noexcept { return *storage_; }
  [[nodiscard]] const persisted_view& persisted() const noexcept { return persisted_; }
  // What storage repaired on opening, one line each (never secret).
  [[nodiscard]] const std::vector<std::string>& warnings() const noexcept { return warnings_; }
  [[nodiscard]] const std::optional<error>& failure() const noexcept { return failed_; }
  // raft::observe() plus the persisted fields; settled when the owner is
  // `running`, the host has not failed and no ready waits.
  [[nodiscard]] node_observation observe(bool running) const;

private:
  [[nodiscard]] status persist(const ready& r);
  [[nodiscard]] bool may_send_before_persist(const ready& r) const;
  [[nodiscard]] status step(millis now, host_client& c);
  error stop(const error& e); // the first failure stays
  void check_invariants() const;

  std::unique_ptr<storage::raft_storage> storage_;
  std::unique_ptr<node> core_;
  persisted_view persisted_;
  std::vector<std::string> warnings_;
  std::optional<error> failed_;
  bool commit_durable_ = true; // false after a save_commit, until a synced save
};

} // namespace pss::raft
