#include <doctest/doctest.h>

#include <array>
#include <span>

#include "core/prng.hpp"
#include "crypto/batch.hpp"
#include "crypto/decode.hpp"
#include "crypto/reshare.hpp"
#include "test_support.hpp"

using namespace pss;
using namespace pss::crypto;
using pss::crypto::testing::random_subset;

namespace {
share_index idx(std::size_t i) { return share_index{static_cast<std::uint32_t>(i)}; }

struct reshared {
  std::vector<share> shares; // for new indices 1..n'
  commitment commitments;
};

// Every old holder in `dealers` deals its share to new indices 1..n2; every
// new holder verifies and combines.
reshared reshare(const std::vector<share>& old_shares, const commitment& old,
                 const std::vector<share_index>& dealers, std::size_t t2, std::size_t n2,
                 random_source& rng) {
  std::vector<sub_dealing> dealings;
  std::vector<reshare_commitment> published;
  for (auto i : dealers) {
    auto d = deal_reshare(old_shares[i.value() - 1], t2, rng);
    REQUIRE(d.ok());
    REQUIRE(validate_reshare_commitment(old, i, d->commitments, t2).ok());
    published.push_back({i, d->commitments});
    dealings.push_back(std::move(*d));
  }
  std::vector<share> next;
  for (std::size_t j = 1; j <= n2; ++j) {
    std::vector<sub_share> received;
    for (const auto& d : dealings) {
      auto s = d.sub_share_for(idx(j));
      REQUIRE(s.ok());
      REQUIRE(verify_reshare_sub_share(old, d.commitments, *s, t2).ok());
      received.push_back(std::move(*s));
    }
    auto combined = combine_reshare(idx(j), received, old.threshold());
    REQUIRE(combined.ok());
    next.push_back(std::move(*combined));
  }
  auto c = reshare_commitments(old, published, t2);
  REQUIRE(c.ok());
  return {std::move(next), std::move(*c)};
}

void check_reshare(std::size_t t, std::size_t n, std::size_t t2, std::size_t n2,
                   std::size_t dealer_count, prng& cases, random_source& rng) {
  CAPTURE(t);
  CAPTURE(n);
  CAPTURE(t2);
  CAPTURE(n2);
  CAPTURE(dealer_count);
  const auto secret = scalar::random(rng);
  auto d = deal(secret, t, n, rng);
  REQUIRE(d.ok());
  const auto dealers = random_subset(cases, n, dealer_count);
  auto next = reshare(d->shares, d->commitments, dealers, t2, n2, rng);
  CHECK(next.commitments.threshold() == t2);
  CHECK(next.commitments.constant_term() == d->commitments.constant_term());
  for (const auto& s : next.shares)
    CHECK(next.commitments.verify(s).ok());
  std::vector<share> picked;
  for (auto i : random_subset(cases, n2, t2)) picked.push_back(next.shares[i.value() - 1]);
  auto back = interpolate_secret(picked, t2);
  REQUIRE(back.ok());
  CHECK(*back == secret);
  // t'-1 new shares are not enough.
  picked.pop_back();
  if (picked.size() >= 2) {
    auto guess = interpolate_secret(picked, picked.size());
    REQUIRE(guess.ok());
    CHECK_FALSE(*guess == secret);
  }
}
} // namespace

TEST_CASE("reshare: keeps the secret for larger, smaller and equal thresholds") {
  prng cases{61};
  seeded_random rng{62};
  check_reshare(3, 5, 3, 5, 3, cases, rng); // same shape, minimal dealer set
  check_reshare(3, 5, 5, 7, 4, cases, rng); // t' > t, more nodes
  check_reshare(4, 6, 2, 3, 4, cases, rng); // t' < t, fewer nodes
  check_reshare(2, 3, 6, 9, 3, cases, rng); // from a small to a large committee
  check_reshare(5, 9, 3, 4, 9, cases, rng); // every old holder deals
}

TEST_CASE("reshare: keeps the secret (property, random shapes and dealer sets)") {
  prng cases{63};
  seeded_random rng{64};
  for (int round = 0; round < 10; ++round) {
    const std::size_t n = cases.between(2, 8);
    const std::size_t t = cases.between(2, n);
    const std::size_t n2 = cases.between(2, 8);
    const std::size_t t2 = cases.between(2, n2);
    check_reshare(t, n, t2, n2, cases.between(t, n), cases, rng);
  }
}

TEST_CASE("reshare: a dealer that deals a wrong share is detected") {
  seeded_random rng{65};
  auto d = deal(scalar::random(rng), 3, 5, rng);
  REQUIRE(d.ok());
  // Dealer 2 deals something other than its share.
  share wrong = d->shares[1];
  wrong.value += scalar::one();
  auto cheat = deal_reshare(wrong, 4, rng);
  REQUIRE(cheat.ok());
  auto r = validate_reshare_commitment(d->commitments, idx(2), cheat->commitments, 4);
  REQUIRE_FALSE(r.ok());
  CHECK(r.err().code() == errc::verification_failed);
  CHECK(r.err().message().find("dealer 2") != std::string::npos);
  auto s = cheat->sub_share_for(idx(1));
  REQUIRE(s.ok());
  CHECK_FALSE(verify_reshare_sub_share(d->commitments, cheat->commitments, *s, 4).ok());
  // An honest dealer's commitment claimed under another index also fails.
  auto honest = deal_reshare(d->shares[0], 4, rng);
  REQUIRE(honest.ok());
  CHECK_FALSE(validate_reshare_commitment(d->commitments, idx(3), honest->commitments, 4).ok());
  // The wrong length for t' fails.
  CHECK(validate_reshare_commitment(d->commitments, idx(1), honest->commitments, 3).err().code()
        == errc::mismatch);
  // A correct dealing with one bad sub-share is caught at the recipient.
  auto good = honest->sub_share_for(idx(2));
  REQUIRE(good.ok());
  sub_share bad = *good;
  bad.value += scalar::one();
  CHECK(verify_reshare_sub_share(d->commitments, honest->commitments, *good, 4).ok());
  CHECK(verify_reshare_sub_share(d->commitments, honest->commitments, bad, 4).err().code()
        == errc::verification_failed);
  // The cheater's commitment is refused when building the new commitments.
  const std::vector<reshare_commitment> published{
    {idx(1), honest->commitments}, {idx(2), cheat->commitments}, {idx(3), honest->commitments}};
  CHECK_FALSE(reshare_commitments(d->commitments, published, 4).ok());
}

TEST_CASE("reshare: combining needs at least t distinct dealers addressed to the recipient") {
  seeded_random rng{66};
  auto d = deal(scalar::random(rng), 3, 5, rng);
  REQUIRE(d.ok());
  std::vector<sub_share> received;
  for (std::size_t i = 0; i < 3; ++i) {
    auto dealing = deal_reshare(d->shares[i], 2, rng);
    REQUIRE(dealing.ok());
    received.push_back(*dealing->sub_share_for(idx(1)));
  }
  CHECK(combine_reshare(idx(1), received, 3).ok());
  const std::vector<sub_share> two{received[0], received[1]};
  CHECK(combine_reshare(idx(1), two, 3).err().code() == errc::insufficient);
  const std::vector<sub_share> dup{received[0], received[1], received[1]};
  CHECK(combine_reshare(idx(1), dup, 3).err().code() == errc::duplicate);
  CHECK(combine_reshare(idx(2), received, 3).err().code() == errc::mismatch);
  CHECK_FALSE(combine_reshare(idx(0), received, 3).ok());
  const std::vector<reshare_commitment> too_few{};
  CHECK(reshare_commitments(d->commitments, too_few, 2).err().code() == errc::insufficient);
}

// ---- the batch reshare that lowers t (docs/refresh.md §7.5) -------------------

namespace {

struct batch_case {
  std::vector<scalar> keys;                    // one per secret
  std::vector<point> c0;                       // k·G
  std::vector<std::vector<share>> old_shares;  // [secret][holder]
};

batch_case shared(std::size_t secrets, std::size_t t, std::size_t n, random_source& rng) {
  batch_case out;
  for (std::size_t m = 0; m < secrets; ++m) {
    out.keys.push_back(scalar::random(rng));
    out.c0.push_back(point::base_mul(out.keys.back()));
    auto s = split(out.keys.back(), t, n, rng);
    REQUIRE(s.ok());
    out.old_shares.push_back(std::move(*s));
  }
  return out;
}

// Dealer i's reshare dealing of its shares (plus `shift` on each).
batch_dealing dealing_of(const batch_case& c, std::size_t i, std::size_t t2, const scalar& shift, random_source& rng) {
  std::vector<scalar> own;
  for (const auto& s : c.old_shares) own.push_back(s[i - 1].value + shift);
  auto d = deal_batch_reshare(idx(i), own, t2, rng);
  REQUIRE(d.ok());
  return std::move(*d);
}

} // namespace

TEST_CASE("batch reshare: the new shares keep every secret at the new degree, and the C_0 check passes") {
  seeded_random rng{71};
  const std::size_t t = 3, t2 = 2, n = 5, secrets = 6;
  const auto c = shared(secrets, t, n, rng);
  std::vector<batch_dealing> dealings;
  for (std::size_t i = 1; i <= n; ++i) dealings.push_back(dealing_of(c, i, t2, scalar::zero(), rng));
  const std::array<std::uint8_t, 32> transcript{7};
  auto lambdas = challenge_coefficients({transcript.data(), transcript.size()}, secrets);
  REQUIRE(lambdas.ok());
  auto anchor = combine_points(c.c0, *lambdas);
  REQUIRE(anchor.ok());
  std::vector<reshare_term> terms;
  for (const auto& d : dealings) {
    CHECK(d.reshares());
    auto constant = d.response_constant(*lambdas);
    auto q = d.response_polynomial(*lambdas);
    REQUIRE(constant.ok());
    REQUIRE(q.ok());
    CHECK(q->size() == t2 - 1);
    // Every receiver's y is the published c + x·q(x).
    for (std::size_t j = 1; j <= n; ++j) {
      auto b = d.bundle_for(idx(j));
      REQUIRE(b.ok());
      CHECK(*combine(*b, *lambdas) == evaluate_with_constant(*constant, *q, refresh_point, idx(j)));
    }
    terms.emplace_back(d.dealer(), point::base_mul(*constant) - d.mask_commitment());
  }
  CHECK(*reshare_anchor_holds(terms, *anchor, t));
  CHECK(*reshare_anchor_holds(std::span{terms}.first(3), *anchor, t));
  CHECK(*reshare_anchor_holds(std::span{terms}.last(3), *anchor, t));
  CHECK(reshare_anchor_holds(std::span{terms}.first(2), *anchor, t).err().code() == errc::insufficient);
  // Receiver j's new share: Σ L_i·g_i(x_j) over the dealers 1..n.
  std::vector<share_index> dealers;
  for (std::size_t i = 1; i <= n; ++i) dealers.push_back(idx(i));
  auto weights = lagrange_coefficients(dealers, scalar::zero());
  REQUIRE(weights.ok());
  for (std::size_t m = 0; m < secrets; ++m) {
    std::vector<share> next;
    for (std::size_t j = 1; j <= n; ++j) {
      scalar v = scalar::zero();
      for (std::size_t i = 0; i < n; ++i) v += (*weights)[i] * dealings[i].bundle_for(idx(j))->values[m];
      next.push_back(share{idx(j), v});
    }
    auto two = reconstruct_with_constant(std::span{next}.first(t2), t2, c.c0[m]);
    REQUIRE(two.ok());
    CHECK(two->secret == c.keys[m]);
    CHECK(reconstruct_with_constant(std::span{next}.last(t2), t2, c.c0[m]).ok());
    CHECK_FALSE(reconstruct_with_constant(std::span{next}.first(1), 1, c.c0[m]).ok());
  }
}

TEST_CASE("batch reshare: a dealer that deals other than its shares fails every set it is in") {
  seeded_random rng{72};
  const std::size_t t = 3, t2 = 2, n = 5, secrets = 4;
  const auto c = shared(secrets, t, n, rng);
  const std::array<std::uint8_t, 32> transcript{9};
  auto lambdas = challenge_coefficients({transcript.data(), transcript.size()}, secrets);
  REQUIRE(lambdas.ok());
  auto anchor = combine_points(c.c0, *lambdas);
  REQUIRE(anchor.ok());
  std::vector<reshare_term> terms;
  for (std::size_t i = 1; i <= n; ++i) {
    auto d = dealing_of(c, i, t2, i == 4 ? scalar::one() : scalar::zero(), rng);
    terms.emplace_back(d.dealer(), point::base_mul(*d.response_constant(*lambdas)) - d.mask_commitment());
  }
  CHECK_FALSE(*reshare_anchor_holds(terms, *anchor, t));
  std::vector<reshare_term> without{terms[0], terms[1], terms[2], terms[4]};
  CHECK(*reshare_anchor_holds(without, *anchor, t));
  std::vector<reshare_term> with{terms[0], terms[3], terms[4]};
  CHECK_FALSE(*reshare_anchor_holds(with, *anchor, t));
  // A mask commitment that is not the dealt mask's fails as well.
  terms[0].second = terms[0].second + point::generator();
  CHECK_FALSE(*reshare_anchor_holds(std::span{terms}.first(3), *anchor, t));
}

TEST_CASE("batch reshare: bad input is refused") {
  seeded_random rng{73};
  std::vector<scalar> none;
  CHECK(deal_batch_reshare(idx(1), none, 2, rng).err().code() == errc::invalid_argument);
  std::vector<scalar> one{scalar::one()};
  CHECK_FALSE(deal_batch_reshare(idx(1), one, 1, rng).ok());
  CHECK_FALSE(deal_batch_reshare(idx(0), one, 2, rng).ok());
  std::vector<point> two(2, point::generator());
  std::vector<scalar> lambdas{scalar::one()};
  CHECK(combine_points(two, lambdas).err().code() == errc::mismatch);
  auto d = deal_batch(idx(1), 1, 2, refresh_point, rng);
  REQUIRE(d.ok());
  CHECK_FALSE(d->reshares());
  CHECK(d->mask_commitment().is_identity());
  CHECK(*d->response_constant(lambdas) == scalar::zero());
}
