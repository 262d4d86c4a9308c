// The engines under faults: nodes down, unreachable, lying, crashing, wiped;
// leaders crashing mid-put; hostile payloads; and the rule that no share
// ever reaches the Raft log, a snapshot or another node.
#include <doctest/doctest.h>

#include <algorithm>

#include "network.hpp"
#include "storage/data_dir.hpp"

namespace pss::secrets::testing {
namespace {

bool contains(const bytes& hay, byte_view needle) {
  return std::search(hay.begin(), hay.end(), needle.begin(), needle.end()) != hay.end();
}

TEST_CASE("secrets: a node down during put still gives a successful put and get") {
  network net;
  net.elect(1);
  net.add_client(100);
  net.crash(node_id{5});
  auto put = net.put(100, 1, "s", "value");
  REQUIRE_MESSAGE(put.outcome == operation_outcome::ok, put.message);
  CHECK(put.answered == 4);
  auto got = net.get(100, 2, "s");
  REQUIRE_MESSAGE(got.outcome == operation_outcome::ok, got.message);
  CHECK(text_of(*got.value) == "value");
  // The catalog names the four holders only.
  auto rec = net.node(1).state().lookup("s", {});
  REQUIRE(rec.ok());
  CHECK(rec->holders.size() == 4);
  CHECK(std::find(rec->holders.begin(), rec->holders.end(), node_id{5}) == rec->holders.end());
  net.check();
}

TEST_CASE("secrets: a put that reaches fewer than t+1 nodes fails and says how many answered") {
  network net;
  net.elect(1);
  net.add_client(100);
  for (std::uint64_t i = 3; i <= 5; ++i) net.cut(endpoint::of(client_id{100}), endpoint::of(node_id{i}));
  auto put = net.put(100, 1, "s", "value");
  CHECK(put.outcome == operation_outcome::fail);
  CHECK(put.error == client_error::too_few_nodes);
  CHECK(put.answered == 2);
  CHECK(put.message.find("2 of 5") != std::string::npos);
  // Nothing was registered, and the pending shares are collected later.
  CHECK(net.node(1).state().find("s") == nullptr);
  CHECK(net.node(1).shares().size() == 1);
  net.heal();
  net.run_for(pending_share_lifetime + millis{1'000});
  CHECK(net.node(1).shares().size() == 0);
  CHECK(net.node(2).shares().size() == 0);
}

TEST_CASE("secrets: a node that returns a bad share is named and skipped") {
  network net;
  net.test_only[node_id{2}].corrupt_read_shares = true;
  net.crash(node_id{2});
  net.restart(node_id{2});
  net.elect(1);
  net.add_client(100);
  REQUIRE(net.put(100, 1, "s", "value").outcome == operation_outcome::ok);
  auto got = net.get(100, 2, "s");
  REQUIRE_MESSAGE(got.outcome == operation_outcome::ok, got.message);
  CHECK(text_of(*got.value) == "value");
  REQUIRE(got.bad_nodes == std::vector<node_id>{node_id{2}});

  // With two more holders unreachable, the bad share leaves too few: the
  // failure names the node.
  net.cut(endpoint::of(client_id{100}), endpoint::of(node_id{4}));
  net.cut(endpoint::of(client_id{100}), endpoint::of(node_id{5}));
  auto short_read = net.get(100, 3, "s");
  CHECK(short_read.outcome == operation_outcome::fail);
  CHECK(short_read.error == client_error::verification_failed);
  CHECK(short_read.message.find("node 2") != std::string::npos);
  CHECK(short_read.bad_nodes == std::vector<node_id>{node_id{2}});
  // It was asked once more before the read failed: a liar stays a liar.
  CHECK(net.client(100).counters().share_reasks == 1);
}

TEST_CASE("secrets: a read with exactly t reachable holders asks again a holder whose answer was damaged once") {
  network net;
  net.elect(1);
  net.add_client(100);
  REQUIRE(net.put(100, 1, "s", "value").outcome == operation_outcome::ok);
  net.cut(endpoint::of(client_id{100}), endpoint::of(node_id{4}));
  net.cut(endpoint::of(client_id{100}), endpoint::of(node_id{5}));
  // Node 2's first share reply arrives with one byte flipped.
  bool damaged = false;
  net.drop_if = [&](const in_flight& m) {
    if (damaged || m.from != endpoint::of(node_id{2}) || m.type() != message_type::get_share_response) return false;
    auto reply = decode_wire_message(m.payload);
    REQUIRE(reply.ok());
    auto& share = std::get<get_share_response>(*reply);
    if (share.code != reply_code::ok) return false;
    damaged = true;
    share.sealed_share.at(share.sealed_share.size() / 2) ^= 0x01;
    net.inject(m.from, m.to, encode(*reply));
    return true;
  };
  auto got = net.get(100, 2, "s");
  REQUIRE(damaged);
  REQUIRE_MESSAGE(got.outcome == operation_outcome::ok, got.message);
  CHECK(text_of(*got.value) == "value");
  CHECK(net.client(100).counters().share_reasks == 1);
}

TEST_CASE("secrets: a share of another epoch is refused, never combined") {
  network net;
  net.test_only[node_id{3}].claim_next_epoch = true;
  net.crash(node_id{3});
  net.restart(node_id{3});
  net.elect(1);
  net.add_client(100);
  REQUIRE(net.put(100, 1, "s", "value").outcome == operation_outcome::ok);
  auto got = net.get(100, 2, "s");
  REQUIRE_MESSAGE(got.outcome == operation_outcome::ok, got.message);
  CHECK(text_of(*got.value) == "value");
  CHECK(got.bad_nodes == std::vector<node_id>{node_id{3}});
  bool reported = false;
  for (const auto& e : net.events) reported |= e.find("node 3 returned a share of epoch 2") != std::string::npos;
  CHECK(reported);
}

TEST_CASE("secrets: two clients putting one name at once both succeed, with versions 1 and 2, and no re-deal") {
  network net;
  net.elect(1);
  net.add_client(100);
  net.add_client(200);
  net.client(100).put(net.now, 1, "shared", value_of("from 100"));
  net.client(200).put(net.now, 1, "shared", value_of("from 200"));
  net.flush_client(100);
  net.flush_client(200);
  auto a = net.await(100, 1);
  auto b = net.await(200, 1);
  REQUIRE_MESSAGE(a.outcome == operation_outcome::ok, a.message);
  REQUIRE_MESSAGE(b.outcome == operation_outcome::ok, b.message);
  CHECK(a.version != b.version);
  CHECK(std::max(a.version, b.version) == secret_version{2});
  CHECK(net.client(100).counters().redeals + net.client(200).counters().redeals == 0); // the catalog numbered them
  const std::string last = a.version > b.version ? "from 100" : "from 200";
  CHECK(text_of(*net.get(100, 2, "shared").value) == last);
  net.run_for(millis{200});
  for (std::uint64_t i = 1; i <= 5; ++i) CHECK(net.node(i).shares().size() == 2);
}

// A store that arrives after its put finished, and after a delete erased
// the version it got, must not bring a share of the deleted secret back.
TEST_CASE("secrets: a late store of a deleted dealing is refused, and no share of it comes back") {
  network net;
  net.elect(1);
  net.add_client(100);
  std::optional<in_flight> held;
  net.drop_if = [&](const in_flight& m) {
    if (held || m.to != endpoint::of(node_id{5}) || m.type() != message_type::store_share_request) return false;
    held = m; // node 5's store is late: the put goes on with four holders
    return true;
  };
  auto put = net.put(100, 1, "x", "v");
  REQUIRE(put.outcome == operation_outcome::ok);
  REQUIRE(held.has_value());
  net.drop_if = nullptr;
  net.client(100).remove(net.now, 2, "x");
  REQUIRE(net.await(100, 2).outcome == operation_outcome::ok);
  net.run_for(millis{100});
  const std::uint64_t refused = net.node(5).counters().shares_refused;
  std::string reason;
  net.drop_if = [&](const in_flight& m) {
    if (m.from != endpoint::of(node_id{5}) || m.type() != message_type::store_share_response) return false;
    auto decoded = decode_wire_message(m.payload);
    if (decoded.ok()) reason = std::get<store_share_response>(*decoded).reason;
    return false;
  };
  net.inject(held->from, held->to, held->payload);
  net.run_for(millis{100});
  CHECK(net.node(5).counters().shares_refused == refused + 1);
  CHECK(net.node(5).shares().size() == 0);
  CHECK_MESSAGE(reason.find("node 5: this dealing was registered and has since been deleted or dropped") != std::string::npos, reason);
}

TEST_CASE("secrets: a duplicated request is dropped as a replay; a retried register is applied once") {
  network net;
  net.elect(1);
  net.add_client(100);
  net.duplicate_client_messages = true; // every request arrives twice: the copy is a replay
  bool lose_answer = true;              // and the first ok propose answer is lost: the client retries
  net.drop_if = [&](const in_flight& m) {
    if (!lose_answer || m.type() != message_type::propose_response) return false;
    auto decoded = decode_wire_message(m.payload);
    if (!decoded.ok() || std::get<propose_response>(*decoded).code != reply_code::ok) return false; // a replay's refusal
    lose_answer = false;
    return true;
  };
  auto put = net.put(100, 1, "s", "v");
  REQUIRE(put.outcome == operation_outcome::ok);
  CHECK(put.version == secret_version{1});
  net.run_for(millis{200});
  // The retry is signed anew, so it passes the replay cache: two register
  // entries were committed, the second answered from the session. Every
  // duplicated copy was dropped by the request guard before Raft saw it.
  std::uint64_t replays = 0;
  for (std::uint64_t i = 1; i <= 5; ++i) replays += net.node(i).counters().unauthorized;
  CHECK(replays >= 5);
  std::size_t registers = 0;
  for (const auto& e : net.node(1).persisted().entries) {
    auto c = e.kind == raft::entry_kind::command ? decode_command(e.data) : result<command>{error{errc::not_found, ""}};
    if (c.ok() && std::holds_alternative<register_secret>(c->body)) ++registers;
  }
  CHECK(registers == 2);
  const secret_record* s = net.node(1).state().find("s");
  REQUIRE(s != nullptr);
  CHECK(s->latest == secret_version{1});
  CHECK(s->versions.size() == 1);
  CHECK(net.client(100).counters().stale_responses >= 1);
}

TEST_CASE("secrets: a crashed node restarts from its disk and serves reads again") {
  network net{5, 3, 11, 4}; // snapshots every 4 entries
  net.elect(1);
  net.add_client(100);
  for (std::uint64_t i = 0; i < 6; ++i)
    REQUIRE(net.put(100, i + 1, "s" + std::to_string(i), "v" + std::to_string(i)).outcome == operation_outcome::ok);
  net.crash(node_id{3});
  const millis before = net.now;
  auto down = net.put(100, 10, "while-down", "x");
  REQUIRE(down.outcome == operation_outcome::ok);
  // No put waits put_ack_timeout for a dead node: the four acks are a
  // quorum at once, and the fifth gets store_grace_min.
  CHECK(net.now - before >= store_grace_min);
  CHECK(net.now - before < store_grace_min + millis{100});
  CHECK(store_grace_min < put_ack_timeout_default / 2);
  CHECK(down.answered == 4);
  net.restart(node_id{3});
  net.run_for(millis{3'000});
  CHECK(net.node(3).state() == net.node(1).state());
  // It missed "while-down" and recovered it from the others (HJKY).
  CHECK(net.node(3).shares().size() == 7);
  CHECK(net.node(1).state().stats().recoveries == 1);
  CHECK(net.node(1).state().lookup("while-down", secret_version{1})->holders.size() == 5);
  // Reads that need node 3: two others are unreachable.
  net.cut(endpoint::of(client_id{100}), endpoint::of(node_id{4}));
  net.cut(endpoint::of(client_id{100}), endpoint::of(node_id{5}));
  auto got = net.get(100, 11, "s2");
  REQUIRE_MESSAGE(got.outcome == operation_outcome::ok, got.message);
  CHECK(text_of(*got.value) == "v2");
  net.check();
}

TEST_CASE("secrets: a lagging node catches up from a catalog snapshot without any share") {
  network net{5, 3, 12, 4};
  net.tweak = [](node_id, node_options& o) { o.auto_recover = false; };
  net.elect(1);
  net.add_client(100);
  net.crash(node_id{5});
  for (std::uint64_t i = 0; i < 8; ++i)
    REQUIRE(net.put(100, i + 1, "s" + std::to_string(i), "v").outcome == operation_outcome::ok);
  net.run_for(millis{200});
  REQUIRE(net.node(1).raft().log().snapshot_index() > log_index{1});
  net.restart(node_id{5});
  net.run_for(millis{1'000});
  CHECK(net.node(5).state() == net.node(1).state());
  CHECK(net.node(5).shares().size() == 0); // a snapshot carries no shares
  net.check();
}

TEST_CASE("secrets: a wiped node refuses to start and says why") {
  network net;
  net.elect(1);
  net.crash(node_id{4});
  net.disk(4).wipe();
  auto opened = net.open_node(node_id{4}, false);
  REQUIRE(!opened.ok());
  CHECK(opened.err().code() == errc::not_found);
  CHECK(opened.err().message().find("wiped") != std::string::npos);
  // With both directories empty a wiped node looks exactly like a new one,
  // so first_start must be set only on a member's very first start.
}

TEST_CASE("secrets: a node whose share journal is gone leaves the holder lists and recovers its shares") {
  network net;
  net.elect(1);
  net.add_client(100);
  for (std::uint64_t i = 0; i < 4; ++i)
    REQUIRE(net.put(100, i + 1, "s" + std::to_string(i), "v" + std::to_string(i)).outcome == operation_outcome::ok);
  net.run_for(millis{100});
  REQUIRE(net.node(2).shares().size() == 4);
  std::vector<bytes> before;
  for (const auto& info : net.node(2).shares().inventory()) {
    auto v = net.node(2).shares().share_value(info.key);
    before.emplace_back(v->value.bytes().begin(), v->value.bytes().end());
  }
  net.crash(node_id{2});
  auto& disk = net.disk(2);
  REQUIRE(disk.remove("/data/shares/journal").ok());
  REQUIRE(disk.remove("/data/shares/identity").ok());
  REQUIRE(disk.sync_directory("/data/shares").ok());
  net.restart(node_id{2});
  net.run_until([&] { return net.node(1).state().stats().recoveries >= 1; }, millis{20'000});
  net.run_for(millis{200});
  // The recovered shares are exactly the lost ones, and node 2 holds again.
  REQUIRE(net.node(2).shares().size() == 4);
  std::size_t i = 0;
  for (const auto& info : net.node(2).shares().inventory()) {
    auto v = net.node(2).shares().share_value(info.key);
    CHECK(bytes(v->value.bytes().begin(), v->value.bytes().end()) == before[i++]);
    CHECK(net.node(1).state().lookup(info.key.name, info.key.version)->holders.size() == 5);
  }
  net.check();
}

TEST_CASE("secrets: a leader crash in the middle of a put still completes it once") {
  network net;
  net.elect(1);
  net.add_client(100);
  // The members' sealing key announcements are proposals too: let them in first.
  net.run_until([&] { return net.node(1).state().seal_keys().size() == 5; }, millis{5'000});
  const std::uint64_t before = net.node(1).counters().proposals;
  net.client(100).put(net.now, 1, "s", value_of("survives"));
  net.flush_client(100);
  // Run until the register is proposed to the leader, then crash it.
  net.run_until([&] { return net.node(1).counters().proposals > before; }, millis{5'000});
  REQUIRE(net.node(1).counters().proposals == before + 1);
  net.crash(node_id{1});
  auto put = net.await(100, 1);
  REQUIRE_MESSAGE(put.outcome == operation_outcome::ok, put.message);
  CHECK(put.version == secret_version{1});
  net.restart(node_id{1});
  auto got = net.get(100, 2, "s");
  REQUIRE_MESSAGE(got.outcome == operation_outcome::ok, got.message);
  CHECK(text_of(*got.value) == "survives");
  net.run_for(millis{300});
  CHECK(net.node(1).state().find("s")->latest == secret_version{1});
  net.check();
}

TEST_CASE("secrets: no share appears in any Raft entry, snapshot, Raft file or event") {
  network net{5, 3, 13, 3};
  net.elect(1);
  net.add_client(100);
  for (std::uint64_t i = 0; i < 5; ++i)
    REQUIRE(net.put(100, i + 1, "s" + std::to_string(i), "v").outcome == operation_outcome::ok);
  net.client(100).remove(net.now, 9, "s0");
  REQUIRE(net.await(100, 9).outcome == operation_outcome::ok);
  net.run_for(millis{300});
  const auto replicated = net.replicated_bytes();
  std::size_t shares_checked = 0;
  for (std::uint64_t i = 1; i <= 5; ++i) {
    for (const auto& info : net.node(i).shares().inventory()) {
      auto share = net.node(i).shares().share_value(info.key);
      REQUIRE(share.has_value());
      ++shares_checked;
      for (const auto& blob : replicated) CHECK_FALSE(contains(blob, share->value.bytes()));
      const std::string hex = to_hex(share->value.bytes());
      const std::string raw{share->value.bytes().begin(), share->value.bytes().end()};
      for (const auto& ev : net.events) {
        CHECK(ev.find(hex) == std::string::npos);
        CHECK(ev.find(raw) == std::string::npos);
      }
      // The scan can fail: the share is in this node's own journal.
      CHECK(net.disk(i).durable_image_contains(share->value.bytes()));
    }
  }
  CHECK(shares_checked == 20);
  CHECK(net.events.size() > 20); // the events were really searched
}

TEST_CASE("secrets: a delete erases the shares from the durable disk image") {
  network net;
  net.elect(1);
  net.add_client(100);
  REQUIRE(net.put(100, 1, "doomed", "v").outcome == operation_outcome::ok);
  net.run_for(millis{200});
  std::vector<bytes> values;
  for (std::uint64_t i = 1; i <= 5; ++i)
    for (const auto& info : net.node(i).shares().inventory()) {
      auto s = net.node(i).shares().share_value(info.key);
      values.emplace_back(s->value.bytes().begin(), s->value.bytes().end());
      CHECK(net.disk(i).durable_image_contains(values.back()));
    }
  REQUIRE(values.size() == 5);
  net.client(100).remove(net.now, 2, "doomed");
  REQUIRE(net.await(100, 2).outcome == operation_outcome::ok);
  net.run_for(millis{200});
  for (std::uint64_t i = 1; i <= 5; ++i) {
    CHECK(net.node(i).shares().size() == 0);
    for (const auto& v : values) CHECK_FALSE(net.disk(i).durable_image_contains(v));
  }
}

TEST_CASE("secrets: malformed and forged payloads are dropped and counted") {
  network net;
  net.elect(1);
  net.add_client(100);
  const endpoint client = endpoint::of(client_id{100});
  const endpoint stranger = endpoint::of(client_id{666});
  const endpoint n1 = endpoint::of(node_id{1});
  prng junk{99};
  for (int i = 0; i < 200; ++i) {
    bytes b(junk.below(64));
    for (auto& x : b) x = static_cast<std::uint8_t>(junk.next_u64());
    if (!b.empty()) b[0] = static_cast<std::uint8_t>(1 + junk.below(20));
    net.inject(stranger, n1, b);
    net.inject(n1, client, b);
  }
  net.inject(stranger, n1, {});
  // Raft traffic from a client, and Raft traffic claiming another sender.
  raft::envelope forged{node_id{2}, node_id{1}, raft::heartbeat{}};
  net.inject(stranger, n1, encode(wire_message{raft_message{forged}}));
  net.inject(endpoint::of(node_id{3}), n1, encode(wire_message{raft_message{forged}}));
  // A response sent to a node, and a request sent to a client.
  net.inject(stranger, n1, encode(wire_message{store_share_response{1, reply_code::ok, "x", epoch_id{1}}}));
  net.inject(n1, client, encode(wire_message{get_view_request{1}}));
  net.run_for(millis{50});
  const auto& c = net.node(1).counters();
  CHECK(c.malformed >= 150);
  CHECK(c.unknown_sender == 2);
  CHECK(c.unexpected == 1);
  CHECK(net.client(100).counters().malformed >= 150);
  CHECK(net.client(100).counters().stale_responses + net.client(100).counters().unexpected >= 1);
  // Still works.
  REQUIRE(net.put(100, 1, "s", "v").outcome == operation_outcome::ok);
  net.check();
}

} // namespace
} // namespace pss::secrets::testing

namespace pss::secrets::testing {
namespace {

// Hands one store_share_request straight to node 1 and decodes its answer.
// Sends the request to node 1 signed by `signer`, or unsigned without one.
store_share_response store_at_node1(network& net, const store_share_request& req,
                                    const std::shared_ptr<const crypto::sign_key_pair>& signer = admin_identity) {
  bytes payload = encode(wire_message{req});
  if (signer) {
    static std::uint64_t signed_so_far = 0;
    crypto::seeded_random nonce{++signed_so_far};
    auto q = access::sign_request(*signer, net.cluster().view.cluster_id, node_id{1},
                                  test_wall_clock_offset + static_cast<access::unix_ms>(net.now.count()), 60'000,
                                  std::move(payload), nonce);
    REQUIRE(q.ok());
    payload = access::encode_signed_request(*q);
  }
  net.node(1).on_message(net.now, endpoint::of(client_id{300}), payload);
  net.node(1).on_flush(net.now); // an ack waits for the audit log's sync
  auto out = net.node(1).take_output();
  for (const auto& m : out.messages) {
    if (m.to != endpoint::of(client_id{300})) continue;
    auto decoded = decode_wire_message(m.payload);
    REQUIRE(decoded.ok());
    return std::get<store_share_response>(*decoded);
  }
  FAIL("node 1 did not answer");
  return {};
}

TEST_CASE("secrets: a node refuses a faulty dealer's share and names itself") {
  network net;
  net.elect(1);
  const cluster_view& view = net.cluster().view;
  crypto::seeded_random rng{77};
  auto dealt = crypto::deal(crypto::scalar::random_nonzero(rng), 3, 5, rng);
  REQUIRE(dealt.ok());
  const digest dealing = dealt->commitments.digest();
  digest other_dealing = dealing;
  other_dealing[0] ^= 1;
  // sealed_version 1: sealed for this dealing; anything else: for another.
  auto request_for = [&](const crypto::share& s, node_id sealed_to, secret_version sealed_version) {
    store_share_request req;
    req.request_id = 1;
    req.name = "x";
    req.epoch = view.epoch;
    req.commitments = dealt->commitments.encode();
    auto ctx = share_context_for_store(view.cluster_id, view.epoch, "x",
                                       sealed_version == secret_version{1} ? dealing : other_dealing, sealed_to);
    secure_bytes plain = crypto::encode_share(s);
    req.sealed_share = *crypto::seal(view.find(sealed_to)->box_key, plain.view(), *ctx, rng);
    return req;
  };
  crypto::share wrong = dealt->shares[0];
  wrong.value += crypto::scalar::one();
  auto bad = store_at_node1(net, request_for(wrong, node_id{1}, secret_version{1}));
  CHECK(bad.code == reply_code::verification_failed);
  CHECK(bad.reason.find("node 1") != std::string::npos);
  CHECK(store_at_node1(net, request_for(dealt->shares[1], node_id{1}, secret_version{1})).code
        == reply_code::refused); // another node's index
  // A share that does not open is a conflict: the client learns the view
  // (and the sealing keys) again and deals again.
  const auto elsewhere = store_at_node1(net, request_for(dealt->shares[0], node_id{2}, secret_version{1}));
  CHECK(elsewhere.code == reply_code::conflict); // sealed to node 2
  CHECK(elsewhere.reason.find("does not open") != std::string::npos);
  CHECK(store_at_node1(net, request_for(dealt->shares[0], node_id{1}, secret_version{2})).code
        == reply_code::conflict); // sealed for another dealing
  const auto stranger = store_at_node1(net, request_for(dealt->shares[0], node_id{1}, secret_version{1}),
                                       test_identity(0x57));
  CHECK(stranger.code == reply_code::unauthorized);
  CHECK(stranger.reason.find("not_allowed") != std::string::npos);
  const auto unsigned_request = store_at_node1(net, request_for(dealt->shares[0], node_id{1}, secret_version{1}), nullptr);
  CHECK(unsigned_request.code == reply_code::unauthorized);
  CHECK(unsigned_request.reason.find("must be signed") != std::string::npos);
  CHECK(net.node(1).shares().size() == 0);
  CHECK(net.node(1).counters().shares_refused == 4);
  CHECK(net.node(1).counters().unauthorized == 2);
  auto good = store_at_node1(net, request_for(dealt->shares[0], node_id{1}, secret_version{1}));
  CHECK(good.code == reply_code::ok);
  CHECK(net.node(1).shares().size() == 1);
}

} // namespace
} // namespace pss::secrets::testing
