#include <doctest/doctest.h>

#include <sstream>

#include "core/prng.hpp"
#include "crypto/feldman.hpp"
#include "test_support.hpp"

using namespace pss;
using namespace pss::crypto;

namespace {
share_index idx(std::uint32_t i) { return share_index{i}; }

// A share or commitment that fails to parse, or parses but does not verify,
// counts as rejected.
bool share_rejected(const commitment& c, byte_view encoded) {
  auto s = decode_share(encoded);
  return !s.ok() || !c.verify(*s).ok();
}
} // namespace

TEST_CASE("feldman: every honestly dealt share verifies (property, random t and n)") {
  prng cases{31};
  seeded_random rng{32};
  for (int round = 0; round < 40; ++round) {
    const std::size_t n = cases.between(2, 32);
    const std::size_t t = cases.between(2, std::min<std::size_t>(n, 8));
    CAPTURE(n);
    CAPTURE(t);
    const auto secret = scalar::random(rng);
    auto d = deal(secret, t, n, rng);
    REQUIRE(d.ok());
    REQUIRE(d->commitments.threshold() == t);
    CHECK(d->commitments.constant_term() == point::base_mul(secret));
    // Check a few shares per round to keep the suite fast.
    for (int probe = 0; probe < 3; ++probe) {
      const auto& s = d->shares[cases.below(n)];
      CHECK(d->commitments.verify(s).ok());
    }
    auto back = interpolate_secret(d->shares, t);
    REQUIRE(back.ok());
    CHECK(*back == secret);
  }
}

TEST_CASE("feldman: a wrong share is rejected with an error naming its index") {
  seeded_random rng{1};
  auto d = deal(scalar::from_u64(77), 3, 5, rng);
  REQUIRE(d.ok());
  share bad = d->shares[3];
  bad.value += scalar::one();
  auto r = d->commitments.verify(bad);
  REQUIRE_FALSE(r.ok());
  CHECK(r.err().code() == errc::verification_failed);
  CHECK(r.err().message().find("share 4") != std::string::npos);
  // A correct value presented under another index is also rejected.
  share moved = d->shares[0];
  moved.index = idx(2);
  CHECK_FALSE(d->commitments.verify(moved).ok());
  share zero_index = d->shares[0];
  zero_index.index = idx(0);
  CHECK(d->commitments.verify(zero_index).err().code() == errc::invalid_argument);
}

TEST_CASE("feldman: every flipped bit of an encoded share is rejected") {
  seeded_random rng{2};
  auto d = deal(scalar::random(rng), 3, 5, rng);
  REQUIRE(d.ok());
  const auto encoded = encode_share(d->shares[2]);
  bytes raw(encoded.view().begin(), encoded.view().end());
  REQUIRE_FALSE(share_rejected(d->commitments, raw));
  for (std::size_t byte = 0; byte < raw.size(); ++byte) {
    for (int bit = 0; bit < 8; ++bit) {
      CAPTURE(byte);
      CAPTURE(bit);
      raw[byte] ^= static_cast<std::uint8_t>(1u << bit);
      CHECK(share_rejected(d->commitments, raw));
      raw[byte] ^= static_cast<std::uint8_t>(1u << bit);
    }
  }
  zeroize(raw);
}

TEST_CASE("feldman: every flipped bit of a commitment encoding is rejected") {
  seeded_random rng{3};
  const std::size_t t = 3;
  auto d = deal(scalar::random(rng), t, 5, rng);
  REQUIRE(d.ok());
  auto raw = d->commitments.encode();
  REQUIRE(raw.size() == 2 + t * point::size);
  auto same = commitment::decode(raw, t);
  REQUIRE(same.ok());
  CHECK(*same == d->commitments);
  const auto& probe = d->shares[1];
  for (std::size_t byte = 0; byte < raw.size(); ++byte) {
    for (int bit = 0; bit < 8; ++bit) {
      CAPTURE(byte);
      CAPTURE(bit);
      raw[byte] ^= static_cast<std::uint8_t>(1u << bit);
      auto c = commitment::decode(raw, t);
      // Either the encoding no longer parses, or it names a different
      // polynomial and the honest share no longer verifies.
      CHECK((!c.ok() || !c->verify(probe).ok()));
      raw[byte] ^= static_cast<std::uint8_t>(1u << bit);
    }
  }
}

TEST_CASE("feldman: commitment decoding enforces exactly t entries and bounds") {
  seeded_random rng{4};
  auto d = deal(scalar::random(rng), 3, 4, rng);
  REQUIRE(d.ok());
  const auto raw = d->commitments.encode();
  CHECK(commitment::decode(raw, 2).err().code() == errc::mismatch);
  CHECK(commitment::decode(raw, 4).err().code() == errc::mismatch);
  CHECK(commitment::decode(raw, 1).err().code() == errc::invalid_argument);
  // Truncated, extended, empty and oversized inputs.
  CHECK(commitment::decode(byte_view{raw}.first(raw.size() - 1), 3).err().code()
        == errc::malformed);
  bytes longer = raw;
  longer.push_back(0);
  CHECK(commitment::decode(longer, 3).err().code() == errc::malformed);
  CHECK_FALSE(commitment::decode(bytes{}, 3).ok());
  CHECK(commitment::decode(bytes(commitment_encoded_bytes_max + 1, 0), 3).err().code()
        == errc::too_large);
  // from_points also insists on t entries.
  CHECK(commitment::from_points(d->commitments.points(), 3).ok());
  CHECK(commitment::from_points(d->commitments.points(), 4).err().code() == errc::mismatch);
}

TEST_CASE("feldman: added commitments commit to the sum of the polynomials") {
  seeded_random rng{5};
  auto a = deal(scalar::random(rng), 3, 5, rng);
  auto b = deal(scalar::random(rng), 3, 5, rng);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  auto sum = a->commitments.add(b->commitments);
  REQUIRE(sum.ok());
  for (std::size_t i = 0; i < 5; ++i) {
    const share s{a->shares[i].index, a->shares[i].value + b->shares[i].value};
    CHECK(sum->verify(s).ok());
  }
  auto c = deal(scalar::random(rng), 4, 5, rng);
  REQUIRE(c.ok());
  CHECK(a->commitments.add(c->commitments).err().code() == errc::mismatch);
}

TEST_CASE("feldman: a refresh commitment needs an identity constant and exactly t entries") {
  seeded_random rng{6};
  auto zero_poly = polynomial::random(scalar::zero(), 3, rng);
  REQUIRE(zero_poly.ok());
  const auto good = commitment::of(*zero_poly);
  CHECK(good.constant_term().is_identity());
  CHECK(validate_refresh_commitment(good, 3).ok());
  CHECK(validate_refresh_commitment(good, 4).err().code() == errc::mismatch);
  CHECK(validate_refresh_commitment(good, 2).err().code() == errc::mismatch);
  auto nonzero_poly = polynomial::random(scalar::one(), 3, rng);
  REQUIRE(nonzero_poly.ok());
  CHECK(validate_refresh_commitment(commitment::of(*nonzero_poly), 3).err().code()
        == errc::verification_failed);
}

TEST_CASE("feldman: public_share equals f(i)·G and refuses index 0") {
  seeded_random rng{7};
  auto poly = polynomial::random(scalar::random(rng), 4, rng);
  REQUIRE(poly.ok());
  const auto c = commitment::of(*poly);
  for (std::uint32_t i = 1; i <= 6; ++i) {
    auto p = c.public_share(idx(i));
    REQUIRE(p.ok());
    CHECK(*p == point::base_mul(*poly->evaluate(idx(i))));
  }
  CHECK_FALSE(c.public_share(idx(0)).ok());
}

TEST_CASE("feldman: deal validates its thresholds") {
  seeded_random rng{8};
  CHECK_FALSE(deal(scalar::one(), 1, 3, rng).ok());
  CHECK_FALSE(deal(scalar::one(), 4, 3, rng).ok());
  CHECK_FALSE(deal(scalar::one(), 2, shares_max + 1, rng).ok());
}

TEST_CASE("feldman: reconstruct skips bad shares and needs t good ones") {
  seeded_random rng{9};
  const auto secret = scalar::random(rng);
  auto d = deal(secret, 3, 6, rng);
  REQUIRE(d.ok());
  std::vector<share> given{d->shares[0], d->shares[1], d->shares[2], d->shares[3]};
  given[1].value += scalar::one(); // a bad share from node 2
  auto r = reconstruct(d->commitments, given);
  REQUIRE(r.ok());
  CHECK(r->secret == secret);
  REQUIRE(r->rejected.size() == 1);
  CHECK(r->rejected[0] == idx(2));
  // With two bad shares out of four only two verify: not enough.
  given[3].value += scalar::one();
  auto short_of = reconstruct(d->commitments, given);
  REQUIRE_FALSE(short_of.ok());
  CHECK(short_of.err().code() == errc::insufficient);
  CHECK(short_of.err().message().find("rejected indices: 2 4") != std::string::npos);
  // A share of another epoch (another polynomial) is rejected, not combined.
  auto other = deal(secret, 3, 6, rng);
  REQUIRE(other.ok());
  std::vector<share> mixed{d->shares[0], other->shares[1], d->shares[2], d->shares[4]};
  auto m = reconstruct(d->commitments, mixed);
  REQUIRE(m.ok());
  CHECK(m->secret == secret);
  CHECK(m->rejected == std::vector<share_index>{idx(2)});
  std::vector<share> dup{d->shares[0], d->shares[0], d->shares[2]};
  CHECK(reconstruct(d->commitments, dup).err().code() == errc::duplicate);
  CHECK(reconstruct(d->commitments, std::vector<share>{}).err().code() == errc::insufficient);
}

TEST_CASE("feldman: the commitment digest identifies the vector") {
  seeded_random rng{10};
  auto a = deal(scalar::random(rng), 3, 5, rng);
  auto b = deal(scalar::random(rng), 3, 5, rng);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(a->commitments.digest() == a->commitments.digest());
  CHECK(a->commitments.digest() != b->commitments.digest());
  auto decoded = commitment::decode(a->commitments.encode(), 3);
  REQUIRE(decoded.ok());
  CHECK(decoded->digest() == a->commitments.digest());
}
