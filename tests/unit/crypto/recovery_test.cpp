#include <doctest/doctest.h>

#include "core/prng.hpp"
#include "crypto/recovery.hpp"
#include "test_support.hpp"

using namespace pss;
using namespace pss::crypto;
using pss::crypto::testing::random_subset;

namespace {
share_index idx(std::size_t i) { return share_index{static_cast<std::uint32_t>(i)}; }

struct recovery_run {
  std::vector<share> masked;          // one per helper, in helper order
  std::vector<commitment> masks;      // one per helper
};

// Runs the helpers' side of HJKY recovery honestly for the helper set.
recovery_run run_helpers(const std::vector<share>& shares, const std::vector<share_index>& helpers,
                         share_index lost, std::size_t t, random_source& rng) {
  std::vector<sub_dealing> dealings;
  recovery_run out;
  for (auto h : helpers) {
    auto d = deal_recovery_mask(h, lost, t, rng);
    REQUIRE(d.ok());
    REQUIRE(validate_recovery_mask_commitment(d->commitments, lost, t).ok());
    out.masks.push_back(d->commitments);
    dealings.push_back(std::move(*d));
  }
  for (auto j : helpers) {
    std::vector<sub_share> received;
    for (const auto& d : dealings) {
      auto s = d.sub_share_for(j);
      REQUIRE(s.ok());
      REQUIRE(verify_recovery_sub_share(d.commitments, *s, lost, t).ok());
      received.push_back(std::move(*s));
    }
    auto m = masked_share(shares[j.value() - 1], lost, received);
    REQUIRE(m.ok());
    out.masked.push_back(std::move(*m));
  }
  return out;
}
} // namespace

TEST_CASE("recovery: reproduces the lost share exactly (property, random t, n, helpers)") {
  prng cases{51};
  seeded_random rng{52};
  for (int round = 0; round < 15; ++round) {
    const std::size_t n = cases.between(3, 9);
    const std::size_t t = cases.between(2, n - 1);
    CAPTURE(n);
    CAPTURE(t);
    auto d = deal(scalar::random(rng), t, n, rng);
    REQUIRE(d.ok());
    const auto lost = idx(cases.between(1, n));
    // Helpers: a random set of at least t nodes other than the lost one.
    std::vector<share_index> helpers;
    for (auto i : random_subset(cases, n, n))
      if (i != lost) helpers.push_back(i);
    helpers.resize(cases.between(t, helpers.size()));
    auto run = run_helpers(d->shares, helpers, lost, t, rng);
    auto recovered = recover_share(lost, run.masked, d->commitments, run.masks);
    REQUIRE(recovered.ok());
    CHECK(recovered->index == lost);
    CHECK(recovered->value == d->shares[lost.value() - 1].value);
  }
}

TEST_CASE("recovery: no single helper message, nor fewer than t, gives the lost share") {
  seeded_random rng{53};
  const std::size_t t = 3;
  const std::size_t n = 6;
  auto d = deal(scalar::random(rng), t, n, rng);
  REQUIRE(d.ok());
  const auto lost = idx(2);
  const auto& target = d->shares[1].value;
  const std::vector<share_index> helpers{idx(1), idx(3), idx(4), idx(6)};
  auto run = run_helpers(d->shares, helpers, lost, t, rng);
  for (std::size_t h = 0; h < helpers.size(); ++h) {
    // The masked value is neither s_r nor the helper's own share.
    CHECK_FALSE(run.masked[h].value == target);
    CHECK_FALSE(run.masked[h].value == d->shares[helpers[h].value() - 1].value);
  }
  // Any t-1 masked values, interpolated at r as if they were enough, miss s_r.
  for (std::size_t a = 0; a < helpers.size(); ++a) {
    for (std::size_t b = a + 1; b < helpers.size(); ++b) {
      const std::vector<share> two{run.masked[a], run.masked[b]};
      auto guess = interpolate_at(two, t - 1, lost);
      REQUIRE(guess.ok());
      CHECK_FALSE(*guess == target);
    }
  }
  // And the recovery function itself refuses fewer than t masked values.
  const std::vector<share> too_few{run.masked[0], run.masked[1]};
  CHECK(recover_share(lost, too_few, d->commitments, run.masks).err().code()
        == errc::insufficient);
  // With t of them it works, whichever t.
  const std::vector<share> enough{run.masked[3], run.masked[0], run.masked[2]};
  auto recovered = recover_share(lost, enough, d->commitments, run.masks);
  REQUIRE(recovered.ok());
  CHECK(recovered->value == target);
}

TEST_CASE("recovery: a wrong masked value is detected and names its helper") {
  seeded_random rng{54};
  const std::size_t t = 3;
  auto d = deal(scalar::random(rng), t, 5, rng);
  REQUIRE(d.ok());
  const auto lost = idx(5);
  const std::vector<share_index> helpers{idx(1), idx(2), idx(3)};
  auto run = run_helpers(d->shares, helpers, lost, t, rng);
  run.masked[1].value += scalar::one();
  auto r = recover_share(lost, run.masked, d->commitments, run.masks);
  REQUIRE_FALSE(r.ok());
  CHECK(r.err().code() == errc::verification_failed);
  CHECK(r.err().message().find("helper 2") != std::string::npos);
}

TEST_CASE("recovery: a mask that is not zero at the lost index is rejected") {
  seeded_random rng{55};
  const std::size_t t = 3;
  const auto lost = idx(4);
  // An honest mask for another index is not zero at 4.
  auto wrong = deal_recovery_mask(idx(1), idx(3), t, rng);
  REQUIRE(wrong.ok());
  CHECK(validate_recovery_mask_commitment(wrong->commitments, lost, t).err().code()
        == errc::verification_failed);
  auto right = deal_recovery_mask(idx(1), lost, t, rng);
  REQUIRE(right.ok());
  CHECK(validate_recovery_mask_commitment(right->commitments, lost, t).ok());
  CHECK(validate_recovery_mask_commitment(right->commitments, lost, t + 1).err().code()
        == errc::mismatch);
  auto s = right->sub_share_for(idx(2));
  REQUIRE(s.ok());
  sub_share bad = *s;
  bad.value += scalar::one();
  CHECK_FALSE(verify_recovery_sub_share(right->commitments, bad, lost, t).ok());
  // The lost node can neither help nor contribute a masked value.
  CHECK_FALSE(deal_recovery_mask(lost, lost, t, rng).ok());
  const share own{lost, scalar::one()};
  CHECK_FALSE(masked_share(own, lost, std::vector<sub_share>{*s}).ok());
}
