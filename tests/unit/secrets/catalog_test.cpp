// The catalog as a pure state machine: versions, conflicts, tombstones,
// sessions and snapshots.
#include <algorithm>
#include <doctest/doctest.h>

#include "crypto/envelope.hpp"
#include "crypto/feldman.hpp"
#include "secrets/catalog.hpp"

namespace pss::secrets {
namespace {

struct fixture {
  test_cluster tc = make_test_cluster(5, 3, 3);
  catalog c{tc.view, tc.admin.public_key};
  crypto::seeded_random rng{5};
  std::uint64_t index = 0;

  register_secret dealt(const std::string& name) {
    const auto k = crypto::scalar::random_nonzero(rng);
    auto d = crypto::deal(k, 3, 5, rng);
    const crypto::digest256 dealing = d->commitments.digest();
    auto env = crypto::envelope_seal(k, as_bytes("payload"), {tc.view.cluster_id, name, {}, &dealing}, rng);
    return register_secret{name, d->commitments.encode(), env->encode(), tc.view.epoch,
                           {node_id{1}, node_id{2}, node_id{3}, node_id{4}}};
  }

  applied_command apply(std::uint64_t client, std::uint64_t seq, command_body body, std::int64_t at = 0) {
    const command cmd{session_header{client_id{client}, sequence_number{seq}, millis{at}}, std::move(body)};
    return c.apply(raft::entry{term_id{1}, log_index{++index}, raft::entry_kind::command, encode_command(cmd)});
  }
};

TEST_CASE("catalog: a register gets latest+1, and the same dealing again conflicts, naming its version") {
  fixture f;
  const register_secret first = f.dealt("x");
  auto a = f.apply(1, 1, first);
  CHECK(a.result.code == result_code::ok);
  CHECK(a.result.version == secret_version{1});
  REQUIRE(a.effects.registered.has_value());
  CHECK(a.effects.registered->version == secret_version{1});
  auto again = f.apply(1, 2, first); // the same dealing under a new sequence
  CHECK(again.result.code == result_code::conflict);
  CHECK(again.result.version == secret_version{1});
  CHECK(again.result.message.find("already registered as version 1") != std::string::npos);
  CHECK_FALSE(again.effects.registered.has_value());
  auto b = f.apply(1, 3, f.dealt("x"));
  CHECK(b.result.code == result_code::ok);
  CHECK(b.result.version == secret_version{2});
  CHECK(f.c.find("x")->latest == secret_version{2});
  CHECK(f.c.lookup("x", {})->version == secret_version{2});
  CHECK(f.c.lookup("x", secret_version{1}).ok());
}

TEST_CASE("catalog: a retried command is applied once and answered from the session") {
  fixture f;
  auto first = f.apply(7, 1, f.dealt("x"));
  auto retry = f.apply(7, 1, f.dealt("x")); // same session and sequence
  CHECK(first.result.code == result_code::ok);
  CHECK(retry.result == first.result);
  CHECK_FALSE(retry.effects.registered.has_value());
  CHECK(f.c.find("x")->versions.size() == 1);
  CHECK(f.apply(7, 2, delete_secret{"x"}).result.code == result_code::ok);
  CHECK(f.apply(7, 1, f.dealt("x")).result.code == result_code::stale);
  CHECK(f.apply(8, 5, delete_secret{"x"}).result.code == result_code::session_expired);
}

TEST_CASE("catalog: delete tombstones a name and a later put continues its versions") {
  fixture f;
  REQUIRE(f.apply(1, 1, f.dealt("x")).result.code == result_code::ok);
  auto del = f.apply(1, 2, delete_secret{"x"});
  CHECK(del.result.code == result_code::ok);
  CHECK(del.effects.deleted_name == std::optional<std::string>{"x"});
  CHECK(f.c.lookup("x", {}).err().message() == "deleted secret");
  CHECK(f.apply(1, 3, delete_secret{"x"}).result.code == result_code::not_found);
  auto later = f.apply(1, 4, f.dealt("x"));
  CHECK(later.result.code == result_code::ok);
  CHECK(later.result.version == secret_version{2}); // versions continue after a delete
  CHECK_FALSE(f.c.find("x")->deleted);
}

TEST_CASE("catalog: deleted and dropped dealings are remembered, and none is registered again") {
  fixture f;
  auto digest_of = [](const register_secret& r) { return crypto::commitment::decode(r.commitments, 3)->digest(); };
  const register_secret first = f.dealt("x");
  REQUIRE(f.apply(1, 1, first).result.code == result_code::ok);
  CHECK_FALSE(f.c.dealing_retired("x", digest_of(first)));
  REQUIRE(f.apply(1, 2, delete_secret{"x"}).result.code == result_code::ok);
  CHECK(f.c.dealing_retired("x", digest_of(first)));
  CHECK_FALSE(f.c.dealing_retired("y", digest_of(first)));
  auto again = f.apply(1, 3, first);
  CHECK(again.result.code == result_code::invalid);
  CHECK(again.result.message.find("deleted or dropped") != std::string::npos);
  CHECK(f.c.find("x")->deleted);
  // A version dropped past versions_kept_max retires its dealing too.
  const register_secret oldest = f.dealt("y");
  REQUIRE(f.apply(1, 4, oldest).result.code == result_code::ok);
  for (std::uint64_t i = 0; i < versions_kept_max; ++i) REQUIRE(f.apply(1, 5 + i, f.dealt("y")).result.code == result_code::ok);
  CHECK(f.c.dealing_retired("y", digest_of(oldest)));
  // They survive a snapshot.
  auto restored = catalog::restore(f.c.snapshot());
  REQUIRE(restored.ok());
  CHECK(restored->dealing_retired("x", digest_of(first)));
  CHECK(restored->dealing_retired("y", digest_of(oldest)));
  CHECK(*restored == f.c);
}

TEST_CASE("catalog: registers with a wrong epoch, too few member holders, or bad commitments are invalid") {
  fixture f;
  auto r = f.dealt("x");
  r.epoch = epoch_id{9};
  CHECK(f.apply(1, 1, r).result.code == result_code::invalid);
  r = f.dealt("x");
  r.holders = {node_id{1}, node_id{2}, node_id{3}};
  CHECK(f.apply(1, 2, r).result.code == result_code::invalid);
  // A holder the view does not have (a client's view may be older than a
  // removal) is not listed, and does not count.
  r = f.dealt("x");
  r.holders = {node_id{1}, node_id{2}, node_id{3}, node_id{42}};
  CHECK(f.apply(1, 3, r).result.code == result_code::invalid);
  r = f.dealt("x");
  r.commitments.pop_back();
  CHECK(f.apply(1, 4, r).result.code == result_code::invalid);
  CHECK(f.c.find("x") == nullptr);
  r = f.dealt("x");
  r.holders.push_back(node_id{42});
  REQUIRE(f.apply(1, 5, r).result.code == result_code::ok);
  const auto& holders = f.c.find("x")->versions.begin()->second.holders;
  CHECK(std::find(holders.begin(), holders.end(), node_id{42}) == holders.end());
  CHECK(holders.size() == r.holders.size() - 1);
}

TEST_CASE("catalog: only versions_kept_max versions stay readable") {
  fixture f;
  for (std::uint64_t v = 1; v <= versions_kept_max + 2; ++v) {
    auto a = f.apply(1, v, f.dealt("x"));
    REQUIRE(a.result.code == result_code::ok);
    if (v > versions_kept_max) REQUIRE(a.effects.dropped_versions.size() == 1);
  }
  CHECK(f.c.find("x")->versions.size() == versions_kept_max);
  CHECK_FALSE(f.c.lookup("x", secret_version{1}).ok());
}

TEST_CASE("catalog: snapshot and restore round trip, and a restored catalog applies alike") {
  fixture f;
  REQUIRE(f.apply(1, 1, f.dealt("a")).result.code == result_code::ok);
  REQUIRE(f.apply(2, 1, f.dealt("b")).result.code == result_code::ok);
  REQUIRE(f.apply(2, 2, delete_secret{"b"}).result.code == result_code::ok);
  const bytes snap = f.c.snapshot();
  auto restored = catalog::restore(snap);
  REQUIRE(restored.ok());
  CHECK(*restored == f.c);
  CHECK(restored->snapshot() == snap);
  // The session table came along: a retry is still a duplicate.
  const auto next = f.dealt("a");
  const command retry{session_header{client_id{1}, sequence_number{1}, millis{0}}, f.dealt("a")};
  auto again = restored->apply(raft::entry{term_id{1}, log_index{f.index + 1}, raft::entry_kind::command,
                                           encode_command(retry)});
  CHECK(again.result.code == result_code::ok);
  CHECK(restored->find("a")->latest == secret_version{1});
  (void)next;
  // Damaged snapshots are refused, never trusted.
  for (std::size_t cut = 0; cut < snap.size(); cut += 7)
    CHECK_FALSE(catalog::restore(byte_view{snap}.first(cut)).ok());
}

TEST_CASE("catalog: an entry that does not decode is answered invalid and changes nothing") {
  fixture f;
  auto a = f.c.apply(raft::entry{term_id{1}, log_index{1}, raft::entry_kind::command, bytes{1, 2, 3}});
  CHECK(a.result.code == result_code::invalid);
  CHECK_FALSE(a.session.has_value());
  auto noop = f.c.apply(raft::entry{term_id{1}, log_index{2}, raft::entry_kind::noop, {}});
  CHECK(noop.result.code == result_code::ok);
  CHECK(f.c.secrets().empty());
  CHECK(f.c.applied_index() == log_index{2});
}

TEST_CASE("catalog: a rejoin is recorded once, empties the holder lists, and is done only after a removal and a re-promotion") {
  fixture f;
  REQUIRE(f.apply(1, 1, f.dealt("a")).result.code == result_code::ok);
  auto config_entry = [&](std::vector<std::uint64_t> voters, std::vector<std::uint64_t> learners) {
    raft::configuration c;
    for (auto v : voters) c.voters.push_back(node_id{v});
    for (auto l : learners) c.learners.push_back(node_id{l});
    return f.c.apply(raft::entry{term_id{1}, log_index{++f.index}, raft::entry_kind::config, raft::to_bytes(c)});
  };
  const command_body rejoin = member_rejoin{node_id{4}, 99};
  CHECK(f.apply(0, 0, rejoin).result.code == result_code::ok);
  CHECK(f.c.rejoin_recorded(node_id{4}, 99));
  CHECK_FALSE(f.c.rejoin_done(node_id{4}, 99));
  CHECK(f.c.lookup("a", {})->holders == std::vector<node_id>{node_id{1}, node_id{2}, node_id{3}});
  // A duplicate changes nothing; a non-member is refused.
  CHECK(f.apply(0, 0, rejoin).result.code == result_code::invalid);
  CHECK(f.apply(0, 0, member_rejoin{node_id{9}, 1}).result.code == result_code::invalid);
  CHECK(f.c.rejoins().at(node_id{4}).nonces.size() == 1);
  // A configuration that still has it as a voter does not complete it.
  config_entry({1, 2, 3, 4, 5}, {});
  CHECK_FALSE(f.c.rejoins().at(node_id{4}).removed);
  config_entry({1, 2, 3, 5}, {});
  CHECK(f.c.rejoins().at(node_id{4}).removed);
  config_entry({1, 2, 3, 5}, {4});
  CHECK_FALSE(f.c.rejoin_done(node_id{4}, 99));
  // The snapshot keeps the rejoin half-way.
  auto mid = catalog::restore(f.c.snapshot());
  REQUIRE(mid.ok());
  CHECK(*mid == f.c);
  config_entry({1, 2, 3, 4, 5}, {});
  CHECK(f.c.rejoin_done(node_id{4}, 99));
  CHECK(f.c.stats().rejoins == 1);
  CHECK(f.apply(0, 0, rejoin).result.code == result_code::invalid); // stale: recorded
  auto restored = catalog::restore(f.c.snapshot());
  REQUIRE(restored.ok());
  CHECK(*restored == f.c);
  CHECK(restored->rejoin_done(node_id{4}, 99));
}

} // namespace
TEST_CASE("catalog: a shares_lost is applied once per nonce and never takes a version below t holders") {
  fixture f; // t = 3, "a" held by nodes 1 to 4
  REQUIRE(f.apply(1, 1, f.dealt("a")).result.code == result_code::ok);
  CHECK(f.apply(0, 0, shares_lost{node_id{4}, 7}).result.code == result_code::ok);
  CHECK(f.c.lookup("a", {})->holders.size() == 3);
  CHECK(f.c.shares_lost_recorded(node_id{4}, 7));
  // The same declaration again (a resend, or a replay once node 4 holds its
  // shares again) changes nothing.
  CHECK(f.apply(0, 0, shares_lost{node_id{4}, 7}).result.code == result_code::invalid);
  CHECK(f.c.stats().shares_lost_replayed == 1);
  // Node 3 leaving would leave "a" with two holders, fewer than t.
  auto floor = f.apply(0, 0, shares_lost{node_id{3}, 8});
  CHECK(floor.result.code == result_code::invalid);
  CHECK(floor.result.message.find("fewer than t holders") != std::string::npos);
  CHECK(f.c.lookup("a", {})->holders.size() == 3);
  CHECK(f.c.stats().holder_floor_refusals == 1);
  CHECK_FALSE(f.c.shares_lost_recorded(node_id{3}, 8));
  auto restored = catalog::restore(f.c.snapshot());
  REQUIRE(restored.ok());
  CHECK(*restored == f.c);
  CHECK(restored->shares_lost_recorded(node_id{4}, 7));
}

TEST_CASE("catalog: snapshots of the older formats 5 to 11 still restore; unknown formats are refused") {
  fixture f;
  REQUIRE(f.apply(1, 1, f.dealt("a")).result.code == result_code::ok);
  const bytes today = f.c.snapshot(); // format 12
  // Format 12 ends with format 6's shares_lost counters (two u64) and nonces
  // (a u32 count), format 7's retired dealings (a u32 count), format 8's
  // members removed and added (two u64), next share index (a u32: 6 here)
  // and committee change (a presence byte), format 9's thresholds raised (a
  // u64), format 10's seal keys recorded (a u64) and sealing keys (a u32
  // count), format 11's thresholds lowered (a u64) and reshare back-off (a
  // byte), its own keys rotated (a u64) and retired keys (a u32 count), then
  // the round's presence byte.
  REQUIRE(today.size() > 87);
  const std::vector<std::uint8_t> tail(today.end() - 87, today.end());
  for (std::size_t i = 0; i < tail.size(); ++i) {
    CAPTURE(i);
    CHECK(tail[i] == (i == 40 ? 6 : 0)); // the next index, little-endian, at 87 - 47
  }
  const auto as_format = [&](std::uint8_t format, std::size_t dropped) {
    bytes b(today.begin(), today.end() - static_cast<std::ptrdiff_t>(dropped) - 1);
    b.push_back(0); // no round
    b[0] = format;  // the u32 format, little-endian
    return b;
  };
  for (const auto& [format, dropped] : {std::pair{11, 12}, std::pair{10, 21}, std::pair{9, 33}, std::pair{8, 41},
                                        std::pair{7, 62}, std::pair{6, 66}, std::pair{5, 86}}) {
    CAPTURE(format);
    auto restored = catalog::restore(as_format(static_cast<std::uint8_t>(format), dropped));
    REQUIRE(restored.ok());
    CHECK(*restored == f.c);
    CHECK(restored->snapshot() == today); // written again in today's format
  }
  for (std::uint8_t format : {3, 13}) {
    bytes b = today;
    b[0] = format;
    CHECK_FALSE(catalog::restore(b).ok());
  }
}

} // namespace pss::secrets
