#include "crypto/decode.hpp"

#include <algorithm>
#include <optional>
#include <string>

#include "core/check.hpp"

namespace pss::crypto {

namespace {

std::string str(std::size_t v) { return std::to_string(v); }

// Advances a sorted t-subset of positions 0..n-1 to the next in lexicographic
// order; false after the last.
bool next_lexicographic(std::vector<std::size_t>& chosen, std::size_t n) {
  const std::size_t t = chosen.size();
  for (std::size_t i = t; i-- > 0;) {
    if (chosen[i] < n - t + i) {
      ++chosen[i];
      for (std::size_t j = i + 1; j < t; ++j) chosen[j] = chosen[j - 1] + 1;
      return true;
    }
  }
  return false;
}

bool commits_to(const scalar& k, const point& constant_commitment) {
  // libsodium's base multiplication refuses zero; k = 0 commits to the
  // identity.
  if (k.is_zero()) return constant_commitment.is_identity();
  return point::base_mul(k) == constant_commitment;
}

status check_shares(std::span<const share> shares, std::size_t threshold) {
  PSS_TRY(check_threshold(threshold));
  if (shares.size() < threshold)
    return error{errc::insufficient,
                 "decoding needs at least t = " + str(threshold) + " shares, got " + str(shares.size())};
  std::vector<share_index> indices;
  for (const auto& s : shares) indices.push_back(s.index);
  return check_indices(indices);
}

// The positions of the shares off the polynomial through `subset`.
result<std::vector<share_index>> misfits_of(std::span<const share> shares, std::span<const share> subset,
                                            const subset_walk& walk) {
  std::vector<share_index> misfits;
  for (std::size_t i = 0; i < shares.size(); ++i) {
    if (walk.contains(i)) continue;
    auto expected = interpolate_at(subset, subset.size(), shares[i].index);
    PSS_TRY(expected);
    if (!(*expected == shares[i].value)) misfits.push_back(shares[i].index);
  }
  std::sort(misfits.begin(), misfits.end());
  return misfits;
}

void fill_subset(std::span<const share> shares, const subset_walk& walk, std::vector<share>& subset) {
  for (std::size_t i = 0; i < subset.size(); ++i) subset[i] = shares[walk.current()[i]];
}

} // namespace

subset_walk::subset_walk(std::size_t n, std::size_t t) : n_(n), t_(t), windows_(n == t ? 1 : n), chosen_(t) {
  PSS_CHECK(t >= 1 && t <= n);
  set_window(0);
}

void subset_walk::set_window(std::size_t start) {
  for (std::size_t i = 0; i < t_; ++i) chosen_[i] = (start + i) % n_;
  std::sort(chosen_.begin(), chosen_.end());
}

bool subset_walk::contains(std::size_t position) const {
  return std::binary_search(chosen_.begin(), chosen_.end(), position);
}

bool subset_walk::next() {
  if (window_ + 1 < windows_) {
    set_window(++window_);
    return true;
  }
  if (window_ + 1 == windows_) { // the windows are done: start the walk past window 0
    ++window_;
    set_window(0);
  }
  return next_lexicographic(chosen_, n_);
}

result<reconstruction_result> reconstruct_with_constant(std::span<const share> shares, std::size_t threshold,
                                                        const point& constant_commitment) {
  PSS_TRY(check_shares(shares, threshold));
  subset_walk walk(shares.size(), threshold);
  std::optional<scalar> secret;
  std::optional<std::vector<share_index>> best_misfits;
  std::vector<share> subset(threshold);
  std::size_t tried = 0;
  do {
    ++tried;
    fill_subset(shares, walk, subset);
    auto k = interpolate_secret(subset, threshold);
    PSS_TRY(k);
    // Before the first match each try costs a base multiplication; after it
    // a candidate only has to reproduce the known k.
    if (secret ? !(*k == *secret) : !commits_to(*k, constant_commitment)) continue;
    if (!secret) secret = *k;
    auto misfits = misfits_of(shares, subset, walk);
    PSS_TRY(misfits);
    if (!best_misfits || misfits->size() < best_misfits->size()) best_misfits = std::move(*misfits);
    if (best_misfits->empty()) break;
  } while (tried < decode_subsets_max && walk.next());

  if (!secret)
    return error{errc::verification_failed,
                 "none of the " + str(tried) + " t-subsets tried of the " + str(shares.size())
                   + " shares interpolates to the committed constant; fewer than t = " + str(threshold)
                   + " shares are good"
                   + (tried == decode_subsets_max
                        ? " (or the search stopped at its bound of " + str(decode_subsets_max) + " subsets)"
                        : std::string{})
                   + "; gather more shares"};
  PSS_CHECK(best_misfits.has_value());
  return reconstruction_result{*secret, std::move(*best_misfits)};
}

result<decoded_value> decode_at(std::span<const share> shares, std::size_t threshold, share_index at) {
  PSS_TRY(check_shares(shares, threshold));
  subset_walk walk(shares.size(), threshold);
  std::vector<share> subset(threshold);
  std::size_t tried = 0;
  do {
    ++tried;
    fill_subset(shares, walk, subset);
    auto misfits = misfits_of(shares, subset, walk);
    PSS_TRY(misfits);
    const std::size_t fits = shares.size() - misfits->size();
    if (fits < threshold + misfits->size()) continue; // outside the unique decoding radius
    auto value = interpolate_at(subset, threshold, at);
    PSS_TRY(value);
    PSS_CHECK(fits >= threshold);
    return decoded_value{*value, fits, std::move(*misfits)};
  } while (tried < decode_subsets_max && walk.next());
  return error{errc::verification_failed,
               "no polynomial of degree below t = " + str(threshold) + " fits " + str(threshold)
                 + " + (its misfits) of the " + str(shares.size()) + " values in the " + str(tried)
                 + " t-subsets tried: too many of them are wrong"};
}

result<fixed_point_decoder> fixed_point_decoder::make(std::span<const share_index> indices, std::size_t threshold,
                                                      share_index at) {
  PSS_TRY(check_threshold(threshold));
  if (indices.size() < threshold)
    return error{errc::insufficient,
                 "decoding needs at least t = " + str(threshold) + " shares, got " + str(indices.size())};
  PSS_TRY(check_indices(indices));
  fixed_point_decoder d;
  d.indices_.assign(indices.begin(), indices.end());
  d.threshold_ = threshold;
  d.at_ = at;
  const auto first = indices.first(threshold);
  auto at_weights = lagrange_coefficients(first, scalar::from_u64(at.value()));
  PSS_TRY(at_weights);
  d.at_weights_ = std::move(*at_weights);
  for (std::size_t i = threshold; i < indices.size(); ++i) {
    auto w = lagrange_coefficients(first, scalar::from_u64(indices[i].value()));
    PSS_TRY(w);
    d.other_weights_.push_back(std::move(*w));
  }
  return d;
}

result<decoded_value> fixed_point_decoder::decode(std::span<const scalar> values) const {
  PSS_CHECK(values.size() == indices_.size());
  const auto combine = [&](const std::vector<scalar>& weights) {
    scalar sum = scalar::zero();
    for (std::size_t i = 0; i < threshold_; ++i) sum += weights[i] * values[i];
    return sum;
  };
  bool all_fit = true;
  for (std::size_t j = 0; all_fit && j < other_weights_.size(); ++j)
    all_fit = combine(other_weights_[j]) == values[threshold_ + j];
  if (all_fit) return decoded_value{combine(at_weights_), values.size(), {}};
  std::vector<share> shares;
  shares.reserve(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) shares.push_back(share{indices_[i], values[i]});
  return decode_at(shares, threshold_, at_);
}

} // namespace pss::crypto
