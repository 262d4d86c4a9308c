// Sealing keys that rotate (docs/refresh.md §7.9): the seal file, the
// catalog's rules for an announcement, and a cluster that renews every
// member's key at each refresh and erases the old ones from its disks.
#include <doctest/doctest.h>

#include <algorithm>

#include "crypto/sign.hpp"
#include "network.hpp"
#include "storage/sim_disk.hpp"

namespace pss::secrets {
namespace {

using testing::network;

bytes secret_of(const seal_pair& p) { return bytes(p.keys.secret_key.view().begin(), p.keys.secret_key.view().end()); }

seal_announcement announce(const test_cluster& tc, std::size_t signer, node_id node, epoch_id e, std::uint64_t serial,
                           const crypto::box_public_key& key) {
  seal_announcement a{node, e, serial, key, {}};
  auto sig = crypto::sign(tc.keys[signer].sign, round_signature_context(tc.view.cluster_id),
                          signed_part(tc.view.cluster_id, a));
  REQUIRE(sig.ok());
  std::copy(sig->bytes().begin(), sig->bytes().end(), a.signature.begin());
  return a;
}

// An empty keyring in "/d" of a fresh disk.
seal_keyring empty_ring(storage::sim_disk& disk) {
  REQUIRE(storage::ensure_directory(disk, "/d").ok());
  auto ring = seal_keyring::open(disk, "/d");
  REQUIRE(ring.ok());
  CHECK(ring->pairs().empty());
  return std::move(*ring);
}

TEST_CASE("seal keys: the seal file keeps its pairs across a reopen; an erased pair leaves no byte on the disk") {
  storage::sim_disk disk;
  crypto::seeded_random rng{3};
  auto ring = std::optional<seal_keyring>{empty_ring(disk)};
  CHECK(ring->newest() == nullptr);
  auto a = ring->draw(epoch_id{1}, 1, rng);
  REQUIRE(a.ok());
  const bytes old_secret = secret_of(**a);
  const crypto::box_public_key old_key = (*a)->keys.public_key;
  REQUIRE(ring->draw(epoch_id{2}, 2, rng).ok());
  const bytes new_secret = secret_of(*ring->newest());
  auto again = seal_keyring::open(disk, "/d");
  REQUIRE(again.ok());
  CHECK(again->pairs().size() == 2);
  CHECK(again->newest()->serial == 2);
  CHECK(again->find(old_key) != nullptr);
  CHECK(disk.durable_image_contains(old_secret));
  REQUIRE(ring->keep_only([](const seal_pair& p) { return p.serial == 2; }).ok());
  CHECK_FALSE(disk.durable_image_contains(old_secret));
  CHECK(disk.durable_image_contains(new_secret));
  auto after = seal_keyring::open(disk, "/d");
  REQUIRE(after.ok());
  CHECK(after->pairs().size() == 1);
  CHECK(after->find(old_key) == nullptr);
}

TEST_CASE("seal keys: a damaged or cut seal file is refused, saying so") {
  storage::sim_disk disk;
  crypto::seeded_random rng{4};
  seal_keyring ring = empty_ring(disk);
  REQUIRE(ring.draw(epoch_id{1}, 1, rng).ok());
  auto data = disk.read_file("/d/seal", 1024);
  REQUIRE(data.ok());
  CHECK(decode_seal_file(*data).ok());
  bytes flipped = *data;
  flipped[20] ^= 1;
  auto damaged = decode_seal_file(flipped);
  REQUIRE_FALSE(damaged.ok());
  CHECK(damaged.err().message().find("damaged") != std::string::npos);
  REQUIRE(storage::write_file_atomically(disk, "/d/seal", flipped).ok());
  auto reopened = seal_keyring::open(disk, "/d");
  REQUIRE_FALSE(reopened.ok());
  CHECK(reopened.err().message().find("/d/seal") != std::string::npos);
  CHECK_FALSE(decode_seal_file(byte_view{*data}.first(10)).ok());
}

struct fixture {
  test_cluster tc = make_test_cluster(5, 3, 9);
  catalog c{tc.view, tc.admin.public_key};
  crypto::seeded_random rng{11};
  std::uint64_t index = 0;
  applied_command apply(command_body body) {
    const command cmd{session_header{}, std::move(body)};
    return c.apply(raft::entry{term_id{1}, log_index{++index}, raft::entry_kind::command, encode_command(cmd)});
  }
};

TEST_CASE("seal keys: the catalog records a member's signed key for its epoch and refuses the rest, saying why") {
  fixture f;
  const epoch_id e = f.tc.view.epoch;
  const auto k1 = crypto::box_key_pair::generate(f.rng).public_key;
  CHECK(f.c.sealing_key(node_id{2}) == f.tc.view.find(node_id{2})->box_key); // none recorded: the identity key
  auto ok = f.apply(announce(f.tc, 1, node_id{2}, e, 1, k1));
  CHECK(ok.result.code == result_code::ok);
  CHECK(ok.effects.seal_key_recorded);
  CHECK(f.c.sealing_key(node_id{2}) == k1);
  CHECK(f.c.stats().seal_keys_recorded == 1);
  const auto refused = [&](seal_announcement a, const std::string& why) {
    auto r = f.apply(std::move(a));
    CHECK(r.result.code == result_code::invalid);
    CHECK_MESSAGE(r.result.message.find(why) != std::string::npos, r.result.message);
  };
  const auto k2 = crypto::box_key_pair::generate(f.rng).public_key;
  refused(announce(f.tc, 1, node_id{2}, e, 1, k2), "no newer");                 // a replay of serial 1
  refused(announce(f.tc, 1, node_id{2}, e.next(), 2, k2), "epoch");             // not the view's epoch
  refused(announce(f.tc, 2, node_id{2}, e, 2, k2), "not signed by node 2");     // node 3 signs for node 2
  refused(announce(f.tc, 1, node_id{2}, e, seal_serial_max + 1, k2), "serial out of range");
  refused(announce(f.tc, 1, node_id{9}, e, 1, k2), "not a member");
  // A member may announce another's public key (it opens nothing with it);
  // refusing it would let a lying leader front-run an honest announcement.
  CHECK(f.apply(announce(f.tc, 3, node_id{4}, e, 1, k2)).result.code == result_code::ok);
  CHECK(f.c.sealing_key(node_id{2}) == k1);
  // A round fixes the keys it began with; a later announcement is for the next.
  REQUIRE(f.apply(round_begin{round_kind::refresh, 1, {}}).result.code == result_code::ok);
  REQUIRE(f.apply(announce(f.tc, 1, node_id{2}, e, 2, k2)).result.code == result_code::ok);
  CHECK(f.c.sealing_key(node_id{2}) == k2);
  CHECK(f.c.round()->sealing_key(f.c.view(), node_id{2}) == k1);
  CHECK(f.c.round()->sealing_key(f.c.view(), node_id{3}) == f.tc.view.find(node_id{3})->box_key);
  auto restored = catalog::restore(f.c.snapshot());
  REQUIRE(restored.ok());
  CHECK(*restored == f.c);
  // A wiped member rejoins: its lost key is sealed to no more (the identity
  // key until it announces), and its serial stays, so the old one is not taken again.
  REQUIRE(f.apply(member_rejoin{node_id{2}, 5}).result.code == result_code::ok);
  CHECK(f.c.sealing_key(node_id{2}) == f.tc.view.find(node_id{2})->box_key);
  CHECK_FALSE(announcement_signed(f.c.view(), f.c.seal_keys().at(node_id{2})));
  refused(announce(f.tc, 1, node_id{2}, e, 2, k2), "no newer");
  CHECK(f.apply(announce(f.tc, 1, node_id{2}, e, 3, k1)).result.code == result_code::ok);
}

TEST_CASE("seal keys: each refresh renews every member's key, the old ones leave the disks, and secrets still read") {
  network net{5, 3, 41};
  net.elect(1);
  net.add_client(100);
  net.run_for(millis{1'000});
  REQUIRE(net.node(1).state().seal_keys().size() == 5);
  std::map<std::uint64_t, bytes> first;
  for (std::uint64_t i = 1; i <= 5; ++i) {
    const auto* ring = net.node(i).seal_keys();
    REQUIRE(ring != nullptr);
    REQUIRE(ring->pairs().size() == 1);
    first[i] = secret_of(ring->pairs().front());
    CHECK(net.node(1).state().sealing_key(node_id{i}) == ring->pairs().front().keys.public_key);
  }
  auto put = net.put(100, 1, "a", "before");
  REQUIRE_MESSAGE(put.outcome == operation_outcome::ok, put.message);
  testing::refresh_and_wait(net, 1, 0);
  net.run_for(node_options{}.seal_key_grace + millis{1'000});
  for (std::uint64_t i = 1; i <= 5; ++i) {
    CAPTURE(i);
    const auto* ring = net.node(i).seal_keys();
    CHECK(ring->pairs().size() == 1);
    const auto rec = net.node(i).state().seal_keys().find(node_id{i});
    REQUIRE(rec != net.node(i).state().seal_keys().end());
    CHECK(rec->second.serial == 2);
    CHECK(net.node(i).counters().seal_keys_erased == 1);
    // A read of this disk now opens nothing sealed to the member before.
    CHECK_FALSE(net.disk(i).durable_image_contains(first[i]));
  }
  auto later = net.put(100, 2, "b", "after");
  REQUIRE_MESSAGE(later.outcome == operation_outcome::ok, later.message);
  for (const char* name : {"a", "b"}) {
    auto got = net.get(100, name[0] == 'a' ? 3 : 4, name);
    REQUIRE_MESSAGE(got.outcome == operation_outcome::ok, got.message);
  }
  net.check();
}

} // namespace
} // namespace pss::secrets
