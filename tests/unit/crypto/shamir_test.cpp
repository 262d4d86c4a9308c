#include <doctest/doctest.h>

#include <sstream>

#include "core/prng.hpp"
#include "crypto/shamir.hpp"
#include "test_support.hpp"

using namespace pss;
using namespace pss::crypto;
using pss::crypto::testing::random_subset;

namespace {
share_index idx(std::uint32_t i) { return share_index{i}; }

std::vector<share> pick(const std::vector<share>& all, const std::vector<share_index>& which) {
  std::vector<share> out;
  for (auto i : which)
    out.push_back(all[i.value() - 1]);
  return out;
}
} // namespace

TEST_CASE("shamir: any t of n shares give the secret back (property, random t, n, subsets)") {
  prng cases{2024};
  seeded_random rng{99};
  for (int round = 0; round < 300; ++round) {
    const std::size_t n = cases.between(2, 32);
    const std::size_t t = cases.between(2, n);
    const std::size_t k = cases.between(t, n);
    CAPTURE(n);
    CAPTURE(t);
    const auto secret = scalar::random(rng);
    auto shares = split(secret, t, n, rng);
    REQUIRE(shares.ok());
    REQUIRE(shares->size() == n);
    const auto subset = pick(*shares, random_subset(cases, n, k));
    auto back = interpolate_secret(subset, t);
    REQUIRE(back.ok());
    CHECK(*back == secret);
    // Interpolating at any index reproduces that index's share.
    const auto target = idx(static_cast<std::uint32_t>(cases.between(1, n)));
    auto at = interpolate_at(subset, t, target);
    REQUIRE(at.ok());
    CHECK(*at == (*shares)[target.value() - 1].value);
  }
}

TEST_CASE("shamir: t-1 shares interpolated as if t-1 were enough do not give the secret") {
  prng cases{7};
  seeded_random rng{8};
  for (int round = 0; round < 100; ++round) {
    const std::size_t n = cases.between(3, 32);
    const std::size_t t = cases.between(3, n);
    const auto secret = scalar::random(rng);
    auto shares = split(secret, t, n, rng);
    REQUIRE(shares.ok());
    const auto subset = pick(*shares, random_subset(cases, n, t - 1));
    auto guess = interpolate_secret(subset, t - 1);
    REQUIRE(guess.ok());
    CHECK_FALSE(*guess == secret);
  }
}

TEST_CASE("shamir: interpolation rejects fewer than t shares") {
  seeded_random rng{1};
  auto shares = split(scalar::from_u64(42), 3, 5, rng);
  REQUIRE(shares.ok());
  std::vector<share> two{(*shares)[0], (*shares)[1]};
  auto r = interpolate_secret(two, 3);
  REQUIRE_FALSE(r.ok());
  CHECK(r.err().code() == errc::insufficient);
  CHECK_FALSE(interpolate_secret(std::span<const share>{}, 3).ok());
}

TEST_CASE("shamir: interpolation rejects duplicate indices") {
  seeded_random rng{1};
  auto shares = split(scalar::from_u64(42), 3, 5, rng);
  REQUIRE(shares.ok());
  std::vector<share> dup{(*shares)[0], (*shares)[1], (*shares)[1]};
  auto r = interpolate_secret(dup, 3);
  REQUIRE_FALSE(r.ok());
  CHECK(r.err().code() == errc::duplicate);
  // Also when the duplicate is beyond the first t shares.
  std::vector<share> late{(*shares)[0], (*shares)[1], (*shares)[2], (*shares)[0]};
  CHECK(interpolate_secret(late, 3).err().code() == errc::duplicate);
}

TEST_CASE("shamir: index 0 and indices above shares_max are refused everywhere") {
  seeded_random rng{1};
  auto poly = polynomial::random(scalar::from_u64(9), 3, rng);
  REQUIRE(poly.ok());
  CHECK(poly->evaluate(idx(0)).err().code() == errc::invalid_argument);
  CHECK_FALSE(poly->share_at(idx(0)).ok());
  CHECK_FALSE(index_scalar(idx(0)).ok());
  CHECK_FALSE(index_scalar(idx(shares_max + 1)).ok());
  CHECK(index_scalar(idx(shares_max)).ok());
  std::vector<share> with_zero{share{idx(0), scalar::from_u64(9)}, share{idx(1), scalar::one()},
                               share{idx(2), scalar::one()}};
  CHECK(interpolate_secret(with_zero, 3).err().code() == errc::invalid_argument);
  const std::vector<share_index> indices{idx(1), idx(0)};
  CHECK_FALSE(lagrange_coefficients(indices, scalar::zero()).ok());
  CHECK_FALSE(interpolate_at(std::vector<share>{}, 3, idx(0)).ok());
}

TEST_CASE("shamir: thresholds are validated (t = 1 refused, t > n, n > shares_max)") {
  seeded_random rng{1};
  const auto s = scalar::from_u64(1);
  CHECK(split(s, 0, 5, rng).err().code() == errc::invalid_argument);
  CHECK(split(s, 1, 5, rng).err().code() == errc::invalid_argument);
  CHECK(split(s, 6, 5, rng).err().code() == errc::invalid_argument);
  CHECK(split(s, 2, shares_max + 1, rng).err().code() == errc::invalid_argument);
  CHECK(split(s, 2, 2, rng).ok());
  CHECK(split(s, 2, shares_max, rng).ok());
  CHECK_FALSE(polynomial::random(s, 1, rng).ok());
  CHECK_FALSE(polynomial::random(s, shares_max + 1, rng).ok());
  CHECK(interpolate_secret(std::vector<share>{}, 1).err().code() == errc::invalid_argument);
}

TEST_CASE("shamir: a polynomial evaluates by Horner's rule") {
  // f(x) = 3 + 2x + x^2
  auto poly = polynomial::from_coefficients(
    {scalar::from_u64(3), scalar::from_u64(2), scalar::from_u64(1)});
  REQUIRE(poly.ok());
  CHECK(poly->threshold() == 3);
  CHECK(poly->evaluate(scalar::zero()) == scalar::from_u64(3));
  CHECK(*poly->evaluate(idx(1)) == scalar::from_u64(6));
  CHECK(*poly->evaluate(idx(5)) == scalar::from_u64(38));
  CHECK_FALSE(polynomial::from_coefficients({}).ok());
}

TEST_CASE("shamir: Lagrange coefficients at 0 sum to 1 and reproduce known values") {
  const std::vector<share_index> indices{idx(1), idx(2), idx(3)};
  auto lambdas = lagrange_coefficients(indices, scalar::zero());
  REQUIRE(lambdas.ok());
  // λ = (3, -3, 1) for x = 1, 2, 3 at 0.
  CHECK((*lambdas)[0] == scalar::from_u64(3));
  CHECK((*lambdas)[1] == -scalar::from_u64(3));
  CHECK((*lambdas)[2] == scalar::from_u64(1));
  // At one of the indices, the coefficient vector is a unit vector.
  auto at_two = lagrange_coefficients(indices, scalar::from_u64(2));
  REQUIRE(at_two.ok());
  CHECK((*at_two)[0].is_zero());
  CHECK((*at_two)[1] == scalar::one());
  CHECK((*at_two)[2].is_zero());
  const std::vector<share_index> dup{idx(4), idx(4)};
  CHECK(lagrange_coefficients(dup, scalar::zero()).err().code() == errc::duplicate);
  CHECK(lagrange_coefficients(std::vector<share_index>{}, scalar::zero()).err().code()
        == errc::insufficient);
}

TEST_CASE("shamir: share encoding round-trips and rejects bad input") {
  seeded_random rng{4};
  const share s{idx(7), scalar::random(rng)};
  const auto encoded = encode_share(s);
  REQUIRE(encoded.size() == share_encoded_bytes);
  auto back = decode_share(encoded.view());
  REQUIRE(back.ok());
  CHECK(back->index == s.index);
  CHECK(back->value == s.value);
  CHECK_FALSE(decode_share(encoded.view().first(share_encoded_bytes - 1)).ok());
  bytes zero_index(encoded.view().begin(), encoded.view().end());
  zero_index[0] = 0;
  CHECK(decode_share(zero_index).err().code() == errc::invalid_argument);
  bytes non_canonical(encoded.view().begin(), encoded.view().end());
  std::fill(non_canonical.begin() + 4, non_canonical.end(), 0xff);
  CHECK(decode_share(non_canonical).err().code() == errc::malformed);
}

TEST_CASE("shamir: shares and polynomials print redacted") {
  seeded_random rng{4};
  const share s{idx(3), scalar::from_u64(123456)};
  std::ostringstream os;
  os << s;
  CHECK(os.str() == "share{x3, <redacted>}");
  auto poly = polynomial::random(scalar::from_u64(5), 3, rng);
  REQUIRE(poly.ok());
  std::ostringstream ps;
  ps << *poly;
  CHECK(ps.str() == "polynomial{t=3, <redacted>}");
}

TEST_CASE("shamir: sub-share encoding round-trips and rejects bad indices and values") {
  seeded_random rng{5};
  const sub_share s{idx(2), idx(9), scalar::random(rng)};
  const auto encoded = encode_sub_share(s);
  REQUIRE(encoded.size() == sub_share_encoded_bytes);
  auto back = decode_sub_share(encoded.view());
  REQUIRE(back.ok());
  CHECK(back->dealer == s.dealer);
  CHECK(back->recipient == s.recipient);
  CHECK(back->value == s.value);
  CHECK_FALSE(decode_sub_share(encoded.view().first(sub_share_encoded_bytes - 1)).ok());
  bytes raw(encoded.view().begin(), encoded.view().end());
  raw[0] = 0; // dealer 0
  CHECK_FALSE(decode_sub_share(raw).ok());
  raw[0] = 2;
  raw[7] = 0xff; // recipient far above shares_max
  CHECK_FALSE(decode_sub_share(raw).ok());
  raw[7] = 0;
  std::fill(raw.begin() + 8, raw.end(), 0xff);
  CHECK(decode_sub_share(raw).err().code() == errc::malformed);
}
