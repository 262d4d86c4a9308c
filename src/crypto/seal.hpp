// Sealing a message to one node's X25519 key.
//
// Every share and sub-share travels sealed to its recipient, on top of TLS:
//
//   e, E      = a fresh X25519 key pair from the injected random source
//   shared    = X25519(e, recipient public key)   (all-zero output refused)
//   key       = BLAKE2b-256("pss/seal/v1/key" | shared | E | recipient)
//   sealed    = E | nonce (24 random bytes) |
//               XChaCha20-Poly1305(key, nonce, plaintext, associated data)
//
// The associated data is the caller's protocol context (see context.hpp),
// so a sealed sub-share cannot be replayed into another epoch, secret or
// recipient. Sealing is anonymous, like crypto_box_seal: it proves nothing
// about the sender. Dealers therefore also sign what they send (sign.hpp).
//
// Secret keys zeroize on destruction and print "<redacted>"; errors never
// contain plaintext or key bytes.
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

inline constexpr std::size_t box_key_bytes = 32;
// Ephemeral public key, nonce and tag.
inline constexpr std::size_t sealed_overhead_bytes = 32 + 24 + 16;
// The largest plaintext one seal may carry (a batch of sub-shares).
inline constexpr std::size_t sealed_plaintext_bytes_max = 1024 * 1024;

class box_public_key {
public:
  // Parses 32 bytes; the all-zero key is refused.
  [[nodiscard]] static result<box_public_key> from_bytes(byte_view encoded);

  [[nodiscard]] byte_view bytes() const noexcept { return {bytes_.data(), bytes_.size()}; }
  bool operator==(const box_public_key&) const = default;
  friend std::ostream& operator<<(std::ostream& os, const box_public_key& k) {
    return os << "x25519:" << to_hex(k.bytes());
  }

private:
  friend struct box_key_pair;
  std::array<std::uint8_t, box_key_bytes> bytes_{};
};

struct box_key_pair {
  box_public_key public_key;
  secret_array<box_key_bytes> secret_key;

  // 32 bytes from the random source become the X25519 secret key.
  [[nodiscard]] static box_key_pair generate(random_source& rng);
  // Rebuilds the pair from a stored 32-byte secret key.
  [[nodiscard]] static result<box_key_pair> from_secret_bytes(byte_view secret);
  // The secret key, for storing it; the caller keeps it secret.
  [[nodiscard]] secure_bytes secret_bytes() const { return secure_bytes{secret_key.view()}; }

  friend std::ostream& operator<<(std::ostream& os, const box_key_pair& k) {
    return os << "box_key_pair{" << k.public_key << ", <redacted>}";
  }
};

// Seals the plaintext to the recipient. Fails with too_large above
// sealed_plaintext_bytes_max and verification_failed for a low-order key.
[[nodiscard]] result<bytes> seal(const box_public_key& recipient, byte_view plaintext,
                                 byte_view associated, random_source& rng);

// Opens a sealed message with the recipient's key pair. A wrong recipient,
// different associated data or any tampering is verification_failed.
[[nodiscard]] result<secure_bytes> open_sealed(const box_key_pair& recipient, byte_view sealed,
                                               byte_view associated);

// seal() with an ephemeral key pair the caller draws and keeps, so that it
// can later reveal the secret half: a dealer answering a complaint shows
// everyone what it sealed to one receiver (docs/refresh.md §3). The
// ephemeral secret opens that one message and nothing else. One ephemeral
// key may also seal to several recipients (a client's put seals each
// member's share with one): the key derivation binds each recipient's key,
// and every message draws its own nonce.
[[nodiscard]] result<bytes> seal_with(const box_key_pair& ephemeral, const box_public_key& recipient,
                                      byte_view plaintext, byte_view associated, random_source& rng);
// Opens a message sealed to `recipient` from its revealed ephemeral secret.
// verification_failed unless that secret's public key is the one in the
// message and the message authenticates with this associated data.
[[nodiscard]] result<secure_bytes> open_revealed(const box_public_key& recipient, byte_view ephemeral_secret,
                                                 byte_view sealed, byte_view associated);

// Sealing that also proves the sender: the key mixes in a second X25519,
// between the sender's static key and the recipient's, so only the holder of
// the sender's secret key (or the recipient) can make a message that opens:
//
//   key = BLAKE2b-256("pss/seal-from/v1/key" | X25519(e, R) | X25519(s, R) | E | R | S)
//
// Same layout and overhead as seal(). A node seals a share it serves this
// way, so a reader knows which member it came from whatever carried it.
[[nodiscard]] result<bytes> seal_from(const box_key_pair& sender, const box_public_key& recipient,
                                      byte_view plaintext, byte_view associated, random_source& rng);
// verification_failed unless `sender` sealed it to `recipient` with this
// associated data.
[[nodiscard]] result<secure_bytes> open_sealed_from(const box_key_pair& recipient, const box_public_key& sender,
                                                    byte_view sealed, byte_view associated);

} // namespace pss::crypto
