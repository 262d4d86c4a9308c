// The access policy: which client keys may do what to which names
// (docs/access.md). It is part of the replicated catalog, so it changes only
// by applying committed commands, in the same order on every node, and it
// travels in snapshots.
//
// Everything here is deterministic: the time used to judge expiry is the
// stamp the leader put into the entry being applied (never the applying
// node's clock), and it never moves backwards. The policy holds public keys
// only; no client secret is ever in it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "access/rights.hpp"
#include "core/bytes.hpp"
#include "core/fields.hpp"
#include "core/result.hpp"
#include "crypto/sign.hpp"

namespace pss::access {

inline constexpr std::size_t grants_max = 4096;
inline constexpr std::size_t label_bytes_max = 64;

// Unix time in milliseconds (wall clock, stamped by the leader).
using unix_ms = std::uint64_t;
inline constexpr unix_ms never_expires = 0;

struct grant {
  std::uint64_t id = 0; // assigned when applied; increasing, never reused
  crypto::sign_public_key key;
  std::string pattern;
  rights granted;
  unix_ms expires_at = never_expires;
  std::string label; // whom it is for, as the admin wrote it
  friend bool operator==(const grant&, const grant&) = default;
};

// What an admin asks for; the policy assigns the id.
struct grant_request {
  crypto::sign_public_key key;
  std::string pattern;
  rights granted;
  unix_ms expires_at = never_expires;
  std::string label;
  friend bool operator==(const grant_request&, const grant_request&) = default;
};

// A grant (its id, then a grant_request's fields) and a grant request on
// the wire: snapshots, policy listings, changes. Their format
// (core/fields.hpp) is here, for every format that holds one. Decoding checks
// the key and the rights mask; the policy checks the rest.
namespace detail {
void grant_request_fields(auto& io, auto& m) {
  io.convert(m.key, [](const crypto::sign_public_key& k) { return k.bytes(); }, crypto::sign_public_key::from_bytes);
  io.str(m.pattern, pattern_bytes_max);
  io.convert(m.granted, [](rights r) { return r.mask(); }, rights::from_mask);
  io.u64(m.expires_at);
  io.str(m.label, label_bytes_max);
}
} // namespace detail

void fields(auto& io, like<grant_request> auto& m) { detail::grant_request_fields(io, m); }

void fields(auto& io, like<grant> auto& m) {
  io.u64(m.id);
  detail::grant_request_fields(io, m);
}

void encode_grant_request(byte_writer& w, const grant_request& g);
[[nodiscard]] result<grant_request> decode_grant_request(byte_reader& r);
void encode_grant(byte_writer& w, const grant& g);
[[nodiscard]] result<grant> decode_grant(byte_reader& r);

class policy {
public:
  // The first policy of a cluster: the admin key named at creation may do
  // everything to every name, for ever.
  [[nodiscard]] static policy bootstrap(const crypto::sign_public_key& admin);

  // Whether some unexpired grant of `key` has the right for the name (for
  // refresh and admin: a grant whose pattern is "*"; the name is ignored).
  [[nodiscard]] bool allows(const crypto::sign_public_key& key, right r, std::string_view name,
                            unix_ms now) const;

  // The validated key of an unexpired grant whose key has these bytes, or
  // nullptr: a request's raw key is looked up here instead of validated, and
  // a stranger's request is refused before it costs the node a signature check.
  [[nodiscard]] const crypto::sign_public_key* known_key(byte_view raw, unix_ms now) const;

  // Whether some unexpired grant of `key` has the right at all (a list is
  // then filtered name by name).
  [[nodiscard]] bool allows_some(const crypto::sign_public_key& key, right r, unix_ms now) const;

  // Applies an admin's change at the entry's stamp `now`. Refused
  // (unauthorized) unless `by` holds admin now; refused (invalid_argument)
  // for a bad pattern, label, empty rights or an expiry already past;
  // refused (conflict) when it would leave no admin grant that never
  // expires, or past grants_max. A refused change changes nothing.
  [[nodiscard]] result<std::uint64_t> apply_grant(const crypto::sign_public_key& by, const grant_request& g,
                                                  unix_ms now);
  [[nodiscard]] status apply_revoke(const crypto::sign_public_key& by, std::uint64_t grant_id, unix_ms now);

  [[nodiscard]] const std::vector<grant>& grants() const noexcept { return grants_; }
  // The latest stamp applied: expiry is judged no earlier than this.
  [[nodiscard]] unix_ms clock_floor() const noexcept { return clock_floor_; }

  // For snapshots. decode refuses anything a sequence of applied changes
  // could not have produced (bounds, order, no lasting admin).
  void encode(byte_writer& w) const;
  [[nodiscard]] static result<policy> decode(byte_reader& r);

  // Grant ids increase, every grant is valid, and some admin grant never
  // expires. Aborts otherwise.
  void check_invariants() const;

  friend bool operator==(const policy&, const policy&) = default;
  // The policy's format (policy.cpp).
  friend void fields(auto& io, like<policy> auto& m);

private:
  // What decode refuses: no grant, ids out of order, an invalid grant, no
  // lasting admin.
  [[nodiscard]] status check_decoded() const;
  [[nodiscard]] unix_ms judge_time(unix_ms stamp) const noexcept { return stamp > clock_floor_ ? stamp : clock_floor_; }
  [[nodiscard]] bool has_lasting_admin() const;

  std::vector<grant> grants_; // by id
  std::uint64_t next_id_ = 1;
  unix_ms clock_floor_ = 0;
};

} // namespace pss::access
