#include "crypto/recovery.hpp"

#include <string>
#include <vector>

namespace pss::crypto {

namespace {
std::string str(std::size_t v) { return std::to_string(v); }
} // namespace

result<sub_dealing> deal_recovery_mask(share_index dealer, share_index lost,
                                       std::size_t threshold, random_source& rng) {
  PSS_TRY(index_scalar(dealer));
  auto r = index_scalar(lost);
  PSS_TRY(r);
  if (dealer == lost)
    return error{errc::invalid_argument, "the lost node cannot help recover its own share"};
  // A uniform polynomial minus its value at r is uniform among the
  // polynomials of t coefficients that vanish at r (the map is a projection
  // onto that subspace), so no coefficient is biased.
  auto poly = polynomial::random(scalar::random(rng), threshold, rng);
  PSS_TRY(poly);
  const scalar at_r = poly->evaluate(*r);
  std::vector<scalar> coefficients = poly->coefficients();
  coefficients[0] -= at_r;
  auto mask = polynomial::from_coefficients(std::move(coefficients));
  PSS_TRY(mask);
  commitment c = commitment::of(*mask);
  return sub_dealing{dealer, std::move(*mask), std::move(c)};
}

status validate_recovery_mask_commitment(const commitment& mask_commitment, share_index lost,
                                         std::size_t threshold) {
  PSS_TRY(check_threshold(threshold));
  if (mask_commitment.threshold() != threshold)
    return error{errc::mismatch, "recovery mask commitment has "
                                   + str(mask_commitment.threshold())
                                   + " entries, expected exactly " + str(threshold)};
  auto at_lost = mask_commitment.public_share(lost);
  PSS_TRY(at_lost);
  if (!at_lost->is_identity())
    return error{errc::verification_failed,
                 "recovery mask is not zero at index " + std::to_string(lost.value())
                   + ", so it would corrupt the recovered share; exclude this helper"};
  return {};
}

status verify_recovery_sub_share(const commitment& mask_commitment, const sub_share& received,
                                 share_index lost, std::size_t threshold) {
  if (auto valid = validate_recovery_mask_commitment(mask_commitment, lost, threshold); !valid)
    return error{valid.err().code(), "helper " + std::to_string(received.dealer.value()) + ": "
                                       + valid.err().message()};
  if (!mask_commitment.verify(share{received.recipient, received.value}))
    return error{errc::verification_failed,
                 "mask sub-share from helper " + std::to_string(received.dealer.value())
                   + " to " + std::to_string(received.recipient.value())
                   + " does not match its commitments; exclude this helper"};
  return {};
}

result<share> masked_share(const share& own, share_index lost, std::span<const sub_share> masks) {
  PSS_TRY(index_scalar(lost));
  if (own.index == lost)
    return error{errc::invalid_argument, "the lost node cannot help recover its own share"};
  return add_sub_shares(own, masks);
}

result<commitment> masked_commitments(const commitment& original, share_index lost,
                                      std::span<const commitment> mask_commitments) {
  if (mask_commitments.empty())
    return error{errc::insufficient, "recovery needs the helpers' mask commitments"};
  commitment sum = original;
  for (std::size_t i = 0; i < mask_commitments.size(); ++i) {
    if (auto valid = validate_recovery_mask_commitment(mask_commitments[i], lost,
                                                       original.threshold());
        !valid)
      return error{valid.err().code(), "mask commitment " + str(i) + ": " + valid.err().message()};
    auto next = sum.add(mask_commitments[i]);
    PSS_TRY(next);
    sum = std::move(*next);
  }
  return sum;
}

result<share> recover_share(share_index lost, std::span<const share> masked,
                            const commitment& original,
                            std::span<const commitment> mask_commitments) {
  PSS_TRY(index_scalar(lost));
  const std::size_t t = original.threshold();
  if (mask_commitments.size() < t)
    return error{errc::insufficient, "recovery needs masks from at least " + str(t)
                                       + " helpers, got " + str(mask_commitments.size())};
  if (masked.size() < t)
    return error{errc::insufficient, "recovery needs masked values from at least " + str(t)
                                       + " helpers, got " + str(masked.size())};
  for (const auto& m : masked)
    if (m.index == lost)
      return error{errc::invalid_argument, "a masked value came from the lost index itself"};
  auto combined = masked_commitments(original, lost, mask_commitments);
  PSS_TRY(combined);
  for (const auto& m : masked)
    if (!combined->verify(m))
      return error{errc::verification_failed,
                   "masked value from helper " + std::to_string(m.index.value())
                     + " does not match the masked commitments; exclude this helper"};
  auto value = interpolate_at(masked, t, lost);
  PSS_TRY(value);
  share out{lost, std::move(*value)};
  if (!original.verify(out))
    return error{errc::verification_failed,
                 "recovered share " + std::to_string(lost.value())
                   + " does not match the commitments; the helper set is inconsistent"};
  return out;
}

} // namespace pss::crypto
