// Share recovery math (Herzberg, Jarecki, Krawczyk, Yung 1995, §4).
//
// Node r lost its share s_r = f(r). A helper set H of at least t nodes,
// agreed through Raft, restores it without anyone but r learning it:
//   1. Every helper h ∈ H deals a random mask polynomial μ_h of degree t-1
//      with μ_h(r) = 0, publishes its commitments D_h (exactly t entries,
//      Σ r^k·D_{h,k} = identity), and sends μ_h(j) to every other helper j.
//   2. Every helper j checks what it received and sends r the masked value
//      s_j + Σ_{h∈H} μ_h(j), a point on f + Σ μ_h.
//   3. Node r checks each masked value against C + Σ D_h, interpolates the
//      masked polynomial at r from t of them (the masks vanish there), and
//      checks the result against the old commitments: s_r·G == Σ r^k·C_k.
// The masked polynomial is uniformly random except at r, so any t-1 masked
// values (and a fortiori one) say nothing about s_r, and r learns nothing
// about any helper's own share. One honest helper suffices for the masking.
//
// HJKY recovery was chosen over Laing–Stinson repair because every message
// r receives is individually verifiable against public commitments, so a bad
// helper is identified, not just detected. See docs/crypto.md.
#pragma once

#include <cstddef>
#include <span>

#include "core/result.hpp"
#include "crypto/feldman.hpp"
#include "crypto/refresh.hpp"
#include "crypto/shamir.hpp"

namespace pss::crypto {

// Helper `dealer` deals a uniformly random mask of t coefficients that is
// zero at `lost`. The dealer must not be the lost node.
[[nodiscard]] result<sub_dealing> deal_recovery_mask(share_index dealer, share_index lost,
                                                     std::size_t threshold,
                                                     random_source& rng);

// Checks a mask commitment: exactly t entries and μ(lost)·G = identity.
[[nodiscard]] status validate_recovery_mask_commitment(const commitment& mask_commitment,
                                                       share_index lost,
                                                       std::size_t threshold);

// Checks a mask sub-share against its dealer's (validated) commitment.
[[nodiscard]] status verify_recovery_sub_share(const commitment& mask_commitment,
                                               const sub_share& received, share_index lost,
                                               std::size_t threshold);

// Helper j's message to r: its own share plus every helper's mask at j (one
// sub-share from each helper in H, its own included). Refuses j == lost.
[[nodiscard]] result<share> masked_share(const share& own, share_index lost,
                                         std::span<const sub_share> masks);

// The commitments of the masked polynomial: original + Σ mask commitments,
// each validated. r uses it to check each masked value.
[[nodiscard]] result<commitment> masked_commitments(
  const commitment& original, share_index lost, std::span<const commitment> mask_commitments);

// Node r's side: verifies every masked value (an error names the helper),
// interpolates at r from the first t, and checks the result against the
// original commitments before returning it.
[[nodiscard]] result<share> recover_share(share_index lost, std::span<const share> masked,
                                          const commitment& original,
                                          std::span<const commitment> mask_commitments);

} // namespace pss::crypto
