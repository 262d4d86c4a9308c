#include <doctest/doctest.h>

#include "core/prng.hpp"
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
