#include "crypto/seal.hpp"

#include <sodium.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <string_view>

#include "core/check.hpp"
#include "crypto/sodium.hpp"

namespace pss::crypto {

static_assert(crypto_scalarmult_BYTES == box_key_bytes);
static_assert(crypto_scalarmult_SCALARBYTES == box_key_bytes);
static_assert(sealed_overhead_bytes == box_key_bytes
                                         + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
                                         + crypto_aead_xchacha20poly1305_ietf_ABYTES);

namespace {

constexpr std::string_view key_label = "pss/seal/v1/key";
constexpr std::size_t nonce_bytes = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;

// The AEAD key from the X25519 output and both public keys, so the key is
// bound to this exact ephemeral key and recipient.
status derive_key(const secret_array<box_key_bytes>& secret, byte_view peer_public,
                  byte_view ephemeral_public, byte_view recipient_public,
                  secret_array<crypto_aead_xchacha20poly1305_ietf_KEYBYTES>& key) {
  secret_array<crypto_scalarmult_BYTES> shared;
  if (crypto_scalarmult(shared.data(), secret.data(), peer_public.data()) != 0)
    return error{errc::verification_failed,
                 "X25519 produced the all-zero value (a low-order public key); refuse it"};
  crypto_generichash_state state;
  crypto_generichash_init(&state, nullptr, 0, key.size);
  crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(key_label.data()),
                            key_label.size());
  crypto_generichash_update(&state, shared.data(), shared.size);
  crypto_generichash_update(&state, ephemeral_public.data(), ephemeral_public.size());
  crypto_generichash_update(&state, recipient_public.data(), recipient_public.size());
  crypto_generichash_final(&state, key.data(), key.size);
  sodium_memzero(&state, sizeof state);
  return {};
}

constexpr std::string_view from_key_label = "pss/seal-from/v1/key";
using aead_key = secret_array<crypto_aead_xchacha20poly1305_ietf_KEYBYTES>;

// The key of seal_from: both X25519 outputs and all three public keys.
status derive_from_key(const secret_array<box_key_bytes>& ephemeral_side, byte_view ephemeral_peer,
                       const secret_array<box_key_bytes>& static_side, byte_view static_peer, byte_view e_public,
                       byte_view recipient_public, byte_view sender_public, aead_key& key) {
  secret_array<crypto_scalarmult_BYTES> first;
  secret_array<crypto_scalarmult_BYTES> second;
  if (crypto_scalarmult(first.data(), ephemeral_side.data(), ephemeral_peer.data()) != 0
      || crypto_scalarmult(second.data(), static_side.data(), static_peer.data()) != 0)
    return error{errc::verification_failed,
                 "X25519 produced the all-zero value (a low-order public key); refuse it"};
  crypto_generichash_state state;
  crypto_generichash_init(&state, nullptr, 0, key.size);
  crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(from_key_label.data()),
                            from_key_label.size());
  for (byte_view part : {first.view(), second.view(), e_public, recipient_public, sender_public})
    crypto_generichash_update(&state, part.data(), part.size());
  crypto_generichash_final(&state, key.data(), key.size);
  sodium_memzero(&state, sizeof state);
  return {};
}

// E | nonce | AEAD(key, nonce, plaintext, associated).
bytes encrypt_with(const aead_key& key, byte_view e_public, byte_view plaintext, byte_view associated,
                   random_source& rng) {
  bytes out(sealed_overhead_bytes + plaintext.size());
  std::uint8_t* const nonce = out.data() + box_key_bytes;
  std::memcpy(out.data(), e_public.data(), box_key_bytes);
  rng.fill(std::span<std::uint8_t>{nonce, nonce_bytes});
  unsigned long long written = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(nonce + nonce_bytes, &written, plaintext.data(), plaintext.size(),
                                             associated.data(), associated.size(), nullptr, nonce, key.data());
  PSS_CHECK(written == plaintext.size() + crypto_aead_xchacha20poly1305_ietf_ABYTES);
  return out;
}

result<secure_bytes> decrypt_with(const aead_key& key, byte_view sealed, byte_view associated) {
  const byte_view nonce = sealed.subspan(box_key_bytes, nonce_bytes);
  const byte_view ciphertext = sealed.subspan(box_key_bytes + nonce_bytes);
  secure_bytes plain{ciphertext.size() - crypto_aead_xchacha20poly1305_ietf_ABYTES};
  unsigned long long written = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(plain.data(), &written, nullptr, ciphertext.data(),
                                                 ciphertext.size(), associated.data(), associated.size(),
                                                 nonce.data(), key.data()) != 0)
    return error{errc::verification_failed,
                 "sealed message did not authenticate: wrong sender or recipient, wrong context or tampered; "
                 "drop it"};
  PSS_CHECK(written == plain.size());
  return plain;
}

status check_sealed_size(byte_view sealed) {
  if (sealed.size() < sealed_overhead_bytes)
    return error{errc::malformed, "sealed message of " + std::to_string(sealed.size())
                                    + " bytes is shorter than its overhead"};
  if (sealed.size() > sealed_overhead_bytes + sealed_plaintext_bytes_max)
    return error{errc::too_large, "sealed message is above the maximum size"};
  return {};
}

} // namespace

result<bytes> seal_from(const box_key_pair& sender, const box_public_key& recipient, byte_view plaintext,
                        byte_view associated, random_source& rng) {
  require_init();
  if (plaintext.size() > sealed_plaintext_bytes_max)
    return error{errc::too_large, "sealed plaintext of " + std::to_string(plaintext.size())
                                    + " bytes is above the maximum of " + std::to_string(sealed_plaintext_bytes_max)};
  const auto ephemeral = box_key_pair::generate(rng);
  aead_key key;
  PSS_TRY(derive_from_key(ephemeral.secret_key, recipient.bytes(), sender.secret_key, recipient.bytes(),
                          ephemeral.public_key.bytes(), recipient.bytes(), sender.public_key.bytes(), key));
  return encrypt_with(key, ephemeral.public_key.bytes(), plaintext, associated, rng);
}

result<secure_bytes> open_sealed_from(const box_key_pair& recipient, const box_public_key& sender, byte_view sealed,
                                      byte_view associated) {
  require_init();
  PSS_TRY(check_sealed_size(sealed));
  const byte_view ephemeral = sealed.first(box_key_bytes);
  aead_key key;
  PSS_TRY(derive_from_key(recipient.secret_key, ephemeral, recipient.secret_key, sender.bytes(), ephemeral,
                          recipient.public_key.bytes(), sender.bytes(), key));
  return decrypt_with(key, sealed, associated);
}

result<box_public_key> box_public_key::from_bytes(byte_view encoded) {
  if (encoded.size() != box_key_bytes)
    return error{errc::malformed, "an X25519 public key is " + std::to_string(box_key_bytes)
                                    + " bytes, got " + std::to_string(encoded.size())};
  if (sodium_is_zero(encoded.data(), encoded.size()) == 1)
    return error{errc::malformed, "the all-zero X25519 public key is not allowed"};
  // A point of small order gives every shared secret as zero: nothing
  // sealed to it opens, and crypto_box refuses it. Refused here, at every
  // decode (configs, views, announcements), so no sender meets one later.
  std::array<std::uint8_t, crypto_scalarmult_SCALARBYTES> probe{};
  probe.fill(0x5a);
  std::array<std::uint8_t, crypto_scalarmult_BYTES> shared{};
  const bool small_order = crypto_scalarmult(shared.data(), probe.data(), encoded.data()) != 0;
  sodium_memzero(shared.data(), shared.size());
  if (small_order) return error{errc::malformed, "an X25519 public key of small order is not allowed"};
  box_public_key out;
  std::copy(encoded.begin(), encoded.end(), out.bytes_.begin());
  return out;
}

box_key_pair box_key_pair::generate(random_source& rng) {
  require_init();
  secret_array<box_key_bytes> secret;
  rng.fill(secret.span());
  auto pair = from_secret_bytes(secret.view());
  PSS_CHECK_MSG(pair.ok(), "X25519 public key from a random secret");
  return std::move(*pair);
}

result<box_key_pair> box_key_pair::from_secret_bytes(byte_view secret) {
  require_init();
  if (secret.size() != box_key_bytes)
    return error{errc::malformed, "an X25519 secret key is " + std::to_string(box_key_bytes)
                                    + " bytes, got " + std::to_string(secret.size())};
  box_key_pair out;
  std::copy(secret.begin(), secret.end(), out.secret_key.data());
  if (crypto_scalarmult_base(out.public_key.bytes_.data(), out.secret_key.data()) != 0)
    return error{errc::malformed, "X25519 secret key gives no usable public key"};
  return out;
}

result<bytes> seal(const box_public_key& recipient, byte_view plaintext, byte_view associated,
                   random_source& rng) {
  require_init();
  return seal_with(box_key_pair::generate(rng), recipient, plaintext, associated, rng);
}

result<bytes> seal_with(const box_key_pair& ephemeral, const box_public_key& recipient, byte_view plaintext,
                        byte_view associated, random_source& rng) {
  require_init();
  if (plaintext.size() > sealed_plaintext_bytes_max)
    return error{errc::too_large, "sealed plaintext of " + std::to_string(plaintext.size())
                                    + " bytes is above the maximum of "
                                    + std::to_string(sealed_plaintext_bytes_max)};
  aead_key key;
  PSS_TRY(derive_key(ephemeral.secret_key, recipient.bytes(), ephemeral.public_key.bytes(),
                     recipient.bytes(), key));
  return encrypt_with(key, ephemeral.public_key.bytes(), plaintext, associated, rng);
}

result<secure_bytes> open_revealed(const box_public_key& recipient, byte_view ephemeral_secret, byte_view sealed,
                                   byte_view associated) {
  require_init();
  PSS_TRY(check_sealed_size(sealed));
  auto ephemeral = box_key_pair::from_secret_bytes(ephemeral_secret);
  if (!ephemeral.ok()) return error{errc::verification_failed, "the revealed key: " + ephemeral.err().message()};
  if (sodium_memcmp(ephemeral->public_key.bytes().data(), sealed.data(), box_key_bytes) != 0)
    return error{errc::verification_failed, "the revealed key is not the one this message was sealed with"};
  aead_key key;
  PSS_TRY(derive_key(ephemeral->secret_key, recipient.bytes(), ephemeral->public_key.bytes(), recipient.bytes(), key));
  return decrypt_with(key, sealed, associated);
}

result<secure_bytes> open_sealed(const box_key_pair& recipient, byte_view sealed,
                                 byte_view associated) {
  require_init();
  PSS_TRY(check_sealed_size(sealed));
  const byte_view ephemeral = sealed.first(box_key_bytes);
  aead_key key;
  PSS_TRY(derive_key(recipient.secret_key, ephemeral, ephemeral, recipient.public_key.bytes(), key));
  return decrypt_with(key, sealed, associated);
}

} // namespace pss::crypto
