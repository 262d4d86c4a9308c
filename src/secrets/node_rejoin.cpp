// A wiped node rejoins under its old id (docs/refresh.md, "Rejoining a wiped
// node"). The decisions are rejoin_machine's (rejoin.hpp); this file performs
// them: the rejoining side's requests and its durable end, the leader's
// proposals of member_rejoin and its Raft membership changes (thesis §4
// single-server changes: remove, add a learner, promote).
#include "secrets/node_engine.hpp"
#include "storage/file_system.hpp"

namespace pss::secrets {
namespace {

std::string describe(raft::config_change_kind k) {
  switch (k) {
  case raft::config_change_kind::remove: return "its removal";
  case raft::config_change_kind::add_learner: return "adding it as a learner";
  case raft::config_change_kind::promote_learner: return "promoting it";
  }
  return "an unknown change";
}

} // namespace

// The rejoining node asks every member (the leader among them) until its own
// catalog shows the rejoin recorded. Once it is done, the node drops the
// marker durably and only then votes again.
void node_engine::drive_rejoin(millis now) {
  const auto step = rejoin_.step(now, catalog_, core().config());
  if (step.finish) {
    const auto path = storage::join_path(options_.data_dir, rejoin_marker_name);
    if (auto st = fs_->remove(path); !st.ok()) return fail(st.err());
    if (auto st = fs_->sync_directory(options_.data_dir); !st.ok()) return fail(st.err());
    rejoin_.finished();
    core().suspend_voting(false);
    event("re-admitted as a voter after a wiped disk; votes again");
    return;
  }
  if (!step.ask) return;
  for (node_id n : catalog_.view().node_ids())
    if (n != keys_.id) send(endpoint::of(n), *step.ask);
  ++counters_.rejoin_requests_sent;
}

void node_engine::on_rejoin_request(millis now, endpoint from, const rejoin_request& m) {
  const bool leader = core().role() == raft::role::leader;
  switch (rejoin_.on_request(now, from.as_node(), m, leader, catalog_)) {
  case rejoin_machine::verdict::unexpected: ++counters_.unexpected; return;
  case rejoin_machine::verdict::ignore: ++counters_.rejoin_requests_ignored; return;
  case rejoin_machine::verdict::propose: return propose_round(now, member_rejoin{m.node, m.nonce});
  }
}

void node_engine::lead_rejoins(millis now) {
  if (core().role() != raft::role::leader) return;
  const auto change = rejoin_.next_change(catalog_, core().config());
  if (!change) return;
  auto proposed = core().propose_config_change(now, *change);
  if (proposed.ok())
    event("rejoin of " + node_name(change->node) + ": proposed " + describe(change->kind) + " at index " +
          std::to_string(proposed->index.value()));
}

} // namespace pss::secrets
