#include "access/policy_change.hpp"

#include <algorithm>

#include "core/check.hpp"
#include "core/fields.hpp"

namespace pss::access {
namespace {

// The kind byte of each policy_change alternative, in variant order.
constexpr std::uint8_t change_kinds[] = {1 /* grant */, 2 /* revoke */};

std::array<std::uint8_t, crypto::sign_public_key_bytes> raw_key(const crypto::sign_public_key& k) {
  std::array<std::uint8_t, crypto::sign_public_key_bytes> out{};
  std::copy(k.bytes().begin(), k.bytes().end(), out.begin());
  return out;
}

} // namespace

// The formats of a policy change and the ledger (core/fields.hpp).

void fields(auto& io, like<revoke_request> auto& m) { io.u64(m.grant_id); }

void fields(auto& io, like<change_ledger> auto& m) {
  io.map(m.seen_, change_ledger_entries_max, "a change ledger over its bound", [&](auto& kv) {
    io.raw(kv.first.first);
    io.raw(kv.first.second);
    io.u64(kv.second);
  });
}

void encode(byte_writer& w, const policy_change& c) {
  field_writer io{w};
  io.variant(c, change_kinds, "an unknown kind of policy change");
}

result<policy_change> decode_policy_change(byte_reader& r) {
  policy_change c;
  field_reader io{r};
  io.variant(c, change_kinds, "an unknown kind of policy change");
  if (!r.ok()) return r.finish("policy change").err();
  return c;
}

bool change_ledger::contains(const signed_request& q) const { return seen_.contains(key{raw_key(q.client), q.nonce}); }

void change_ledger::prune(unix_ms now) {
  std::erase_if(seen_, [&](const auto& kv) { return kv.second <= now; });
}

status change_ledger::remember(const signed_request& q) {
  PSS_CHECK(!contains(q));
  if (seen_.size() >= change_ledger_entries_max)
    return error{errc::conflict, "too many policy changes within five minutes; wait and sign it again"};
  seen_.emplace(key{raw_key(q.client), q.nonce}, q.expires_at);
  return ok_status();
}

void change_ledger::encode(byte_writer& w) const { write_fields(w, *this); }

result<change_ledger> change_ledger::decode(byte_reader& r) {
  auto out = read_fields<change_ledger>(r);
  if (!r.ok()) return r.finish("change ledger").err();
  return out;
}

result<unix_ms> admit_change(const policy& p, change_ledger& ledger, const signed_request& request, unix_ms stamp) {
  const unix_ms now = std::max(stamp, p.clock_floor());
  ledger.prune(now);
  if (request.expires_at <= request.issued_at || request.expires_at - request.issued_at > request_lifetime_ms_max)
    return error{errc::invalid_argument, "the change's validity window is longer than 5 minutes"};
  if (request.expires_at <= now || request.issued_at > now + change_clock_skew_ms)
    return error{errc::timeout, "the change was signed for a window that does not contain the leader's clock"};
  if (ledger.contains(request)) return error{errc::duplicate, "this signed change was applied already"};
  if (ledger.size() >= change_ledger_entries_max)
    return error{errc::conflict, "too many policy changes within five minutes; wait and sign it again"};
  return now;
}

result<change_outcome> apply_change(policy& p, change_ledger& ledger, const signed_request& request,
                                    const policy_change& change, unix_ms stamp) {
  auto admitted = admit_change(p, ledger, request, stamp);
  if (!admitted.ok()) return admitted.err();
  const unix_ms now = *admitted;
  change_outcome out;
  if (const auto* g = std::get_if<grant_request>(&change)) {
    auto id = p.apply_grant(request.client, *g, now);
    if (!id.ok()) return id.err();
    out.grant_id = *id;
    out.message = "granted: grant " + std::to_string(*id);
  } else {
    const std::uint64_t id = std::get<revoke_request>(change).grant_id;
    PSS_TRY(p.apply_revoke(request.client, id, now));
    out.grant_id = id;
    out.message = "revoked: grant " + std::to_string(id);
  }
  // The ledger had room (checked above, before the policy changed).
  PSS_CHECK(ledger.remember(request).ok());
  return out;
}

} // namespace pss::access
