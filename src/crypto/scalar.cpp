#include "crypto/scalar.hpp"

#include <sodium.h>

#include <cstring>

#include "crypto/sodium.hpp"

namespace pss::crypto {

static_assert(crypto_core_ristretto255_SCALARBYTES == scalar::size);
static_assert(crypto_core_ristretto255_NONREDUCEDSCALARBYTES == scalar::wide_size);

scalar::~scalar() { sodium_memzero(bytes_.data(), bytes_.size()); }

scalar scalar::from_u64(std::uint64_t value) noexcept {
  // Any 64-bit value is below L (about 2^252), so this is canonical.
  scalar out;
  for (int i = 0; i < 8; ++i)
    out.bytes_[i] = static_cast<std::uint8_t>(value >> (8 * i));
  return out;
}

scalar scalar::random(random_source& rng) {
  std::array<std::uint8_t, wide_size> wide;
  rng.fill(wide);
  scalar out = from_wide(wide);
  sodium_memzero(wide.data(), wide.size());
  return out;
}

scalar scalar::random_nonzero(random_source& rng) {
  for (;;) {
    scalar out = random(rng);
    if (!out.is_zero())
      return out;
  }
}

scalar scalar::from_wide(std::span<const std::uint8_t, wide_size> wide) noexcept {
  scalar out;
  crypto_core_ristretto255_scalar_reduce(out.bytes_.data(), wide.data());
  return out;
}

result<scalar> scalar::from_bytes(byte_view encoded) {
  if (encoded.size() != size)
    return error{errc::malformed, "a scalar is " + std::to_string(size)
                                    + " bytes, got " + std::to_string(encoded.size())};
  // Canonical means below L: reducing the value (zero-extended to 64 bytes)
  // must give it back unchanged. The comparison is constant time.
  std::array<std::uint8_t, wide_size> wide{};
  std::memcpy(wide.data(), encoded.data(), size);
  scalar out = from_wide(wide);
  sodium_memzero(wide.data(), wide.size());
  if (sodium_memcmp(out.bytes_.data(), encoded.data(), size) != 0)
    return error{errc::malformed,
                 "scalar encoding is not canonical (its value is not below the group order)"};
  return out;
}

scalar scalar::operator+(const scalar& other) const noexcept {
  scalar out;
  crypto_core_ristretto255_scalar_add(out.bytes_.data(), bytes_.data(), other.bytes_.data());
  return out;
}

scalar scalar::operator-(const scalar& other) const noexcept {
  scalar out;
  crypto_core_ristretto255_scalar_sub(out.bytes_.data(), bytes_.data(), other.bytes_.data());
  return out;
}

scalar scalar::operator*(const scalar& other) const noexcept {
  scalar out;
  crypto_core_ristretto255_scalar_mul(out.bytes_.data(), bytes_.data(), other.bytes_.data());
  return out;
}

// libsodium's scalar add, sub and mul read both operands completely before
// writing the result (add and sub copy them into 64-byte buffers, sc25519_mul
// loads them into limbs), so the output may alias an input. scalar_test
// checks that a *= a, a += a and a -= a match the out-of-place forms.
scalar& scalar::operator+=(const scalar& other) noexcept {
  crypto_core_ristretto255_scalar_add(bytes_.data(), bytes_.data(), other.bytes_.data());
  return *this;
}

scalar& scalar::operator-=(const scalar& other) noexcept {
  crypto_core_ristretto255_scalar_sub(bytes_.data(), bytes_.data(), other.bytes_.data());
  return *this;
}

scalar& scalar::operator*=(const scalar& other) noexcept {
  crypto_core_ristretto255_scalar_mul(bytes_.data(), bytes_.data(), other.bytes_.data());
  return *this;
}

scalar scalar::operator-() const noexcept {
  scalar out;
  crypto_core_ristretto255_scalar_negate(out.bytes_.data(), bytes_.data());
  return out;
}

result<scalar> scalar::invert() const {
  scalar out;
  if (crypto_core_ristretto255_scalar_invert(out.bytes_.data(), bytes_.data()) != 0)
    return error{errc::invalid_argument, "zero has no inverse"};
  return out;
}

bool scalar::is_zero() const noexcept { return sodium_is_zero(bytes_.data(), size) == 1; }

bool scalar::operator==(const scalar& other) const noexcept {
  return sodium_memcmp(bytes_.data(), other.bytes_.data(), size) == 0;
}

std::string to_string(const scalar&) { return "<redacted>"; }

} // namespace pss::crypto
