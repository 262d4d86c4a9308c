#include <doctest/doctest.h>

#include <tuple>

#include "crypto/link.hpp"
#include "crypto/random_source.hpp"

using namespace pss;
using namespace pss::crypto;

namespace {
struct pair_of_nodes {
  seeded_random rng{41};
  box_key_pair a = box_key_pair::generate(rng);
  box_key_pair b = box_key_pair::generate(rng);
  box_key_pair c = box_key_pair::generate(rng);
};

link_key derive(const box_key_pair& self, std::uint64_t self_id, const box_key_pair& peer,
                std::uint64_t peer_id, std::string_view cluster = "cluster-a") {
  auto k = link_key::derive(self, node_id{self_id}, peer.public_key, node_id{peer_id}, cluster);
  REQUIRE(k.ok());
  return std::move(*k);
}
} // namespace

TEST_CASE("link: both ends derive the same key, and a tag verifies at the other end") {
  pair_of_nodes p;
  const bytes payload{1, 2, 3, 4};
  const link_key at_a = derive(p.a, 1, p.b, 2);
  const link_key at_b = derive(p.b, 2, p.a, 1);
  const link_tag t = at_a.tag(node_id{1}, node_id{2}, payload);
  CHECK(at_b.verify(node_id{1}, node_id{2}, payload, t));
}

TEST_CASE("link: a third key, another cluster, a changed payload or a reflected tag fail") {
  pair_of_nodes p;
  const bytes payload{9, 8, 7};
  const link_key at_a = derive(p.a, 1, p.b, 2);
  const link_tag t = at_a.tag(node_id{1}, node_id{2}, payload);
  // Node 3 pretending to be node 1 towards node 2: its key with 2 differs.
  const link_key c_with_b = derive(p.c, 1, p.b, 2);
  CHECK_FALSE(derive(p.b, 2, p.a, 1).verify(node_id{1}, node_id{2}, payload,
                                            c_with_b.tag(node_id{1}, node_id{2}, payload)));
  CHECK_FALSE(derive(p.b, 2, p.a, 1, "cluster-b").verify(node_id{1}, node_id{2}, payload, t));
  bytes changed = payload;
  changed[1] ^= 1;
  const link_key at_b = derive(p.b, 2, p.a, 1);
  CHECK_FALSE(at_b.verify(node_id{1}, node_id{2}, changed, t));
  // The same tag does not pass as a message from 2 to 1.
  CHECK_FALSE(at_a.verify(node_id{2}, node_id{1}, payload, t));
  // A truncated tag is refused.
  CHECK_FALSE(at_b.verify(node_id{1}, node_id{2}, payload, byte_view{t.data(), 31}));
}

TEST_CASE("client link: the member and the client derive the same key; another member key, client or cluster does not") {
  pair_of_nodes p; // a: the member's static key, b: the client's ephemeral key, c: an impostor's
  const bytes payload{5, 6, 7};
  auto member = link_key::derive_for_client(p.a, p.b.public_key, true, node_id{1}, 77, "cluster-a");
  auto client = link_key::derive_for_client(p.b, p.a.public_key, false, node_id{1}, 77, "cluster-a");
  REQUIRE(member.ok());
  REQUIRE(client.ok());
  const link_tag t = member->tag(node_id{1}, node_id{77}, payload);
  CHECK(client->verify(node_id{1}, node_id{77}, payload, t));
  // An impostor at member 1's address, with a key of its own: the client,
  // which derived its key from member 1's pinned key, refuses its tags.
  auto impostor = link_key::derive_for_client(p.c, p.b.public_key, true, node_id{1}, 77, "cluster-a");
  REQUIRE(impostor.ok());
  CHECK_FALSE(client->verify(node_id{1}, node_id{77}, payload, impostor->tag(node_id{1}, node_id{77}, payload)));
  // Another client id, member id or cluster gives another key.
  const std::tuple<std::uint64_t, std::uint64_t, std::string_view> others[] = {
    {1, 78, "cluster-a"}, {2, 77, "cluster-a"}, {1, 77, "cluster-b"}};
  for (const auto& [member_id, client_id, cluster] : others) {
    auto other = link_key::derive_for_client(p.a, p.b.public_key, true, node_id{member_id}, client_id, cluster);
    REQUIRE(other.ok());
    CHECK_FALSE(client->verify(node_id{1}, node_id{77}, payload, other->tag(node_id{1}, node_id{77}, payload)));
  }
  // A node link key between the same two box keys is not a client link key.
  CHECK_FALSE(client->verify(node_id{1}, node_id{77}, payload, derive(p.a, 1, p.b, 77).tag(node_id{1}, node_id{77}, payload)));
}

TEST_CASE("link session: messages pass in order; a replay, an old session or a reflected message is refused") {
  pair_of_nodes p;
  const link_key at_a = derive(p.a, 1, p.b, 2);
  const link_key at_b = derive(p.b, 2, p.a, 1);
  const link_nonces first{11, 22};
  link_session a{at_a, node_id{1}, node_id{2}, first};
  link_session b{at_b, node_id{2}, node_id{1}, first};
  const bytes m1{1}, m2{2}, m3{3};
  const auto s1 = a.next(m1);
  const auto s2 = a.next(m2);
  CHECK(s1.counter == 1);
  CHECK(s2.counter == 2);
  CHECK(b.accept(s1.counter, m1, s1.tag));
  CHECK_FALSE(b.accept(s1.counter, m1, s1.tag)); // replayed
  CHECK(b.replays_refused() == 1);
  CHECK_FALSE(b.accept(s2.counter + 1, m2, s2.tag)); // a counter the tag does not cover
  CHECK_FALSE(b.accept(s2.counter, m3, s2.tag));     // another payload
  CHECK(b.accept(s2.counter, m2, s2.tag));
  // Reflected back at its sender: the direction is under the tag.
  CHECK_FALSE(a.accept(s2.counter, m2, s2.tag));
  // A new session (the acceptor's fresh nonce): what the old one carried is refused.
  link_session b2{at_b, node_id{2}, node_id{1}, link_nonces{11, 23}};
  CHECK_FALSE(b2.accept(s1.counter, m1, s1.tag));
  CHECK(b2.replays_refused() == 0); // not a replay in this session: it does not authenticate at all
  link_session a2{at_a, node_id{1}, node_id{2}, link_nonces{11, 23}};
  const auto fresh = a2.next(m3);
  CHECK(b2.accept(fresh.counter, m3, fresh.tag));
}
