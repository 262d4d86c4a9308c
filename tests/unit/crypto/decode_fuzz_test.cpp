// Every byte that arrives from the network or disk is hostile. These tests
// feed seeded random and mutated inputs to every decoder and opener and
// require a clean error (or, for a mutation that happens to stay valid, a
// value) and never a crash; the sanitizer build turns any overrun into a
// failure.
#include <doctest/doctest.h>

#include "core/prng.hpp"
#include "crypto/batch.hpp"
#include "crypto/envelope.hpp"
#include "crypto/feldman.hpp"
#include "crypto/seal.hpp"
#include "crypto/sign.hpp"
#include "test_support.hpp"

using namespace pss;
using namespace pss::crypto;

namespace {
bytes random_bytes(prng& gen, std::size_t max_size) {
  bytes out(gen.below(max_size + 1));
  for (auto& b : out)
    b = static_cast<std::uint8_t>(gen.next_u64());
  return out;
}

// A valid encoding with a few random bytes overwritten, truncated or extended.
bytes mutate(prng& gen, bytes data) {
  switch (gen.below(3)) {
    case 0:
      for (int i = 0; i < 3 && !data.empty(); ++i)
        data[gen.below(data.size())] = static_cast<std::uint8_t>(gen.next_u64());
      break;
    case 1:
      data.resize(gen.below(data.size() + 1));
      break;
    default:
      data.push_back(static_cast<std::uint8_t>(gen.next_u64()));
      break;
  }
  return data;
}
} // namespace

TEST_CASE("decoders: random bytes never crash a decoder and mostly fail cleanly") {
  prng gen{91};
  int accepted = 0;
  for (int i = 0; i < 2000; ++i) {
    const auto input = random_bytes(gen, 200);
    accepted += decode_share(input).ok();
    accepted += decode_sub_share(input).ok();
    accepted += commitment::decode(input, 3).ok();
    accepted += envelope::decode(input).ok();
    accepted += point::from_bytes(input, identity_policy::allow).ok();
    accepted += scalar::from_bytes(input).ok();
    accepted += box_public_key::from_bytes(input).ok();
    accepted += sign_public_key::from_bytes(input).ok();
    accepted += signature::from_bytes(input).ok();
  }
  // Random inputs of random lengths almost never have the exact length
  // (and, for points and scalars, the exact structure) a decoder needs.
  CHECK(accepted < 50);
}

TEST_CASE("decoders: mutated valid encodings are refused or decode to something else") {
  prng gen{92};
  seeded_random rng{93};
  auto d = deal(scalar::random(rng), 3, 5, rng);
  REQUIRE(d.ok());
  const auto commitments = d->commitments.encode();
  const envelope_context context{"c", "name", secret_version{1}};
  const auto k = scalar::random(rng);
  auto sealed_envelope = envelope_seal(k, as_bytes("payload"), context, rng);
  REQUIRE(sealed_envelope.ok());
  const auto envelope_bytes = sealed_envelope->encode();
  const auto recipient = box_key_pair::generate(rng);
  auto sealed = seal(recipient.public_key, as_bytes("sub-share"), as_bytes("ad"), rng);
  REQUIRE(sealed.ok());
  for (int i = 0; i < 300; ++i) {
    auto c = commitment::decode(mutate(gen, commitments), 3);
    if (c.ok() && !(*c == d->commitments))
      CHECK_FALSE(c->verify(d->shares[0]).ok());
    auto e = envelope::decode(mutate(gen, envelope_bytes));
    if (e.ok() && !(*e == *sealed_envelope))
      CHECK_FALSE(envelope_open(k, *e, context).ok());
    const auto mutated = mutate(gen, *sealed);
    if (mutated != *sealed)
      CHECK_FALSE(open_sealed(recipient, mutated, as_bytes("ad")).ok());
  }
}

TEST_CASE("decoders: mutated batch bundle chunks never crash decode or reassembly") {
  prng gen{93};
  seeded_random rng{94};
  auto d = deal_batch(share_index{1}, 20, 3, share_index{0}, rng);
  REQUIRE(d.ok());
  auto b = d->bundle_for(share_index{2});
  REQUIRE(b.ok());
  auto chunks = encode_bundle_chunks(*b, 6);
  REQUIRE(chunks.ok());
  int rejected = 0;
  for (int i = 0; i < 2000; ++i) {
    const auto& pick = (*chunks)[gen.below(chunks->size())];
    const auto bad = mutate(gen, bytes(pick.view().begin(), pick.view().end()));
    rejected += !decode_bundle(bad).ok();
    std::vector<byte_view> views;
    for (const auto& c : *chunks)
      views.push_back(c.view());
    views[gen.below(views.size())] = bad;
    rejected += !reassemble_bundle(views).ok();
    const auto noise = random_bytes(gen, 300);
    CHECK_FALSE(decode_bundle(noise).ok());
  }
  CHECK(rejected > 0);
}
