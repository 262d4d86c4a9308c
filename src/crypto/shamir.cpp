#include "crypto/shamir.hpp"

#include <algorithm>
#include <string>

#include "core/check.hpp"

namespace pss::crypto {

namespace {
std::string str(std::size_t v) { return std::to_string(v); }
} // namespace

status check_threshold(std::size_t threshold) {
  if (threshold < threshold_min)
    return error{errc::invalid_argument,
                 "threshold " + str(threshold) + " is below the minimum of "
                   + str(threshold_min)
                   + " (t = 1 would hand every node the whole secret); use t >= 2"};
  if (threshold > shares_max)
    return error{errc::invalid_argument, "threshold " + str(threshold)
                                           + " is above the maximum of " + str(shares_max)};
  return {};
}

status check_threshold(std::size_t threshold, std::size_t shares) {
  PSS_TRY(check_threshold(threshold));
  if (shares > shares_max)
    return error{errc::invalid_argument, "share count " + str(shares)
                                           + " is above the maximum of " + str(shares_max)};
  if (threshold > shares)
    return error{errc::invalid_argument, "threshold " + str(threshold)
                                           + " is above the share count " + str(shares)
                                           + "; choose t <= n"};
  return {};
}

result<scalar> index_scalar(share_index index) {
  // A 32-bit index is far below L, so reducing it mod L leaves it unchanged:
  // the only index that is 0 mod L is 0 itself.
  if (index.value() == 0)
    return error{errc::invalid_argument,
                 "share index 0 is the secret itself; indices start at 1"};
  if (index.value() > shares_max)
    return error{errc::invalid_argument, "share index " + std::to_string(index.value())
                                           + " is above the maximum of " + str(shares_max)};
  return scalar::from_u64(index.value());
}

status check_indices(std::span<const share_index> indices) {
  if (indices.empty())
    return error{errc::insufficient, "no share indices given"};
  if (indices.size() > shares_max)
    return error{errc::too_large, str(indices.size()) + " share indices, above the maximum of "
                                    + str(shares_max)};
  std::vector<share_index> sorted(indices.begin(), indices.end());
  std::sort(sorted.begin(), sorted.end());
  if (sorted.front().value() == 0)
    return error{errc::invalid_argument,
                 "share index 0 is the secret itself; indices start at 1"};
  if (sorted.back().value() > shares_max)
    return error{errc::invalid_argument, "share index " + std::to_string(sorted.back().value())
                                           + " is above the maximum of " + str(shares_max)};
  const auto dup = std::adjacent_find(sorted.begin(), sorted.end());
  if (dup != sorted.end())
    return error{errc::duplicate, "share index " + std::to_string(dup->value())
                                    + " appears more than once"};
  return {};
}

result<polynomial> polynomial::random(const scalar& constant, std::size_t threshold,
                                      random_source& rng) {
  PSS_TRY(check_threshold(threshold));
  std::vector<scalar> coefficients;
  coefficients.reserve(threshold);
  coefficients.push_back(constant);
  for (std::size_t j = 1; j < threshold; ++j)
    coefficients.push_back(scalar::random(rng));
  PSS_CHECK(coefficients.size() == threshold);
  return polynomial{std::move(coefficients)};
}

result<polynomial> polynomial::from_coefficients(std::vector<scalar> coefficients) {
  if (coefficients.empty())
    return error{errc::invalid_argument, "a polynomial needs at least one coefficient"};
  if (coefficients.size() > shares_max)
    return error{errc::too_large, str(coefficients.size())
                                    + " coefficients, above the maximum of " + str(shares_max)};
  return polynomial{std::move(coefficients)};
}

scalar polynomial::evaluate(const scalar& x) const noexcept {
  PSS_CHECK(!coefficients_.empty());
  scalar acc = coefficients_.back();
  for (std::size_t k = coefficients_.size() - 1; k-- > 0;)
    acc = acc * x + coefficients_[k];
  return acc;
}

result<scalar> polynomial::evaluate(share_index index) const {
  auto x = index_scalar(index);
  PSS_TRY(x);
  return evaluate(*x);
}

result<share> polynomial::share_at(share_index index) const {
  auto value = evaluate(index);
  PSS_TRY(value);
  return share{index, std::move(*value)};
}

result<std::vector<share>> split(const scalar& secret, std::size_t threshold,
                                 std::size_t shares, random_source& rng) {
  PSS_TRY(check_threshold(threshold, shares));
  auto poly = polynomial::random(secret, threshold, rng);
  PSS_TRY(poly);
  std::vector<share> out;
  out.reserve(shares);
  for (std::size_t i = 1; i <= shares; ++i) {
    const share_index index{static_cast<std::uint32_t>(i)};
    out.push_back(share{index, poly->evaluate(scalar::from_u64(i))});
  }
  return out;
}

result<std::vector<scalar>> lagrange_coefficients(std::span<const share_index> indices,
                                                  const scalar& at) {
  PSS_TRY(check_indices(indices));
  const std::size_t m = indices.size();
  std::vector<scalar> xs;
  xs.reserve(m);
  for (auto index : indices)
    xs.push_back(scalar::from_u64(index.value()));

  // λ_i(at) = Π_{j≠i} (at - x_j) / Π_{j≠i} (x_i - x_j). The denominators are
  // non-zero because the indices are distinct and below L. They are inverted
  // together (Montgomery's trick): one inversion and 3(m-1) multiplications.
  std::vector<scalar> numerators(m, scalar::one());
  std::vector<scalar> denominators(m, scalar::one());
  for (std::size_t i = 0; i < m; ++i) {
    for (std::size_t j = 0; j < m; ++j) {
      if (i == j)
        continue;
      numerators[i] *= at - xs[j];
      denominators[i] *= xs[i] - xs[j];
    }
  }
  std::vector<scalar> prefix(m);
  prefix[0] = denominators[0];
  for (std::size_t i = 1; i < m; ++i)
    prefix[i] = prefix[i - 1] * denominators[i];
  auto inverse = prefix[m - 1].invert();
  PSS_CHECK_MSG(inverse.ok(), "Lagrange denominators of distinct indices are non-zero");
  scalar running = *inverse; // (d_0 ... d_i)^-1 for the current i
  std::vector<scalar> out(m);
  for (std::size_t i = m; i-- > 0;) {
    const scalar inv_i = i == 0 ? running : running * prefix[i - 1];
    running *= denominators[i];
    out[i] = numerators[i] * inv_i;
  }
  return out;
}

result<scalar> interpolate(std::span<const share> shares, std::size_t threshold,
                           const scalar& at) {
  PSS_TRY(check_threshold(threshold));
  std::vector<share_index> indices;
  indices.reserve(shares.size());
  for (const auto& s : shares)
    indices.push_back(s.index);
  if (!indices.empty())
    PSS_TRY(check_indices(indices));
  if (shares.size() < threshold)
    return error{errc::insufficient, "interpolation needs " + str(threshold)
                                       + " shares, got " + str(shares.size())};
  auto lambdas = lagrange_coefficients(std::span{indices}.first(threshold), at);
  PSS_TRY(lambdas);
  scalar acc;
  for (std::size_t i = 0; i < threshold; ++i)
    acc += (*lambdas)[i] * shares[i].value;
  return acc;
}

result<scalar> interpolate_secret(std::span<const share> shares, std::size_t threshold) {
  return interpolate(shares, threshold, scalar::zero());
}

result<scalar> interpolate_at(std::span<const share> shares, std::size_t threshold,
                              share_index index) {
  auto x = index_scalar(index);
  PSS_TRY(x);
  return interpolate(shares, threshold, *x);
}

namespace {
void put_u32(std::uint8_t* out, std::uint32_t v) noexcept {
  for (int i = 0; i < 4; ++i)
    out[i] = static_cast<std::uint8_t>(v >> (8 * i));
}

std::uint32_t get_u32(byte_view in) noexcept {
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i)
    v |= static_cast<std::uint32_t>(in[i]) << (8 * i);
  return v;
}
} // namespace

secure_bytes encode_share(const share& s) {
  secure_bytes out{share_encoded_bytes};
  put_u32(out.data(), s.index.value());
  std::copy(s.value.bytes().begin(), s.value.bytes().end(), out.data() + 4);
  return out;
}

result<share> decode_share(byte_view encoded) {
  if (encoded.size() != share_encoded_bytes)
    return error{errc::malformed, "a share is " + str(share_encoded_bytes) + " bytes, got "
                                    + str(encoded.size())};
  const share_index index{get_u32(encoded)};
  PSS_TRY(index_scalar(index));
  auto value = scalar::from_bytes(encoded.subspan(4));
  if (!value)
    return error{errc::malformed, "share " + std::to_string(index.value())
                                    + ": value is not a canonical scalar"};
  return share{index, std::move(*value)};
}

secure_bytes encode_sub_share(const sub_share& s) {
  secure_bytes out{sub_share_encoded_bytes};
  put_u32(out.data(), s.dealer.value());
  put_u32(out.data() + 4, s.recipient.value());
  std::copy(s.value.bytes().begin(), s.value.bytes().end(), out.data() + 8);
  return out;
}

result<sub_share> decode_sub_share(byte_view encoded) {
  if (encoded.size() != sub_share_encoded_bytes)
    return error{errc::malformed, "a sub-share is " + str(sub_share_encoded_bytes)
                                    + " bytes, got " + str(encoded.size())};
  const share_index dealer{get_u32(encoded)};
  const share_index recipient{get_u32(encoded.subspan(4))};
  PSS_TRY(index_scalar(dealer));
  PSS_TRY(index_scalar(recipient));
  auto value = scalar::from_bytes(encoded.subspan(8));
  if (!value)
    return error{errc::malformed, "sub-share from " + std::to_string(dealer.value()) + " to "
                                    + std::to_string(recipient.value())
                                    + ": value is not a canonical scalar"};
  return sub_share{dealer, recipient, std::move(*value)};
}

} // namespace pss::crypto
