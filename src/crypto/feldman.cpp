#include "crypto/feldman.hpp"

#include <sodium.h>

#include <string>
#include <string_view>

#include "core/check.hpp"

namespace pss::crypto {

namespace {
std::string str(std::size_t v) { return std::to_string(v); }
} // namespace

commitment commitment::of(const polynomial& poly) {
  std::vector<point> points;
  points.reserve(poly.threshold());
  for (const auto& a : poly.coefficients())
    points.push_back(point::base_mul(a));
  PSS_CHECK(!points.empty() && points.size() == poly.threshold());
  return commitment{std::move(points)};
}

result<commitment> commitment::from_points(std::vector<point> points, std::size_t threshold) {
  PSS_TRY(check_threshold(threshold));
  if (points.size() != threshold)
    return error{errc::mismatch, "a commitment vector needs exactly " + str(threshold)
                                   + " entries (one per coefficient), got "
                                   + str(points.size())};
  return commitment{std::move(points)};
}

result<commitment> commitment::decode(byte_view encoded, std::size_t threshold) {
  return decode(encoded, threshold, threshold);
}

result<commitment> commitment::decode(byte_view encoded, std::size_t threshold_min, std::size_t threshold_max) {
  PSS_TRY(check_threshold(threshold_min));
  PSS_TRY(check_threshold(threshold_max));
  PSS_CHECK(threshold_min <= threshold_max);
  if (encoded.size() > commitment_encoded_bytes_max)
    return error{errc::too_large, "commitment encoding of " + str(encoded.size())
                                    + " bytes is above the maximum of "
                                    + str(commitment_encoded_bytes_max)};
  byte_reader reader{encoded};
  const std::size_t count = reader.u16();
  if (reader.ok() && (count < threshold_min || count > threshold_max))
    return error{errc::mismatch, "commitment vector has " + str(count) + " entries, expected "
                                   + (threshold_min == threshold_max ? str(threshold_min)
                                                                     : str(threshold_min) + ".." + str(threshold_max))};
  std::vector<point> points;
  points.reserve(count);
  for (std::size_t j = 0; j < count && reader.ok(); ++j) {
    const auto raw = reader.raw(point::size);
    if (!reader.ok())
      break;
    auto p = point::from_bytes(raw, identity_policy::allow);
    if (!p)
      return error{errc::malformed, "commitment entry " + str(j) + ": " + p.err().message()};
    points.push_back(*p);
  }
  PSS_TRY(reader.finish("commitment vector"));
  return commitment{std::move(points)};
}

bytes commitment::encode() const {
  PSS_CHECK(points_.size() <= shares_max);
  byte_writer writer;
  writer.u16(static_cast<std::uint16_t>(points_.size()));
  for (const auto& p : points_)
    writer.raw(p.bytes());
  return writer.take();
}

std::array<std::uint8_t, 32> commitment::digest() const {
  static constexpr std::string_view label = "pss/commitment/v1";
  const bytes encoded = encode();
  std::array<std::uint8_t, 32> out{};
  crypto_generichash_state state;
  crypto_generichash_init(&state, nullptr, 0, out.size());
  crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(label.data()),
                            label.size());
  crypto_generichash_update(&state, encoded.data(), encoded.size());
  crypto_generichash_final(&state, out.data(), out.size());
  return out;
}

point commitment::evaluate(const scalar& x) const noexcept {
  PSS_CHECK(!points_.empty());
  point acc = points_.back();
  for (std::size_t k = points_.size() - 1; k-- > 0;)
    acc = acc.mul(x) + points_[k];
  return acc;
}

result<point> commitment::public_share(share_index index) const {
  auto x = index_scalar(index);
  PSS_TRY(x);
  return evaluate(*x);
}

status commitment::verify(const share& s) const {
  auto expected = public_share(s.index);
  PSS_TRY(expected);
  if (!(point::base_mul(s.value) == *expected))
    return error{errc::verification_failed,
                 "share " + std::to_string(s.index.value())
                   + " does not match its commitments; reject it and ask for it again"};
  return {};
}

result<commitment> commitment::add(const commitment& other) const {
  if (points_.size() != other.points_.size())
    return error{errc::mismatch, "cannot add commitment vectors of " + str(points_.size())
                                   + " and " + str(other.points_.size()) + " entries"};
  std::vector<point> sum;
  sum.reserve(points_.size());
  for (std::size_t j = 0; j < points_.size(); ++j)
    sum.push_back(points_[j] + other.points_[j]);
  return commitment{std::move(sum)};
}

std::ostream& operator<<(std::ostream& os, const commitment& c) {
  os << "commitment{t=" << c.threshold();
  for (const auto& p : c.points_)
    os << ", " << p;
  return os << "}";
}

result<dealing> deal(const scalar& secret, std::size_t threshold, std::size_t shares,
                     random_source& rng) {
  PSS_TRY(check_threshold(threshold, shares));
  std::vector<share_index> indices;
  indices.reserve(shares);
  for (std::size_t i = 1; i <= shares; ++i) indices.push_back(share_index{static_cast<std::uint32_t>(i)});
  return deal(secret, threshold, indices, rng);
}

result<dealing> deal(const scalar& secret, std::size_t threshold, std::span<const share_index> indices,
                     random_source& rng) {
  PSS_TRY(check_threshold(threshold, indices.size()));
  PSS_TRY(check_indices(indices));
  auto poly = polynomial::random(secret, threshold, rng);
  PSS_TRY(poly);
  std::vector<share> out;
  out.reserve(indices.size());
  for (share_index i : indices) out.push_back(share{i, poly->evaluate(scalar::from_u64(i.value()))});
  return dealing{commitment::of(*poly), std::move(out)};
}

result<reconstruction> reconstruct(const commitment& c, std::span<const share> shares) {
  const std::size_t t = c.threshold();
  std::vector<share_index> indices;
  indices.reserve(shares.size());
  for (const auto& s : shares)
    indices.push_back(s.index);
  if (indices.empty())
    return error{errc::insufficient, "no shares to reconstruct from; need " + str(t)};
  PSS_TRY(check_indices(indices));
  std::vector<share> good;
  good.reserve(t);
  reconstruction out;
  for (const auto& s : shares) {
    if (good.size() == t)
      break;
    if (c.verify(s))
      good.push_back(s);
    else
      out.rejected.push_back(s.index);
  }
  if (good.size() < t) {
    std::string message = "only " + str(good.size()) + " of the " + str(shares.size())
                          + " shares verify, need " + str(t);
    if (!out.rejected.empty()) {
      message += "; rejected indices:";
      for (auto index : out.rejected)
        message += " " + std::to_string(index.value());
    }
    return error{errc::insufficient, message + "; ask more nodes"};
  }
  auto secret = interpolate_secret(good, t);
  PSS_TRY(secret);
  out.secret = std::move(*secret);
  return out;
}

status validate_refresh_commitment(const commitment& c, std::size_t threshold) {
  PSS_TRY(check_threshold(threshold));
  if (c.threshold() != threshold)
    return error{errc::mismatch, "refresh commitment has " + str(c.threshold())
                                   + " entries, expected exactly " + str(threshold)};
  if (!c.constant_term().is_identity())
    return error{errc::verification_failed,
                 "refresh commitment's constant term is not the identity, so the dealing "
                 "would change the secret; exclude this dealer"};
  return {};
}

} // namespace pss::crypto
