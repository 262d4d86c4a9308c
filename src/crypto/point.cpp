#include "crypto/point.hpp"

#include <sodium.h>

#include <cstring>

#include "core/check.hpp"

namespace pss::crypto {

static_assert(crypto_core_ristretto255_BYTES == point::size);
static_assert(crypto_scalarmult_ristretto255_BYTES == point::size);
static_assert(crypto_core_ristretto255_HASHBYTES == point::hash_size);

point point::generator() noexcept { return base_mul(scalar::one()); }

point point::base_mul(const scalar& s) noexcept {
  point out;
  // libsodium returns -1 exactly when the result is the identity, which for a
  // canonical scalar means s == 0. Set the identity explicitly rather than
  // rely on what the failed call left in the output.
  if (crypto_scalarmult_ristretto255_base(out.encoded_.data(), s.data()) != 0)
    out.encoded_.fill(0);
  return out;
}

result<point> point::from_bytes(byte_view encoded, identity_policy identity) {
  if (encoded.size() != size)
    return error{errc::malformed, "a group element is " + std::to_string(size)
                                    + " bytes, got " + std::to_string(encoded.size())};
  // RFC 9496 §4.3.1 requires the top bit of a canonical encoding to be clear.
  // libsodium 1.0.18 ignores that bit (fixed upstream in 8b6f5ef5, April
  // 2020, after the release), so two byte strings would decode to the same
  // element; we refuse the second one here.
  if ((encoded[size - 1] & 0x80) != 0)
    return error{errc::malformed, "not a canonical Ristretto255 encoding (top bit set)"};
  // is_valid_point rejects non-canonical field elements, negative field
  // elements and non-square x^2 (RFC 9496 §4.3.1); it accepts the all-zero
  // identity.
  if (crypto_core_ristretto255_is_valid_point(encoded.data()) != 1)
    return error{errc::malformed, "not a canonical Ristretto255 encoding"};
  point out;
  std::memcpy(out.encoded_.data(), encoded.data(), size);
  if (identity == identity_policy::reject && out.is_identity())
    return error{errc::malformed, "the identity element is not allowed here"};
  return out;
}

point point::from_hash(std::span<const std::uint8_t, hash_size> hash) noexcept {
  point out;
  crypto_core_ristretto255_from_hash(out.encoded_.data(), hash.data());
  return out;
}

point point::mul(const scalar& s) const noexcept {
  point out;
  // -1 means the result is the identity (the input is always a valid point),
  // including for the identity input and for s == 0.
  if (crypto_scalarmult_ristretto255(out.encoded_.data(), s.data(), encoded_.data()) != 0)
    out.encoded_.fill(0);
  return out;
}

point point::operator+(const point& other) const noexcept {
  point out;
  const int rc = crypto_core_ristretto255_add(out.encoded_.data(), encoded_.data(),
                                              other.encoded_.data());
  PSS_CHECK_MSG(rc == 0, "ristretto255 add on a point that should be valid");
  return out;
}

point point::operator-(const point& other) const noexcept {
  point out;
  const int rc = crypto_core_ristretto255_sub(out.encoded_.data(), encoded_.data(),
                                              other.encoded_.data());
  PSS_CHECK_MSG(rc == 0, "ristretto255 sub on a point that should be valid");
  return out;
}

bool point::is_identity() const noexcept {
  return sodium_is_zero(encoded_.data(), size) == 1;
}

bool point::operator==(const point& other) const noexcept {
  // Ristretto encodings are canonical, so equal points have equal bytes.
  return sodium_memcmp(encoded_.data(), other.encoded_.data(), size) == 0;
}

} // namespace pss::crypto
