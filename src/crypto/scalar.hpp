// An element of the Ristretto255 scalar field (integers mod the group order L).
//
// Shares, polynomial coefficients and the envelope key k are scalars, so a
// scalar is always treated as secret: it zeroizes its bytes when destroyed,
// compares in constant time, and prints as "<redacted>". Public scalars
// (indices, Lagrange coefficients) use the same type and pay the same care.
// All arithmetic is libsodium's constant-time crypto_core_ristretto255_scalar_*;
// nothing here hand-rolls field arithmetic. A scalar always holds a canonical
// encoding (little-endian, below L).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <ostream>
#include <span>
#include <string>

#include "core/bytes.hpp"
#include "core/result.hpp"
#include "core/secure.hpp"
#include "crypto/random_source.hpp"

namespace pss::crypto {

class scalar {
public:
  static constexpr std::size_t size = 32;
  // Bytes reduced to draw a uniform scalar: 64, never 32 (a 32-byte reduction
  // is biased).
  static constexpr std::size_t wide_size = 64;

  // Zero.
  scalar() noexcept = default;
  ~scalar();
  scalar(const scalar& other) noexcept = default;
  scalar& operator=(const scalar& other) noexcept = default;

  [[nodiscard]] static scalar zero() noexcept { return {}; }
  [[nodiscard]] static scalar one() noexcept { return from_u64(1); }
  [[nodiscard]] static scalar from_u64(std::uint64_t value) noexcept;

  // A uniform scalar: 64 bytes from the source, reduced mod L.
  [[nodiscard]] static scalar random(random_source& rng);
  // A uniform non-zero scalar (redraws on the negligible chance of zero).
  [[nodiscard]] static scalar random_nonzero(random_source& rng);
  // Reduces 64 bytes mod L.
  [[nodiscard]] static scalar from_wide(std::span<const std::uint8_t, wide_size> wide) noexcept;
  // Parses a canonical 32-byte encoding; rejects a wrong length or a value >= L.
  [[nodiscard]] static result<scalar> from_bytes(byte_view encoded);

  [[nodiscard]] scalar operator+(const scalar& other) const noexcept;
  [[nodiscard]] scalar operator-(const scalar& other) const noexcept;
  [[nodiscard]] scalar operator*(const scalar& other) const noexcept;
  [[nodiscard]] scalar operator-() const noexcept;
  // In place, without a temporary: hot loops (batch.hpp) make millions of
  // these, and every temporary scalar costs a zeroization.
  scalar& operator+=(const scalar& other) noexcept;
  scalar& operator-=(const scalar& other) noexcept;
  scalar& operator*=(const scalar& other) noexcept;

  // The multiplicative inverse; zero has none and fails with invalid_argument.
  [[nodiscard]] result<scalar> invert() const;

  // Constant-time tests.
  [[nodiscard]] bool is_zero() const noexcept;
  [[nodiscard]] bool operator==(const scalar& other) const noexcept;

  // The canonical encoding, borrowed. Treat it as secret.
  [[nodiscard]] byte_view bytes() const noexcept { return {bytes_.data(), size}; }
  [[nodiscard]] const std::uint8_t* data() const noexcept { return bytes_.data(); }
  // A zeroizing copy of the encoding.
  [[nodiscard]] secure_bytes to_secure_bytes() const { return secure_bytes{bytes()}; }

  friend std::ostream& operator<<(std::ostream& os, const scalar&) {
    return os << "<redacted>";
  }

private:
  std::array<std::uint8_t, size> bytes_{};
};

// Writes "<redacted>"; for string building without streams.
[[nodiscard]] std::string to_string(const scalar&);

} // namespace pss::crypto
