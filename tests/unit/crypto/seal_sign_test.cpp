#include <doctest/doctest.h>

#include <sstream>
#include <string>

#include "crypto/context.hpp"
#include "crypto/seal.hpp"
#include "crypto/sign.hpp"
#include "test_support.hpp"

using namespace pss;
using namespace pss::crypto;

namespace {
protocol_context sub_share_context() {
  return {"refresh/sub_share", "cluster-a", epoch_id{7}, "db/root", secret_version{2},
          node_id{1}, node_id{3}};
}

bytes context_bytes(const protocol_context& c) {
  auto out = encode_context(c);
  REQUIRE(out.ok());
  return *out;
}
} // namespace

TEST_CASE("context: every field changes the encoding") {
  const auto base = context_bytes(sub_share_context());
  auto c = sub_share_context();
  c.purpose = "refresh/complaint";
  CHECK(context_bytes(c) != base);
  c = sub_share_context();
  c.cluster_id = "cluster-b";
  CHECK(context_bytes(c) != base);
  c = sub_share_context();
  c.epoch = epoch_id{8};
  CHECK(context_bytes(c) != base);
  c = sub_share_context();
  c.secret_name = "db/root2";
  CHECK(context_bytes(c) != base);
  c = sub_share_context();
  c.version = secret_version{3};
  CHECK(context_bytes(c) != base);
  c = sub_share_context();
  c.dealer = node_id{2};
  CHECK(context_bytes(c) != base);
  c = sub_share_context();
  c.recipient = node_id{4};
  CHECK(context_bytes(c) != base);
  // Swapping dealer and recipient is a different context.
  c = sub_share_context();
  std::swap(c.dealer, c.recipient);
  CHECK(context_bytes(c) != base);
  // A dealing digest is appended when given; two digests differ.
  digest256 d1{};
  digest256 d2{};
  d2[31] = 1;
  c = sub_share_context();
  c.dealing = &d1;
  const auto with_d1 = context_bytes(c);
  CHECK(with_d1 != base);
  CHECK(std::equal(base.begin(), base.end(), with_d1.begin())); // the rest encodes as before
  c.dealing = &d2;
  CHECK(context_bytes(c) != with_d1);
}

TEST_CASE("context: oversized fields and an empty purpose are refused") {
  auto c = sub_share_context();
  c.purpose = "";
  CHECK(encode_context(c).err().code() == errc::invalid_argument);
  const std::string long_text(secret_name_bytes_max + 1, 'x');
  c = sub_share_context();
  c.secret_name = long_text;
  CHECK_FALSE(encode_context(c).ok());
  c = sub_share_context();
  c.cluster_id = long_text;
  CHECK_FALSE(encode_context(c).ok());
  c = sub_share_context();
  c.purpose = long_text;
  CHECK_FALSE(encode_context(c).ok());
}

TEST_CASE("seal: round trip to the recipient") {
  seeded_random rng{71};
  const auto recipient = box_key_pair::generate(rng);
  const auto ad = context_bytes(sub_share_context());
  const std::string plaintext = "sub-share bytes";
  auto sealed = seal(recipient.public_key, as_bytes(plaintext), ad, rng);
  REQUIRE(sealed.ok());
  CHECK(sealed->size() == plaintext.size() + sealed_overhead_bytes);
  auto opened = open_sealed(recipient, *sealed, ad);
  REQUIRE(opened.ok());
  CHECK(opened->as_string() == plaintext);
  auto empty = seal(recipient.public_key, byte_view{}, ad, rng);
  REQUIRE(empty.ok());
  CHECK(open_sealed(recipient, *empty, ad)->empty());
}

TEST_CASE("seal: a wrong recipient, wrong context or tampering fails") {
  seeded_random rng{72};
  const auto recipient = box_key_pair::generate(rng);
  const auto other = box_key_pair::generate(rng);
  const auto ad = context_bytes(sub_share_context());
  auto sealed = seal(recipient.public_key, as_bytes("share"), ad, rng);
  REQUIRE(sealed.ok());
  CHECK(open_sealed(other, *sealed, ad).err().code() == errc::verification_failed);
  auto c = sub_share_context();
  c.epoch = epoch_id{8};
  CHECK(open_sealed(recipient, *sealed, context_bytes(c)).err().code()
        == errc::verification_failed);
  c = sub_share_context();
  c.recipient = node_id{4};
  CHECK_FALSE(open_sealed(recipient, *sealed, context_bytes(c)).ok());
  for (std::size_t byte = 0; byte < sealed->size(); ++byte) {
    for (int bit = 0; bit < 8; ++bit) {
      bytes copy = *sealed;
      copy[byte] ^= static_cast<std::uint8_t>(1u << bit);
      CHECK_FALSE(open_sealed(recipient, copy, ad).ok());
    }
  }
  CHECK(open_sealed(recipient, byte_view{*sealed}.first(sealed_overhead_bytes - 1), ad)
          .err().code() == errc::malformed);
}

TEST_CASE("seal: sizes and keys are bounded and validated") {
  seeded_random rng{73};
  const auto recipient = box_key_pair::generate(rng);
  const bytes too_big(sealed_plaintext_bytes_max + 1, 0);
  CHECK(seal(recipient.public_key, too_big, {}, rng).err().code() == errc::too_large);
  CHECK_FALSE(box_public_key::from_bytes(bytes(31, 1)).ok());
  CHECK_FALSE(box_public_key::from_bytes(bytes(32, 0)).ok());
  auto parsed = box_public_key::from_bytes(recipient.public_key.bytes());
  REQUIRE(parsed.ok());
  CHECK(*parsed == recipient.public_key);
  // A low-order public key (u = 1, a point of order 4) would yield an
  // all-zero shared value: it is refused as a key at all, so no sender (a
  // dealer sealing to a member's announced key) ever meets one.
  bytes low_order(32, 0);
  low_order[0] = 1;
  auto weak = box_public_key::from_bytes(low_order);
  REQUIRE_FALSE(weak.ok());
  CHECK(weak.err().message().find("small order") != std::string::npos);
  // The secret key round-trips through its stored bytes.
  auto restored = box_key_pair::from_secret_bytes(recipient.secret_bytes().view());
  REQUIRE(restored.ok());
  CHECK(restored->public_key == recipient.public_key);
  CHECK_FALSE(box_key_pair::from_secret_bytes(bytes(31, 1)).ok());
}

TEST_CASE("seal: key pairs are replayable from a seeded source and print redacted") {
  seeded_random a{74};
  seeded_random b{74};
  const auto x = box_key_pair::generate(a);
  const auto y = box_key_pair::generate(b);
  CHECK(x.public_key == y.public_key);
  std::ostringstream os;
  os << x;
  CHECK(os.str().find("<redacted>") != std::string::npos);
  CHECK(os.str().find(to_hex(x.secret_key.view())) == std::string::npos);
  std::ostringstream ss;
  ss << x.secret_key;
  CHECK(ss.str() == "<redacted>");
}

TEST_CASE("sign: round trip, and wrong signer, context or message fail") {
  seeded_random rng{75};
  const auto dealer = sign_key_pair::generate(rng);
  const auto other = sign_key_pair::generate(rng);
  const auto ctx = context_bytes(sub_share_context());
  const std::string message = "commitment hash and sealed sub-shares";
  auto sig = sign(dealer, ctx, as_bytes(message));
  REQUIRE(sig.ok());
  CHECK(verify_signature(dealer.public_key, ctx, as_bytes(message), *sig).ok());
  CHECK(verify_signature(other.public_key, ctx, as_bytes(message), *sig).err().code()
        == errc::verification_failed);
  auto c = sub_share_context();
  c.epoch = epoch_id{8};
  CHECK_FALSE(verify_signature(dealer.public_key, context_bytes(c), as_bytes(message), *sig).ok());
  CHECK_FALSE(
    verify_signature(dealer.public_key, ctx, as_bytes("another message"), *sig).ok());
  // Moving bytes between context and message changes the signed input.
  bytes shifted_ctx = ctx;
  shifted_ctx.push_back('c');
  CHECK_FALSE(
    verify_signature(dealer.public_key, shifted_ctx, as_bytes(message.substr(1)), *sig).ok());
  for (std::size_t byte = 0; byte < signature_bytes; ++byte) {
    bytes raw(sig->bytes().begin(), sig->bytes().end());
    raw[byte] ^= 0x01;
    auto tampered = signature::from_bytes(raw);
    REQUIRE(tampered.ok());
    CHECK_FALSE(verify_signature(dealer.public_key, ctx, as_bytes(message), *tampered).ok());
  }
}

TEST_CASE("sign: keys and signatures decode with bounds and validity checks") {
  seeded_random rng{76};
  const auto pair = sign_key_pair::generate(rng);
  auto pk = sign_public_key::from_bytes(pair.public_key.bytes());
  REQUIRE(pk.ok());
  CHECK(*pk == pair.public_key);
  CHECK_FALSE(sign_public_key::from_bytes(bytes(31, 0)).ok());
  // The identity (encoded y = 1) has small order and is refused.
  bytes identity(32, 0);
  identity[0] = 1;
  CHECK_FALSE(sign_public_key::from_bytes(identity).ok());
  CHECK_FALSE(signature::from_bytes(bytes(63, 0)).ok());
  auto restored = sign_key_pair::from_seed(pair.seed_bytes().view());
  REQUIRE(restored.ok());
  CHECK(restored->public_key == pair.public_key);
  CHECK_FALSE(sign_key_pair::from_seed(bytes(16, 0)).ok());
  std::ostringstream os;
  os << pair;
  CHECK(os.str().find("<redacted>") != std::string::npos);
  // Deterministic from a seeded source.
  seeded_random a{77};
  seeded_random b{77};
  CHECK(sign_key_pair::generate(a).public_key == sign_key_pair::generate(b).public_key);
}

TEST_CASE("seal and sign: a dealer seals a sub-share and signs the dealing end to end") {
  seeded_random rng{78};
  const auto dealer = sign_key_pair::generate(rng);
  const auto recipient = box_key_pair::generate(rng);
  const auto ctx = context_bytes(sub_share_context());
  const bytes sub_share_bytes(36, 0x42);
  auto sealed = seal(recipient.public_key, sub_share_bytes, ctx, rng);
  REQUIRE(sealed.ok());
  auto sig = sign(dealer, ctx, *sealed);
  REQUIRE(sig.ok());
  REQUIRE(verify_signature(dealer.public_key, ctx, *sealed, *sig).ok());
  auto opened = open_sealed(recipient, *sealed, ctx);
  REQUIRE(opened.ok());
  CHECK(opened->equals(sub_share_bytes));
}

TEST_CASE("seal_from: only the named sender's key makes a message that opens, for this recipient and context") {
  seeded_random rng{31};
  const auto node = box_key_pair::generate(rng);
  const auto liar = box_key_pair::generate(rng);
  const auto reader = box_key_pair::generate(rng);
  const std::string ad_text = "read/share";
  const bytes ad(ad_text.begin(), ad_text.end());
  auto sealed = seal_from(node, reader.public_key, as_bytes("share"), ad, rng);
  REQUIRE(sealed.ok());
  CHECK(sealed->size() == sealed_overhead_bytes + 5);
  auto opened = open_sealed_from(reader, node.public_key, *sealed, ad);
  REQUIRE(opened.ok());
  CHECK(opened->as_string() == "share");
  // Another member (a lying node) cannot pass its seal off as this node's.
  auto forged = seal_from(liar, reader.public_key, as_bytes("share"), ad, rng);
  REQUIRE(forged.ok());
  CHECK(open_sealed_from(reader, node.public_key, *forged, ad).err().code() == errc::verification_failed);
  // An anonymous seal does not open as a sender's, nor the other way round.
  auto anonymous = seal(reader.public_key, as_bytes("share"), ad, rng);
  CHECK_FALSE(open_sealed_from(reader, node.public_key, *anonymous, ad).ok());
  CHECK_FALSE(open_sealed(reader, *sealed, ad).ok());
  CHECK_FALSE(open_sealed_from(reader, node.public_key, *sealed, as_bytes("other")).ok());
  bytes tampered = *sealed;
  tampered.back() ^= 1;
  CHECK_FALSE(open_sealed_from(reader, node.public_key, tampered, ad).ok());
  CHECK(open_sealed_from(reader, node.public_key, byte_view{*sealed}.first(10), ad).err().code() == errc::malformed);
}

TEST_CASE("seal_with: one ephemeral key seals to several recipients, and each opens only its own") {
  seeded_random rng{74};
  const auto a = box_key_pair::generate(rng);
  const auto b = box_key_pair::generate(rng);
  const auto ad = context_bytes(sub_share_context());
  const auto ephemeral = box_key_pair::generate(rng);
  auto to_a = seal_with(ephemeral, a.public_key, as_bytes(std::string{"share for a"}), ad, rng);
  auto to_b = seal_with(ephemeral, b.public_key, as_bytes(std::string{"share for b"}), ad, rng);
  REQUIRE(to_a.ok());
  REQUIRE(to_b.ok());
  CHECK(open_sealed(a, *to_a, ad)->as_string() == "share for a");
  CHECK(open_sealed(b, *to_b, ad)->as_string() == "share for b");
  CHECK(open_sealed(b, *to_a, ad).err().code() == errc::verification_failed);
  CHECK(open_sealed(a, *to_b, ad).err().code() == errc::verification_failed);
}

TEST_CASE("seal_with: the revealed ephemeral secret opens that message for anyone, and nothing else") {
  seeded_random rng{73};
  const auto recipient = box_key_pair::generate(rng);
  const auto ad = context_bytes(sub_share_context());
  const std::string plaintext = "a disputed chunk";
  const auto ephemeral = box_key_pair::generate(rng);
  auto sealed = seal_with(ephemeral, recipient.public_key, as_bytes(plaintext), ad, rng);
  REQUIRE(sealed.ok());
  // The recipient opens it as any sealed message.
  CHECK(open_sealed(recipient, *sealed, ad)->as_string() == plaintext);
  // Anyone with the ephemeral secret opens it too.
  auto revealed = open_revealed(recipient.public_key, ephemeral.secret_key.view(), *sealed, ad);
  REQUIRE(revealed.ok());
  CHECK(revealed->as_string() == plaintext);
  // Another ephemeral secret, another recipient or another context fails.
  const auto other = box_key_pair::generate(rng);
  CHECK(open_revealed(recipient.public_key, other.secret_key.view(), *sealed, ad).err().code()
        == errc::verification_failed);
  CHECK(open_revealed(other.public_key, ephemeral.secret_key.view(), *sealed, ad).err().code()
        == errc::verification_failed);
  auto other_ad = sub_share_context();
  other_ad.epoch = epoch_id{8};
  CHECK(open_revealed(recipient.public_key, ephemeral.secret_key.view(), *sealed, context_bytes(other_ad))
          .err().code() == errc::verification_failed);
  // A message sealed with another ephemeral key does not open with this one.
  auto plain_seal = seal(recipient.public_key, as_bytes(plaintext), ad, rng);
  REQUIRE(plain_seal.ok());
  CHECK(open_revealed(recipient.public_key, ephemeral.secret_key.view(), *plain_seal, ad).err().code()
        == errc::verification_failed);
  // Bounds: a short message and a short key are refused with a clear error.
  CHECK(!open_revealed(recipient.public_key, ephemeral.secret_key.view(), byte_view{sealed->data(), 10}, ad).ok());
  CHECK(!open_revealed(recipient.public_key, byte_view{sealed->data(), 5}, *sealed, ad).ok());
}
