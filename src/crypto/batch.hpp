// Batch verification of refresh and recovery dealings in the scalar field.
//
// A per-secret Feldman dealing costs group operations for every secret and
// every node (about 0.8 ms per secret per node at t=3, n=5). This module
// verifies a dealer's polynomials for MANY secrets at once with scalar
// arithmetic only, by a random linear combination:
//
//   * A dealer deals, for each secret m, a uniform polynomial δ_m of degree
//     <= t-1 with δ_m(x0) = 0, plus one extra masking polynomial ρ of the
//     same form. x0 = 0 for a proactive refresh (HJKY §3); x0 = r, the lost
//     node's index, for a recovery mask (HJKY §4).
//   * Receiver j gets the bundle δ_0(x_j)..δ_{M-1}(x_j), ρ(x_j).
//   * Once every bundle is fixed (the protocol layer binds them, e.g. by a
//     digest of the signed sealed chunks, into the transcript), everyone
//     derives λ_0..λ_{M-1} from the transcript digest, and every receiver
//     publishes c_j = ρ(x_j) + Σ_m λ_m·δ_m(x_j).
//   * Anyone checks that the points (x_j, c_j) lie on one polynomial of
//     degree <= t-1 that vanishes at x0.
//
// Soundness: if any δ_m or ρ is off that space (a wrong value to one
// receiver, a nonzero value at x0, too high a degree), the combination is
// off it too except with probability 1/L over λ, provided λ is derived AFTER
// the dealer is bound to its bundles. The check needs at least t responses;
// with t-1 or fewer anything fits, so it refuses. Privacy: ρ is uniform in
// the same space and used once, so c_j reveals nothing about any δ_m.
//
// This module is the arithmetic and the codec. Sealing, signing, the
// transcript and complaint handling belong to the protocol layer. It never
// logs share material: every secret value lives in a zeroizing scalar, and
// encoded bundles live in secure_bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <ostream>
#include <span>
#include <utility>
#include <vector>

#include "core/bytes.hpp"
#include "core/ids.hpp"
#include "core/result.hpp"
#include "core/secure.hpp"
#include "crypto/point.hpp"
#include "crypto/random_source.hpp"
#include "crypto/scalar.hpp"
#include "crypto/shamir.hpp"

namespace pss::crypto {

// The most secrets one batch round may cover.
inline constexpr std::size_t batch_secrets_max = 1u << 20;
// The most values one encoded chunk carries: 16,384 × 32 bytes = 512 KiB,
// well inside sealed_plaintext_bytes_max.
inline constexpr std::size_t bundle_chunk_secrets = 16384;
// The codec version byte.
inline constexpr std::uint8_t bundle_codec_version = 1;
// version, dealer, recipient, x0, total count, first offset, chunk count.
inline constexpr std::size_t bundle_header_bytes = 1 + 4 + 4 + 4 + 8 + 8 + 4;
// Transcript digests fed to challenge_coefficients: 32 to 64 bytes.
inline constexpr std::size_t transcript_digest_bytes_min = 32;
inline constexpr std::size_t transcript_digest_bytes_max = 64;

// The special point x0 where every dealt polynomial vanishes: share_index{0}
// for refresh, the lost node's index for recovery. (share_index is reused
// because x0 is an evaluation point; only here may it be zero.)
using special_point = share_index;
inline constexpr special_point refresh_point{0};

// What one receiver gets from one dealer: δ_m(x) for every secret m, and
// ρ(x). Every value is secret.
struct sub_share_bundle {
  share_index dealer;
  share_index recipient;
  special_point x0;
  std::vector<scalar> values; // δ_0(x)..δ_{M-1}(x)
  scalar mask;                // ρ(x)

  friend std::ostream& operator<<(std::ostream& os, const sub_share_bundle& b) {
    return os << "sub_share_bundle{" << b.dealer << "->" << b.recipient << ", x0="
              << b.x0.value() << ", " << b.values.size() << " values, <redacted>}";
  }
};

// One dealer's polynomials for a batch round. Every δ_m and ρ is stored as
// (x - x0)·q(x) with q of degree <= t-2 drawn uniformly: that map is a
// bijection onto the polynomials of degree <= t-1 vanishing at x0, so each
// dealt polynomial is uniform in that space. The coefficients of q are
// secret and zeroize with their scalars.
class batch_dealing {
public:
  // The sub-shares for one receiver, evaluated by Horner's rule. Refuses
  // index 0, indices above shares_max and the special point itself.
  [[nodiscard]] result<sub_share_bundle> bundle_for(share_index recipient) const;
  // The bundles for several receivers in one pass over the coefficients.
  [[nodiscard]] result<std::vector<sub_share_bundle>> bundles_for(
    std::span<const share_index> recipients) const;

  // The dealer's response polynomial y = ρ + Σ_m λ_m·δ_m, as the t-1
  // coefficients of q (lowest first) with y(x) = (x - x0)·q(x): the values
  // every receiver's response must equal (docs/refresh.md §3). Publishing it
  // reveals no more than the responses do. Mismatch for another count of λ.
  [[nodiscard]] result<std::vector<scalar>> response_polynomial(std::span<const scalar> lambdas) const;
  // A reshare dealing's y(0) = a + Σ_m λ_m·c_m (zero for the others, whose
  // polynomials vanish at x0): published with q, as y(x) = y(0) + x·q(x).
  [[nodiscard]] result<scalar> response_constant(std::span<const scalar> lambdas) const;
  // A·G for the mask's constant a (the identity for a dealing that is not a
  // reshare): committed before the challenge (docs/refresh.md §7.5).
  [[nodiscard]] point mask_commitment() const noexcept;
  // True for a reshare dealing (deal_batch_reshare).
  [[nodiscard]] bool reshares() const noexcept { return !constants_.empty(); }

  [[nodiscard]] share_index dealer() const noexcept { return dealer_; }
  [[nodiscard]] special_point x0() const noexcept { return x0_; }
  [[nodiscard]] std::size_t threshold() const noexcept { return threshold_; }
  [[nodiscard]] std::size_t secrets() const noexcept { return secrets_; }

  friend std::ostream& operator<<(std::ostream& os, const batch_dealing& d) {
    return os << "batch_dealing{" << d.dealer_ << ", t=" << d.threshold_ << ", "
              << d.secrets_ << " secrets, <redacted>}";
  }

private:
  friend result<batch_dealing> deal_batch(share_index, std::size_t, std::size_t,
                                          special_point, random_source&);
  friend result<batch_dealing> deal_batch_reshare(share_index, std::span<const scalar>, std::size_t,
                                                  random_source&);
  batch_dealing(share_index dealer, std::size_t secrets, std::size_t threshold,
                special_point x0, std::vector<scalar> q, std::vector<scalar> constants = {}) noexcept
    : dealer_(dealer), secrets_(secrets), threshold_(threshold), x0_(x0),
      q_(std::move(q)), constants_(std::move(constants)) {}

  share_index dealer_;
  std::size_t secrets_;
  std::size_t threshold_;
  special_point x0_;
  // (secrets + 1) rows of t-1 coefficients of q, lowest first; the last
  // row is the mask ρ.
  std::vector<scalar> q_;
  // A reshare's constant terms: the dealer's share of each secret, then the
  // mask's uniform a (secrets + 1 entries); empty otherwise. SECRET.
  std::vector<scalar> constants_;
};

// Deals M = `secrets` polynomials and the mask. Fails for M = 0 or above
// batch_secrets_max, a threshold outside threshold_min..shares_max, and x0
// above shares_max.
[[nodiscard]] result<batch_dealing> deal_batch(share_index dealer, std::size_t secrets,
                                               std::size_t threshold, special_point x0,
                                               random_source& rng);

// A reshare dealing for lowering t (docs/refresh.md §7.5): for each secret
// m, g_m(x) = s_m + x·q_m(x) with s_m = own_shares[m] (the dealer's share)
// and q_m uniform of degree <= t-2, and the mask ρ(x) = a + x·q(x) with a
// uniform too. x0 is 0: bundles, responses and the codec are a refresh's; the
// response polynomial has a constant (response_constant), and the dealer
// commits to a·G (mask_commitment) before the challenge. Same limits as
// deal_batch.
[[nodiscard]] result<batch_dealing> deal_batch_reshare(share_index dealer, std::span<const scalar> own_shares,
                                                       std::size_t threshold, random_source& rng);

// ---- codec ------------------------------------------------------------------

// One encoded piece of a bundle: the header, the mask, then the 32-byte values
// for secrets first..first+count-1 (of total).
//   u8 version | u32 dealer | u32 recipient | u32 x0 | u64 total | u64 first |
//   u32 count | mask | count × value
// A whole bundle is the chunk with first = 0 and count = total.
[[nodiscard]] result<secure_bytes> encode_bundle(const sub_share_bundle& bundle);
// Parses a whole bundle; rejects a chunk that is only part of one.
[[nodiscard]] result<sub_share_bundle> decode_bundle(byte_view encoded);

// One chunk as decoded: for a protocol that checks the chunks of a bundle
// one at a time (a receiver opening them, a replica judging a revealed one).
struct bundle_chunk {
  share_index dealer;
  share_index recipient;
  special_point x0;
  std::uint64_t total = 0;
  std::uint64_t first = 0;
  scalar mask;
  std::vector<scalar> values; // secrets first..first+values.size()-1
};
[[nodiscard]] result<bundle_chunk> decode_bundle_chunk(byte_view encoded);

// Splits a bundle into encoded chunks of at most chunk_secrets values each.
[[nodiscard]] result<std::vector<secure_bytes>> encode_bundle_chunks(
  const sub_share_bundle& bundle, std::size_t chunk_secrets = bundle_chunk_secrets);

// Reassembles chunks in any order. Exact duplicates are harmless; chunks
// that disagree (header, mask or an overlapping value) are mismatch; a
// missing range is insufficient and names the first missing secret.
[[nodiscard]] result<sub_share_bundle> reassemble_bundle(std::span<const byte_view> chunks);

// ---- challenge and response ---------------------------------------------------

// λ_m = from_wide(BLAKE2b-512("pss batch challenge v1" | digest | u64le m))
// for m = first..first+count-1. The mask's coefficient is 1. The digest must
// bind every bundle of the round and be 32..64 bytes.
[[nodiscard]] result<std::vector<scalar>> challenge_coefficients(byte_view transcript_digest,
                                                                 std::size_t count, std::size_t first = 0);

// A receiver's response ρ(x) + Σ_m λ_m·δ_m(x). Mismatch when the bundle and
// the coefficients count different secrets.
[[nodiscard]] result<scalar> combine(const sub_share_bundle& bundle,
                                     std::span<const scalar> lambdas);

// (x - x0)·q(x): a response polynomial published as q (see
// batch_dealing::response_polynomial) evaluated at x.
[[nodiscard]] scalar evaluate_vanishing(std::span<const scalar> q, special_point x0, share_index x);

// c + (x - x0)·q(x): a reshare's response polynomial (x0 = 0) at x.
[[nodiscard]] scalar evaluate_with_constant(const scalar& c, std::span<const scalar> q, special_point x0,
                                            share_index x);

// ---- public checks -------------------------------------------------------------

using batch_point = std::pair<share_index, scalar>;

// Succeeds iff one polynomial p of degree <= t-1 with p(x0) = 0 passes
// through every point. Needs at least t points (with fewer, anything fits);
// refuses index 0, indices above shares_max, duplicates and x0 itself. The
// polynomial is fixed by (x0, 0) and the first t-1 points, so the error
// names the first later index that does not fit; attributing blame between
// the dealer and the responders is the protocol layer's job.
[[nodiscard]] status check_batch_points(std::span<const batch_point> points,
                                        std::size_t threshold, special_point x0);

// Succeeds iff one polynomial of degree <= t-1 passes through every share
// (no constraint at any point). Needs at least t+1 shares to check anything.
[[nodiscard]] status check_consistent(std::span<const share> points, std::size_t threshold);

// Σ_m λ_m·points[m]: the anchor of a reshare's check, K = Σ_m λ_m·C_{0,m}
// (one variable-base multiplication per point). Mismatch for other counts.
[[nodiscard]] result<point> combine_points(std::span<const point> points, std::span<const scalar> lambdas);

// A reshare dealer set B passes (docs/refresh.md §7.5) iff
// Σ_{i∈B} L_i·D_i == K, with L_i the Lagrange weights at 0 over B's
// indices and D_i = y_i(0)·G - A_i. Needs at least `threshold` (the old t)
// dealers; refuses duplicate or invalid indices.
using reshare_term = std::pair<share_index, point>;
[[nodiscard]] result<bool> reshare_anchor_holds(std::span<const reshare_term> dealers, const point& anchor,
                                                std::size_t threshold);

// ---- applying ---------------------------------------------------------------------

// shares[m] += bundle.values[m] for every m: a receiver applying one dealer's
// bundle. Mismatch when the counts differ.
[[nodiscard]] status add_bundle(std::span<scalar> shares, const sub_share_bundle& bundle);

} // namespace pss::crypto
