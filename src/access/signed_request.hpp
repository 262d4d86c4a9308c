// The signed request envelope (docs/access.md, "Signed requests").
//
// Every client request to a node is its encoded request bytes wrapped in one
// envelope, signed with the client's Ed25519 key. The signature covers the
// cluster id and the target node (so a node cannot replay a request to
// another node or cluster), a nonce and a validity window, and the body's
// bytes exactly as they are. So every field of any request (operation, name,
// version, a reader's ephemeral key, a session and sequence number) is
// signed without this module knowing about it, and a new request kind needs
// no new signing code.
//
// The envelope holds no secret: the body carries only sealed shares, and the
// client's seed never leaves the client.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "access/policy.hpp"
#include "core/bytes.hpp"
#include "core/ids.hpp"
#include "core/result.hpp"
#include "crypto/hash.hpp"
#include "crypto/random_source.hpp"
#include "crypto/sign.hpp"

namespace pss::access {

// The wire type tag of the envelope; it sits beside the secrets protocol's
// message tags (secrets/messages.hpp), which leave it unused.
inline constexpr std::uint8_t signed_request_tag = 30;
inline constexpr std::size_t nonce_bytes = 16;
// The longest validity window a node accepts; a client asks for less.
inline constexpr unix_ms request_lifetime_ms_max = 5 * 60 * 1000;
// Short, because each node remembers every nonce for a request's lifetime
// (request_guard.hpp): 20 s covers a retry and a client clock that runs a
// little behind.
inline constexpr unix_ms request_lifetime_ms_default = 20 * 1000;
inline constexpr std::size_t request_body_bytes_max = 8 * 1024 * 1024;

using request_nonce = std::array<std::uint8_t, nonce_bytes>;

struct signed_request {
  crypto::sign_public_key client;
  node_id target;
  request_nonce nonce{};
  unix_ms issued_at = 0;
  unix_ms expires_at = 0;
  bytes body; // the encoded request, with its own type tag
  crypto::signature sig;
};

// Signs `body` for `target` in the cluster, valid from `issued_at` for
// `lifetime` ms, with a nonce from `rng`. invalid_argument for an empty or
// oversized body, a lifetime of 0 or above request_lifetime_ms_max, or a
// cluster id the context refuses.
[[nodiscard]] result<signed_request> sign_request(const crypto::sign_key_pair& client, std::string_view cluster_id,
                                                  node_id target, unix_ms issued_at, unix_ms lifetime,
                                                  bytes body, crypto::random_source& rng);

// verification_failed unless the signature is the client's over this
// request for this cluster.
[[nodiscard]] status verify_request_signature(const signed_request& request, std::string_view cluster_id);

// The envelope with its tag; decode requires the tag, every byte consumed
// and the body within its bound, and a valid Ed25519 client key.
[[nodiscard]] bytes encode_signed_request(const signed_request& request);
[[nodiscard]] result<signed_request> decode_signed_request(byte_view payload);

// The same envelope with the client key left as raw bytes. Checking that a
// key is a valid point costs a scalar multiplication (as much as the
// signature check); a node looks the raw key up among the keys its policy
// already validated instead, and refuses a stranger before either cost.
struct signed_request_wire {
  std::array<std::uint8_t, crypto::sign_public_key_bytes> client{};
  node_id target;
  request_nonce nonce{};
  unix_ms issued_at = 0;
  unix_ms expires_at = 0;
  bytes body;
  crypto::signature sig;
};
[[nodiscard]] result<signed_request_wire> decode_signed_request_wire(byte_view payload);

// A digest of the whole envelope, for the audit log (a request is named by
// what was signed, never by what it asked for).
[[nodiscard]] crypto::digest256 request_digest(byte_view envelope);

} // namespace pss::access
