// The client checks every reply (docs/access.md, "The client's checks"): a
// reply counts only from the node it asked, t comes from the cluster file,
// and a record must be the version asked for or, for the latest, no older
// than a version this client saw acknowledged; a put's acknowledgement must
// name the version it dealt. One lying node can make a read fail, never
// return a wrong value.
#include <doctest/doctest.h>

#include "network.hpp"

namespace pss::secrets {
namespace {

using testing::in_flight;
using testing::network;

// Replaces the first read_response the client receives with `forge(reply)`,
// sent from `as` (the node asked, unless a test says otherwise).
void forge_next_read(network& net, std::function<void(read_response&)> forge, std::optional<node_id> as = {},
                     bool keep_original = false) {
  auto done = std::make_shared<bool>(false);
  net.drop_if = [&net, forge, as, keep_original, done](const in_flight& m) {
    if (*done || m.to.is_node() || m.type() != message_type::read_response) return false;
    auto decoded = decode_wire_message(m.payload);
    if (!decoded.ok()) return false;
    read_response r = std::get<read_response>(*decoded);
    if (!r.record) return false;
    *done = true;
    forge(r);
    net.inject(as ? endpoint::of(*as) : m.from, m.to, encode(wire_message{r}));
    if (keep_original) net.inject(m.from, m.to, m.payload);
    return true;
  };
}

TEST_CASE("client: a latest read older than a version this client saw acknowledged fails, never returns the old value") {
  network net;
  net.elect(1);
  net.add_client(1);
  REQUIRE(net.put(1, 1, "x", "one").outcome == operation_outcome::ok);
  REQUIRE(net.put(1, 2, "x", "two").outcome == operation_outcome::ok);
  const version_record v1 = net.node(1).state().lookup("x", secret_version{1}).value();
  forge_next_read(net, [&](read_response& r) {
    r.record = v1;
    r.latest = secret_version{1};
  });
  auto got = net.get(1, 3, "x");
  CHECK(got.outcome == operation_outcome::fail);
  CHECK(got.error == client_error::verification_failed);
  CHECK(got.message.find("saw version 2") != std::string::npos);
  CHECK_FALSE(got.value.has_value());
  net.drop_if = nullptr;
  auto again = net.get(1, 4, "x");
  REQUIRE(again.outcome == operation_outcome::ok);
  CHECK(testing::text_of(*again.value) == "two");
}

TEST_CASE("client: a record of another version than the one asked for is refused") {
  network net;
  net.elect(1);
  net.add_client(1);
  REQUIRE(net.put(1, 1, "x", "one").outcome == operation_outcome::ok);
  REQUIRE(net.put(1, 2, "x", "two").outcome == operation_outcome::ok);
  const version_record v2 = net.node(1).state().lookup("x", secret_version{2}).value();
  forge_next_read(net, [&](read_response& r) { r.record = v2; });
  auto got = net.get(1, 3, "x", secret_version{1});
  CHECK(got.error == client_error::verification_failed);
  CHECK(got.message.find("not the version asked for") != std::string::npos);
}

TEST_CASE("client: a reply from a node it did not ask is ignored, and t never comes from a reply") {
  network net;
  net.elect(1);
  net.add_client(1);
  REQUIRE(net.put(1, 1, "x", "one").outcome == operation_outcome::ok);
  REQUIRE(net.put(1, 2, "x", "two").outcome == operation_outcome::ok);
  const version_record v1 = net.node(1).state().lookup("x", secret_version{1}).value();
  // Node 4, not asked, answers first with an old record and t = 1; the
  // leader's own answer follows.
  forge_next_read(net, [&](read_response& r) {
    r.record = v1;
    r.threshold = 1;
  }, node_id{4}, true);
  const auto stale_before = net.client(1).counters().stale_responses;
  auto got = net.get(1, 3, "x");
  REQUIRE(got.outcome == operation_outcome::ok);
  CHECK(testing::text_of(*got.value) == "two");
  CHECK(got.answered >= 3);
  CHECK(net.client(1).counters().stale_responses > stale_before);
  // The node asked says t = 1: the client still waits for t = 3 shares.
  forge_next_read(net, [](read_response& r) { r.threshold = 1; });
  auto read = net.get(1, 4, "x");
  REQUIRE(read.outcome == operation_outcome::ok);
  CHECK(read.answered >= 3);
}

// A member in a newer epoch refuses the store; the client deals again
// rather than leave it off the holder list, even with a quorum in hand.
TEST_CASE("client: a store refused from a newer epoch makes the put deal again, and every member is listed") {
  network net;
  net.elect(1);
  net.add_client(1);
  auto done = std::make_shared<bool>(false);
  net.drop_if = [&net, done](const in_flight& m) {
    if (*done || m.from != endpoint::of(node_id{5}) || m.type() != message_type::store_share_response) return false;
    auto decoded = decode_wire_message(m.payload);
    if (!decoded.ok()) return false;
    store_share_response r = std::get<store_share_response>(*decoded);
    *done = true;
    r.code = reply_code::conflict;
    r.reason = "node 5: the share is for epoch 1 but this node is in epoch 2";
    r.epoch = r.epoch.next();
    net.inject(m.from, m.to, encode(wire_message{r}));
    return true;
  };
  auto put = net.put(1, 1, "x", "one");
  REQUIRE_MESSAGE(put.outcome == operation_outcome::ok, put.message);
  CHECK(net.client(1).counters().redeals == 1);
  CHECK(put.answered == 5);
  CHECK(net.node(1).state().lookup("x", {})->holders.size() == 5);
}

// The catalog numbers a put's version, so the client has only the leader's
// word for it; but a version can only grow, and one at or below a version
// this client saw of the name is a lie it can see.
TEST_CASE("client: a put acknowledged with a version not above one the client saw is unknown, not ok") {
  network net;
  net.elect(1);
  net.add_client(1);
  REQUIRE(net.put(1, 1, "x", "one").outcome == operation_outcome::ok);
  auto done = std::make_shared<bool>(false);
  net.drop_if = [&net, done](const in_flight& m) {
    if (*done || m.to.is_node() || m.type() != message_type::propose_response) return false;
    auto decoded = decode_wire_message(m.payload);
    if (!decoded.ok()) return false;
    propose_response p = std::get<propose_response>(*decoded);
    *done = true;
    p.result.version = secret_version{1}; // the leader lies about what it registered
    net.inject(m.from, m.to, encode(wire_message{p}));
    return true;
  };
  auto put = net.put(1, 2, "x", "two");
  CHECK(put.outcome == operation_outcome::unknown);
  CHECK(put.error == client_error::verification_failed);
  CHECK_MESSAGE(put.message.find("acknowledged version 1 of x, not above version 1 this client saw") != std::string::npos,
                put.message);
  net.drop_if = nullptr;
  auto read = net.get(1, 3, "x");
  REQUIRE(read.outcome == operation_outcome::ok);
  CHECK(read.version == secret_version{2}); // it did commit: unknown was the honest answer
  CHECK(testing::text_of(*read.value) == "two");
}

TEST_CASE("client: a sealing key its member did not sign is ignored, so a lying node cannot collect another's share") {
  network net;
  net.elect(1);
  net.add_client(1);
  net.run_for(millis{1'000}); // every member's sealing key is recorded
  REQUIRE(net.node(1).state().seal_keys().contains(node_id{2}));
  crypto::seeded_random rng{77};
  const crypto::box_key_pair thief = crypto::box_key_pair::generate(rng);
  bool forged = false;
  std::vector<store_share_request> to_node2;
  net.drop_if = [&](const in_flight& m) {
    if (m.to == endpoint::of(node_id{2}) && m.type() == message_type::store_share_request) {
      auto q = access::decode_signed_request_wire(m.payload);
      REQUIRE(q.ok());
      auto decoded = decode_wire_message(q->body);
      REQUIRE(decoded.ok());
      to_node2.push_back(std::get<store_share_request>(*decoded));
      return false;
    }
    if (forged || m.to.is_node() || m.type() != message_type::get_view_response) return false;
    auto decoded = decode_wire_message(m.payload);
    REQUIRE(decoded.ok());
    auto r = std::get<get_view_response>(*decoded);
    for (auto& a : r.seal_keys)
      if (a.node == node_id{2}) a.key = thief.public_key; // node 2's signature no longer covers it
    forged = true;
    net.inject(m.from, m.to, encode(wire_message{r}));
    return true;
  };
  auto put = net.put(1, 1, "x", "one");
  REQUIRE_MESSAGE(put.outcome == operation_outcome::ok, put.message);
  REQUIRE(forged);
  REQUIRE_FALSE(to_node2.empty());
  const cluster_view& view = net.node(1).state().view();
  for (const auto& q : to_node2) {
    auto c = crypto::commitment::decode(q.commitments, view.threshold);
    REQUIRE(c.ok());
    auto context = share_context_for_store(view.cluster_id, q.epoch, q.name, c->digest(), node_id{2});
    REQUIRE(context.ok());
    CHECK_FALSE(crypto::open_sealed(thief, q.sealed_share, *context).ok());
  }
}

} // namespace
} // namespace pss::secrets
