// Decoding shares of which some may be wrong: what reads and recoveries do
// with the values members send, any of which a faulty member may have made
// up (issue "refresh that no faulty member can stop or poison", item 3).
//
// Both searches walk t-subsets in one order (subset_walk): first the n
// cyclic windows {i, ..., i+t-1 mod n}, then every subset in lexicographic
// order, up to decode_subsets_max. One bad share sits in at most t of the n
// windows, so with n >= t+1 shares some window avoids it at any n up to
// shares_max: one bad share never blocks a read or a recovery, wherever it
// sits (a lexicographic walk alone keeps the lowest position in its first
// C(n-1, t-1) subsets). Never logs share material; results print redacted.
#pragma once

#include <cstddef>
#include <ostream>
#include <span>
#include <vector>

#include "core/result.hpp"
#include "crypto/point.hpp"
#include "crypto/scalar.hpp"
#include "crypto/shamir.hpp"

namespace pss::crypto {

// The bound on t-subsets one search tries.
inline constexpr std::size_t decode_subsets_max = 256;

// Sorted t-subsets of positions 0..n-1: the cyclic windows, then the
// lexicographic walk (whose first subset, window 0 again, is skipped).
class subset_walk {
public:
  subset_walk(std::size_t n, std::size_t t);
  [[nodiscard]] const std::vector<std::size_t>& current() const noexcept { return chosen_; }
  [[nodiscard]] bool contains(std::size_t position) const;
  // Advances; false after the last subset.
  bool next();

private:
  void set_window(std::size_t start);
  std::size_t n_;
  std::size_t t_;
  std::size_t windows_;    // n, or 1 when n == t (every window is the same)
  std::size_t window_ = 0; // the current window while window_ < windows_
  std::vector<std::size_t> chosen_;
};

struct reconstruction_result {
  scalar secret;
  std::vector<share_index> misfits; // shares off the reconstructed polynomial

  friend std::ostream& operator<<(std::ostream& os, const reconstruction_result& r) {
    return os << "reconstruction_result{<redacted>, " << r.misfits.size() << " misfits}";
  }
};

// Reconstructs k with k·G == constant_commitment from shares that carry no
// per-share commitments, walking t-subsets (at most decode_subsets_max);
// only until the first match does each try cost a base-point
// multiplication, after that a candidate must interpolate to the same k.
// Among matching subsets it keeps the polynomial most shares fit, and stops
// as soon as every share fits. k is then correct whenever it is returned;
// the misfits name the bad shares if the good ones number at least
// t + (number of bad ones) and an all-good subset is within the bound;
// otherwise an adversary controlling several shares can make honest ones
// look bad. Fails with verification_failed when no subset matches and
// insufficient with fewer than t shares.
[[nodiscard]] result<reconstruction_result> reconstruct_with_constant(
  std::span<const share> shares, std::size_t threshold, const point& constant_commitment);

struct decoded_value {
  scalar value;
  std::size_t fits = 0;            // shares on the decoded polynomial (at least t)
  std::vector<share_index> misfits; // shares off it, sorted

  friend std::ostream& operator<<(std::ostream& os, const decoded_value& d) {
    return os << "decoded_value{<redacted>, " << d.fits << " fit, " << d.misfits.size() << " misfits}";
  }
};

// f(at) for the one polynomial f of degree <= t-1 that the shares fit
// within the unique decoding radius: f fits at least t + (number of
// misfits) shares, so with e wrong shares and n >= t + 2e no other
// polynomial can (it would fit at most t-1 good ones). With n == t every
// polynomial fits, so the caller must check the value another way (a
// Feldman commitment) or insist on fits > t. Fails verification_failed when
// no walked subset is within the radius, insufficient below t shares.
[[nodiscard]] result<decoded_value> decode_at(std::span<const share> shares, std::size_t threshold,
                                              share_index at);

// decode_at for many value sets at the same indices (a recovery's helpers
// send one value per version): the Lagrange weights of the first t indices,
// at `at` and at every other index, are computed once, so a set that fits
// one polynomial costs multiply-adds only; a set with a misfit goes through
// decode_at itself. The results are decode_at's.
class fixed_point_decoder {
public:
  [[nodiscard]] static result<fixed_point_decoder> make(std::span<const share_index> indices, std::size_t threshold,
                                                        share_index at);
  // `values[i]` is the value at indices[i].
  [[nodiscard]] result<decoded_value> decode(std::span<const scalar> values) const;

private:
  fixed_point_decoder() = default;
  std::vector<share_index> indices_;
  std::size_t threshold_ = 0;
  share_index at_;
  std::vector<scalar> at_weights_;                // f(at) over the first t values
  std::vector<std::vector<scalar>> other_weights_; // f(indices[t + j]) over the first t values
};

} // namespace pss::crypto
