#include <doctest/doctest.h>

#include <set>
#include <vector>

#include "core/prng.hpp"
#include "crypto/decode.hpp"
#include "crypto/shamir.hpp"
#include "test_support.hpp"

using namespace pss;
using namespace pss::crypto;

namespace {
share_index idx(std::size_t i) { return share_index{static_cast<std::uint32_t>(i)}; }
} // namespace

TEST_CASE("decode: the subset walk starts with every cyclic window, then walks the rest once") {
  subset_walk walk(5, 3);
  std::vector<std::vector<std::size_t>> seen{walk.current()};
  while (walk.next()) seen.push_back(walk.current());
  REQUIRE(seen.size() >= 5);
  CHECK(seen[0] == std::vector<std::size_t>{0, 1, 2});
  CHECK(seen[1] == std::vector<std::size_t>{1, 2, 3});
  CHECK(seen[3] == std::vector<std::size_t>{0, 3, 4});
  CHECK(seen[4] == std::vector<std::size_t>{0, 1, 4});
  // After the windows, all C(5,3) = 10 subsets once (window 0 is not repeated).
  CHECK(seen.size() == 5 + 9);
  CHECK(std::set<std::vector<std::size_t>>(seen.begin() + 5, seen.end()).size() == 9);
  subset_walk all(4, 4);
  CHECK(all.current() == std::vector<std::size_t>{0, 1, 2, 3});
  CHECK_FALSE(all.next());
}

TEST_CASE("decode: reconstruct_with_constant finds k and names corrupted shares") {
  seeded_random rng{120};
  const std::size_t t = 3;
  const std::size_t n = 7;
  const auto k = scalar::random_nonzero(rng);
  const auto c0 = point::base_mul(k);
  auto shares = split(k, t, n, rng);
  REQUIRE(shares.ok());

  auto clean = reconstruct_with_constant(*shares, t, c0);
  REQUIRE(clean.ok());
  CHECK(clean->secret == k);
  CHECK(clean->misfits.empty());

  auto one_bad = *shares;
  one_bad[0].value += scalar::one(); // in the first subset tried
  auto r1 = reconstruct_with_constant(one_bad, t, c0);
  REQUIRE(r1.ok());
  CHECK(r1->secret == k);
  CHECK(r1->misfits == std::vector<share_index>{idx(1)});

  auto two_bad = *shares;
  two_bad[1].value += scalar::one();
  two_bad[5].value = scalar::random(rng);
  auto r2 = reconstruct_with_constant(two_bad, t, c0);
  REQUIRE(r2.ok());
  CHECK(r2->secret == k);
  CHECK(r2->misfits == std::vector<share_index>{idx(2), idx(6)});

  // Only t-1 good shares: no subset reproduces C0.
  auto mostly_bad = *shares;
  for (std::size_t i = t - 1; i < n; ++i)
    mostly_bad[i].value += scalar::one();
  auto r3 = reconstruct_with_constant(mostly_bad, t, c0);
  REQUIRE_FALSE(r3.ok());
  CHECK(r3.err().code() == errc::verification_failed);

  CHECK(reconstruct_with_constant(std::span{*shares}.first(t - 1), t, c0).err().code()
        == errc::insufficient);
  auto duplicate = *shares;
  duplicate[1].index = idx(1);
  CHECK_FALSE(reconstruct_with_constant(duplicate, t, c0).ok());
}

TEST_CASE("decode: reconstruct_with_constant handles k = 0 against the identity") {
  seeded_random rng{121};
  auto shares = split(scalar::zero(), 2, 4, rng);
  REQUIRE(shares.ok());
  (*shares)[0].value += scalar::one();
  auto r = reconstruct_with_constant(*shares, 2, point::identity());
  REQUIRE(r.ok());
  CHECK(r->secret.is_zero());
  CHECK(r->misfits == std::vector<share_index>{idx(1)});
  CHECK_FALSE(reconstruct_with_constant(*shares, 2, point::generator()).ok());
}

TEST_CASE("decode: one bad share never blocks a read, wherever it sits, up to n = 64") {
  seeded_random rng{122};
  for (auto [t, n] : {std::pair<std::size_t, std::size_t>{6, 12}, {32, 64}, {63, 64}}) {
    const auto k = scalar::random_nonzero(rng);
    const auto c0 = point::base_mul(k);
    auto shares = split(k, t, n, rng);
    REQUIRE(shares.ok());
    for (std::size_t bad : {std::size_t{0}, n / 2, n - 1}) {
      auto one_bad = *shares;
      one_bad[bad].value += scalar::one();
      auto r = reconstruct_with_constant(one_bad, t, c0);
      REQUIRE_MESSAGE(r.ok(), "t=" << t << " n=" << n << " bad=" << bad);
      CHECK(r->secret == k);
      CHECK(r->misfits == std::vector<share_index>{idx(bad + 1)});
    }
  }
}

TEST_CASE("decode: decode_at corrects wrong values within the unique decoding radius") {
  seeded_random rng{123};
  const std::size_t t = 5;
  const auto k = scalar::random_nonzero(rng);
  auto shares = split(k, t, 20, rng);
  REQUIRE(shares.ok());
  const share_index target = idx(20);
  const scalar expected = (*shares)[19].value;
  std::vector<share> helpers(shares->begin(), shares->begin() + 19);

  auto clean = decode_at(helpers, t, target);
  REQUIRE(clean.ok());
  CHECK(clean->value == expected);
  CHECK(clean->fits == 19);

  // t + 2 helpers, one lying anywhere: located and corrected.
  for (std::size_t bad = 0; bad < t + 2; ++bad) {
    std::vector<share> few(helpers.begin(), helpers.begin() + t + 2);
    few[bad].value += scalar::one();
    auto r = decode_at(few, t, target);
    REQUIRE(r.ok());
    CHECK(r->value == expected);
    CHECK(r->misfits == std::vector<share_index>{few[bad].index});
  }
  // t + 1 helpers, one lying: detected, never decoded to a wrong value.
  std::vector<share> one_spare(helpers.begin(), helpers.begin() + t + 1);
  one_spare[2].value += scalar::one();
  CHECK(decode_at(one_spare, t, target).err().code() == errc::verification_failed);
  // 19 helpers, 7 lying (19 >= 5 + 2*7): still the right value.
  auto many_bad = helpers;
  for (std::size_t i = 0; i < 7; ++i) many_bad[i * 2].value = scalar::random(rng);
  auto r = decode_at(many_bad, t, target);
  REQUIRE(r.ok());
  CHECK(r->value == expected);
  CHECK(r->misfits.size() == 7);
  // Exactly t helpers: every polynomial fits; the caller must verify.
  auto bare = decode_at(std::span{helpers}.first(t), t, target);
  REQUIRE(bare.ok());
  CHECK(bare->fits == t);
  CHECK(decode_at(std::span{helpers}.first(t - 1), t, target).err().code() == errc::insufficient);
}

TEST_CASE("decode: a fixed-point decoder gives decode_at's answer for every value set, bad ones included") {
  seeded_random rng{321};
  pss::prng pick{99};
  for (std::size_t t : {2, 3, 5}) {
    for (std::size_t n : {t, t + 1, t + 2, t + 4}) {
      CAPTURE(t);
      CAPTURE(n);
      std::vector<share_index> indices;
      for (std::size_t i = 0; i < n; ++i) indices.push_back(idx(3 * i + 2)); // not 1..n
      const share_index at = idx(1);
      auto decoder = fixed_point_decoder::make(indices, t, at);
      REQUIRE(decoder.ok());
      for (int round = 0; round < 40; ++round) {
        auto shares = split(scalar::random_nonzero(rng), t, 3 * n + 3, rng);
        REQUIRE(shares.ok());
        std::vector<share> points;
        std::vector<scalar> values;
        bool corrupted = false;
        for (auto i : indices) {
          share s = (*shares)[i.value() - 1];
          // A third of the sets carry one or two wrong values anywhere.
          if (round % 3 == 0 && pick.below(n) < 2) {
            s.value += scalar::one();
            corrupted = true;
          }
          points.push_back(s);
          values.push_back(s.value);
        }
        auto fast = decoder->decode(values);
        auto slow = decode_at(points, t, at);
        REQUIRE(fast.ok() == slow.ok());
        if (!fast.ok()) {
          CHECK(fast.err().code() == slow.err().code());
          continue;
        }
        CHECK(fast->value == slow->value);
        CHECK(fast->fits == slow->fits);
        CHECK(fast->misfits == slow->misfits);
        if (!corrupted) CHECK(fast->value == (*shares)[0].value); // f(1)
      }
    }
  }
  CHECK(fixed_point_decoder::make(std::vector<share_index>{idx(1)}, 2, idx(3)).err().code() == errc::insufficient);
  CHECK_FALSE(fixed_point_decoder::make(std::vector<share_index>{idx(1), idx(1)}, 2, idx(3)).ok());
}
