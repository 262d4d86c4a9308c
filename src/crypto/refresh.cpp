#include "crypto/refresh.hpp"

#include <algorithm>
#include <string>
#include <vector>

namespace pss::crypto {

namespace {
std::string str(std::size_t v) { return std::to_string(v); }
std::string who(const sub_share& s) {
  return "sub-share from dealer " + std::to_string(s.dealer.value()) + " to "
         + std::to_string(s.recipient.value());
}
} // namespace

result<sub_share> sub_dealing::sub_share_for(share_index recipient) const {
  auto value = poly.evaluate(recipient);
  PSS_TRY(value);
  return sub_share{dealer, recipient, std::move(*value)};
}

result<sub_dealing> deal_refresh(share_index dealer, std::size_t threshold,
                                 random_source& rng) {
  PSS_TRY(index_scalar(dealer));
  auto poly = polynomial::random(scalar::zero(), threshold, rng);
  PSS_TRY(poly);
  commitment c = commitment::of(*poly);
  return sub_dealing{dealer, std::move(*poly), std::move(c)};
}

status verify_refresh_sub_share(const commitment& dealer_commitment, const sub_share& received,
                                std::size_t threshold) {
  if (auto valid = validate_refresh_commitment(dealer_commitment, threshold); !valid)
    return error{valid.err().code(), "dealer " + std::to_string(received.dealer.value())
                                       + ": " + valid.err().message()};
  if (!dealer_commitment.verify(share{received.recipient, received.value}))
    return error{errc::verification_failed,
                 who(received) + " does not match the dealer's commitments; complain about "
                                 "the dealer and exclude it"};
  return {};
}

result<share> add_sub_shares(const share& old, std::span<const sub_share> received) {
  PSS_TRY(index_scalar(old.index));
  if (received.empty())
    return error{errc::insufficient, "no sub-shares to add"};
  std::vector<share_index> dealers;
  dealers.reserve(received.size());
  for (const auto& s : received) {
    if (s.recipient != old.index)
      return error{errc::mismatch, who(s) + " is addressed to another index than "
                                     + std::to_string(old.index.value())};
    dealers.push_back(s.dealer);
  }
  PSS_TRY(check_indices(dealers));
  share out{old.index, old.value};
  for (const auto& s : received)
    out.value += s.value;
  return out;
}

result<commitment> refresh_commitments(const commitment& old,
                                       std::span<const commitment> dealer_commitments) {
  if (dealer_commitments.empty())
    return error{errc::insufficient, "no refresh commitments to add"};
  commitment sum = old;
  for (std::size_t i = 0; i < dealer_commitments.size(); ++i) {
    if (auto valid = validate_refresh_commitment(dealer_commitments[i], old.threshold()); !valid)
      return error{valid.err().code(),
                   "refresh commitment " + str(i) + ": " + valid.err().message()};
    auto next = sum.add(dealer_commitments[i]);
    PSS_TRY(next);
    sum = std::move(*next);
  }
  return sum;
}

} // namespace pss::crypto
