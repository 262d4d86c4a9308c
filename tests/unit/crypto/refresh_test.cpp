#include <doctest/doctest.h>

#include "core/prng.hpp"
#include "crypto/refresh.hpp"
#include "test_support.hpp"

using namespace pss;
using namespace pss::crypto;
using pss::crypto::testing::random_subset;

namespace {
share_index idx(std::size_t i) { return share_index{static_cast<std::uint32_t>(i)}; }

// One full refresh round among n honest nodes: every node deals, every node
// verifies and adds the n sub-shares addressed to it (its own included).
struct round_result {
  std::vector<share> shares;
  commitment commitments;
};

round_result refresh_round(const std::vector<share>& shares, const commitment& old,
                           std::size_t t, random_source& rng) {
  const std::size_t n = shares.size();
  std::vector<sub_dealing> dealings;
  std::vector<commitment> dealer_commitments;
  for (std::size_t i = 1; i <= n; ++i) {
    auto d = deal_refresh(idx(i), t, rng);
    REQUIRE(d.ok());
    dealer_commitments.push_back(d->commitments);
    dealings.push_back(std::move(*d));
  }
  std::vector<share> next;
  for (const auto& own : shares) {
    std::vector<sub_share> received;
    for (const auto& d : dealings) {
      auto s = d.sub_share_for(own.index);
      REQUIRE(s.ok());
      REQUIRE(verify_refresh_sub_share(d.commitments, *s, t).ok());
      received.push_back(std::move(*s));
    }
    auto updated = add_sub_shares(own, received);
    REQUIRE(updated.ok());
    next.push_back(std::move(*updated));
  }
  auto c = refresh_commitments(old, dealer_commitments);
  REQUIRE(c.ok());
  return {std::move(next), std::move(*c)};
}
} // namespace

TEST_CASE("refresh: keeps the secret, changes every share, and the new shares verify") {
  prng cases{41};
  seeded_random rng{42};
  for (int round = 0; round < 12; ++round) {
    const std::size_t n = cases.between(2, 9);
    const std::size_t t = cases.between(2, n);
    CAPTURE(n);
    CAPTURE(t);
    const auto secret = scalar::random(rng);
    auto d = deal(secret, t, n, rng);
    REQUIRE(d.ok());
    auto next = refresh_round(d->shares, d->commitments, t, rng);
    CHECK(next.commitments.constant_term() == d->commitments.constant_term());
    for (std::size_t i = 0; i < n; ++i) {
      CHECK_FALSE(next.shares[i].value == d->shares[i].value);
      CHECK(next.commitments.verify(next.shares[i]).ok());
      // An old share does not verify against the new commitments.
      CHECK_FALSE(next.commitments.verify(d->shares[i]).ok());
    }
    const auto subset = random_subset(cases, n, t);
    std::vector<share> picked;
    for (auto i : subset) picked.push_back(next.shares[i.value() - 1]);
    auto back = interpolate_secret(picked, t);
    REQUIRE(back.ok());
    CHECK(*back == secret);
  }
}

TEST_CASE("refresh: shares of two epochs do not combine to the secret") {
  seeded_random rng{43};
  const auto secret = scalar::random(rng);
  auto d = deal(secret, 3, 5, rng);
  REQUIRE(d.ok());
  auto next = refresh_round(d->shares, d->commitments, 3, rng);
  std::vector<share> mixed{d->shares[0], d->shares[1], next.shares[2]};
  auto guess = interpolate_secret(mixed, 3);
  REQUIRE(guess.ok());
  CHECK_FALSE(*guess == secret);
}

TEST_CASE("refresh: a bad sub-share is detected and names its dealer") {
  seeded_random rng{44};
  auto d = deal_refresh(idx(2), 3, rng);
  REQUIRE(d.ok());
  auto s = d->sub_share_for(idx(4));
  REQUIRE(s.ok());
  CHECK(verify_refresh_sub_share(d->commitments, *s, 3).ok());
  sub_share bad = *s;
  bad.value += scalar::one();
  auto r = verify_refresh_sub_share(d->commitments, bad, 3);
  REQUIRE_FALSE(r.ok());
  CHECK(r.err().code() == errc::verification_failed);
  CHECK(r.err().message().find("dealer 2") != std::string::npos);
  // The right value sent under another recipient index fails too.
  sub_share misaddressed = *s;
  misaddressed.recipient = idx(5);
  CHECK_FALSE(verify_refresh_sub_share(d->commitments, misaddressed, 3).ok());
}

TEST_CASE("refresh: a commitment with a non-identity constant or a wrong length is rejected") {
  seeded_random rng{45};
  // A dealer that deals δ(0) = 1 would shift the secret.
  auto cheat = polynomial::random(scalar::one(), 3, rng);
  REQUIRE(cheat.ok());
  const auto cheat_commitment = commitment::of(*cheat);
  const sub_share s{idx(1), idx(2), *cheat->evaluate(idx(2))};
  CHECK(verify_refresh_sub_share(cheat_commitment, s, 3).err().code()
        == errc::verification_failed);
  auto d = deal(scalar::random(rng), 3, 5, rng);
  REQUIRE(d.ok());
  const std::vector<commitment> bad_constant{cheat_commitment};
  CHECK_FALSE(refresh_commitments(d->commitments, bad_constant).ok());
  // Too short (t-1 entries, a smaller threshold) and too long.
  auto short_dealing = deal_refresh(idx(1), 2, rng);
  auto long_dealing = deal_refresh(idx(1), 4, rng);
  REQUIRE(short_dealing.ok());
  REQUIRE(long_dealing.ok());
  auto short_sub = short_dealing->sub_share_for(idx(3));
  REQUIRE(short_sub.ok());
  CHECK(verify_refresh_sub_share(short_dealing->commitments, *short_sub, 3).err().code()
        == errc::mismatch);
  const std::vector<commitment> short_vec{short_dealing->commitments};
  const std::vector<commitment> long_vec{long_dealing->commitments};
  CHECK(refresh_commitments(d->commitments, short_vec).err().code() == errc::mismatch);
  CHECK(refresh_commitments(d->commitments, long_vec).err().code() == errc::mismatch);
  CHECK(refresh_commitments(d->commitments, std::vector<commitment>{}).err().code()
        == errc::insufficient);
}

TEST_CASE("refresh: adding sub-shares checks addressing and distinct dealers") {
  seeded_random rng{46};
  auto a = deal_refresh(idx(1), 3, rng);
  auto b = deal_refresh(idx(2), 3, rng);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  const share own{idx(3), scalar::from_u64(10)};
  const std::vector<sub_share> good{*a->sub_share_for(idx(3)), *b->sub_share_for(idx(3))};
  auto sum = add_sub_shares(own, good);
  REQUIRE(sum.ok());
  CHECK(sum->value == own.value + good[0].value + good[1].value);
  const std::vector<sub_share> twice{good[0], good[0]};
  CHECK(add_sub_shares(own, twice).err().code() == errc::duplicate);
  const std::vector<sub_share> other{*a->sub_share_for(idx(4))};
  CHECK(add_sub_shares(own, other).err().code() == errc::mismatch);
  CHECK(add_sub_shares(own, std::vector<sub_share>{}).err().code() == errc::insufficient);
  CHECK_FALSE(deal_refresh(idx(0), 3, rng).ok());
  CHECK_FALSE(deal_refresh(idx(1), 1, rng).ok());
  CHECK_FALSE(a->sub_share_for(idx(0)).ok());
}
