// Applying an admin's change to the access policy (docs/access.md,
// "Changing the policy"), or to the committee (docs/refresh.md §7, recorded
// by catalog_committee.cpp). Every replica checks the admin's envelope itself
// here, so what the leader says about it counts for nothing: the signature
// for this cluster, a target that is a member, the signed session sequence,
// the window against the leader's stamp, the nonce against the changes
// applied, and the admin right against the policy as applied so far.
#include "secrets/catalog.hpp"

#include "access/signed_request.hpp"
#include "secrets/messages.hpp"

namespace pss::secrets {
namespace {

command_result refuse(result_code code, std::string message) {
  return command_result{code, {}, "policy change refused: " + std::move(message)};
}

} // namespace

command_result catalog::execute(const access_change& c, const session_header& session, apply_effects& fx) {
  auto request = access::decode_signed_request(c.request);
  if (!request.ok()) return refuse(result_code::invalid, "the envelope does not decode");
  if (view_.find(request->target) == nullptr) return refuse(result_code::invalid, "it is signed for a non-member");
  if (!access::verify_request_signature(*request, view_.cluster_id).ok())
    return refuse(result_code::invalid, "the signature does not verify");
  auto body = decode_wire_message(request->body);
  if (const auto* member = body.ok() ? std::get_if<member_request>(&*body) : nullptr) {
    if (member->sequence != session.sequence)
      return refuse(result_code::invalid, "the signed sequence number is not the entry's");
    return execute_committee(member->change, *request, c.stamped_at, fx);
  }
  const auto* asked = body.ok() ? std::get_if<access_request>(&*body) : nullptr;
  if (asked == nullptr) return refuse(result_code::invalid, "the signed request is not a policy change");
  if (asked->sequence != session.sequence)
    return refuse(result_code::invalid, "the signed sequence number is not the entry's");
  auto applied = access::apply_change(policy_, changes_, *request, asked->change, c.stamped_at);
  if (!applied.ok()) {
    const bool lockout = applied.err().code() == errc::conflict;
    return refuse(lockout ? result_code::conflict : result_code::invalid, applied.err().message());
  }
  policy_.check_invariants();
  fx.policy_changed = true;
  return command_result{result_code::ok, secret_version{applied->grant_id}, applied->message};
}

} // namespace pss::secrets
