// One secret through its whole life, using only the public API the way the
// protocol layers will: create, refresh with a cheating dealer excluded,
// recover a lost share, reshare to a larger committee, read back.
#include <doctest/doctest.h>

#include <map>

#include "crypto/envelope.hpp"
#include "crypto/feldman.hpp"
#include "crypto/recovery.hpp"
#include "crypto/refresh.hpp"
#include "crypto/reshare.hpp"
#include "test_support.hpp"

using namespace pss;
using namespace pss::crypto;

namespace {
share_index idx(std::size_t i) { return share_index{static_cast<std::uint32_t>(i)}; }
} // namespace

TEST_CASE("lifecycle: create, refresh past a cheater, recover, reshare, read") {
  seeded_random rng{101};
  const envelope_context context{"cluster", "wallet/seed", secret_version{1}};
  const std::size_t t = 3;
  const std::size_t n = 5;

  // Create: the client deals k, nodes verify their shares.
  const auto k = scalar::random(rng);
  auto sealed = envelope_seal(k, as_bytes("twelve words"), context, rng);
  REQUIRE(sealed.ok());
  auto created = deal(k, t, n, rng);
  REQUIRE(created.ok());
  std::map<std::size_t, share> shares;
  for (const auto& s : created->shares) {
    REQUIRE(created->commitments.verify(s).ok());
    shares.emplace(s.index.value(), s);
  }
  commitment current = created->commitments;

  // Refresh: node 4 deals a polynomial with δ(0) = 1, which would shift k.
  std::map<std::size_t, sub_dealing> dealings;
  for (std::size_t i = 1; i <= n; ++i) {
    if (i == 4) {
      auto cheat = polynomial::random(scalar::one(), t, rng);
      REQUIRE(cheat.ok());
      dealings.emplace(i, sub_dealing{idx(i), *cheat, commitment::of(*cheat)});
    } else {
      auto d = deal_refresh(idx(i), t, rng);
      REQUIRE(d.ok());
      dealings.emplace(i, std::move(*d));
    }
  }
  // Every node checks every dealer; the failures decide QUAL (in pss the
  // complaints go through Raft).
  std::vector<std::size_t> qual;
  for (const auto& [i, d] : dealings) {
    bool good = true;
    for (std::size_t j = 1; j <= n; ++j)
      good &= verify_refresh_sub_share(d.commitments, *d.sub_share_for(idx(j)), t).ok();
    if (good) qual.push_back(i);
  }
  CHECK(qual == std::vector<std::size_t>{1, 2, 3, 5});
  std::vector<commitment> qual_commitments;
  for (auto i : qual) qual_commitments.push_back(dealings.at(i).commitments);
  auto refreshed = refresh_commitments(current, qual_commitments);
  REQUIRE(refreshed.ok());
  std::map<std::size_t, share> epoch2;
  for (std::size_t j = 1; j <= n; ++j) {
    std::vector<sub_share> received;
    for (auto i : qual) received.push_back(*dealings.at(i).sub_share_for(idx(j)));
    auto next = add_sub_shares(shares.at(j), received);
    REQUIRE(next.ok());
    REQUIRE(refreshed->verify(*next).ok());
    CHECK_FALSE(next->value == shares.at(j).value);
    epoch2.emplace(j, std::move(*next));
  }
  current = *refreshed;
  shares = epoch2; // old shares erased after commit

  // Recovery: node 2 lost its share; helpers 1, 3, 4, 5 restore it.
  const auto lost = idx(2);
  const std::vector<std::size_t> helpers{1, 3, 4, 5};
  std::vector<sub_dealing> masks;
  std::vector<commitment> mask_commitments;
  for (auto h : helpers) {
    auto m = deal_recovery_mask(idx(h), lost, t, rng);
    REQUIRE(m.ok());
    mask_commitments.push_back(m->commitments);
    masks.push_back(std::move(*m));
  }
  std::vector<share> masked;
  for (auto j : helpers) {
    std::vector<sub_share> received;
    for (const auto& m : masks) {
      auto s = m.sub_share_for(idx(j));
      REQUIRE(verify_recovery_sub_share(m.commitments, *s, lost, t).ok());
      received.push_back(*s);
    }
    auto value = masked_share(shares.at(j), lost, received);
    REQUIRE(value.ok());
    masked.push_back(std::move(*value));
  }
  const share expected_lost = shares.at(2);
  shares.erase(2);
  auto recovered = recover_share(lost, masked, current, mask_commitments);
  REQUIRE(recovered.ok());
  CHECK(recovered->value == expected_lost.value);
  shares.emplace(2, std::move(*recovered));

  // Reshare to (t' = 4, n' = 7), dealt by old holders 2, 4 and 5.
  const std::size_t t2 = 4;
  const std::size_t n2 = 7;
  std::vector<sub_dealing> reshares;
  std::vector<reshare_commitment> published;
  for (std::size_t i : {2, 4, 5}) {
    auto d = deal_reshare(shares.at(i), t2, rng);
    REQUIRE(d.ok());
    REQUIRE(validate_reshare_commitment(current, idx(i), d->commitments, t2).ok());
    published.push_back({idx(i), d->commitments});
    reshares.push_back(std::move(*d));
  }
  auto reshared = reshare_commitments(current, published, t2);
  REQUIRE(reshared.ok());
  std::vector<share> new_shares;
  for (std::size_t j = 1; j <= n2; ++j) {
    std::vector<sub_share> received;
    for (const auto& d : reshares) {
      auto s = d.sub_share_for(idx(j));
      REQUIRE(verify_reshare_sub_share(current, d.commitments, *s, t2).ok());
      received.push_back(*s);
    }
    auto s = combine_reshare(idx(j), received, t);
    REQUIRE(s.ok());
    new_shares.push_back(std::move(*s));
  }

  // Read: five answers, one of them stale (an old-epoch share), need four.
  std::vector<share> answers{new_shares[6], created->shares[1], new_shares[0], new_shares[3],
                             new_shares[4]};
  auto read = reconstruct(*reshared, answers);
  REQUIRE(read.ok());
  CHECK(read->rejected == std::vector<share_index>{idx(2)});
  CHECK(read->secret == k);
  auto opened = envelope_open(read->secret, *sealed, context);
  REQUIRE(opened.ok());
  CHECK(opened->as_string() == "twelve words");
}
