// Feldman verifiable secret sharing over Ristretto255.
//
// A dealer with polynomial f(x) = a_0 + a_1 x + ... + a_{t-1} x^{t-1}
// publishes the commitment vector C_j = a_j·G (exactly t entries). Anyone can
// then compute the public value of share i, Σ i^j·C_j = f(i)·G, and a holder
// checks its share against it before accepting it (Feldman 1987). This is
// safe only because pss shares a uniformly random key k (the envelope key),
// never a low-entropy payload: C_0 = k·G reveals nothing useful about a
// uniform k.
//
// Commitments are public and print as hex. Errors name share indices, never
// share values.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <ostream>
#include <span>
#include <vector>

#include "core/bytes.hpp"
#include "core/result.hpp"
#include "crypto/point.hpp"
#include "crypto/shamir.hpp"

namespace pss::crypto {

// The largest encoded commitment vector: a u16 count, then 32 bytes a point.
inline constexpr std::size_t commitment_encoded_bytes_max = 2 + shares_max * point::size;

class commitment {
public:
  // C_j = a_j·G for every coefficient (t base-point multiplications).
  [[nodiscard]] static commitment of(const polynomial& poly);
  // A vector from points; it must have exactly `threshold` entries.
  [[nodiscard]] static result<commitment> from_points(std::vector<point> points,
                                                      std::size_t threshold);
  // Parses an encoding and requires exactly `threshold` entries, each a
  // canonical group element (the identity is allowed: a refresh's C_0 is it).
  [[nodiscard]] static result<commitment> decode(byte_view encoded, std::size_t threshold);
  // The same with threshold_min..threshold_max entries: a version whose t
  // was raised keeps the commitments it was dealt with (docs/refresh.md §7.4).
  [[nodiscard]] static result<commitment> decode(byte_view encoded, std::size_t threshold_min,
                                                 std::size_t threshold_max);

  [[nodiscard]] bytes encode() const;
  // BLAKE2b-256 of the encoding under the label "pss/commitment/v1": what a
  // refresh round agrees on through Raft instead of the full vectors.
  [[nodiscard]] std::array<std::uint8_t, 32> digest() const;

  [[nodiscard]] std::size_t threshold() const noexcept { return points_.size(); }
  [[nodiscard]] const std::vector<point>& points() const noexcept { return points_; }
  // C_0 = f(0)·G, the public value of the secret.
  [[nodiscard]] const point& constant_term() const noexcept { return points_.front(); }

  // Σ x^j·C_j = f(x)·G by Horner's rule: t-1 variable-base multiplications
  // and t-1 additions.
  [[nodiscard]] point evaluate(const scalar& x) const noexcept;
  // f(index)·G; index 0 is refused.
  [[nodiscard]] result<point> public_share(share_index index) const;

  // Checks f(i)·G == Σ i^j·C_j. A mismatch is verification_failed and names
  // the index.
  [[nodiscard]] status verify(const share& s) const;

  // The commitment to the sum of the two polynomials (entry-wise sum); the
  // thresholds must match.
  [[nodiscard]] result<commitment> add(const commitment& other) const;

  bool operator==(const commitment& other) const = default;

  friend std::ostream& operator<<(std::ostream& os, const commitment& c);

private:
  explicit commitment(std::vector<point> points) noexcept : points_(std::move(points)) {}
  std::vector<point> points_;
};

// A dealt secret: the shares for indices 1..n and their commitment vector.
// The polynomial itself is erased when deal() returns.
struct dealing {
  commitment commitments;
  std::vector<share> shares;
};

// Shamir-shares the secret with threshold t over indices 1..n and commits to
// the polynomial (Feldman).
[[nodiscard]] result<dealing> deal(const scalar& secret, std::size_t threshold,
                                   std::size_t shares, random_source& rng);
// The same over the given indices (distinct, non-zero): a committee whose
// indices are no longer 1..n, after a member left (docs/refresh.md §7).
[[nodiscard]] result<dealing> deal(const scalar& secret, std::size_t threshold,
                                   std::span<const share_index> indices, random_source& rng);

// A secret rebuilt from verified shares, and the indices of shares that
// failed verification on the way (the caller reports or re-requests them).
struct reconstruction {
  scalar secret;
  std::vector<share_index> rejected;
};

// The client's read path (DESIGN §5): verifies shares in order against the
// commitments, skips any that fail, and interpolates f(0) from the first t
// that verify. Duplicate or zero indices are refused outright; fewer than t
// good shares is insufficient, and the error lists the rejected indices.
[[nodiscard]] result<reconstruction> reconstruct(const commitment& c,
                                                 std::span<const share> shares);

// Checks that a refresh dealer's commitment has exactly t entries and that
// its constant term is the identity (δ(0) = 0, so the secret is unchanged).
[[nodiscard]] status validate_refresh_commitment(const commitment& c, std::size_t threshold);

} // namespace pss::crypto
