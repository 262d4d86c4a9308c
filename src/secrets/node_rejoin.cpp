// A wiped node rejoins under its old id (docs/refresh.md, "Rejoining a wiped
// node"): the rejoining side asks to be re-admitted and lifts its vote
// suspension once it is a voter again; the leader records the rejoin in the
// catalog and drives the Raft membership changes (thesis §4 single-server
// changes: remove, add a learner, promote), from replicated state only, so a
// new leader carries on where the last one stopped.
#include "secrets/node_engine.hpp"
#include "storage/file_system.hpp"

namespace pss::secrets {
namespace {


} // namespace

bool node_engine::rejoin_unrecorded() const {
  return rejoin_nonce_ && !catalog_.rejoin_recorded(keys_.id, *rejoin_nonce_);
}

// The rejoining node asks every member (the leader among them) until its own
// catalog shows the rejoin recorded. Once the catalog shows it done, it is a
// voter of a configuration committed after its removal: it drops the marker
// durably and only then votes again.
void node_engine::drive_rejoin(millis now) {
  if (!rejoin_nonce_) return;
  if (catalog_.rejoin_done(keys_.id, *rejoin_nonce_) && core().config().is_voter(keys_.id)) {
    const auto path = storage::join_path(options_.data_dir, rejoin_marker_name);
    if (auto st = fs_->remove(path); !st.ok()) return fail(st.err());
    if (auto st = fs_->sync_directory(options_.data_dir); !st.ok()) return fail(st.err());
    rejoin_nonce_.reset();
    core().suspend_voting(false);
    event("re-admitted as a voter after a wiped disk; votes again");
    return;
  }
  if (!rejoin_unrecorded() || now < next_rejoin_request_) return;
  next_rejoin_request_ = now + rejoin_request_interval;
  for (node_id n : catalog_.view().node_ids())
    if (n != keys_.id) send(endpoint::of(n), rejoin_request{keys_.id, *rejoin_nonce_});
  ++counters_.rejoin_requests_sent;
}

// The leader proposes member_rejoin once per nonce; a request whose nonce is
// recorded (a duplicate, or a late copy of a finished rejoin) is ignored.
void node_engine::on_rejoin_request(millis now, endpoint from, const rejoin_request& m) {
  if (m.node != from.as_node()) {
    ++counters_.unexpected; // a node speaks only for itself
    return;
  }
  auto last = rejoin_proposed_.find(m.node);
  const bool just_proposed = last != rejoin_proposed_.end() && last->second.first == m.nonce
                             && now < last->second.second + options_.round_resend_interval;
  if (core().role() != raft::role::leader || catalog_.rejoin_recorded(m.node, m.nonce) || just_proposed) {
    ++counters_.rejoin_requests_ignored;
    return;
  }
  rejoin_proposed_[m.node] = {m.nonce, now};
  propose_round(now, member_rejoin{m.node, m.nonce});
}

// One configuration change at a time, chosen from the committed rejoin state
// and the latest configuration: a node not yet removed since its rejoin was
// recorded is removed (a voter loses its vote only through a committed
// change); once removed it is added as a learner, and promoted once Raft
// finds it caught up. Raft refuses a change while another is uncommitted, so
// the removal commits before the node is added back.
void node_engine::lead_rejoins(millis now) {
  if (core().role() != raft::role::leader) return;
  const raft::configuration& cfg = core().config();
  for (const auto& [n, r] : catalog_.rejoins()) {
    if (r.done || n == keys_.id) continue;
    raft::config_change change{raft::config_change_kind::remove, n};
    if (!cfg.contains(n)) change.kind = raft::config_change_kind::add_learner;
    else if (r.removed && cfg.is_learner(n)) change.kind = raft::config_change_kind::promote_learner;
    else if (r.removed) continue; // promoted: done once that commits
    auto proposed = core().propose_config_change(now, change);
    if (proposed.ok())
      event("rejoin of " + node_name(n) + ": proposed " +
            (change.kind == raft::config_change_kind::remove        ? "its removal"
             : change.kind == raft::config_change_kind::add_learner ? "adding it as a learner"
                                                                    : "promoting it") +
            " at index " + std::to_string(proposed->index.value()));
    return;
  }
}

} // namespace pss::secrets
