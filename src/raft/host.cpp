#include "raft/host.hpp"

#include <algorithm>

#include "core/check.hpp"
#include "core/planted.hpp"

namespace pss::raft {

host::host(host_boot boot, prng& random, millis now) : storage_(std::move(boot.opened.storage)) {
  auto& state = boot.opened.state;
  warnings_ = std::move(state.warnings);
  // The core's log must start right after its snapshot, so any recovered
  // entry the snapshot covers is dropped (storage promises none).
  const auto covered = std::erase_if(state.entries, [&](const entry& e) { return e.index <= state.snapshot.last_index; });
  if (covered > 0) warnings_.push_back("dropped " + std::to_string(covered) + " recovered entries the snapshot covers");
  persisted_state ps;
  ps.hard = state.hard_state;
  ps.snapshot = state.snapshot;
  // A new cluster boots from an empty snapshot holding the boot
  // configuration; a real snapshot records its own.
  if (ps.snapshot.last_index == log_index{0}) ps.snapshot.config = boot.boot_config;
  ps.snapshot_data = std::move(boot.snapshot_data);
  ps.entries = std::move(state.entries);
  persisted_ = persisted_view{ps.hard, ps.snapshot.last_index, ps.entries};
  core_ = std::make_unique<node>(boot.raft, std::move(ps), random, now);
}

error host::stop(const error& e) {
  if (!failed_) failed_ = e;
  return *failed_;
}

// Raft's shell contract: nothing that depends on a write leaves before the
// write is durable. The hard state's commit must never be ahead of the
// durable log, so the entries are synced before it (docs/storage.md).
status host::persist(const ready& r) {
  if (r.install_snapshot) {
    const log_index last = r.install_snapshot->meta.last_index;
    PSS_TRY(storage_->save_snapshot(r.install_snapshot->meta, r.install_snapshot->data));
    // The core drops its whole log for a received snapshot; so does disk,
    // or a restart would bring back entries the core had let go.
    if (storage_->last_index() > last) PSS_TRY(storage_->truncate_suffix(last.next()));
    persisted_.snapshot_index = last;
    persisted_.entries.clear();
  }
  if (r.truncate_from) {
    PSS_TRY(storage_->truncate_suffix(*r.truncate_from));
    // Every ready with entries names where they start, so this runs per
    // append: cut the sorted suffix, never walk the whole mirror.
    auto& es = persisted_.entries;
    es.erase(std::partition_point(es.begin(), es.end(), [&](const entry& e) { return e.index < *r.truncate_from; }),
             es.end());
  }
  if (!r.entries.empty()) {
    PSS_TRY(storage_->append(r.entries));
    PSS_TRY(storage_->sync());
    persisted_.entries.insert(persisted_.entries.end(), r.entries.begin(), r.entries.end());
  }
  if (r.hard) {
    // A moved commit alone needs no sync (raft_storage::save_commit); a new
    // term or vote must be durable before anything is sent.
    const bool commit_only = r.hard->term == persisted_.hard.term && r.hard->vote == persisted_.hard.vote;
    PSS_TRY(commit_only ? storage_->save_commit(*r.hard) : storage_->save_hard_state(*r.hard));
    commit_durable_ = !commit_only;
    persisted_.hard = *r.hard;
  }
  return ok_status();
}

// A leader's appends and heartbeats may leave before its own write (thesis
// §10.2.1): the leader counts its own log toward commit only once advance()
// reports it persisted, so the followers' syncs run alongside its own. Not
// when the ready moves the term or the vote: every message carries the term,
// and a term must be durable before anyone hears of it. Votes and acks
// always wait (the planted bug sends them early too).
bool host::may_send_before_persist(const ready& r) const {
  if (planted::armed(planted::bug::send_before_persist)) return true;
  if (r.hard && (r.hard->term != persisted_.hard.term || r.hard->vote != persisted_.hard.vote)) return false;
  return std::all_of(r.messages.begin(), r.messages.end(), [](const envelope& m) {
    return std::holds_alternative<append_entries>(m.body) || std::holds_alternative<heartbeat>(m.body);
  });
}

// One ready, through to advance.
status host::step(millis now, host_client& c) {
  ready r = core_->take_ready(now);
  const bool early = may_send_before_persist(r);
  if (early)
    for (const auto& m : r.messages) c.send(m);
  if (auto st = persist(r); !st.ok()) return stop(st.err());
  if (!early)
    for (const auto& m : r.messages) c.send(m);
  if (r.install_snapshot)
    if (auto st = c.install(now, *r.install_snapshot); !st.ok()) return stop(st.err());
  for (const auto& e : r.committed) c.apply(now, e);
  if (auto st = c.applied(now); !st.ok()) return stop(st.err());
  c.reads(r.reads, r.failed_reads);
  core_->advance(now);
  return ok_status();
}

status host::drain(millis now, host_client& c) {
  if (failed_) return *failed_;
  while (core_->has_ready()) PSS_TRY(step(now, c));
  check_invariants();
  return ok_status();
}

result<bool> host::compact(log_index applied, bytes data) {
  if (failed_) return *failed_;
  if (applied <= core_->log().snapshot_index() || !core_->compact(applied, data).ok()) return false;
  const snapshot_meta meta = core_->snapshot_metadata();
  if (auto st = storage_->save_snapshot(meta, data); !st.ok()) return stop(st.err());
  persisted_.snapshot_index = meta.last_index;
  auto& es = persisted_.entries;
  es.erase(es.begin(), std::partition_point(es.begin(), es.end(), [&](const entry& e) { return e.index <= meta.last_index; }));
  if (auto st = storage_->compact(meta.last_index); !st.ok()) return stop(st.err());
  return true;
}

status host::make_commit_durable() {
  if (failed_) return *failed_;
  if (commit_durable_) return ok_status();
  if (auto st = storage_->save_hard_state(persisted_.hard); !st.ok()) return stop(st.err());
  commit_durable_ = true;
  return ok_status();
}

node_observation host::observe(bool running) const {
  auto o = raft::observe(*core_);
  o.persisted_hard = persisted_.hard;
  o.persisted_snapshot_index = persisted_.snapshot_index;
  o.persisted_entries = persisted_.entries;
  o.settled = running && !failed_ && !core_->has_ready();
  return o;
}

void host::check_invariants() const {
  if (failed_) return;
  PSS_CHECK(persisted_.hard == core_->current_hard_state());
  PSS_CHECK(persisted_.entries.empty() || persisted_.entries.front().index > persisted_.snapshot_index);
  PSS_CHECK(persisted_.entries.empty() || persisted_.entries.back().index == storage_->last_index());
}

} // namespace pss::raft
