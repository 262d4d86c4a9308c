// An admin's operations on the access policy (docs/access.md, "Changing the
// policy"). A grant or revoke is proposed to the leader as an access_request
// in the admin's signed envelope, under the client's session (exactly once
// across retries, like a delete); the policy is read through the leader
// (ReadIndex), like a list. An audit read asks one node for its own log.
#include "secrets/client_engine.hpp"
#include "secrets/client_operation.hpp"

namespace pss::secrets {

void client_engine::grant(millis now, std::uint64_t operation_id, access::grant_request g) {
  auto op = std::make_unique<operation>();
  op->id = operation_id;
  op->kind = operation_kind::grant;
  op->change = access::policy_change{std::move(g)};
  enqueue(now, std::move(op));
}

void client_engine::revoke(millis now, std::uint64_t operation_id, std::uint64_t grant_id) {
  auto op = std::make_unique<operation>();
  op->id = operation_id;
  op->kind = operation_kind::revoke;
  op->change = access::policy_change{access::revoke_request{grant_id}};
  enqueue(now, std::move(op));
}

void client_engine::change_committee(millis now, std::uint64_t operation_id, committee_change change) {
  auto op = std::make_unique<operation>();
  op->id = operation_id;
  op->kind = operation_kind::member;
  op->committee = std::move(change);
  enqueue(now, std::move(op));
}

void client_engine::read_policy(millis now, std::uint64_t operation_id) {
  auto op = std::make_unique<operation>();
  op->id = operation_id;
  op->kind = operation_kind::policy;
  enqueue(now, std::move(op));
}

void client_engine::read_audit(millis now, std::uint64_t operation_id, node_id node, std::uint64_t after_seq) {
  auto op = std::make_unique<operation>();
  op->id = operation_id;
  op->kind = operation_kind::audit;
  op->target = node;
  op->audit_after = after_seq;
  enqueue(now, std::move(op));
}

// Only the node asked answers for its own log.
void client_engine::on_audit_reply(endpoint from, audit_response&& m) {
  operation& op = *queue_.front();
  if (op.step != phase::audit || m.request_id != op.request_id || from.as_node() != op.target) {
    ++counters_.stale_responses;
    return;
  }
  if (m.code == reply_code::unauthorized) return fail(client_error::not_authorised, m.reason);
  if (m.code != reply_code::ok) return fail(client_error::refused, m.reason);
  completion c = make_completion(op.id, op.kind, operation_outcome::ok, client_error::none, "audit records");
  c.audit_records = std::move(m.records);
  c.audit_head = m.head_seq;
  finish(std::move(c));
}

} // namespace pss::secrets
