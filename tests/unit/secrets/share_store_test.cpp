// The private share store: durable before ack, replay, promotion, erasure
// that reaches the disk, and a catalog-driven reconcile.
#include <doctest/doctest.h>

#include "core/prng.hpp"
#include <sstream>

#include "crypto/envelope.hpp"
#include "crypto/feldman.hpp"
#include "secrets/share_store.hpp"
#include "storage/journal.hpp"
#include "storage/sim_disk.hpp"

namespace pss::secrets {
namespace {

const storage::data_dir_identity identity{"c", node_id{1}};

std::unique_ptr<share_store> open(storage::sim_disk& disk, bool first) {
  auto s = share_store::open(disk, "/shares", identity,
                             first ? storage::open_mode::initialise : storage::open_mode::existing);
  REQUIRE(s.ok());
  return std::move(*s);
}

crypto::share some_share(std::uint64_t seed) {
  crypto::seeded_random rng{seed};
  return crypto::share{share_index{1}, crypto::scalar::random_nonzero(rng)};
}

TEST_CASE("share store: a stored share survives a crash and replays") {
  storage::sim_disk disk;
  auto store = open(disk, true);
  const share_key key{"x", secret_version{1}, epoch_id{1}, {}};
  const auto s = some_share(1);
  REQUIRE(store->store_pending(key, s, millis{5}).ok());
  store.reset();
  prng p{1};
  disk.crash(p);
  auto again = open(disk, false);
  REQUIRE(again->size() == 1);
  CHECK(again->share_value(key)->value == s.value);
  CHECK(again->inventory()[0].state == share_state::pending);
}

TEST_CASE("share store: reconcile promotes registered shares and erases conflicting ones from disk") {
  auto tc = make_test_cluster(5, 3, 2);
  catalog c{tc.view, tc.admin.public_key};
  crypto::seeded_random rng{3};
  auto d = crypto::deal(crypto::scalar::random_nonzero(rng), 3, 5, rng);
  register_secret reg{"x", d->commitments.encode(), {}, tc.view.epoch,
                      {node_id{1}, node_id{2}, node_id{3}, node_id{4}}};
  const digest dealing = d->commitments.digest();
  crypto::envelope_context ctx{tc.view.cluster_id, "x", {}, &dealing};
  reg.ciphertext = crypto::envelope_seal(crypto::scalar::one(), as_bytes("p"), ctx, rng)->encode();
  const command cmd{session_header{client_id{1}, sequence_number{1}, millis{0}}, reg};
  REQUIRE(c.apply(raft::entry{term_id{1}, log_index{1}, raft::entry_kind::command, encode_command(cmd)})
            .result.code == result_code::ok);

  storage::sim_disk disk;
  auto store = open(disk, true);
  const share_key winner{"x", secret_version{1}, tc.view.epoch, d->commitments.digest()};
  const share_key loser{"x", secret_version{1}, tc.view.epoch, digest{9}};
  const share_key future{"x", secret_version{2}, tc.view.epoch, digest{}};
  const auto lost = some_share(7);
  REQUIRE(store->store_pending(winner, d->shares[0], millis{0}).ok());
  REQUIRE(store->store_pending(loser, lost, millis{0}).ok());
  REQUIRE(store->store_pending(future, some_share(8), millis{0}).ok());
  CHECK(disk.durable_image_contains(lost.value.bytes()));
  store->reconcile(c);
  REQUIRE(store->flush().ok());
  CHECK(store->size() == 2);
  CHECK(store->find_live("x", secret_version{1}, tc.view.epoch, d->commitments.digest()) != nullptr);
  CHECK_FALSE(disk.durable_image_contains(lost.value.bytes()));

  // Pending shares past their lifetime go; live ones stay.
  store->collect_garbage(c, pending_share_lifetime + millis{1});
  REQUIRE(store->flush().ok());
  CHECK(store->size() == 1);
  store.reset();
  auto again = open(disk, false);
  CHECK(again->size() == 1);
  CHECK(again->inventory()[0].state == share_state::live);
}

// A client's share arrives before its version exists: it waits as version
// 0, named by its dealing, and moves to the version the catalog gives that
// dealing; the move survives a crash (or is redone by the next reconcile),
// and a late copy of the same store is dropped, not kept twice.
TEST_CASE("share store: a dealt share moves to the version its register got, across a crash") {
  auto tc = make_test_cluster(5, 3, 2);
  catalog c{tc.view, tc.admin.public_key};
  crypto::seeded_random rng{4};
  auto register_one = [&](std::uint64_t seq, crypto::dealing& d) {
    const digest dealing = d.commitments.digest();
    register_secret reg{"x", d.commitments.encode(), {}, tc.view.epoch, {node_id{1}, node_id{2}, node_id{3}, node_id{4}}};
    crypto::envelope_context ctx{tc.view.cluster_id, "x", {}, &dealing};
    reg.ciphertext = crypto::envelope_seal(crypto::scalar::one(), as_bytes("p"), ctx, rng)->encode();
    const command cmd{session_header{client_id{1}, sequence_number{seq}, millis{0}}, reg};
    return c.apply(raft::entry{term_id{1}, log_index{seq}, raft::entry_kind::command, encode_command(cmd)});
  };
  auto first = crypto::deal(crypto::scalar::random_nonzero(rng), 3, 5, rng);
  auto second = crypto::deal(crypto::scalar::random_nonzero(rng), 3, 5, rng);
  REQUIRE(register_one(1, *first).result.version == secret_version{1});

  storage::sim_disk disk;
  auto store = open(disk, true);
  const share_key dealt{"x", secret_version{}, tc.view.epoch, second->commitments.digest()};
  REQUIRE(store->store_pending(dealt, second->shares[0], millis{0}).ok());
  store->reconcile(c);
  CHECK(store->inventory()[0].key.version == secret_version{}); // not registered yet: it waits
  store->collect_garbage(c, millis{1});
  CHECK(store->size() == 1);
  REQUIRE(register_one(2, *second).result.version == secret_version{2});
  store->reconcile(c, &dealt.name);
  REQUIRE(store->size() == 1);
  CHECK(store->find_live("x", secret_version{2}, tc.view.epoch, dealt.commitments_digest) != nullptr);
  CHECK(store->dealing_value("x", tc.view.epoch, dealt.commitments_digest)->value == second->shares[0].value);

  // A late copy of the same store: dropped at the next reconcile.
  REQUIRE(store->store_pending(dealt, second->shares[0], millis{0}).ok());
  CHECK(store->size() == 2);
  store->reconcile(c, &dealt.name);
  CHECK(store->size() == 1);
  REQUIRE(store->flush().ok());

  // After a crash the journal replays the store, the move and the copy; one
  // reconcile leaves one live share at version 2.
  store.reset();
  prng p{7};
  disk.crash(p);
  auto again = open(disk, false);
  again->reconcile(c);
  REQUIRE(again->size() == 1);
  CHECK(again->inventory()[0].key.version == secret_version{2});
  CHECK(again->inventory()[0].state == share_state::live);
  CHECK(again->find_live("x", secret_version{2}, tc.view.epoch, dealt.commitments_digest)->value.value
        == second->shares[0].value);
}

TEST_CASE("share store: a round's share replaces another origin's under its key, and its round survives a replay") {
  storage::sim_disk disk;
  auto store = open(disk, true);
  const share_key key{"x", secret_version{1}, epoch_id{2}, {}};
  const auto stale = some_share(1);
  const auto fresh = some_share(2);
  REQUIRE(store->store_round_share(key, stale, millis{0}, 4).ok()); // an aborted round's
  REQUIRE(store->store_round_share(key, fresh, millis{1}, 5).ok()); // the next round, same target epoch
  REQUIRE(store->store_round_share(key, stale, millis{2}, 5).ok()); // a repeat of round 5 changes nothing
  REQUIRE(store->flush().ok());
  CHECK(store->share_value(key)->value == fresh.value);
  CHECK_FALSE(disk.durable_image_contains(stale.value.bytes()));
  store.reset();
  prng p{1};
  disk.crash(p);
  auto again = open(disk, false);
  CHECK(again->share_value(key)->value == fresh.value);
  // The replayed share still knows its round: the same round is a no-op.
  REQUIRE(again->store_round_share(key, stale, millis{3}, 5).ok());
  CHECK(again->share_value(key)->value == fresh.value);
}

TEST_CASE("share store: clients fill at most their half, one key at most its quota; rounds keep the rest") {
  storage::sim_disk disk;
  auto store = open(disk, true);
  store->set_limits(share_limits{8, 4, 2});
  const share_owner flood{1}, other{2};
  auto key = [](std::uint64_t v) { return share_key{"x", secret_version{v}, epoch_id{1}, {}}; };
  REQUIRE(store->store_pending(key(1), some_share(1), millis{0}, true, flood).ok());
  REQUIRE(store->store_pending(key(2), some_share(2), millis{0}, true, flood).ok());
  auto third = store->store_pending(key(3), some_share(3), millis{0}, true, flood);
  REQUIRE_FALSE(third.ok());
  CHECK(third.err().code() == errc::too_large);
  CHECK(third.err().message().find("too many pending shares") != std::string::npos);
  // Another key still stores, up to the clients' half of the store.
  REQUIRE(store->store_pending(key(4), some_share(4), millis{0}, true, other).ok());
  REQUIRE(store->store_pending(key(5), some_share(5), millis{0}, true, other).ok());
  auto full = store->store_pending(key(6), some_share(6), millis{0}, true, share_owner{3});
  REQUIRE_FALSE(full.ok());
  CHECK(full.err().message().find("half is kept for refresh rounds") != std::string::npos);
  CHECK(store->size() == 4);
  // A round still has the other half, then the store is full for it too.
  for (std::uint64_t v = 1; v <= 4; ++v)
    REQUIRE(store->store_round_share(share_key{"x", secret_version{v}, epoch_id{2}, {}}, some_share(10 + v),
                                     millis{1}, 7).ok());
  auto over = store->store_round_share(share_key{"y", secret_version{1}, epoch_id{2}, {}}, some_share(20), millis{1}, 7);
  REQUIRE_FALSE(over.ok());
  CHECK(over.err().code() == errc::too_large);
  // A pending share that leaves (erased by garbage collection) frees its key's quota.
  REQUIRE(store->flush().ok());
  auto tc = make_test_cluster(5, 3, 2);
  store->collect_garbage(catalog{tc.view, tc.admin.public_key}, millis{0} + pending_share_lifetime + millis{1});
  REQUIRE(store->flush().ok());
  store->set_limits(share_limits{64, 32, 2});
  CHECK(store->store_pending(key(7), some_share(7), pending_share_lifetime + millis{2}, true, flood).ok());
}

TEST_CASE("share store: a share prints redacted") {
  held_share h{share_state::live, millis{0}, some_share(1)};
  std::ostringstream os;
  os << h;
  CHECK(os.str() == "held_share{<redacted>}");
}

} // namespace
} // namespace pss::secrets

namespace pss::secrets {
namespace {

// A record as an older pss wrote it: kind 1 (op_put), no round id.
bytes old_put_record(const share_key& key, const crypto::share& s) {
  byte_writer w;
  w.u8(1);
  w.str(key.name);
  w.u64(key.version.value());
  w.u64(key.epoch.value());
  w.raw(key.commitments_digest);
  w.u8(static_cast<std::uint8_t>(share_state::live));
  w.u64(7);
  w.raw(crypto::encode_share(s).view());
  return w.take();
}

TEST_CASE("share store: a share under the longest name is written, synced and replayed") {
  storage::sim_disk disk;
  auto store = open(disk, true);
  const share_key key{std::string(secret_name_bytes_max, 'n'), secret_version{1}, epoch_id{1}, {}};
  const auto s = some_share(4);
  REQUIRE(store->store_pending(key, s, millis{5}).ok());
  store.reset();
  auto again = open(disk, false);
  REQUIRE(again->size() == 1);
  CHECK(again->share_value(key)->value == s.value);
}

TEST_CASE("share store: a journal record of the older put format still replays; a damaged one is corrupt") {
  const share_key key{"old", secret_version{2}, epoch_id{3}, {}};
  const auto s = some_share(9);
  for (const bool damage : {false, true}) {
    storage::sim_disk disk;
    {
      auto j = storage::open_journal(disk, "/shares", identity, storage::open_mode::initialise);
      REQUIRE(j.ok());
      bytes record = old_put_record(key, s);
      if (damage) record[record.size() - crypto::share_encoded_bytes - 9] = 3; // the state byte
      REQUIRE(j->journal->append(record).ok());
      REQUIRE(j->journal->sync().ok());
    }
    auto store = share_store::open(disk, "/shares", identity, storage::open_mode::existing);
    if (damage) {
      REQUIRE_FALSE(store.ok());
      CHECK(store.err().code() == errc::corrupt);
      continue;
    }
    REQUIRE(store.ok());
    REQUIRE((*store)->size() == 1);
    CHECK((*store)->share_value(key)->value == s.value);
    CHECK((*store)->inventory()[0].state == share_state::live);
  }
}

} // namespace
} // namespace pss::secrets
