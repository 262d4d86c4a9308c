// Shamir secret sharing over the Ristretto255 scalar field.
//
// A secret s is the constant term of a random polynomial f of degree t-1;
// the share with index i (1..n) is f(i). Any t shares give f back by Lagrange
// interpolation; fewer give nothing. This module validates every input:
// index 0 (after reduction mod L, which for 32-bit indices is the index
// itself), duplicate indices, fewer than t shares, t > n, t below
// threshold_min and n above shares_max are operating errors, never silent.
//
// t = 1 is refused (threshold_min = 2): a degree-0 polynomial hands every
// node the secret itself, and a proactive refresh (a zero polynomial of
// degree 0) could never change a share. See docs/crypto.md.
//
// Never logs or returns share material in an error.
#pragma once

#include <cstddef>
#include <cstdint>
#include <ostream>
#include <span>
#include <utility>
#include <vector>

#include "core/ids.hpp"
#include "core/result.hpp"
#include "core/secure.hpp"
#include "crypto/random_source.hpp"
#include "crypto/scalar.hpp"

namespace pss::crypto {

// The most shares (and so nodes) one secret can be split into.
inline constexpr std::size_t shares_max = 255;
// The smallest threshold pss accepts; t = 1 would give every node the secret.
inline constexpr std::size_t threshold_min = 2;
// The encoded size of a share: a u32 index and a 32-byte scalar.
inline constexpr std::size_t share_encoded_bytes = 4 + scalar::size;
// The encoded size of a sub-share: u32 dealer, u32 recipient, 32-byte scalar.
inline constexpr std::size_t sub_share_encoded_bytes = 4 + 4 + scalar::size;

// One evaluation f(index) of a sharing polynomial. The value is secret.
struct share {
  share_index index;
  scalar value;

  friend std::ostream& operator<<(std::ostream& os, const share& s) {
    return os << "share{" << s.index << ", <redacted>}";
  }
};

// One evaluation δ(recipient) of a polynomial dealt by another node during a
// refresh, recovery or reshare. The value is secret.
struct sub_share {
  share_index dealer;
  share_index recipient;
  scalar value;

  friend std::ostream& operator<<(std::ostream& os, const sub_share& s) {
    return os << "sub_share{" << s.dealer << "->" << s.recipient << ", <redacted>}";
  }
};

// Checks 2 <= t <= n <= shares_max.
[[nodiscard]] status check_threshold(std::size_t threshold, std::size_t shares);
// Checks threshold_min <= t <= shares_max (when n is not known yet).
[[nodiscard]] status check_threshold(std::size_t threshold);

// The field element of a share index; index 0 and indices above shares_max
// are invalid_argument.
[[nodiscard]] result<scalar> index_scalar(share_index index);
// Rejects an empty list, more than shares_max indices, index 0, an index
// above shares_max and duplicates.
[[nodiscard]] status check_indices(std::span<const share_index> indices);

// A polynomial of degree t-1 whose coefficients are zeroized on destruction.
class polynomial {
public:
  // A uniformly random polynomial with the given constant term and
  // `threshold` coefficients.
  [[nodiscard]] static result<polynomial> random(const scalar& constant,
                                                 std::size_t threshold,
                                                 random_source& rng);
  // A polynomial with the given coefficients (a_0 first). Fails if there are
  // fewer than 1 or more than shares_max.
  [[nodiscard]] static result<polynomial> from_coefficients(std::vector<scalar> coefficients);

  // f(x), by Horner's rule.
  [[nodiscard]] scalar evaluate(const scalar& x) const noexcept;
  // f(index); index 0 is refused.
  [[nodiscard]] result<scalar> evaluate(share_index index) const;
  // The share at index (the same as evaluate, packaged).
  [[nodiscard]] result<share> share_at(share_index index) const;

  // t: the number of coefficients (degree + 1).
  [[nodiscard]] std::size_t threshold() const noexcept { return coefficients_.size(); }
  [[nodiscard]] const std::vector<scalar>& coefficients() const noexcept { return coefficients_; }
  [[nodiscard]] const scalar& constant() const noexcept { return coefficients_.front(); }

  friend std::ostream& operator<<(std::ostream& os, const polynomial& p) {
    return os << "polynomial{t=" << p.threshold() << ", <redacted>}";
  }

private:
  explicit polynomial(std::vector<scalar> coefficients) noexcept
    : coefficients_(std::move(coefficients)) {}
  std::vector<scalar> coefficients_;
};

// Splits a secret into shares 1..n with threshold t (Shamir 1979).
[[nodiscard]] result<std::vector<share>> split(const scalar& secret, std::size_t threshold,
                                               std::size_t shares, random_source& rng);

// The Lagrange coefficients λ_i(at) for the given distinct, non-zero indices:
// f(at) = Σ λ_i(at)·f(x_i) for every f of degree below indices.size(). Uses
// one field inversion (batched).
[[nodiscard]] result<std::vector<scalar>> lagrange_coefficients(
  std::span<const share_index> indices, const scalar& at);

// f(at) from shares of a degree t-1 polynomial. All indices are validated;
// the first `threshold` shares are used. Fewer than t shares is insufficient.
// Callers verify shares (Feldman) first: a wrong share gives a wrong value.
[[nodiscard]] result<scalar> interpolate(std::span<const share> shares,
                                         std::size_t threshold, const scalar& at);
// f(0): the secret.
[[nodiscard]] result<scalar> interpolate_secret(std::span<const share> shares,
                                                std::size_t threshold);
// f(index): another node's share, e.g. for recovery.
[[nodiscard]] result<scalar> interpolate_at(std::span<const share> shares,
                                            std::size_t threshold, share_index index);

// A share as bytes (u32 little-endian index, then the canonical scalar).
[[nodiscard]] secure_bytes encode_share(const share& s);
// Parses a share; rejects a wrong length, index 0 and a non-canonical value.
[[nodiscard]] result<share> decode_share(byte_view encoded);

// A sub-share as bytes (u32 dealer, u32 recipient, then the scalar), for
// sealing to its recipient.
[[nodiscard]] secure_bytes encode_sub_share(const sub_share& s);
// Parses a sub-share; rejects a wrong length, index 0 or above shares_max in
// either index, and a non-canonical value.
[[nodiscard]] result<sub_share> decode_sub_share(byte_view encoded);

} // namespace pss::crypto
