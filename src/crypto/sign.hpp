// Ed25519 signatures on dealings and complaints.
//
// A node signs what it deals (commitments, sealed sub-shares) and its
// complaints, so a faulty dealer cannot deny a dealing and the log can agree
// on its hash (pitfall 12: the broadcast assumption). The signed bytes are
//   "pss/sign/v1" | context | message   (each length-prefixed)
// where the context comes from encode_context(), binding cluster, epoch,
// secret, version, dealer and recipient.
//
// The secret key zeroizes on destruction and prints "<redacted>".
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <ostream>

#include "core/bytes.hpp"
#include "core/result.hpp"
#include "core/secure.hpp"
#include "crypto/random_source.hpp"
#include "crypto/secret_array.hpp"

namespace pss::crypto {

inline constexpr std::size_t sign_public_key_bytes = 32;
inline constexpr std::size_t sign_seed_bytes = 32;
inline constexpr std::size_t signature_bytes = 64;
// The largest message one signature covers.
inline constexpr std::size_t signed_message_bytes_max = 16 * 1024 * 1024;

struct sign_key_pair;

class sign_public_key {
public:
  // Parses 32 bytes and refuses encodings that are not canonical points or
  // that have small order.
  [[nodiscard]] static result<sign_public_key> from_bytes(byte_view encoded);

  [[nodiscard]] byte_view bytes() const noexcept { return {bytes_.data(), bytes_.size()}; }
  bool operator==(const sign_public_key&) const = default;
  friend std::ostream& operator<<(std::ostream& os, const sign_public_key& k) {
    return os << "ed25519:" << to_hex(k.bytes());
  }

private:
  friend struct sign_key_pair;
  std::array<std::uint8_t, sign_public_key_bytes> bytes_{};
};

class signature {
public:
  [[nodiscard]] static result<signature> from_bytes(byte_view encoded);
  [[nodiscard]] byte_view bytes() const noexcept { return {bytes_.data(), bytes_.size()}; }
  bool operator==(const signature&) const = default;
  friend std::ostream& operator<<(std::ostream& os, const signature& s) {
    return os << to_hex(s.bytes());
  }

private:
  friend result<signature> sign(const sign_key_pair&, byte_view, byte_view);
  std::array<std::uint8_t, signature_bytes> bytes_{};
};

struct sign_key_pair {
  sign_public_key public_key;
  // libsodium's 64-byte secret key (seed and public key).
  secret_array<64> secret_key;

  // A 32-byte seed from the random source.
  [[nodiscard]] static sign_key_pair generate(random_source& rng);
  // Rebuilds the pair from a stored 32-byte seed.
  [[nodiscard]] static result<sign_key_pair> from_seed(byte_view seed);
  // The 32-byte seed, for storing it; the caller keeps it secret.
  [[nodiscard]] secure_bytes seed_bytes() const;

  friend std::ostream& operator<<(std::ostream& os, const sign_key_pair& k) {
    return os << "sign_key_pair{" << k.public_key << ", <redacted>}";
  }
};

// Signs the message under the context. Fails only for an oversized input.
[[nodiscard]] result<signature> sign(const sign_key_pair& signer, byte_view context,
                                     byte_view message);

// verification_failed unless the signature is the signer's over exactly this
// context and message.
[[nodiscard]] status verify_signature(const sign_public_key& signer, byte_view context,
                                      byte_view message, const signature& sig);

} // namespace pss::crypto
