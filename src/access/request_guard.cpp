#include "access/request_guard.hpp"

#include <algorithm>

#include "core/check.hpp"
#include "core/planted.hpp"
#include "crypto/hash.hpp"

namespace pss::access {

std::string_view to_string(refusal r) noexcept {
  switch (r) {
    case refusal::malformed: return "malformed";
    case refusal::wrong_target: return "wrong_target";
    case refusal::expired: return "expired";
    case refusal::not_yet_valid: return "not_yet_valid";
    case refusal::lifetime_too_long: return "lifetime_too_long";
    case refusal::issued_before_start: return "issued_before_start";
    case refusal::bad_signature: return "bad_signature";
    case refusal::replayed: return "replayed";
    case refusal::busy: return "busy";
    case refusal::not_allowed: return "not_allowed";
  }
  return "unknown";
}

request_guard::request_guard(std::string cluster_id, node_id self, unix_ms started_at, guard_options options)
    : cluster_id_{std::move(cluster_id)}, self_{self}, started_at_{started_at}, options_{options} {
  PSS_CHECK(self_ != node_id{});
  PSS_CHECK(options_.replay_cache_entries > 0 && options_.replay_cache_entries <= replay_cache_entries_max);
  PSS_CHECK(options_.clock_skew_ms <= request_lifetime_ms_max);
  if (planted::armed(planted::bug::node_holds_token)) {
    // The same token on every node of the cluster, as a shared token file was.
    bytes token(cluster_id_.begin(), cluster_id_.end());
    const auto half = crypto::blake2b_256(token);
    token.assign(half.begin(), half.end());
    token.insert(token.end(), half.begin(), half.end());
    if (auto sig = crypto::signature::from_bytes(token); sig.ok()) bearer_ = *sig;
  }
}

admission request_guard::refuse(refusal r, std::string detail) {
  ++refused_[static_cast<std::size_t>(r)];
  admission out;
  out.why = r;
  out.reason = "n" + std::to_string(self_.value()) + " refused the request (" + std::string{to_string(r)} + "): "
               + std::move(detail);
  return out;
}

std::optional<refusal> request_guard::check_window(const signed_request_wire& q, unix_ms now) const {
  const unix_ms skew = options_.clock_skew_ms;
  if (q.expires_at <= q.issued_at || q.expires_at - q.issued_at > request_lifetime_ms_max)
    return refusal::lifetime_too_long;
  if (q.issued_at > now + skew) return refusal::not_yet_valid;
  if (q.expires_at <= now) return refusal::expired;
  if (q.issued_at + skew < started_at_) return refusal::issued_before_start;
  return std::nullopt;
}

std::optional<refusal> request_guard::remember(const signed_request& q, unix_ms now) {
  while (!by_expiry_.empty() && by_expiry_.begin()->first <= now) {
    const seen_key& old = by_expiry_.begin()->second;
    if (auto it = per_key_.find(old.first); --it->second == 0) per_key_.erase(it);
    seen_.erase(old);
    by_expiry_.erase(by_expiry_.begin());
  }
  seen_key key;
  std::copy(q.client.bytes().begin(), q.client.bytes().end(), key.first.begin());
  key.second = q.nonce;
  if (seen_.contains(key)) return refusal::replayed;
  if (seen_.size() >= options_.replay_cache_entries) return refusal::busy;
  std::size_t& held = per_key_[key.first];
  if (held >= options_.replay_cache_entries_per_key) {
    if (held == 0) per_key_.erase(key.first);
    return refusal::busy;
  }
  ++held;
  seen_.emplace(key, q.expires_at);
  by_expiry_.emplace(q.expires_at, key);
  return std::nullopt;
}

admission request_guard::admit(byte_view envelope, unix_ms now, const policy& applied) {
  clock_floor_ = std::max(clock_floor_, now);
  now = clock_floor_;
  auto wire = decode_signed_request_wire(envelope);
  if (!wire.ok()) return refuse(refusal::malformed, wire.err().message());
  if (wire->target != self_)
    return refuse(refusal::wrong_target, "it is signed for n" + std::to_string(wire->target.value()));
  if (auto r = check_window(*wire, now)) {
    const char* why = *r == refusal::issued_before_start ? "it was issued before this node started; sign a new one"
                      : *r == refusal::lifetime_too_long ? "its validity window is longer than 5 minutes"
                                                         : "its validity window does not contain this node's clock; "
                                                           "check the client's clock";
    return refuse(*r, why);
  }
  // A key the policy holds was validated when it was granted; any other key
  // is refused before the node spends a signature check on it.
  const crypto::sign_public_key* key = applied.known_key(wire->client, now);
  std::optional<crypto::sign_public_key> unchecked; // only under the planted skip-policy bug
  if (key == nullptr && planted::armed(planted::bug::skip_policy)) {
    if (auto k = crypto::sign_public_key::from_bytes(wire->client); k.ok()) key = &unchecked.emplace(*k);
  }
  if (key == nullptr) return refuse(refusal::not_allowed, "the policy grants this key nothing (ask an admin for a grant)");
  signed_request q{*key, wire->target, wire->nonce, wire->issued_at, wire->expires_at, std::move(wire->body), wire->sig};
  const bool bearer = bearer_ && q.sig == *bearer_; // only under the planted bug
  if (!bearer && !verify_request_signature(q, cluster_id_).ok())
    return refuse(refusal::bad_signature, "the signature does not verify for this cluster and node");
  if (auto r = remember(q, now))
    return refuse(*r, *r == refusal::replayed ? "this nonce was already used"
                                              : "too many requests in flight (for this key, or in all); retry");
  check_invariants();
  ++admitted_;
  admission out;
  out.request = std::move(q);
  return out;
}

void request_guard::check_invariants() const {
  PSS_CHECK(seen_.size() == by_expiry_.size());
  PSS_CHECK(seen_.size() <= options_.replay_cache_entries);
  PSS_CHECK(per_key_.size() <= seen_.size());
}

} // namespace pss::access
