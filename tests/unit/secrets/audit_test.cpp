// The audit log (audit/audit_log.hpp) and the node's use of it: a hash chain
// that names a cut or an edit, durability across a crash, and no share
// reply before the record of its release is durable.
#include <doctest/doctest.h>

#include "audit/audit_log.hpp"
#include "network.hpp"
#include "storage/journal.hpp"

namespace pss::secrets {
namespace {

using testing::network;

const storage::data_dir_identity ident{"audit-cluster", node_id{2}};

audit::record sample(std::string name, std::uint64_t at) {
  audit::record r;
  r.at_ms = at;
  r.what = audit::action::share_released;
  r.client.fill(0xC1);
  r.name = std::move(name);
  r.version = 3;
  r.request.fill(0x5E);
  return r;
}

TEST_CASE("audit: records chain from the node's genesis, survive a crash once synced, and reopen at the head") {
  storage::sim_disk disk;
  {
    auto log = audit::log::open(disk, "/data/audit", ident, storage::open_mode::initialise);
    REQUIRE(log.ok());
    CHECK((*log)->append(sample("a", 10)).value() == 1);
    CHECK((*log)->append(sample("b", 11)).value() == 2);
    CHECK((*log)->has_unsynced());
    REQUIRE((*log)->sync().ok());
    CHECK((*log)->append(sample("lost", 12)).value() == 3); // never synced
    auto read = (*log)->read(0, 10);
    REQUIRE(read.ok());
    CHECK(read->size() == 2); // only what is durable is served
    CHECK(audit::verify_chain(*read, audit::genesis(ident.cluster_id, ident.node), 0).ok());
  }
  prng p{4};
  disk.crash(p);
  auto log = audit::log::open(disk, "/data/audit", ident, storage::open_mode::existing);
  REQUIRE(log.ok());
  CHECK((*log)->head_seq() == 2);
  CHECK((*log)->append(sample("c", 13)).value() == 3);
  REQUIRE((*log)->sync().ok());
  auto all = (*log)->read(0, 10);
  REQUIRE(all.ok());
  REQUIRE(all->size() == 3);
  CHECK(all->at(2).name == "c");
  CHECK(audit::verify_chain(*all, audit::genesis(ident.cluster_id, ident.node), 0).ok());
  // Another node's genesis does not start this chain.
  CHECK_FALSE(audit::verify_chain(*all, audit::genesis(ident.cluster_id, node_id{3}), 0).ok());
  // Paging continues the chain.
  auto tail = (*log)->read(1, 10);
  REQUIRE(tail.ok());
  CHECK(audit::verify_chain(*tail, audit::hash_of(all->at(0)), 1).ok());
}

TEST_CASE("audit: an edited, removed or reordered record breaks the chain at that record") {
  std::vector<audit::record> chain;
  audit::digest prev = audit::genesis("c", node_id{1});
  for (std::uint64_t i = 1; i <= 5; ++i) {
    audit::record r = sample("n" + std::to_string(i), 100 + i);
    r.seq = i;
    r.prev = prev;
    prev = audit::hash_of(r);
    chain.push_back(r);
  }
  const audit::digest start = audit::genesis("c", node_id{1});
  REQUIRE(audit::verify_chain(chain, start, 0).ok());
  auto edited = chain;
  edited[2].name = "someone-else";
  CHECK(audit::verify_chain(edited, start, 0).err().message().find("record 4") != std::string::npos);
  auto cut = chain;
  cut.erase(cut.begin() + 1);
  CHECK(audit::verify_chain(cut, start, 0).err().message().find("was cut") != std::string::npos);
  auto swapped = chain;
  std::swap(swapped[1], swapped[2]);
  CHECK_FALSE(audit::verify_chain(swapped, start, 0).ok());
  // A record does not decode with trailing bytes or an unknown action.
  bytes b = audit::encode(chain[0]);
  CHECK(audit::decode_record(b).value() == chain[0]);
  b.push_back(0);
  CHECK_FALSE(audit::decode_record(b).ok());
}

TEST_CASE("audit: a log whose chain was edited on disk (with valid checksums) is refused at open") {
  storage::sim_disk disk;
  {
    auto j = storage::open_journal(disk, "/data/audit", ident, storage::open_mode::initialise);
    REQUIRE(j.ok());
    audit::record first = sample("a", 1);
    first.seq = 1;
    first.prev = audit::genesis(ident.cluster_id, ident.node);
    audit::record second = sample("b", 2);
    second.seq = 2;
    second.prev = audit::hash_of(first);
    first.name = "edited"; // after its successor was chained to it
    REQUIRE(j->journal->append(audit::encode(first)).ok());
    REQUIRE(j->journal->append(audit::encode(second)).ok());
    REQUIRE(j->journal->sync().ok());
  }
  auto log = audit::log::open(disk, "/data/audit", ident, storage::open_mode::existing);
  REQUIRE_FALSE(log.ok());
  CHECK(log.err().code() == errc::corrupt);
  CHECK(log.err().message().find("edited") != std::string::npos);
}

TEST_CASE("audit: a holder releases a share only once the record of its release is durable") {
  network net;
  net.elect(1);
  net.add_client(1);
  REQUIRE(net.put(1, 1, "db", "value").outcome == operation_outcome::ok);
  const std::uint64_t before = net.node(3).audit_log().synced_seq();
  // Hold back node 3's flushes: its share reply must wait with them.
  std::size_t replies_without_flush = 0;
  net.drop_if = [&](const testing::in_flight& m) {
    if (m.from == endpoint::of(node_id{3}) && m.type() == message_type::get_share_response)
      replies_without_flush += net.node(3).audit_log().has_unsynced() ? 1 : 0;
    return false;
  };
  auto got = net.get(1, 2, "db");
  REQUIRE(got.outcome == operation_outcome::ok);
  CHECK(replies_without_flush == 0);
  net.run_for(millis{100});
  auto records = net.node(3).audit_log().read(before, 100);
  REQUIRE(records.ok());
  bool released = false;
  for (const auto& r : *records)
    released |= r.what == audit::action::share_released && r.name == "db" && r.version == 1;
  CHECK(released);
  // The leader recorded the write with the signing key and its outcome.
  auto leader = net.node(1).audit_log().read(0, 100);
  REQUIRE(leader.ok());
  bool registered = false;
  for (const auto& r : *leader)
    registered |= r.what == audit::action::registered && r.name == "db" && r.result == audit::outcome::ok
                  && std::equal(r.client.begin(), r.client.end(), testing::admin_identity->public_key.bytes().begin());
  CHECK(registered);
}

TEST_CASE("audit: a get_share reply is held until on_flush syncs the log") {
  network net;
  net.elect(1);
  net.add_client(1);
  REQUIRE(net.put(1, 1, "db", "value").outcome == operation_outcome::ok);
  net.run_for(millis{100}); // node 2 applies the register
  get_share_request req;
  req.request_id = 42;
  req.name = "db";
  req.version = secret_version{1};
  crypto::seeded_random rng{5};
  const auto reader = crypto::box_key_pair::generate(rng);
  std::copy(reader.public_key.bytes().begin(), reader.public_key.bytes().end(), req.reader_key.begin());
  auto q = access::sign_request(*testing::admin_identity, net.cluster().view.cluster_id, node_id{2},
                                testing::test_wall_clock_offset + static_cast<access::unix_ms>(net.now.count()), 60'000,
                                encode(wire_message{req}), rng);
  REQUIRE(q.ok());
  const std::uint64_t synced = net.node(2).audit_log().synced_seq();
  net.node(2).on_message(net.now, endpoint::of(client_id{9}), access::encode_signed_request(*q));
  auto early = net.node(2).take_output();
  CHECK(early.flush_requested);
  for (const auto& m : early.messages) CHECK(m.to != endpoint::of(client_id{9}));
  CHECK(net.node(2).audit_log().synced_seq() == synced);
  net.node(2).on_flush(net.now);
  CHECK(net.node(2).audit_log().synced_seq() == synced + 1);
  auto late = net.node(2).take_output();
  std::size_t replies = 0;
  for (const auto& m : late.messages) replies += m.to == endpoint::of(client_id{9});
  CHECK(replies == 1);
}

// Stores and writes answer nothing a crash could take back through the audit
// log (the share journal, the Raft log hold them), so their records ride the
// log's next sync: at most audit_sync_lag_max later, or at once on a clean
// stop.
TEST_CASE("audit: a store's ack waits for the share journal, its record for the log's next sync") {
  network net;
  net.elect(1);
  net.add_client(1);
  const std::uint64_t synced = net.node(2).audit_log().synced_seq();
  std::size_t acks_with_record_unsynced = 0;
  net.drop_if = [&](const testing::in_flight& m) {
    if (m.from == endpoint::of(node_id{2}) && m.type() == message_type::store_share_response)
      acks_with_record_unsynced += net.node(2).audit_log().has_unsynced() ? 1 : 0;
    return false;
  };
  REQUIRE(net.put(1, 1, "db", "value").outcome == operation_outcome::ok);
  CHECK(acks_with_record_unsynced == 1); // the ack did not wait for the audit sync
  net.run_for(audit_sync_lag_max + millis{5});
  CHECK_FALSE(net.node(2).audit_log().has_unsynced());
  auto records = net.node(2).audit_log().read(synced, 100);
  REQUIRE(records.ok());
  bool stored = false;
  for (const auto& r : *records) stored |= r.what == audit::action::share_stored && r.name == "db";
  CHECK(stored);
  CHECK(net.node(2).audit_log().synced_seq() > synced);
}

TEST_CASE("audit: a clean stop syncs the records that were waiting") {
  network net;
  net.elect(1);
  net.add_client(1);
  REQUIRE(net.put(1, 1, "db", "value").outcome == operation_outcome::ok);
  // The leader answered the register at once; its record of it waits.
  REQUIRE(net.node(1).audit_log().has_unsynced());
  const std::uint64_t synced = net.node(1).audit_log().synced_seq();
  net.node(1).on_stop(net.now);
  CHECK_FALSE(net.node(1).audit_log().has_unsynced());
  CHECK(net.node(1).audit_log().synced_seq() > synced);
}

} // namespace
} // namespace pss::secrets
