// The payload envelope (Krawczyk, "Secret sharing made short", CRYPTO '93).
//
// pss never Shamir-shares a payload directly: the client draws a uniform
// scalar k, derives an AEAD key from it, encrypts the payload under that key,
// and shares k. Feldman commitments to k are then harmless, and the envelope's
// authentication tag makes a wrong k (for example one interpolated from shares
// of mixed epochs) fail loudly instead of returning garbage.
//
//   key        = BLAKE2b-256(key = k, message = "pss/envelope/v1/key")
//   associated = "pss/envelope/v1" | cluster id | secret name | version
//                [| 1 | dealing digest, when the context names a dealing]
//   sealed     = XChaCha20-Poly1305(key, random 24-byte nonce, payload, associated)
//
// Never puts k, the key or the payload into an error or a log line.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/bytes.hpp"
#include "core/ids.hpp"
#include "core/result.hpp"
#include "core/secure.hpp"
#include "crypto/hash.hpp"
#include "crypto/context.hpp"
#include "crypto/random_source.hpp"
#include "crypto/scalar.hpp"

namespace pss::crypto {

// The largest payload one secret may hold.
inline constexpr std::size_t payload_bytes_max = 64 * 1024;
inline constexpr std::size_t envelope_nonce_bytes = 24;
inline constexpr std::size_t envelope_tag_bytes = 16;

// What an envelope is bound to: opening it under any other context fails.
struct envelope_context {
  std::string_view cluster_id;
  std::string_view secret_name;
  secret_version version;
  // A client's put seals before the catalog assigns the version: it binds
  // the dealing (the digest of the Feldman commitments to k) instead, with
  // version 0. Null: no dealing (offline splits).
  const digest256* dealing = nullptr;
};

// An encrypted payload. Public: it is replicated in the catalog.
struct envelope {
  std::array<std::uint8_t, envelope_nonce_bytes> nonce{};
  bytes ciphertext; // payload followed by the 16-byte tag

  [[nodiscard]] bytes encode() const;
  [[nodiscard]] static result<envelope> decode(byte_view encoded);

  bool operator==(const envelope&) const = default;
};

// Encrypts the payload under the key derived from k. Fails with too_large
// above payload_bytes_max and invalid_argument for an oversized context.
[[nodiscard]] result<envelope> envelope_seal(const scalar& k, byte_view payload,
                                             const envelope_context& context,
                                             random_source& rng);

// Decrypts; a wrong k, a different context or any tampering is
// verification_failed.
[[nodiscard]] result<secure_bytes> envelope_open(const scalar& k, const envelope& sealed,
                                                 const envelope_context& context);

// The associated data for a context (exposed for tests and for the docs).
[[nodiscard]] result<bytes> envelope_associated_data(const envelope_context& context);

} // namespace pss::crypto
