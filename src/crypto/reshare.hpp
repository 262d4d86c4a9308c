// Resharing to a new committee or threshold (Wong, Wang, Wing 2002; the
// verifiable redistribution of Desmedt–Jajodia with Feldman checks).
//
// The secret moves from (t, old holders) to (t', new holders):
//   1. Each old holder i in the dealer set B (|B| >= t, agreed through Raft)
//      deals its share: a fresh polynomial g_i of t' coefficients with
//      g_i(0) = s_i, with commitments E_i. Its constant term must be s_i's
//      public value: E_{i,0} == Σ i^k·C_k. That check is what catches a
//      dealer that deals something other than its share.
//   2. New holder j checks g_i(j) against E_i and takes
//      s'_j = Σ_{i∈B} λ_i·g_i(j), with λ_i the Lagrange coefficients at 0
//      over B. The new commitments are C'_k = Σ_{i∈B} λ_i·E_{i,k}, and
//      C'_0 must equal the old C_0: the secret did not change.
// Old shares are erased only after the new epoch commits (protocol layer).
#pragma once

#include <cstddef>
#include <span>

#include "core/result.hpp"
#include "crypto/feldman.hpp"
#include "crypto/refresh.hpp"
#include "crypto/shamir.hpp"

namespace pss::crypto {

// Old holder own.index deals its share with new_threshold coefficients.
[[nodiscard]] result<sub_dealing> deal_reshare(const share& own, std::size_t new_threshold,
                                               random_source& rng);

// Checks a reshare dealer's commitments: exactly t' entries and a constant
// term equal to the dealer's old public share under the old commitments.
[[nodiscard]] status validate_reshare_commitment(const commitment& old, share_index dealer,
                                                 const commitment& dealt,
                                                 std::size_t new_threshold);

// Checks one received g_i(j) against the dealer's commitments (validated
// against the old commitments too).
[[nodiscard]] status verify_reshare_sub_share(const commitment& old, const commitment& dealt,
                                              const sub_share& received,
                                              std::size_t new_threshold);

// New holder's share: Σ λ_i·g_i(j) over the dealers in `received` (the set
// B, at least old_threshold distinct dealers, all addressed to new_index).
[[nodiscard]] result<share> combine_reshare(share_index new_index,
                                            std::span<const sub_share> received,
                                            std::size_t old_threshold);

// One dealer's public part: its old index and its commitments.
struct reshare_commitment {
  share_index dealer;
  commitment commitments;
};

// The new commitments Σ λ_i·E_i over B. Validates every dealer's commitment
// against the old ones and checks C'_0 == C_0.
[[nodiscard]] result<commitment> reshare_commitments(const commitment& old,
                                                     std::span<const reshare_commitment> dealt,
                                                     std::size_t new_threshold);

} // namespace pss::crypto
