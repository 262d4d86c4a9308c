#include "crypto/batch.hpp"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>

#include "core/check.hpp"
#include "crypto/sodium.hpp"

namespace pss::crypto {

namespace {

std::string str(std::size_t v) { return std::to_string(v); }
std::string idx_str(share_index i) { return "x" + std::to_string(i.value()); }

// Random scalars are drawn this many at a time: one fill() of 64 KiB instead
// of one call per coefficient. Each scalar is still 64 bytes reduced mod L.
constexpr std::size_t random_block_scalars = 1024;

status check_special_point(special_point x0) {
  if (x0.value() > shares_max)
    return error{errc::invalid_argument, "special point " + std::to_string(x0.value())
                                           + " is above the maximum share index "
                                           + str(shares_max)};
  return {};
}

// A receiver index must be a valid share index and not the special point.
status check_receiver(share_index recipient, special_point x0) {
  PSS_TRY(index_scalar(recipient));
  if (recipient == x0)
    return error{errc::invalid_argument, "share index " + idx_str(recipient)
                                           + " is the special point of this batch; the"
                                             " polynomials vanish there by construction"};
  return {};
}

status check_batch_size(std::size_t secrets) {
  if (secrets == 0)
    return error{errc::invalid_argument, "a batch needs at least one secret"};
  if (secrets > batch_secrets_max)
    return error{errc::too_large, str(secrets) + " secrets in one batch, above the maximum of "
                                    + str(batch_secrets_max) + "; split the round"};
  return {};
}

// `total` uniform scalars, drawn a block at a time.
std::vector<scalar> draw_scalars(std::size_t total, random_source& rng) {
  std::vector<scalar> out;
  out.reserve(total);
  secure_bytes block{random_block_scalars * scalar::wide_size};
  while (out.size() < total) {
    const std::size_t n = std::min(random_block_scalars, total - out.size());
    auto wide = block.span().first(n * scalar::wide_size);
    rng.fill(wide);
    for (std::size_t i = 0; i < n; ++i)
      out.push_back(scalar::from_wide(
        std::span<const std::uint8_t, scalar::wide_size>{wide.data() + i * scalar::wide_size,
                                                        scalar::wide_size}));
  }
  PSS_CHECK(out.size() == total);
  return out;
}

void put_u32(std::uint8_t* out, std::uint32_t v) noexcept {
  for (int i = 0; i < 4; ++i)
    out[i] = static_cast<std::uint8_t>(v >> (8 * i));
}
void put_u64(std::uint8_t* out, std::uint64_t v) noexcept {
  for (int i = 0; i < 8; ++i)
    out[i] = static_cast<std::uint8_t>(v >> (8 * i));
}

} // namespace

// ---- dealing ------------------------------------------------------------------

result<batch_dealing> deal_batch(share_index dealer, std::size_t secrets,
                                 std::size_t threshold, special_point x0,
                                 random_source& rng) {
  PSS_TRY(check_threshold(threshold));
  PSS_TRY(check_special_point(x0));
  PSS_TRY(index_scalar(dealer));
  if (dealer == x0)
    return error{errc::invalid_argument, "dealer " + idx_str(dealer)
                                           + " is the special point (the lost node) and"
                                             " cannot deal its own recovery mask"};
  PSS_TRY(check_batch_size(secrets));
  return batch_dealing{dealer, secrets, threshold, x0, draw_scalars((secrets + 1) * (threshold - 1), rng)};
}

result<batch_dealing> deal_batch_reshare(share_index dealer, std::span<const scalar> own_shares,
                                         std::size_t threshold, random_source& rng) {
  PSS_TRY(check_threshold(threshold));
  PSS_TRY(index_scalar(dealer));
  PSS_TRY(check_batch_size(own_shares.size()));
  std::vector<scalar> constants(own_shares.begin(), own_shares.end());
  constants.push_back(scalar::random(rng)); // the mask's a
  auto q = draw_scalars((own_shares.size() + 1) * (threshold - 1), rng);
  return batch_dealing{dealer, own_shares.size(), threshold, refresh_point, std::move(q), std::move(constants)};
}

result<std::vector<sub_share_bundle>> batch_dealing::bundles_for(
  std::span<const share_index> recipients) const {
  PSS_CHECK(threshold_ >= threshold_min);
  PSS_CHECK(q_.size() == (secrets_ + 1) * (threshold_ - 1));
  PSS_CHECK(constants_.empty() || constants_.size() == secrets_ + 1);
  const scalar x0 = scalar::from_u64(x0_.value());
  std::vector<scalar> xs;
  std::vector<scalar> factors; // x - x0
  std::vector<sub_share_bundle> out;
  for (auto r : recipients) {
    PSS_TRY(check_receiver(r, x0_));
    xs.push_back(scalar::from_u64(r.value()));
    factors.push_back(xs.back() - x0);
    out.push_back(sub_share_bundle{dealer_, r, x0_, std::vector<scalar>(secrets_), {}});
  }
  const std::size_t width = threshold_ - 1;
  // δ(x) = (x - x0)·q(x), with q by Horner's rule: t-2 multiplications and
  // additions, then one multiplication. Rows outer, receivers inner, so each
  // row of coefficients is read once while it is in cache.
  for (std::size_t row = 0; row <= secrets_; ++row) {
    const scalar* coefficients = q_.data() + row * width;
    for (std::size_t j = 0; j < out.size(); ++j) {
      scalar acc = coefficients[width - 1];
      for (std::size_t k = width - 1; k-- > 0;) {
        acc *= xs[j];
        acc += coefficients[k];
      }
      acc *= factors[j];
      if (!constants_.empty()) acc += constants_[row];
      if (row < secrets_)
        out[j].values[row] = acc;
      else
        out[j].mask = acc;
    }
  }
  return out;
}

result<sub_share_bundle> batch_dealing::bundle_for(share_index recipient) const {
  auto bundles = bundles_for(std::span{&recipient, 1});
  PSS_TRY(bundles);
  PSS_CHECK(bundles->size() == 1);
  return std::move(bundles->front());
}

result<std::vector<scalar>> batch_dealing::response_polynomial(std::span<const scalar> lambdas) const {
  if (lambdas.size() != secrets_)
    return error{errc::mismatch, str(lambdas.size()) + " challenge coefficients for a dealing of "
                                   + str(secrets_) + " secrets"};
  const std::size_t width = threshold_ - 1;
  std::vector<scalar> out(q_.end() - static_cast<std::ptrdiff_t>(width), q_.end()); // the mask's row
  for (std::size_t m = 0; m < secrets_; ++m)
    for (std::size_t k = 0; k < width; ++k) out[k] += lambdas[m] * q_[m * width + k];
  return out;
}

result<scalar> batch_dealing::response_constant(std::span<const scalar> lambdas) const {
  if (lambdas.size() != secrets_)
    return error{errc::mismatch, str(lambdas.size()) + " challenge coefficients for a dealing of "
                                   + str(secrets_) + " secrets"};
  if (constants_.empty()) return scalar::zero();
  scalar out = constants_.back();
  for (std::size_t m = 0; m < secrets_; ++m) out += lambdas[m] * constants_[m];
  return out;
}

point batch_dealing::mask_commitment() const noexcept {
  return constants_.empty() ? point::identity() : point::base_mul(constants_.back());
}

scalar evaluate_with_constant(const scalar& c, std::span<const scalar> q, special_point x0, share_index x) {
  return c + evaluate_vanishing(q, x0, x);
}

scalar evaluate_vanishing(std::span<const scalar> q, special_point x0, share_index x) {
  const scalar at = scalar::from_u64(x.value());
  scalar acc = scalar::zero();
  for (std::size_t k = q.size(); k-- > 0;) {
    acc *= at;
    acc += q[k];
  }
  return acc * (at - scalar::from_u64(x0.value()));
}

// ---- codec ----------------------------------------------------------------------

namespace {

status check_bundle_header(share_index dealer, share_index recipient, special_point x0,
                           std::uint64_t total) {
  PSS_TRY(check_special_point(x0));
  PSS_TRY(index_scalar(dealer));
  PSS_TRY(check_receiver(recipient, x0));
  if (dealer == x0)
    return error{errc::invalid_argument,
                 "the dealer " + idx_str(dealer) + " is the special point of the batch"};
  if (total == 0 || total > batch_secrets_max)
    return error{errc::invalid_argument, "a bundle covers 1 to " + str(batch_secrets_max)
                                           + " secrets, not " + std::to_string(total)};
  return {};
}

secure_bytes encode_range(const sub_share_bundle& bundle, std::size_t first, std::size_t count) {
  PSS_CHECK(first + count <= bundle.values.size());
  secure_bytes out{bundle_header_bytes + (count + 1) * scalar::size};
  std::uint8_t* p = out.data();
  *p++ = bundle_codec_version;
  put_u32(p, bundle.dealer.value()), p += 4;
  put_u32(p, bundle.recipient.value()), p += 4;
  put_u32(p, bundle.x0.value()), p += 4;
  put_u64(p, bundle.values.size()), p += 8;
  put_u64(p, first), p += 8;
  put_u32(p, static_cast<std::uint32_t>(count)), p += 4;
  std::memcpy(p, bundle.mask.data(), scalar::size), p += scalar::size;
  for (std::size_t m = first; m < first + count; ++m)
    std::memcpy(p, bundle.values[m].data(), scalar::size), p += scalar::size;
  PSS_CHECK(p == out.data() + out.size());
  return out;
}

result<bundle_chunk> decode_chunk(byte_view encoded) {
  byte_reader in{encoded};
  const auto version = in.u8();
  bundle_chunk out;
  out.dealer = share_index{in.u32()};
  out.recipient = share_index{in.u32()};
  out.x0 = special_point{in.u32()};
  out.total = in.u64();
  out.first = in.u64();
  const std::uint64_t count = in.u32();
  if (!in.ok())
    return error{errc::malformed, "bundle chunk is shorter than its "
                                    + str(bundle_header_bytes) + "-byte header"};
  if (version != bundle_codec_version)
    return error{errc::malformed, "bundle codec version " + std::to_string(version)
                                    + " is not the supported version "
                                    + std::to_string(bundle_codec_version)};
  if (auto s = check_bundle_header(out.dealer, out.recipient, out.x0, out.total); !s.ok())
    return error{errc::malformed, "bundle header: " + s.err().message()};
  if (count == 0 || out.first >= out.total || count > out.total - out.first)
    return error{errc::malformed, "bundle chunk covers secrets " + std::to_string(out.first)
                                    + " to " + std::to_string(out.first + count)
                                    + ", outside the bundle's " + std::to_string(out.total)};
  // The byte count is checked before anything is allocated, so a hostile
  // count cannot make the decoder reserve memory it was not sent.
  if (in.remaining() != (count + 1) * scalar::size)
    return error{errc::malformed, "bundle chunk declares " + std::to_string(count)
                                    + " values, so its body must be "
                                    + std::to_string((count + 1) * scalar::size)
                                    + " bytes, but it is " + str(in.remaining())};
  auto mask = scalar::from_bytes(in.raw(scalar::size));
  if (!mask.ok())
    return error{errc::malformed, "bundle mask: " + mask.err().message()};
  out.mask = *mask;
  out.values.reserve(count);
  for (std::uint64_t m = 0; m < count; ++m) {
    auto value = scalar::from_bytes(in.raw(scalar::size));
    if (!value.ok())
      return error{errc::malformed, "bundle value for secret " + std::to_string(out.first + m)
                                      + ": " + value.err().message()};
    out.values.push_back(*value);
  }
  PSS_TRY(in.finish("bundle chunk"));
  return out;
}

} // namespace

result<bundle_chunk> decode_bundle_chunk(byte_view encoded) { return decode_chunk(encoded); }

result<secure_bytes> encode_bundle(const sub_share_bundle& bundle) {
  PSS_TRY(check_bundle_header(bundle.dealer, bundle.recipient, bundle.x0,
                              bundle.values.size()));
  return encode_range(bundle, 0, bundle.values.size());
}

result<sub_share_bundle> decode_bundle(byte_view encoded) {
  auto chunk = decode_chunk(encoded);
  PSS_TRY(chunk);
  if (chunk->first != 0 || chunk->values.size() != chunk->total)
    return error{errc::insufficient, "this is one chunk of a bundle (secrets "
                                       + std::to_string(chunk->first) + ".."
                                       + std::to_string(chunk->first + chunk->values.size())
                                       + " of " + std::to_string(chunk->total)
                                       + "); use reassemble_bundle"};
  return sub_share_bundle{chunk->dealer, chunk->recipient, chunk->x0,
                          std::move(chunk->values), chunk->mask};
}

result<std::vector<secure_bytes>> encode_bundle_chunks(const sub_share_bundle& bundle,
                                                       std::size_t chunk_secrets) {
  PSS_TRY(check_bundle_header(bundle.dealer, bundle.recipient, bundle.x0,
                              bundle.values.size()));
  if (chunk_secrets == 0 || chunk_secrets > bundle_chunk_secrets)
    return error{errc::invalid_argument, "chunk size " + str(chunk_secrets)
                                           + " is outside 1.." + str(bundle_chunk_secrets)};
  std::vector<secure_bytes> out;
  for (std::size_t first = 0; first < bundle.values.size(); first += chunk_secrets)
    out.push_back(encode_range(bundle, first,
                               std::min(chunk_secrets, bundle.values.size() - first)));
  return out;
}

result<sub_share_bundle> reassemble_bundle(std::span<const byte_view> chunks) {
  if (chunks.empty())
    return error{errc::insufficient, "no bundle chunks to reassemble"};
  std::optional<bundle_chunk> head;
  std::vector<scalar> values;
  std::vector<std::uint8_t> have;
  for (std::size_t c = 0; c < chunks.size(); ++c) {
    auto chunk = decode_chunk(chunks[c]);
    if (!chunk.ok())
      return error{chunk.err().code(), "chunk " + str(c) + ": " + chunk.err().message()};
    if (!head) {
      values.resize(chunk->total);
      have.assign(chunk->total, 0);
      head.emplace();
      head->dealer = chunk->dealer;
      head->recipient = chunk->recipient;
      head->x0 = chunk->x0;
      head->total = chunk->total;
      head->mask = chunk->mask;
    } else if (chunk->dealer != head->dealer || chunk->recipient != head->recipient
               || chunk->x0 != head->x0 || chunk->total != head->total
               || !(chunk->mask == head->mask)) {
      return error{errc::mismatch, "chunk " + str(c)
                                     + " belongs to a different bundle (dealer, recipient,"
                                       " special point, count or mask differ)"};
    }
    for (std::size_t i = 0; i < chunk->values.size(); ++i) {
      const std::size_t m = chunk->first + i;
      if (have[m] && !(values[m] == chunk->values[i]))
        return error{errc::mismatch, "chunk " + str(c) + " disagrees with an earlier chunk"
                                       " about secret " + str(m)};
      values[m] = chunk->values[i];
      have[m] = 1;
    }
  }
  const auto missing = std::find(have.begin(), have.end(), 0);
  if (missing != have.end())
    return error{errc::insufficient,
                 "bundle from " + idx_str(head->dealer) + " is missing secret "
                   + str(static_cast<std::size_t>(missing - have.begin())) + " of "
                   + std::to_string(head->total) + "; ask the dealer to resend its chunks"};
  return sub_share_bundle{head->dealer, head->recipient, head->x0, std::move(values),
                          head->mask};
}

// ---- challenge and response ---------------------------------------------------

result<std::vector<scalar>> challenge_coefficients(byte_view transcript_digest,
                                                   std::size_t count, std::size_t first) {
  require_init();
  if (transcript_digest.size() < transcript_digest_bytes_min
      || transcript_digest.size() > transcript_digest_bytes_max)
    return error{errc::invalid_argument,
                 "transcript digest is " + str(transcript_digest.size()) + " bytes; use "
                   + str(transcript_digest_bytes_min) + " to "
                   + str(transcript_digest_bytes_max)};
  if (count == 0 || count > batch_secrets_max || first > batch_secrets_max - count)
    return error{errc::invalid_argument, "challenge range " + str(first) + "+" + str(count) + " is outside 1.."
                                           + str(batch_secrets_max)};
  static constexpr std::string_view label = "pss batch challenge v1";
  // The label and digest are hashed once; each coefficient copies that state
  // and adds only its 8-byte counter: one compression per coefficient.
  crypto_generichash_state prefix;
  crypto_generichash_init(&prefix, nullptr, 0, scalar::wide_size);
  crypto_generichash_update(&prefix, reinterpret_cast<const unsigned char*>(label.data()),
                            label.size());
  crypto_generichash_update(&prefix, transcript_digest.data(), transcript_digest.size());
  std::vector<scalar> out;
  out.reserve(count);
  std::array<std::uint8_t, scalar::wide_size> wide{};
  std::array<std::uint8_t, 8> counter{};
  for (std::size_t m = first; m < first + count; ++m) {
    crypto_generichash_state state = prefix;
    put_u64(counter.data(), m);
    crypto_generichash_update(&state, counter.data(), counter.size());
    crypto_generichash_final(&state, wide.data(), wide.size());
    out.push_back(scalar::from_wide(wide));
  }
  return out;
}

result<scalar> combine(const sub_share_bundle& bundle, std::span<const scalar> lambdas) {
  if (lambdas.size() != bundle.values.size())
    return error{errc::mismatch, "bundle from " + idx_str(bundle.dealer) + " has "
                                   + str(bundle.values.size()) + " values but there are "
                                   + str(lambdas.size()) + " challenge coefficients"};
  scalar acc = bundle.mask;
  for (std::size_t m = 0; m < lambdas.size(); ++m)
    acc += lambdas[m] * bundle.values[m];
  return acc;
}

// ---- public checks -------------------------------------------------------------

namespace {

// Checks that every (x, y) lies on the polynomial of degree < base size that
// passes through the base points (x_b, y_b), evaluated by Lagrange's formula.
// The base x's are distinct and the rest are distinct from them (checked by
// the callers). Returns the first misfit's position, if any.
std::optional<std::size_t> first_misfit(const std::vector<scalar>& base_x,
                                        const std::vector<scalar>& base_y,
                                        std::span<const scalar> xs,
                                        std::span<const scalar> ys) {
  const std::size_t b = base_x.size();
  // w_i = y_i / Π_{j≠i} (x_i - x_j), so p(z) = Σ_i w_i·Π_{j≠i} (z - x_j).
  std::vector<scalar> w(b);
  for (std::size_t i = 0; i < b; ++i) {
    scalar denominator = scalar::one();
    for (std::size_t j = 0; j < b; ++j)
      if (j != i)
        denominator *= base_x[i] - base_x[j];
    auto inverse = denominator.invert();
    PSS_CHECK_MSG(inverse.ok(), "distinct base points give non-zero denominators");
    w[i] = base_y[i] * *inverse;
  }
  for (std::size_t k = 0; k < xs.size(); ++k) {
    scalar value;
    for (std::size_t i = 0; i < b; ++i) {
      scalar term = w[i];
      for (std::size_t j = 0; j < b; ++j)
        if (j != i)
          term *= xs[k] - base_x[j];
      value += term;
    }
    if (!(value == ys[k]))
      return k;
  }
  return std::nullopt;
}

status check_point_indices(std::span<const share_index> indices,
                           std::optional<special_point> x0) {
  PSS_TRY(check_indices(indices));
  if (x0)
    for (auto i : indices)
      if (i == *x0)
        return error{errc::invalid_argument, "a response at " + idx_str(i)
                                               + ", the special point, proves nothing"};
  return {};
}

} // namespace

status check_batch_points(std::span<const batch_point> points, std::size_t threshold,
                          special_point x0) {
  PSS_TRY(check_threshold(threshold));
  PSS_TRY(check_special_point(x0));
  if (points.size() < threshold)
    return error{errc::insufficient,
                 "cannot check: need at least t = " + str(threshold) + " responses, got "
                   + str(points.size()) + " (with fewer, every dealing fits)"};
  std::vector<share_index> indices;
  for (const auto& [i, v] : points)
    indices.push_back(i);
  PSS_TRY(check_point_indices(indices, x0));
  std::vector<scalar> base_x{scalar::from_u64(x0.value())};
  std::vector<scalar> base_y{scalar::zero()};
  std::vector<scalar> xs;
  std::vector<scalar> ys;
  for (std::size_t k = 0; k < points.size(); ++k) {
    auto [dst_x, dst_y] = k + 1 < threshold ? std::tie(base_x, base_y) : std::tie(xs, ys);
    dst_x.push_back(scalar::from_u64(points[k].first.value()));
    dst_y.push_back(points[k].second);
  }
  PSS_CHECK(base_x.size() == threshold);
  PSS_CHECK(xs.size() == points.size() - (threshold - 1));
  if (auto bad = first_misfit(base_x, base_y, xs, ys))
    return error{errc::verification_failed,
                 "the response at " + idx_str(points[threshold - 1 + *bad].first)
                   + " does not lie on the degree <= " + str(threshold - 1)
                   + " polynomial through the special point and the first "
                   + str(threshold - 1)
                   + " responses; the dealing (or a response) is faulty"};
  return {};
}

status check_consistent(std::span<const share> points, std::size_t threshold) {
  PSS_TRY(check_threshold(threshold));
  if (points.size() < threshold + 1)
    return error{errc::insufficient, "cannot check: need at least t+1 = "
                                       + str(threshold + 1) + " values, got "
                                       + str(points.size())};
  std::vector<share_index> indices;
  for (const auto& s : points)
    indices.push_back(s.index);
  PSS_TRY(check_point_indices(indices, std::nullopt));
  std::vector<scalar> base_x, base_y, xs, ys;
  for (std::size_t k = 0; k < points.size(); ++k) {
    auto [dst_x, dst_y] = k < threshold ? std::tie(base_x, base_y) : std::tie(xs, ys);
    dst_x.push_back(scalar::from_u64(points[k].index.value()));
    dst_y.push_back(points[k].value);
  }
  if (auto bad = first_misfit(base_x, base_y, xs, ys))
    return error{errc::verification_failed,
                 "the value at " + idx_str(points[threshold + *bad].index)
                   + " does not lie on the degree <= " + str(threshold - 1)
                   + " polynomial through the first " + str(threshold) + " values"};
  return {};
}

// ---- applying ---------------------------------------------------------------------

status add_bundle(std::span<scalar> shares, const sub_share_bundle& bundle) {
  if (shares.size() != bundle.values.size())
    return error{errc::mismatch, "bundle from " + idx_str(bundle.dealer) + " has "
                                   + str(bundle.values.size()) + " values for "
                                   + str(shares.size()) + " shares"};
  for (std::size_t m = 0; m < shares.size(); ++m)
    shares[m] += bundle.values[m];
  return {};
}

} // namespace pss::crypto
