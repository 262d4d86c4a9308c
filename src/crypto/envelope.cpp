#include "crypto/envelope.hpp"

#include <sodium.h>

#include <algorithm>
#include <string>

#include "core/check.hpp"
#include "crypto/sodium.hpp"

namespace pss::crypto {

static_assert(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES == envelope_nonce_bytes);
static_assert(crypto_aead_xchacha20poly1305_ietf_ABYTES == envelope_tag_bytes);
static_assert(crypto_aead_xchacha20poly1305_ietf_KEYBYTES == 32);

namespace {

constexpr std::string_view key_label = "pss/envelope/v1/key";
constexpr std::string_view ad_label = "pss/envelope/v1";
constexpr std::uint8_t encoding_version = 1;

std::string str(std::size_t v) { return std::to_string(v); }

// BLAKE2b keyed with k over a domain label: a PRF of k, so the AEAD key is
// independent of any other use of k.
struct derived_key {
  std::uint8_t bytes[crypto_aead_xchacha20poly1305_ietf_KEYBYTES];
  explicit derived_key(const scalar& k) noexcept {
    crypto_generichash(bytes, sizeof bytes,
                       reinterpret_cast<const unsigned char*>(key_label.data()),
                       key_label.size(), k.data(), scalar::size);
  }
  ~derived_key() { sodium_memzero(bytes, sizeof bytes); }
  derived_key(const derived_key&) = delete;
  derived_key& operator=(const derived_key&) = delete;
};

} // namespace

result<bytes> envelope_associated_data(const envelope_context& context) {
  if (context.cluster_id.size() > cluster_id_bytes_max)
    return error{errc::invalid_argument, "cluster id of " + str(context.cluster_id.size())
                                           + " bytes is above the maximum of "
                                           + str(cluster_id_bytes_max)};
  if (context.secret_name.size() > secret_name_bytes_max)
    return error{errc::invalid_argument, "secret name of " + str(context.secret_name.size())
                                           + " bytes is above the maximum of "
                                           + str(secret_name_bytes_max)};
  byte_writer writer;
  writer.str(ad_label);
  writer.str(context.cluster_id);
  writer.str(context.secret_name);
  writer.u64(context.version.value());
  if (context.dealing != nullptr) {
    writer.u8(1);
    writer.raw(*context.dealing);
  }
  return writer.take();
}

result<envelope> envelope_seal(const scalar& k, byte_view payload,
                               const envelope_context& context, random_source& rng) {
  require_init();
  if (payload.size() > payload_bytes_max)
    return error{errc::too_large, "payload of " + str(payload.size())
                                    + " bytes is above the maximum of "
                                    + str(payload_bytes_max)};
  auto ad = envelope_associated_data(context);
  PSS_TRY(ad);
  envelope out;
  rng.fill(out.nonce);
  out.ciphertext.resize(payload.size() + envelope_tag_bytes);
  const derived_key key{k};
  unsigned long long written = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(out.ciphertext.data(), &written, payload.data(),
                                             payload.size(), ad->data(), ad->size(), nullptr,
                                             out.nonce.data(), key.bytes);
  PSS_CHECK(written == out.ciphertext.size());
  return out;
}

result<secure_bytes> envelope_open(const scalar& k, const envelope& sealed,
                                   const envelope_context& context) {
  require_init();
  if (sealed.ciphertext.size() < envelope_tag_bytes)
    return error{errc::malformed, "envelope ciphertext is shorter than its tag"};
  if (sealed.ciphertext.size() > payload_bytes_max + envelope_tag_bytes)
    return error{errc::too_large, "envelope ciphertext is above the payload maximum"};
  auto ad = envelope_associated_data(context);
  PSS_TRY(ad);
  secure_bytes plain{sealed.ciphertext.size() - envelope_tag_bytes};
  const derived_key key{k};
  unsigned long long written = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(plain.data(), &written, nullptr,
                                                 sealed.ciphertext.data(),
                                                 sealed.ciphertext.size(), ad->data(),
                                                 ad->size(), sealed.nonce.data(),
                                                 key.bytes) != 0)
    return error{errc::verification_failed,
                 "envelope did not authenticate: wrong key (shares of another epoch or a "
                 "bad share?), wrong cluster/name/version, or a tampered ciphertext"};
  PSS_CHECK(written == plain.size());
  return plain;
}

bytes envelope::encode() const {
  byte_writer writer;
  writer.u8(encoding_version);
  writer.raw(nonce);
  writer.blob(ciphertext);
  return writer.take();
}

result<envelope> envelope::decode(byte_view encoded) {
  byte_reader reader{encoded};
  const auto version = reader.u8();
  if (reader.ok() && version != encoding_version)
    return error{errc::malformed, "unknown envelope encoding version " + str(version)};
  envelope out;
  const auto nonce = reader.raw(envelope_nonce_bytes);
  if (reader.ok())
    std::copy(nonce.begin(), nonce.end(), out.nonce.begin());
  const auto ciphertext = reader.blob(payload_bytes_max + envelope_tag_bytes);
  if (reader.ok() && ciphertext.size() < envelope_tag_bytes)
    reader.fail("ciphertext shorter than its tag");
  PSS_TRY(reader.finish("envelope"));
  out.ciphertext.assign(ciphertext.begin(), ciphertext.end());
  return out;
}

} // namespace pss::crypto
