// The view a client deals to (docs/refresh.md §7.3, "Clients keep their
// cluster file"): learning it from a node, taking from it only what the
// cluster file vouches for, and asking one node for the view it serves as
// it serves it (`pss cluster-file --update` decides whom to believe).
#include <algorithm>

#include "secrets/client_engine.hpp"
#include "secrets/client_operation.hpp"

namespace pss::secrets {

void client_engine::begin_view(millis now) {
  operation& op = *queue_.front();
  op.step = phase::view;
  op.attempts = 0;
  op.unvouched_by.clear();
  op.target = leader_ != no_node ? leader_ : next_node(); // the leader's view is the newest
  send_single(now);
}

void client_engine::read_view(millis now, std::uint64_t operation_id, node_id node) {
  auto op = std::make_unique<operation>();
  op->id = operation_id;
  op->kind = operation_kind::view;
  op->target = node;
  enqueue(now, std::move(op));
}

namespace {
// The part of a served view the cluster file vouches for: the members it
// names with the same index and keys. A member it does not name (one added
// since the file was written) is left out, so the client never deals to a
// key the operator's file does not show (`pss cluster-file --update` takes
// it in); a named member with other keys or another index, or another
// threshold, refuses the whole view: a node that lists other keys could
// collect every share. At least t+1 members must remain. Addresses and the
// epoch may differ.
std::optional<cluster_view> vouched_part(const cluster_view& served, const cluster_view& expected) {
  if (served.threshold != expected.threshold) return std::nullopt;
  cluster_view out = served;
  out.members.clear();
  for (const member& a : served.members) {
    const member* b = expected.find(a.id);
    if (b == nullptr) continue;
    if (a.index != b->index || !(a.box_key == b->box_key) || !(a.sign_key == b->sign_key)) return std::nullopt;
    out.members.push_back(a);
  }
  if (out.members.size() < out.threshold + std::size_t{1}) return std::nullopt;
  return out;
}
} // namespace

// A view the cluster file does not vouch for may come from a lying node:
// the next is asked, and once t nodes served one (at most t-1 lie, so an
// honest one is among them: the cluster changed) the client fails, saying
// how to take the change in.
void client_engine::view_not_vouched(millis now, const cluster_view& served) {
  operation& op = *queue_.front();
  const cluster_view& file = *options_.expected_members;
  const std::string why = served.threshold != file.threshold
                            ? "t is " + std::to_string(served.threshold) + ", the cluster file says "
                                + std::to_string(file.threshold)
                            : "its members' keys or indices differ from the cluster file's";
  op.unvouched_by.insert(op.target);
  if (op.unvouched_by.size() >= std::min<std::size_t>(options_.nodes.size(), file.threshold))
    return fail(client_error::refused, std::to_string(op.unvouched_by.size()) + " nodes serve a cluster the file does not vouch for (" + why
                                         + "); if an admin changed it, run: pss cluster-file --update");
  event(node_name(op.target) + " serves a membership that differs from the cluster file (" + why + "); trying another");
  retry_single(now, true);
}

void client_engine::on_view(millis now, endpoint from, const get_view_response& m) {
  operation& op = *queue_.front();
  if (op.step != phase::view || m.request_id != op.request_id || from.as_node() != op.target) {
    ++counters_.stale_responses;
    return;
  }
  if (!m.not_serving.empty()) {
    if (op.kind == operation_kind::view) return fail(client_error::refused, m.not_serving);
    event(m.not_serving + "; asking another node");
    return retry_single(now, true);
  }
  if (op.kind == operation_kind::view) {
    completion c = make_completion(op.id, op.kind, operation_outcome::ok, client_error::none, "served");
    c.view = m.view;
    op.served_by = op.target;
    return finish(std::move(c));
  }
  if (!options_.expected_cluster_id.empty() && m.view.cluster_id != options_.expected_cluster_id) {
    event(node_name(op.target) + " serves cluster " + m.view.cluster_id + ", not ours; trying another");
    return retry_single(now, true);
  }
  std::optional<cluster_view> vouched = m.view;
  if (options_.expected_members) vouched = vouched_part(m.view, *options_.expected_members);
  if (!vouched) return view_not_vouched(now, m.view);
  view_ = std::move(*vouched);
  view_learned_at_ = now;
  // A sealing key counts only if its member signed it with the signing key
  // the vouched view (the cluster file) names: a lying node cannot make
  // this client seal another member's share to a key of its own.
  for (const seal_announcement& a : m.seal_keys) {
    auto known = seal_to_.find(a.node);
    if (known != seal_to_.end() && known->second.serial >= a.serial) continue;
    if (view_->find(a.node) != nullptr && announcement_signed(*view_, a)) seal_to_[a.node] = a;
  }
  if (proposes_at_once(op.kind)) return begin_propose(now, true);
  if (op.kind == operation_kind::put) return begin_deal(now);
  begin_read(now);
}

} // namespace pss::secrets
