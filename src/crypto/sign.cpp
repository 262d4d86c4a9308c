#include "crypto/sign.hpp"

#include <sodium.h>

#include <algorithm>
#include <string>
#include <string_view>

#include "core/check.hpp"
#include "crypto/sodium.hpp"

namespace pss::crypto {

static_assert(crypto_sign_PUBLICKEYBYTES == sign_public_key_bytes);
static_assert(crypto_sign_SEEDBYTES == sign_seed_bytes);
static_assert(crypto_sign_SECRETKEYBYTES == 64);
static_assert(crypto_sign_BYTES == signature_bytes);

namespace {

constexpr std::string_view sign_label = "pss/sign/v1";

result<bytes> signed_bytes(byte_view context, byte_view message) {
  if (context.size() + message.size() > signed_message_bytes_max)
    return error{errc::too_large, "signed message of " + std::to_string(message.size())
                                    + " bytes is above the maximum of "
                                    + std::to_string(signed_message_bytes_max)};
  byte_writer writer;
  writer.str(sign_label);
  writer.blob(context);
  writer.blob(message);
  return writer.take();
}

} // namespace

result<sign_public_key> sign_public_key::from_bytes(byte_view encoded) {
  require_init();
  if (encoded.size() != sign_public_key_bytes)
    return error{errc::malformed, "an Ed25519 public key is "
                                    + std::to_string(sign_public_key_bytes) + " bytes, got "
                                    + std::to_string(encoded.size())};
  // is_valid_point refuses non-canonical encodings, points off the curve and
  // small-order points, which could otherwise verify forged signatures.
  if (crypto_core_ed25519_is_valid_point(encoded.data()) != 1)
    return error{errc::malformed, "not a valid Ed25519 public key"};
  sign_public_key out;
  std::copy(encoded.begin(), encoded.end(), out.bytes_.begin());
  return out;
}

result<signature> signature::from_bytes(byte_view encoded) {
  if (encoded.size() != signature_bytes)
    return error{errc::malformed, "a signature is " + std::to_string(signature_bytes)
                                    + " bytes, got " + std::to_string(encoded.size())};
  signature out;
  std::copy(encoded.begin(), encoded.end(), out.bytes_.begin());
  return out;
}

sign_key_pair sign_key_pair::generate(random_source& rng) {
  secret_array<sign_seed_bytes> seed;
  rng.fill(seed.span());
  auto pair = from_seed(seed.view());
  PSS_CHECK_MSG(pair.ok(), "Ed25519 key pair from a random seed");
  return std::move(*pair);
}

result<sign_key_pair> sign_key_pair::from_seed(byte_view seed) {
  require_init();
  if (seed.size() != sign_seed_bytes)
    return error{errc::malformed, "an Ed25519 seed is " + std::to_string(sign_seed_bytes)
                                    + " bytes, got " + std::to_string(seed.size())};
  sign_key_pair out;
  crypto_sign_seed_keypair(out.public_key.bytes_.data(), out.secret_key.data(), seed.data());
  return out;
}

secure_bytes sign_key_pair::seed_bytes() const {
  secure_bytes out{sign_seed_bytes};
  crypto_sign_ed25519_sk_to_seed(out.data(), secret_key.data());
  return out;
}

result<signature> sign(const sign_key_pair& signer, byte_view context, byte_view message) {
  require_init();
  auto input = signed_bytes(context, message);
  PSS_TRY(input);
  signature out;
  crypto_sign_detached(out.bytes_.data(), nullptr, input->data(), input->size(),
                       signer.secret_key.data());
  return out;
}

status verify_signature(const sign_public_key& signer, byte_view context, byte_view message,
                        const signature& sig) {
  require_init();
  auto input = signed_bytes(context, message);
  PSS_TRY(input);
  if (crypto_sign_verify_detached(sig.bytes().data(), input->data(), input->size(),
                                  signer.bytes().data()) != 0)
    return error{errc::verification_failed,
                 "signature does not verify for this signer, context and message; drop the "
                 "message"};
  return {};
}

} // namespace pss::crypto
