#include "crypto/reshare.hpp"

#include "crypto/batch.hpp"

#include <string>
#include <vector>


namespace pss::crypto {

namespace {
std::string str(std::size_t v) { return std::to_string(v); }
std::string dealer_name(share_index dealer) {
  return "reshare dealer " + std::to_string(dealer.value());
}
} // namespace

result<sub_dealing> deal_reshare(const share& own, std::size_t new_threshold,
                                 random_source& rng) {
  PSS_TRY(index_scalar(own.index));
  auto poly = polynomial::random(own.value, new_threshold, rng);
  PSS_TRY(poly);
  commitment c = commitment::of(*poly);
  return sub_dealing{own.index, std::move(*poly), std::move(c)};
}

status validate_reshare_commitment(const commitment& old, share_index dealer,
                                   const commitment& dealt, std::size_t new_threshold) {
  PSS_TRY(check_threshold(new_threshold));
  if (dealt.threshold() != new_threshold)
    return error{errc::mismatch, dealer_name(dealer) + " committed to "
                                   + str(dealt.threshold()) + " coefficients, expected exactly "
                                   + str(new_threshold)};
  auto expected = old.public_share(dealer);
  PSS_TRY(expected);
  if (!(dealt.constant_term() == *expected))
    return error{errc::verification_failed,
                 dealer_name(dealer)
                   + " did not deal its own share (constant term differs from its public "
                     "share); exclude it from the dealer set"};
  return {};
}

status verify_reshare_sub_share(const commitment& old, const commitment& dealt,
                                const sub_share& received, std::size_t new_threshold) {
  PSS_TRY(validate_reshare_commitment(old, received.dealer, dealt, new_threshold));
  if (!dealt.verify(share{received.recipient, received.value}))
    return error{errc::verification_failed,
                 dealer_name(received.dealer) + ": sub-share to new index "
                   + std::to_string(received.recipient.value())
                   + " does not match its commitments; exclude the dealer"};
  return {};
}

result<share> combine_reshare(share_index new_index, std::span<const sub_share> received,
                              std::size_t old_threshold) {
  PSS_TRY(index_scalar(new_index));
  PSS_TRY(check_threshold(old_threshold));
  if (received.size() < old_threshold)
    return error{errc::insufficient, "resharing needs sub-shares from at least "
                                       + str(old_threshold) + " old holders, got "
                                       + str(received.size())};
  std::vector<share_index> dealers;
  dealers.reserve(received.size());
  for (const auto& s : received) {
    if (s.recipient != new_index)
      return error{errc::mismatch, dealer_name(s.dealer) + ": sub-share addressed to index "
                                     + std::to_string(s.recipient.value()) + ", not "
                                     + std::to_string(new_index.value())};
    dealers.push_back(s.dealer);
  }
  auto lambdas = lagrange_coefficients(dealers, scalar::zero());
  PSS_TRY(lambdas);
  share out{new_index, scalar::zero()};
  for (std::size_t i = 0; i < received.size(); ++i)
    out.value += (*lambdas)[i] * received[i].value;
  return out;
}

result<commitment> reshare_commitments(const commitment& old,
                                       std::span<const reshare_commitment> dealt,
                                       std::size_t new_threshold) {
  if (dealt.size() < old.threshold())
    return error{errc::insufficient, "resharing needs at least " + str(old.threshold())
                                       + " dealers, got " + str(dealt.size())};
  std::vector<share_index> dealers;
  dealers.reserve(dealt.size());
  for (const auto& d : dealt) {
    PSS_TRY(validate_reshare_commitment(old, d.dealer, d.commitments, new_threshold));
    dealers.push_back(d.dealer);
  }
  auto lambdas = lagrange_coefficients(dealers, scalar::zero());
  PSS_TRY(lambdas);
  std::vector<point> points(new_threshold);
  for (std::size_t i = 0; i < dealt.size(); ++i)
    for (std::size_t k = 0; k < new_threshold; ++k)
      points[k] += dealt[i].commitments.points()[k].mul((*lambdas)[i]);
  auto out = commitment::from_points(std::move(points), new_threshold);
  PSS_TRY(out);
  // Each E_{i,0} equals the old public share of i, so C'_0 == C_0 holds by
  // interpolation in the exponent whenever |B| >= t. Check it anyway and
  // fail as an error, not an abort: these inputs come from other nodes.
  if (!(out->constant_term() == old.constant_term()))
    return error{errc::verification_failed,
                 "reshared commitments change the secret's public value; reject the round"};
  return out;
}

} // namespace pss::crypto

// ---- the batch reshare's check (crypto/batch.hpp) ------------------------------

namespace pss::crypto {

result<point> combine_points(std::span<const point> points, std::span<const scalar> lambdas) {
  if (points.size() != lambdas.size())
    return error{errc::mismatch, str(lambdas.size()) + " coefficients for " + str(points.size()) + " points"};
  point sum = point::identity();
  for (std::size_t m = 0; m < points.size(); ++m) sum += points[m].mul(lambdas[m]);
  return sum;
}

result<bool> reshare_anchor_holds(std::span<const reshare_term> dealers, const point& anchor,
                                  std::size_t threshold) {
  PSS_TRY(check_threshold(threshold));
  if (dealers.size() < threshold)
    return error{errc::insufficient, str(dealers.size()) + " reshare dealers, fewer than the old t = "
                                       + str(threshold)};
  std::vector<share_index> indices;
  for (const auto& [index, term] : dealers) indices.push_back(index);
  auto weights = lagrange_coefficients(indices, scalar::zero());
  PSS_TRY(weights);
  point sum = point::identity();
  for (std::size_t i = 0; i < dealers.size(); ++i) sum += dealers[i].second.mul((*weights)[i]);
  return sum == anchor;
}

} // namespace pss::crypto
