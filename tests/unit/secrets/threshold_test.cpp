// Raising t end to end on the in-test network (docs/refresh.md §7.4): the
// admin's signed request, the `raising` record, the refresh that deals
// polynomials of degree t'-1, puts refused while it runs, and a view with t'
// once it commits; every secret then needs t' shares and reads back.
#include <doctest/doctest.h>

#include <algorithm>

#include "crypto/decode.hpp"
#include "network.hpp"

namespace pss::secrets::testing {
namespace {

committee_change threshold_of(std::uint32_t t) {
  return committee_change{committee_change_kind::threshold, node_id{}, std::nullopt, t};
}



// Every node named has t in its view and no committee change recorded.
void await_threshold_on(network& net, std::uint32_t t, std::vector<std::uint64_t> nodes) {
  net.run_until([&] {
    for (std::uint64_t i : nodes)
      if (net.node(i).state().view().threshold != t || net.node(i).state().committee()) return false;
    return true;
  }, millis{30'000});
  for (std::uint64_t i : nodes) REQUIRE(net.node(i).state().view().threshold == t);
}

void await_threshold(network& net, std::uint32_t t, std::uint64_t n) {
  std::vector<std::uint64_t> all;
  for (std::uint64_t i = 1; i <= n; ++i) all.push_back(i);
  await_threshold_on(net, t, all);
}

// The shares of `name`'s latest version that its holders keep, from their
// stores.
std::vector<crypto::share> held_shares(network& net, const std::string& name) {
  auto rec = net.node(1).state().lookup(name, secret_version{});
  REQUIRE(rec.ok());
  std::vector<crypto::share> out;
  for (node_id h : rec->holders)
    for (const auto& info : net.node(h.value()).shares().inventory())
      if (info.key.name == name && info.key.version == rec->version && info.key.epoch == rec->epoch)
        if (auto v = net.node(h.value()).shares().share_value(info.key)) out.push_back(*v);
  return out;
}

} // namespace

TEST_CASE("threshold: raising t refreshes every secret onto a polynomial of degree t'-1; each still reads") {
  network net{5, 2, 91};
  net.elect(1);
  put_three(net); // client 100, the admin
  const epoch_id before = net.node(1).state().view().epoch;
  auto done = change_committee(net, 100, 10, threshold_of(4));
  REQUIRE_MESSAGE(done.outcome == operation_outcome::ok, done.message);
  CHECK(contains(done.message, "recorded: set t to 4"));
  await_threshold(net, 4, 5);
  const catalog& c = net.node(1).state();
  CHECK(c.view().epoch > before);
  CHECK(c.stats().thresholds_raised == 1);
  for (const auto& [name, rec] : c.secrets())
    for (const auto& [v, version] : rec.versions) {
      CHECK(version.epoch == c.view().epoch);
      CHECK(version.holders.size() >= 4);
    }
  // Three shares of the new epoch no longer rebuild the key; four do, and
  // every four give the same key (degree 3).
  auto shares = held_shares(net, "s0");
  REQUIRE(shares.size() >= 5);
  auto rec = c.lookup("s0", secret_version{});
  REQUIRE(rec.ok());
  auto commitments = version_commitments(*rec, c.view().threshold);
  REQUIRE(commitments.ok());
  CHECK(commitments->threshold() == 2); // what it was dealt with
  const auto& c0 = commitments->constant_term();
  std::vector<crypto::share> three(shares.begin(), shares.begin() + 3);
  CHECK_FALSE(crypto::reconstruct_with_constant(three, 3, c0).ok());
  std::vector<crypto::share> four(shares.begin(), shares.begin() + 4);
  CHECK(crypto::reconstruct_with_constant(four, 4, c0).ok());
  std::vector<crypto::share> other_four(shares.begin() + 1, shares.begin() + 5);
  CHECK(crypto::reconstruct_with_constant(other_four, 4, c0).ok());
  // A client whose cluster file pins the old t refuses the cluster, and
  // says how to take the change in.
  client_options pinned;
  pinned.expected_members = net.cluster().view;
  net.add_client(101, pinned);
  auto stale = net.get(101, 1, "s0");
  CHECK(stale.outcome == operation_outcome::fail);
  CHECK_MESSAGE(contains(stale.message, "cluster-file --update"), stale.message);
  CHECK(contains(stale.message, "t is 4, the cluster file says 2"));
  // The admin's client learns the new t from the catalog's answer.
  for (std::uint64_t i = 0; i < 3; ++i) {
    auto got = net.get(100, 20 + i, "s" + std::to_string(i));
    REQUIRE_MESSAGE(got.outcome == operation_outcome::ok, got.message);
    CHECK(text_of(*got.value) == "value " + std::to_string(i));
  }
  // New puts deal for t = 4.
  auto put = net.put(100, 30, "after", "after the raise");
  REQUIRE_MESSAGE(put.outcome == operation_outcome::ok, put.message);
  auto after = net.node(1).state().lookup("after", secret_version{});
  REQUIRE(after.ok());
  CHECK(version_commitments(*after, 4)->threshold() == 4);
  auto got = net.get(100, 31, "after");
  REQUIRE_MESSAGE(got.outcome == operation_outcome::ok, got.message);
  net.check();
}

TEST_CASE("threshold: refused before anything changes") {
  network net{4, 2, 92};
  net.elect(1);
  put_three(net);
  auto high = change_committee(net, 100, 10, threshold_of(4)); // n-1 = 3
  CHECK(high.outcome == operation_outcome::fail);
  CHECK(contains(high.message, "t must be 2..3"));
  auto same = change_committee(net, 100, 11, threshold_of(2));
  CHECK(same.outcome == operation_outcome::fail);
  CHECK(contains(same.message, "already"));
  auto one = change_committee(net, 100, 12, threshold_of(1));
  CHECK(one.outcome == operation_outcome::fail);
  net.run_for(millis{300});
  for (std::uint64_t i = 1; i <= 4; ++i) {
    CHECK_FALSE(net.node(i).state().committee().has_value());
    CHECK(net.node(i).state().view().threshold == 2);
  }
  net.check();
}

TEST_CASE("threshold: puts wait while the raise runs; rounds that abort and a leader change lose nothing") {
  network net{5, 2, 94};
  net.elect(1);
  put_three(net);
  // No round chunk arrives: every raising refresh aborts at its phase
  // timeout, and the record stays.
  net.drop_if = [](const in_flight& m) { return m.type() == message_type::round_chunk; };
  auto done = change_committee(net, 100, 10, threshold_of(3));
  REQUIRE_MESSAGE(done.outcome == operation_outcome::ok, done.message);
  net.run_for(millis{3'000});
  CHECK(net.node(1).state().new_threshold() == 3);
  CHECK(net.node(1).state().stats().rounds_aborted > 0);
  CHECK(net.node(1).state().view().threshold == 2);
  // The record, and a raising round's threshold, survive a snapshot.
  const catalog& two = net.node(2).state();
  net.run_until([&] { return two.round() && two.round()->kind == round_kind::refresh; }, millis{5'000});
  auto copy = catalog::restore(two.snapshot());
  REQUIRE(copy.ok());
  CHECK(copy->snapshot() == two.snapshot()); // (the last abort reason is not in snapshots)
  CHECK(copy->new_threshold() == 3);
  REQUIRE(copy->round().has_value());
  CHECK(copy->round()->threshold == 3);
  auto refused = net.put(100, 11, "during", "refused while t is raised");
  CHECK(refused.outcome == operation_outcome::fail);
  CHECK_MESSAGE(contains(refused.message, "t is being raised to 3"), refused.message);
  // A new leader carries the raise on from the record.
  net.crash(node_id{1});
  net.drop_if = nullptr;
  await_threshold_on(net, 3, {2, 3, 4, 5});
  net.restart(node_id{1});
  await_threshold_on(net, 3, {1, 2, 3, 4, 5});
  for (std::uint64_t i = 0; i < 3; ++i) {
    auto got = net.get(100, 20 + i, "s" + std::to_string(i));
    REQUIRE_MESSAGE(got.outcome == operation_outcome::ok, got.message);
    CHECK(text_of(*got.value) == "value " + std::to_string(i));
  }
  net.check();
}

TEST_CASE("threshold: setting t to the current t calls a raise off; a raise needs t'+1 members up") {
  network net{5, 2, 95};
  net.elect(1);
  put_three(net);
  // No round chunk arrives: the raising refresh cannot finish.
  net.drop_if = [](const in_flight& m) { return m.type() == message_type::round_chunk; };
  auto done = change_committee(net, 100, 10, threshold_of(3));
  REQUIRE_MESSAGE(done.outcome == operation_outcome::ok, done.message);
  net.run_until([&] { return net.node(1).state().threshold_round_running(); }, millis{5'000});
  REQUIRE(net.node(1).state().threshold_round_running());
  auto other = change_committee(net, 100, 11, threshold_of(4));
  CHECK(other.outcome == operation_outcome::fail);
  CHECK_MESSAGE(contains(other.message, "pss threshold set 2"), other.message);
  auto off = change_committee(net, 100, 12, threshold_of(2));
  REQUIRE_MESSAGE(off.outcome == operation_outcome::ok, off.message);
  CHECK(contains(off.message, "called off"));
  net.drop_if = nullptr;
  net.run_for(millis{500});
  for (std::uint64_t i = 1; i <= 5; ++i) {
    CHECK_FALSE(net.node(i).state().committee().has_value());
    CHECK(net.node(i).state().view().threshold == 2);
    CHECK_FALSE(net.node(i).state().threshold_round_running()); // the raising round was aborted
  }
  for (std::uint64_t i = 0; i < 3; ++i) {
    auto got = net.get(100, 20 + i, "s" + std::to_string(i));
    REQUIRE_MESSAGE(got.outcome == operation_outcome::ok, got.message);
  }
  auto put = net.put(100, 30, "after", "after the call-off");
  REQUIRE_MESSAGE(put.outcome == operation_outcome::ok, put.message);
  // With node 5 down, raising t to 4 needs all 5 members (min(n, t'+1)).
  net.crash(node_id{5});
  auto down = net.put(100, 32, "while down", "n5 is down"); // the log moves past node 5
  REQUIRE_MESSAGE(down.outcome == operation_outcome::ok, down.message);
  net.run_for(millis{3'000});
  auto four = change_committee(net, 100, 31, threshold_of(4));
  CHECK(four.outcome == operation_outcome::fail);
  CHECK_MESSAGE(contains(four.message, "members are up"), four.message);
  net.check();
}

TEST_CASE("threshold: a raise whose versions lost holders waits, refreshes still run, and it ends once they recover") {
  network net{5, 2, 96};
  net.elect(1);
  put_three(net);
  // Hold every round back while the raise is recorded and two holders lose
  // their disks: every version then has 3 holders, fewer than t' = 4.
  net.drop_if = [](const in_flight& m) { return m.type() == message_type::round_chunk; };
  auto done = change_committee(net, 100, 10, threshold_of(4));
  REQUIRE_MESSAGE(done.outcome == operation_outcome::ok, done.message);
  net.wipe_and_rejoin(node_id{4});
  net.wipe_and_rejoin(node_id{5});
  // While a version is short, a refresh begins for the old t (it does not
  // refuse to begin, which stalled every refresh for good).
  const catalog& c = net.node(1).state();
  net.run_until([&] { return c.versions_held_by_fewer(4) > 0; }, millis{30'000});
  // With the wiped nodes down, nothing recovers: only refreshes can run.
  net.crash(node_id{4});
  net.crash(node_id{5});
  net.drop_if = nullptr;
  const std::uint64_t before = c.last_round_id(); // it may have begun before a version was short
  bool waited = false;
  net.run_until([&] {
    waited = c.new_threshold() == 4 && c.versions_held_by_fewer(4) > 0 && c.round() && c.round()->kind == round_kind::refresh
             && c.round()->id > before;
    return waited;
  }, millis{30'000});
  REQUIRE(waited);
  CHECK(c.round()->threshold == 2);
  // Once the wiped nodes are back they recover, and the raise ends.
  net.restart(node_id{4});
  net.restart(node_id{5});
  await_threshold(net, 4, 5);
  for (std::uint64_t i = 0; i < 3; ++i) {
    auto got = net.get(100, 20 + i, "s" + std::to_string(i));
    REQUIRE_MESSAGE(got.outcome == operation_outcome::ok, got.message);
  }
  net.check();
}

} // namespace pss::secrets::testing
