// Proactive refresh math (Herzberg, Jarecki, Krawczyk, Yung 1995, §3).
//
// In epoch e -> e+1 every node i deals a zero polynomial δ_i (δ_i(0) = 0,
// degree t-1) with Feldman commitments whose constant term is the identity,
// and sends δ_i(j) to node j. Node j checks each sub-share against its
// dealer's commitments and takes s'_j = s_j + Σ_{i∈QUAL} δ_i(j); the new
// commitment vector is C + Σ_{i∈QUAL} D_i. The secret is unchanged, every
// share changes, and shares of different epochs no longer combine.
//
// This module is the arithmetic only. Sealing, signing, complaints and QUAL
// belong to the protocol layer. Never logs share material.
#pragma once

#include <cstddef>
#include <ostream>
#include <span>

#include "core/result.hpp"
#include "crypto/feldman.hpp"
#include "crypto/random_source.hpp"
#include "crypto/shamir.hpp"

namespace pss::crypto {

// A polynomial one node deals to the others, with its commitments. Used for
// refresh (zero at 0), recovery (zero at the lost index) and reshare.
struct sub_dealing {
  share_index dealer;
  polynomial poly;
  commitment commitments;

  // δ(recipient) addressed from this dealer; index 0 is refused.
  [[nodiscard]] result<sub_share> sub_share_for(share_index recipient) const;

  friend std::ostream& operator<<(std::ostream& os, const sub_dealing& d) {
    return os << "sub_dealing{" << d.dealer << ", " << d.poly << "}";
  }
};

// Deals a uniformly random polynomial with δ(0) = 0 and t coefficients.
[[nodiscard]] result<sub_dealing> deal_refresh(share_index dealer, std::size_t threshold,
                                               random_source& rng);

// Checks the dealer's commitment (exactly t entries, identity constant term)
// and the sub-share against it. Errors name the dealer and the recipient.
[[nodiscard]] status verify_refresh_sub_share(const commitment& dealer_commitment,
                                              const sub_share& received,
                                              std::size_t threshold);

// s' = s + Σ received: every sub-share must be addressed to the share's
// index, from distinct dealers, and there must be at least one. The caller
// passes only sub-shares it verified, from dealers in QUAL.
[[nodiscard]] result<share> add_sub_shares(const share& old, std::span<const sub_share> received);

// The new epoch's commitments: old + Σ dealer commitments, each validated as
// a refresh commitment of the old threshold.
[[nodiscard]] result<commitment> refresh_commitments(
  const commitment& old, std::span<const commitment> dealer_commitments);

} // namespace pss::crypto
