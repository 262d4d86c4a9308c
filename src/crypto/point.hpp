// An element of the Ristretto255 group, kept as its canonical 32-byte encoding.
//
// Points are public (commitments, public shares), so they print as hex. The
// identity is encoded as 32 zero bytes and is handled explicitly everywhere:
// libsodium's scalar multiplications return an error instead of producing it
// (crypto_scalarmult_ristretto255_base(0) fails), and a parse can refuse it
// where a protocol forbids it. All group arithmetic is libsodium's.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <ostream>
#include <span>
#include <string>

#include "core/bytes.hpp"
#include "core/result.hpp"
#include "crypto/scalar.hpp"

namespace pss::crypto {

// Whether a parse accepts the identity element.
enum class identity_policy { reject, allow };

class point {
public:
  static constexpr std::size_t size = 32;
  // The input size of from_hash (RFC 9496 one-way map).
  static constexpr std::size_t hash_size = 64;

  // The identity.
  point() noexcept = default;

  [[nodiscard]] static point identity() noexcept { return {}; }
  // The generator G (RFC 9496 §4.4), i.e. 1·G.
  [[nodiscard]] static point generator() noexcept;
  // s·G; zero gives the identity.
  [[nodiscard]] static point base_mul(const scalar& s) noexcept;
  // Parses a canonical encoding. Non-canonical and invalid encodings are
  // malformed; the identity is refused unless the policy allows it.
  [[nodiscard]] static result<point> from_bytes(byte_view encoded,
                                                identity_policy identity);
  // RFC 9496 element derivation from 64 uniform bytes (hash-to-group).
  [[nodiscard]] static point from_hash(std::span<const std::uint8_t, hash_size> hash) noexcept;

  // s·P; the identity or a zero scalar gives the identity.
  [[nodiscard]] point mul(const scalar& s) const noexcept;
  [[nodiscard]] point operator+(const point& other) const noexcept;
  [[nodiscard]] point operator-(const point& other) const noexcept;
  point& operator+=(const point& other) noexcept { return *this = *this + other; }

  [[nodiscard]] bool is_identity() const noexcept;
  [[nodiscard]] bool operator==(const point& other) const noexcept;

  [[nodiscard]] byte_view bytes() const noexcept { return {encoded_.data(), size}; }
  [[nodiscard]] std::string to_hex() const { return pss::to_hex(bytes()); }

  friend std::ostream& operator<<(std::ostream& os, const point& p) {
    return os << p.to_hex();
  }

private:
  std::array<std::uint8_t, size> encoded_{};
};

} // namespace pss::crypto
