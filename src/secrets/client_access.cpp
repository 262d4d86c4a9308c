// An admin's operations on the access policy (docs/access.md, "Changing the
// policy"). A grant or revoke is proposed to the leader as an access_request
// in the admin's signed envelope, under the client's session (exactly once
// across retries, like a delete); the policy is read through the leader
// (ReadIndex), like a list.
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

void client_engine::read_policy(millis now, std::uint64_t operation_id) {
  auto op = std::make_unique<operation>();
  op->id = operation_id;
  op->kind = operation_kind::policy;
  enqueue(now, std::move(op));
}

} // namespace pss::secrets
