// Removing a member end to end on the in-test network (docs/refresh.md
// §7.3): the admin's signed request, the record every catalog keeps, the
// refresh that leaves the member out, its Raft removal, and the view without
// it; what is refused before anything changes; and the record in snapshots.
#include <doctest/doctest.h>

#include <algorithm>

#include "crypto/feldman.hpp"
#include "network.hpp"

namespace pss::secrets::testing {
namespace {


committee_change removal_of(std::uint64_t id) {
  return committee_change{committee_change_kind::remove, node_id{id}, std::nullopt, 0};
}


// Every node but `gone` has a view and a Raft configuration without it.
void await_removed(network& net, std::uint64_t gone, std::uint64_t n) {
  net.run_until([&] {
    for (std::uint64_t i = 1; i <= n; ++i) {
      if (i == gone || !net.is_up(node_id{i})) continue;
      if (net.node(i).state().view().find(node_id{gone}) != nullptr) return false;
      if (net.node(i).raft().config().contains(node_id{gone})) return false;
    }
    return true;
  }, millis{30'000});
}

void check_reads(network& net, std::uint64_t first_op) {
  for (std::uint64_t i = 0; i < 3; ++i) {
    auto got = net.get(100, first_op + i, "s" + std::to_string(i));
    REQUIRE_MESSAGE(got.outcome == operation_outcome::ok, got.message);
    CHECK(text_of(*got.value) == "value " + std::to_string(i));
  }
}

} // namespace

TEST_CASE("removal: a refresh leaves the member out, Raft removes it, the view drops it, and every secret reads") {
  network net{5, 3, 81};
  net.elect(1);
  put_three(net); // client 100, the admin
  const epoch_id before = net.node(1).state().view().epoch;
  REQUIRE(net.node(5).seal_keys()->pairs().size() == 1);
  const auto key5 = net.node(5).seal_keys()->pairs().front().keys.secret_key.view();
  const bytes seal5(key5.begin(), key5.end());
  auto done = change_committee(net, 100, 10, removal_of(5));
  REQUIRE_MESSAGE(done.outcome == operation_outcome::ok, done.message);
  CHECK(contains(done.message, "recorded: remove node 5"));
  await_removed(net, 5, 5);
  net.run_for(millis{300});
  const catalog& c = net.node(1).state();
  CHECK(c.view().members.size() == 4);
  CHECK_FALSE(c.committee().has_value());
  CHECK(c.stats().members_removed == 1);
  CHECK(c.view().epoch > before); // the refresh that left it out committed first
  for (const auto& [name, rec] : c.secrets())
    for (const auto& [v, version] : rec.versions) {
      CHECK(std::find(version.holders.begin(), version.holders.end(), node_id{5}) == version.holders.end());
      CHECK(version.epoch == c.view().epoch);
    }
  // The leader waited for node 5 to apply the refresh that left it out
  // before Raft removed it: it holds no share at all. (Raft sends it nothing
  // after its removal, so it may never apply that; it knows it is leaving.)
  CHECK(net.node(5).shares().size() == 0);
  const catalog& own = net.node(5).state();
  CHECK((own.leaving() == node_id{5} || own.view().find(node_id{5}) == nullptr));
  // Nothing is sealed to it any more: its sealing keys are gone from its disk.
  CHECK(net.node(5).seal_keys()->pairs().empty());
  CHECK_FALSE(net.disk(5).durable_image_contains(seal5));
  check_reads(net, 20);
  // New puts deal to the four that remain (indices 1..4), and read back.
  auto put = net.put(100, 30, "after", "after the removal");
  REQUIRE_MESSAGE(put.outcome == operation_outcome::ok, put.message);
  auto rec = net.node(1).state().lookup("after", secret_version{});
  REQUIRE(rec.ok());
  CHECK(rec->holders.size() == 4);
  auto got = net.get(100, 31, "after");
  REQUIRE_MESSAGE(got.outcome == operation_outcome::ok, got.message);
  CHECK(text_of(*got.value) == "after the removal");
  net.check();
}

TEST_CASE("removal: the leader can remove itself; a new leader finishes the change") {
  network net{5, 3, 82};
  net.elect(1);
  put_three(net); // client 100, the admin
  auto done = change_committee(net, 100, 10, removal_of(1));
  REQUIRE_MESSAGE(done.outcome == operation_outcome::ok, done.message);
  await_removed(net, 1, 5);
  net.run_for(millis{1'000});
  const node_id leader = net.leader();
  CHECK(leader != no_node);
  CHECK(leader != node_id{1});
  check_reads(net, 20);
  net.check();
}

TEST_CASE("removal: refused before anything changes") {
  network net{4, 3, 83};
  net.elect(1);
  put_three(net); // client 100, the admin
  // 4 members, t = 3: removing one would leave 3, fewer than t+1.
  auto few = change_committee(net, 100, 10, removal_of(4));
  CHECK(few.outcome == operation_outcome::fail);
  CHECK(contains(few.message, "fewer than t+1"));
  auto stranger = change_committee(net, 100, 11, removal_of(9));
  CHECK(stranger.outcome == operation_outcome::fail);
  CHECK(contains(stranger.message, "not a member"));
  auto high = change_committee(net, 100, 12, committee_change{committee_change_kind::threshold, {}, {}, 4});
  CHECK(high.outcome == operation_outcome::fail);
  CHECK(contains(high.message, "t must be 2..3"));
  net.run_for(millis{300});
  for (std::uint64_t i = 1; i <= 4; ++i) {
    CHECK_FALSE(net.node(i).state().committee().has_value());
    CHECK(net.node(i).state().view().members.size() == 4);
  }
  net.check();
}

TEST_CASE("removal: a key without the admin right is refused; a second change waits for the first") {
  network net{6, 3, 84};
  net.elect(1);
  put_three(net);
  client_options o;
  o.identity = test_identity(0xB0B);
  net.add_client(101, o);
  auto nobody = change_committee(net, 101, 10, removal_of(6));
  CHECK(nobody.outcome != operation_outcome::ok);
  CHECK(nobody.error == client_error::not_authorised);
  // Two at once: the second is refused by the leader, or by the catalog.
  net.client(100).change_committee(net.now, 11, removal_of(6));
  net.add_client(102);
  net.client(102).change_committee(net.now, 12, removal_of(5));
  auto first = net.await(100, 11);
  auto second = net.await(102, 12);
  CHECK(first.outcome == operation_outcome::ok);
  CHECK(second.outcome != operation_outcome::ok);
  CHECK(contains(second.message, "another committee change is running"));
  await_removed(net, 6, 6);
  CHECK(net.node(1).state().view().find(node_id{5}) != nullptr);
  net.check();
}

TEST_CASE("removal: the record survives a snapshot, and a node restarted mid-change finishes it") {
  network net{5, 3, 85};
  net.tweak = [](node_id, node_options& o) { o.refresh_interval = millis{0}; };
  for (std::uint64_t id = 1; id <= 5; ++id) net.restart(node_id{id});
  net.elect(1);
  put_three(net); // client 100, the admin
  // Node 2 misses the record and the rest of the change while it is down.
  net.crash(node_id{2});
  auto done = change_committee(net, 100, 10, removal_of(4));
  REQUIRE_MESSAGE(done.outcome == operation_outcome::ok, done.message);
  const catalog& c = net.node(1).state();
  if (c.committee()) {
    auto restored = catalog::restore(c.snapshot());
    REQUIRE(restored.ok());
    CHECK(*restored == c);
    CHECK(restored->leaving() == node_id{4});
  }
  net.restart(node_id{2});
  await_removed(net, 4, 5);
  net.run_for(millis{500});
  CHECK(net.node(2).state().view().find(node_id{4}) == nullptr);
  check_reads(net, 20);
  net.check();
}

} // namespace pss::secrets::testing

namespace pss::secrets::testing {
namespace {

// A newcomer with id `id` and keys of its own (drawn from another seed).
member newcomer(std::uint64_t id, const test_cluster& keys_from) {
  member m = keys_from.view.members.at(id - 1);
  m.index = share_index{};
  return m;
}

bool holds_every_version(network& net, std::uint64_t id) {
  const catalog& c = net.node(1).state();
  return c.missing_for(node_id{id}).empty() && net.node(id).state().view().find(node_id{id}) != nullptr;
}

// The admin adds node 6 (keys from `spare`), whose node is not started:
// Raft has it as a learner that catches up on nothing.
void add_unstarted(network& net, const test_cluster& spare) {
  auto done = change_committee(net, 100, 10, committee_change{committee_change_kind::add, {}, newcomer(6, spare), 0});
  REQUIRE_MESSAGE(done.outcome == operation_outcome::ok, done.message);
  net.run_until([&] { return net.node(1).raft().config().is_learner(node_id{6}); }, millis{10'000});
}

} // namespace

TEST_CASE("add: a new member joins as a learner, recovers every share, becomes a voter, and new puts deal to it") {
  network net{5, 3, 86};
  net.elect(1);
  put_three(net);
  const test_cluster spare = make_test_cluster(6, 3, 8600);
  auto done = change_committee(net, 100, 10, committee_change{committee_change_kind::add, {}, newcomer(6, spare), 0});
  REQUIRE_MESSAGE(done.outcome == operation_outcome::ok, done.message);
  CHECK(contains(done.message, "at index 6"));
  net.start_joining(spare.keys.at(5).clone());
  net.run_until([&] { return net.node(1).raft().config().is_voter(node_id{6}) && !net.node(1).state().committee(); },
                millis{30'000});
  net.run_for(millis{300});
  const catalog& c = net.node(1).state();
  CHECK(c.stats().members_added == 1);
  CHECK(c.view().members.size() == 6);
  CHECK(c.view().find(node_id{6})->index == share_index{6});
  CHECK(c.next_index() == 7);
  CHECK(holds_every_version(net, 6)); // it was promoted only once it held them
  net.add_client(101); // a client that learns the view now deals to six members
  auto put = net.put(101, 30, "after", "dealt to six");
  REQUIRE_MESSAGE(put.outcome == operation_outcome::ok, put.message);
  check_reads(net, 20);
  // Node 6's recovered shares are points of each version's polynomial: with
  // no refresh since they were dealt, each verifies against the version's
  // Feldman commitments at index 6.
  std::size_t verified = 0;
  for (const auto& info : net.node(6).shares().inventory()) {
    auto rec = c.lookup(info.key.name, info.key.version);
    if (!rec.ok() || rec->epoch != rec->dealt_epoch) continue;
    auto commitments = crypto::commitment::decode(rec->commitments, c.view().threshold);
    auto value = net.node(6).shares().share_value(info.key);
    REQUIRE(commitments.ok());
    REQUIRE(value.has_value());
    CHECK(value->index == share_index{6});
    CHECK(commitments->verify(*value).ok());
    ++verified;
  }
  CHECK(verified >= 4); // s0..s2 recovered, "after" dealt to it
  net.check();
}

TEST_CASE("add: removing a newcomer that never came up calls its add off, and the next change runs") {
  network net{5, 3, 89};
  net.elect(1);
  put_three(net);
  add_unstarted(net, make_test_cluster(6, 3, 8900));
  net.run_for(millis{500});
  REQUIRE(net.node(1).state().joining() == node_id{6});
  auto other = change_committee(net, 100, 11, removal_of(4));
  CHECK(other.outcome != operation_outcome::ok);
  CHECK(contains(other.message, "pss member remove --id 6"));
  auto off = change_committee(net, 100, 12, removal_of(6));
  REQUIRE_MESSAGE(off.outcome == operation_outcome::ok, off.message);
  CHECK(contains(off.message, "calls its add off"));
  await_removed(net, 6, 5);
  net.run_for(millis{300});
  const catalog& c = net.node(1).state();
  CHECK_FALSE(c.committee().has_value());
  CHECK(c.view().members.size() == 5);
  CHECK(c.stats().members_added == 0);
  CHECK(c.next_index() == 7); // index 6 is never given again
  check_reads(net, 20);
  auto later = change_committee(net, 100, 13, removal_of(5));
  CHECK_MESSAGE(later.outcome == operation_outcome::ok, later.message);
  net.check();
}

TEST_CASE("add: while a newcomer is down, refreshes and a member's recovery still run") {
  network net{5, 3, 90};
  net.elect(1);
  put_three(net);
  add_unstarted(net, make_test_cluster(6, 3, 9000));
  net.crash(node_id{4});
  refresh_and_wait(net, 1, 0);
  REQUIRE(net.node(1).state().stats().refresh_epochs_committed == 1);
  net.restart(node_id{4});
  net.run_until([&] { return net.node(1).state().stats().recoveries >= 1; }, millis{30'000});
  CHECK(net.node(1).state().stats().recoveries >= 1);
  net.run_for(millis{300});
  CHECK(net.node(1).state().missing_for(node_id{4}).empty());
  check_reads(net, 20);
  net.check();
}

TEST_CASE("replace: the newcomer becomes a voter, then the old member is excluded and removed") {
  network net{5, 3, 87};
  net.elect(1);
  put_three(net);
  const test_cluster spare = make_test_cluster(6, 3, 8700);
  auto done = change_committee(net, 100, 10, committee_change{committee_change_kind::replace, node_id{2}, newcomer(6, spare), 0});
  REQUIRE_MESSAGE(done.outcome == operation_outcome::ok, done.message);
  net.start_joining(spare.keys.at(5).clone());
  await_removed(net, 2, 6);
  net.run_for(millis{300});
  const catalog& c = net.node(1).state();
  CHECK(c.view().members.size() == 5);
  CHECK(c.view().find(node_id{6}) != nullptr);
  CHECK(c.stats().members_added == 1);
  CHECK(c.stats().members_removed == 1);
  CHECK_FALSE(c.committee().has_value());
  CHECK(net.node(2).shares().size() == 0);
  check_reads(net, 20);
  net.check();
}

TEST_CASE("add: refused for an id in use or keys a member has; the newcomer's keys must be its own") {
  network net{5, 3, 88};
  net.elect(1);
  put_three(net);
  const test_cluster spare = make_test_cluster(6, 3, 8800);
  member dup = newcomer(6, spare);
  dup.box_key = net.cluster().view.members.at(2).box_key;
  auto same_key = change_committee(net, 100, 10, committee_change{committee_change_kind::add, {}, dup, 0});
  CHECK(same_key.outcome == operation_outcome::fail);
  CHECK(contains(same_key.message, "box key is node 3's"));
  member taken = newcomer(6, spare);
  taken.id = node_id{4};
  auto in_use = change_committee(net, 100, 11, committee_change{committee_change_kind::add, {}, taken, 0});
  CHECK(in_use.outcome == operation_outcome::fail);
  CHECK(contains(in_use.message, "is a member already"));
  CHECK(net.node(1).state().view().members.size() == 5);
  net.check();
}

} // namespace pss::secrets::testing
