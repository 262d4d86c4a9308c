#include <doctest/doctest.h>

#include <string>

#include "crypto/envelope.hpp"
#include "crypto/feldman.hpp"
#include "test_support.hpp"

using namespace pss;
using namespace pss::crypto;

namespace {
const envelope_context context{"cluster-a", "db/root", secret_version{3}};
} // namespace

TEST_CASE("envelope: round trip returns the payload") {
  seeded_random rng{1};
  const auto k = scalar::random(rng);
  const std::string payload = "correct horse battery staple";
  auto sealed = envelope_seal(k, as_bytes(payload), context, rng);
  REQUIRE(sealed.ok());
  CHECK(sealed->ciphertext.size() == payload.size() + envelope_tag_bytes);
  auto opened = envelope_open(k, *sealed, context);
  REQUIRE(opened.ok());
  CHECK(opened->as_string() == payload);
  // The empty payload and the maximum payload work too.
  auto empty = envelope_seal(k, byte_view{}, context, rng);
  REQUIRE(empty.ok());
  CHECK(envelope_open(k, *empty, context)->empty());
  const bytes big(payload_bytes_max, 0x5a);
  auto full = envelope_seal(k, big, context, rng);
  REQUIRE(full.ok());
  CHECK(envelope_open(k, *full, context)->equals(big));
}

TEST_CASE("envelope: the payload never appears in the ciphertext, and nonces differ") {
  seeded_random rng{2};
  const auto k = scalar::random(rng);
  const std::string payload = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
  auto a = envelope_seal(k, as_bytes(payload), context, rng);
  auto b = envelope_seal(k, as_bytes(payload), context, rng);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(a->nonce != b->nonce);
  CHECK(a->ciphertext != b->ciphertext);
  const std::string ct(a->ciphertext.begin(), a->ciphertext.end());
  CHECK(ct.find("AAAA") == std::string::npos);
}

TEST_CASE("envelope: a wrong key fails to open") {
  seeded_random rng{3};
  const auto k = scalar::random(rng);
  auto sealed = envelope_seal(k, as_bytes("payload"), context, rng);
  REQUIRE(sealed.ok());
  auto r = envelope_open(k + scalar::one(), *sealed, context);
  REQUIRE_FALSE(r.ok());
  CHECK(r.err().code() == errc::verification_failed);
}

TEST_CASE("envelope: each associated-data field is bound") {
  seeded_random rng{4};
  const auto k = scalar::random(rng);
  auto sealed = envelope_seal(k, as_bytes("payload"), context, rng);
  REQUIRE(sealed.ok());
  envelope_context other = context;
  other.cluster_id = "cluster-b";
  CHECK(envelope_open(k, *sealed, other).err().code() == errc::verification_failed);
  other = context;
  other.secret_name = "db/root2";
  CHECK(envelope_open(k, *sealed, other).err().code() == errc::verification_failed);
  other = context;
  other.version = secret_version{4};
  CHECK(envelope_open(k, *sealed, other).err().code() == errc::verification_failed);
  // Field boundaries are length-prefixed, so shifting bytes between fields fails.
  other = context;
  other.cluster_id = "cluster-ad";
  other.secret_name = "b/root";
  CHECK_FALSE(envelope_open(k, *sealed, other).ok());
  // A put binds its dealing's digest: none, or another one, fails.
  const digest256 dealing{1, 2, 3};
  const digest256 another{1, 2, 4};
  envelope_context bound = context;
  bound.dealing = &dealing;
  auto dealt = envelope_seal(k, as_bytes("payload"), bound, rng);
  REQUIRE(dealt.ok());
  CHECK(envelope_open(k, *dealt, bound).ok());
  CHECK(envelope_open(k, *dealt, context).err().code() == errc::verification_failed);
  other = bound;
  other.dealing = &another;
  CHECK(envelope_open(k, *dealt, other).err().code() == errc::verification_failed);
  CHECK(envelope_open(k, *sealed, bound).err().code() == errc::verification_failed);
}

TEST_CASE("envelope: every flipped bit of nonce or ciphertext fails to open") {
  seeded_random rng{5};
  const auto k = scalar::random(rng);
  auto sealed = envelope_seal(k, as_bytes("tamper me"), context, rng);
  REQUIRE(sealed.ok());
  for (std::size_t byte = 0; byte < sealed->ciphertext.size(); ++byte) {
    for (int bit = 0; bit < 8; ++bit) {
      envelope copy = *sealed;
      copy.ciphertext[byte] ^= static_cast<std::uint8_t>(1u << bit);
      CHECK_FALSE(envelope_open(k, copy, context).ok());
    }
  }
  for (std::size_t byte = 0; byte < sealed->nonce.size(); ++byte) {
    envelope copy = *sealed;
    copy.nonce[byte] ^= 1;
    CHECK_FALSE(envelope_open(k, copy, context).ok());
  }
  envelope truncated = *sealed;
  truncated.ciphertext.resize(envelope_tag_bytes - 1);
  CHECK(envelope_open(k, truncated, context).err().code() == errc::malformed);
}

TEST_CASE("envelope: payload and context sizes are bounded") {
  seeded_random rng{6};
  const auto k = scalar::random(rng);
  const bytes too_big(payload_bytes_max + 1, 0);
  CHECK(envelope_seal(k, too_big, context, rng).err().code() == errc::too_large);
  const std::string long_name(secret_name_bytes_max + 1, 'n');
  envelope_context bad = context;
  bad.secret_name = long_name;
  CHECK(envelope_seal(k, as_bytes("x"), bad, rng).err().code() == errc::invalid_argument);
  const std::string long_cluster(cluster_id_bytes_max + 1, 'c');
  bad = context;
  bad.cluster_id = long_cluster;
  CHECK(envelope_seal(k, as_bytes("x"), bad, rng).err().code() == errc::invalid_argument);
}

TEST_CASE("envelope: encoding round-trips and rejects malformed bytes") {
  seeded_random rng{7};
  const auto k = scalar::random(rng);
  auto sealed = envelope_seal(k, as_bytes("encode me"), context, rng);
  REQUIRE(sealed.ok());
  const auto raw = sealed->encode();
  auto back = envelope::decode(raw);
  REQUIRE(back.ok());
  CHECK(*back == *sealed);
  CHECK(envelope_open(k, *back, context)->as_string() == "encode me");
  CHECK_FALSE(envelope::decode(byte_view{raw}.first(raw.size() - 1)).ok());
  bytes longer = raw;
  longer.push_back(0);
  CHECK_FALSE(envelope::decode(longer).ok());
  bytes wrong_version = raw;
  wrong_version[0] = 9;
  CHECK_FALSE(envelope::decode(wrong_version).ok());
  CHECK_FALSE(envelope::decode(bytes{}).ok());
}

TEST_CASE("envelope: errors never contain the payload") {
  seeded_random rng{8};
  const auto k = scalar::random(rng);
  auto sealed = envelope_seal(k, as_bytes("SECRET-PAYLOAD"), context, rng);
  REQUIRE(sealed.ok());
  auto r = envelope_open(scalar::one(), *sealed, context);
  REQUIRE_FALSE(r.ok());
  CHECK(r.err().describe().find("SECRET") == std::string::npos);
}

TEST_CASE("envelope: a full split, verify and combine round trip") {
  // The flow the CLI follows: draw k, seal the payload, deal k, verify the
  // shares, interpolate k from t of them and open.
  seeded_random rng{9};
  const auto k = scalar::random(rng);
  auto sealed = envelope_seal(k, as_bytes("root key"), context, rng);
  REQUIRE(sealed.ok());
  auto d = deal(k, 3, 5, rng);
  REQUIRE(d.ok());
  std::vector<share> picked{d->shares[4], d->shares[0], d->shares[2]};
  for (const auto& s : picked)
    REQUIRE(d->commitments.verify(s).ok());
  auto back = interpolate_secret(picked, 3);
  REQUIRE(back.ok());
  CHECK(envelope_open(*back, *sealed, context)->as_string() == "root key");
}
