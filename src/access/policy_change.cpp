#include "access/policy_change.hpp"

#include <algorithm>

#include "core/check.hpp"

namespace pss::access {
namespace {

constexpr std::uint8_t kind_grant = 1;
constexpr std::uint8_t kind_revoke = 2;

std::array<std::uint8_t, crypto::sign_public_key_bytes> raw_key(const crypto::sign_public_key& k) {
  std::array<std::uint8_t, crypto::sign_public_key_bytes> out{};
  std::copy(k.bytes().begin(), k.bytes().end(), out.begin());
  return out;
}

} // namespace

void encode(byte_writer& w, const policy_change& c) {
  if (const auto* g = std::get_if<grant_request>(&c)) {
    w.u8(kind_grant);
    return encode_grant_request(w, *g);
  }
  w.u8(kind_revoke);
  w.u64(std::get<revoke_request>(c).grant_id);
}

result<policy_change> decode_policy_change(byte_reader& r) {
  const std::uint8_t kind = r.u8();
  if (kind == kind_revoke) {
    revoke_request v{r.u64()};
    if (!r.ok()) return error{errc::malformed, "a revoke does not decode"};
    return policy_change{v};
  }
  if (kind != kind_grant) return error{errc::malformed, "an unknown kind of policy change"};
  auto g = decode_grant_request(r);
  if (!g.ok()) return g.err();
  return policy_change{std::move(*g)};
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

void change_ledger::encode(byte_writer& w) const {
  w.u32(static_cast<std::uint32_t>(seen_.size()));
  for (const auto& [k, expires] : seen_) {
    w.raw(k.first);
    w.raw(k.second);
    w.u64(expires);
  }
}

result<change_ledger> change_ledger::decode(byte_reader& r) {
  change_ledger out;
  const std::uint32_t n = r.u32();
  if (n > change_ledger_entries_max) return error{errc::malformed, "a change ledger over its bound"};
  for (std::uint32_t i = 0; i < n && r.ok(); ++i) {
    key k{};
    r.raw_into(k.first);
    r.raw_into(k.second);
    const unix_ms expires = r.u64();
    if (!out.seen_.emplace(k, expires).second) r.fail("a change ledger lists a nonce twice");
  }
  if (!r.ok()) return error{errc::malformed, "a change ledger does not decode"};
  return out;
}

result<change_outcome> apply_change(policy& p, change_ledger& ledger, const signed_request& request,
                                    const policy_change& change, unix_ms stamp) {
  const unix_ms now = std::max(stamp, p.clock_floor());
  ledger.prune(now);
  if (request.expires_at <= request.issued_at || request.expires_at - request.issued_at > request_lifetime_ms_max)
    return error{errc::invalid_argument, "the change's validity window is longer than 5 minutes"};
  if (request.expires_at <= now || request.issued_at > now + change_clock_skew_ms)
    return error{errc::timeout, "the change was signed for a window that does not contain the leader's clock"};
  if (ledger.contains(request)) return error{errc::duplicate, "this signed change was applied already"};
  if (ledger.size() >= change_ledger_entries_max)
    return error{errc::conflict, "too many policy changes within five minutes; wait and sign it again"};
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
