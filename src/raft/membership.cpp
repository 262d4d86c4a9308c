// Single-server membership changes (Raft thesis §4.1-§4.3): a configuration
// takes effect as soon as its entry is appended and rolls back if the entry
// is truncated; at most one change is uncommitted; a leader changes the
// configuration only after committing an entry of its own term (the fix in
// the thesis' errata); learners catch up before promotion; a leader that
// removed itself keeps leading until the change commits, then steps down.
#include <algorithm>

#include "core/check.hpp"
#include "raft/node.hpp"

namespace pss::raft {

void node::note_appended(const entry& e) {
  if (e.kind != entry_kind::config) return;
  // A config entry that does not parse came from a corrupt or hostile
  // leader; it is kept in the log (to stay consistent) but never obeyed.
  auto config = configuration_from_bytes(e.data);
  if (!config) return;
  config_entries_.emplace_back(e.index, std::move(*config));
  if (role_ == role::leader) sync_progress_with_config();
}

void node::rebuild_configs_after_truncation() {
  const log_index last = log_.last_index();
  std::erase_if(config_entries_, [&](const auto& c) { return c.first > last; });
}

configuration node::config_at(log_index index) const {
  const configuration* found = &snapshot_config_;
  for (const auto& [at, config] : config_entries_)
    if (at <= index) found = &config;
  return *found;
}

void node::sync_progress_with_config() {
  PSS_CHECK(role_ == role::leader);
  const configuration& cfg = config();
  auto add = [&](node_id id) {
    if (id == opts_.id || progress_.contains(id)) return;
    progress pr;
    pr.next = log_.last_index().next();
    progress_.emplace(id, pr);
  };
  for (node_id id : cfg.voters) add(id);
  for (node_id id : cfg.learners) add(id);
  std::erase_if(progress_, [&](const auto& p) { return !cfg.contains(p.first); });
  if (transfer_target_ && !cfg.is_voter(*transfer_target_)) abort_transfer();
}

bool node::has_uncommitted_config() const {
  return !config_entries_.empty() && config_entries_.back().first > commit_;
}

void node::on_config_committed(millis now) {
  if (role_ != role::leader || is_voter() || has_uncommitted_config()) return;
  // Thesis §4.2.2: the removed leader steps down once its removal commits.
  // It hands over to the most caught-up voter so the cluster need not wait
  // for an election timeout.
  node_id best = no_node;
  log_index best_match;
  for (const auto& [id, pr] : progress_) {
    if (config().is_voter(id) && pr.match >= best_match) {
      best = id;
      best_match = pr.match;
    }
  }
  if (best != no_node && best_match == log_.last_index()) send(best, timeout_now{term_});
  become_follower(now, term_, no_node);
}

status node::validate_change(const config_change& change) const {
  const configuration& cfg = config();
  if (change.node == no_node)
    return error{errc::invalid_argument, "a configuration change needs a node id"};
  switch (change.kind) {
    case config_change_kind::add_learner:
      if (cfg.contains(change.node))
        return error{errc::duplicate, "the node is already a member"};
      return ok_status();
    case config_change_kind::promote_learner: {
      if (!cfg.is_learner(change.node))
        return error{errc::invalid_argument, "only a learner can be promoted; add it as a learner first"};
      const auto& pr = progress_.at(change.node);
      if (pr.match.value() + opts_.learner_catch_up_entries_max < log_.last_index().value())
        return error{errc::unavailable, "the learner is still catching up; retry later"};
      return ok_status();
    }
    case config_change_kind::remove:
      if (!cfg.contains(change.node))
        return error{errc::not_found, "the node is not a member"};
      if (cfg.voters.size() == 1 && cfg.is_voter(change.node))
        return error{errc::invalid_argument, "cannot remove the last voter"};
      return ok_status();
  }
  return error{errc::invalid_argument, "unknown configuration change"};
}

result<proposal> node::propose_config_change(millis now, config_change change) {
  PSS_CHECK_MSG(!ready_outstanding_, "advance() the last ready before new input");
  if (role_ != role::leader)
    return not_leader_error();
  if (transfer_target_)
    return error{errc::unavailable, "leadership transfer in progress; retry shortly"};
  if (!committed_in_current_term())
    return error{errc::unavailable, "the leader has not committed an entry of its term yet; retry shortly"};
  if (has_uncommitted_config())
    return error{errc::unavailable, "another configuration change is still uncommitted; retry after it commits"};
  PSS_TRY(validate_change(change));
  configuration next = config();
  auto drop = [&](std::vector<node_id>& ids) { std::erase(ids, change.node); };
  switch (change.kind) {
    case config_change_kind::add_learner: next.learners.push_back(change.node); break;
    case config_change_kind::promote_learner:
      drop(next.learners);
      next.voters.push_back(change.node);
      break;
    case config_change_kind::remove:
      drop(next.voters);
      drop(next.learners);
      break;
  }
  append_own(now, entry_kind::config, to_bytes(next));
  check_invariants();
  return proposal{log_.last_index(), term_};
}

} // namespace pss::raft
