#include <doctest/doctest.h>

#include <algorithm>

#include "access/signed_request.hpp"
#include "crypto/random_source.hpp"

using namespace pss;
using namespace pss::access;

namespace {

struct fixture {
  crypto::seeded_random rng{11};
  crypto::sign_key_pair client = crypto::sign_key_pair::generate(rng);
  crypto::sign_key_pair stranger = crypto::sign_key_pair::generate(rng);

  signed_request make(node_id target = node_id{2}, bytes body = {17, 'g', 'e', 't'}) {
    return sign_request(client, "cluster-a", target, 1'000'000, 60'000, std::move(body), rng).value();
  }
};

} // namespace

TEST_CASE("access: a signed request verifies for its cluster and round-trips through its encoding") {
  fixture f;
  const signed_request q = f.make();
  CHECK(q.expires_at == 1'060'000);
  CHECK(verify_request_signature(q, "cluster-a").ok());
  const bytes wire = encode_signed_request(q);
  CHECK(wire[0] == signed_request_tag);
  auto back = decode_signed_request(wire);
  REQUIRE(back.ok());
  CHECK(back->client == q.client);
  CHECK(back->target == q.target);
  CHECK(back->nonce == q.nonce);
  CHECK(back->body == q.body);
  CHECK(verify_request_signature(*back, "cluster-a").ok());
  CHECK(f.make().nonce != q.nonce); // a fresh nonce per request
}

TEST_CASE("access: the signature covers the cluster, the target, the window, the key and every body byte") {
  fixture f;
  const signed_request q = f.make();
  CHECK_FALSE(verify_request_signature(q, "cluster-b").ok());
  auto retarget = q;
  retarget.target = node_id{3};
  CHECK_FALSE(verify_request_signature(retarget, "cluster-a").ok());
  auto later = q;
  later.expires_at += 1;
  CHECK_FALSE(verify_request_signature(later, "cluster-a").ok());
  auto nonce = q;
  nonce.nonce[0] ^= 1;
  CHECK_FALSE(verify_request_signature(nonce, "cluster-a").ok());
  auto other_key = q;
  other_key.client = f.stranger.public_key;
  CHECK_FALSE(verify_request_signature(other_key, "cluster-a").ok());
  for (std::size_t i = 0; i < q.body.size(); ++i) {
    auto body = q;
    body.body[i] ^= 0x80;
    CHECK_FALSE(verify_request_signature(body, "cluster-a").ok());
  }
}

TEST_CASE("access: sign_request refuses empty or oversized bodies and bad lifetimes") {
  fixture f;
  CHECK_FALSE(sign_request(f.client, "c", node_id{1}, 0, 1000, {}, f.rng).ok());
  CHECK_FALSE(sign_request(f.client, "c", node_id{1}, 0, 0, {1}, f.rng).ok());
  CHECK_FALSE(sign_request(f.client, "c", node_id{1}, 0, request_lifetime_ms_max + 1, {1}, f.rng).ok());
  CHECK(sign_request(f.client, "c", node_id{1}, 0, request_lifetime_ms_max, {1}, f.rng).ok());
  CHECK_FALSE(sign_request(f.client, "c", node_id{1}, 0, 1000, bytes(request_body_bytes_max + 1, 0), f.rng).ok());
}

TEST_CASE("access: decoding refuses every truncation, a wrong tag and trailing bytes") {
  fixture f;
  const bytes wire = encode_signed_request(f.make());
  for (std::size_t cut = 0; cut < wire.size(); ++cut)
    CHECK_FALSE(decode_signed_request(byte_view{wire.data(), cut}).ok());
  bytes tagged = wire;
  tagged[0] = 1;
  CHECK_FALSE(decode_signed_request(tagged).ok());
  bytes longer = wire;
  longer.push_back(0);
  CHECK_FALSE(decode_signed_request(longer).ok());
  CHECK(request_digest(wire) != request_digest(longer));
}

TEST_CASE("access: the wire decoder leaves the key raw; the full decoder refuses an invalid key") {
  fixture f;
  bytes wire = encode_signed_request(f.make());
  std::fill(wire.begin() + 1, wire.begin() + 1 + crypto::sign_public_key_bytes, 0); // the identity: small order
  auto raw = decode_signed_request_wire(wire);
  REQUIRE(raw.ok());
  CHECK(std::all_of(raw->client.begin(), raw->client.end(), [](std::uint8_t b) { return b == 0; }));
  auto full = decode_signed_request(wire);
  REQUIRE_FALSE(full.ok());
  CHECK(full.err().message().find("not a valid Ed25519 key") != std::string::npos);
}
