// Rotating a member's identity and signing keys on the in-test network
// (docs/refresh.md §7.9, `pss member rotate-keys`): the admin's signed
// change swaps the keys in every catalog in one entry; the node, started
// with its next keys beside its own, switches when its catalog names them,
// announces a new sealing key signed with its new signing key, deals in the
// next refresh, and restarts from a log that names its old keys.
#include <doctest/doctest.h>

#include "network.hpp"

namespace pss::secrets::testing {
namespace {

// Node `id`'s keys of another seeded cluster: fresh keys under the same id.
node_keys fresh_keys(std::uint64_t id) { return make_test_cluster(5, 3, 1234).keys[id - 1].clone(); }

committee_change rotation_of(const network& net, const node_keys& next) {
  member m = *net.cluster().view.find(next.id);
  m.box_key = next.box.public_key;
  m.sign_key = next.sign.public_key;
  return committee_change{committee_change_kind::rotate, next.id, m, 0};
}

// Node 2 holds its next keys, and the admin rotates them.
void ask_rotation_of_2(network& net) {
  net.elect(1);
  put_three(net);
  net.give_next_keys(fresh_keys(2));
  net.run_for(millis{500});
  auto done = change_committee(net, 100, 10, rotation_of(net, fresh_keys(2)));
  REQUIRE_MESSAGE(done.outcome == operation_outcome::ok, done.message);
}

// ... then node 2 switches, and its host adopts them.
void rotate_node_2(network& net) {
  ask_rotation_of_2(net);
  net.run_for(millis{500});
  REQUIRE(net.node(2).take_keys_rotated());
  net.adopt_rotated_keys(node_id{2});
}

} // namespace

TEST_CASE("rotate keys: every catalog names the new keys, the node signs with them, and secrets read") {
  network net;
  rotate_node_2(net);
  const member_keys next = public_keys(fresh_keys(2));
  for (std::uint64_t i = 1; i <= 5; ++i) {
    CHECK(public_keys(*net.node(i).state().view().find(node_id{2})) == next);
    CHECK(net.node(i).state().stats().keys_rotated == 1);
    CHECK_FALSE(net.node(i).state().committee().has_value()); // one entry, no lingering record
  }
  CHECK_FALSE(net.node(2).failure().has_value());
  CHECK_FALSE(net.node(2).holds_next_keys());
  // Its new sealing key is recorded: announced and signed with the new signing key.
  net.run_for(millis{1'000});
  const auto& seal = net.node(1).state().seal_keys().at(node_id{2});
  CHECK(announcement_signed(net.node(1).state().view(), seal));
  CHECK_FALSE(seal.key == next.box);
  // A refresh with node 2 dealing commits, and every secret reads back.
  const auto before = net.node(1).state().stats().refresh_epochs_committed;
  refresh_and_wait(net, 1, before + net.node(1).state().stats().rounds_aborted);
  CHECK(net.node(1).state().stats().refresh_epochs_committed == before + 1);
  for (std::uint64_t i = 0; i < 3; ++i) {
    auto got = net.get(100, 20 + i, "s" + std::to_string(i));
    REQUIRE_MESSAGE(got.outcome == operation_outcome::ok, got.message);
    CHECK(text_of(*got.value) == "value " + std::to_string(i));
  }
  net.check();
}

TEST_CASE("rotate keys: a client with the old cluster file refuses; one with the updated file reads") {
  network net;
  rotate_node_2(net);
  client_options old_file;
  old_file.expected_members = net.cluster().view;
  net.add_client(101, old_file);
  auto refused = net.get(101, 1, "s0");
  CHECK(refused.outcome != operation_outcome::ok);
  CHECK(contains(refused.message, "pss cluster-file --update"));
  client_options new_file;
  new_file.expected_members = net.node(1).state().view();
  net.add_client(102, new_file);
  auto got = net.get(102, 1, "s0");
  REQUIRE_MESSAGE(got.outcome == operation_outcome::ok, got.message);
  CHECK(text_of(*got.value) == "value 0");
}

TEST_CASE("rotate keys: the node restarts from a log that names its old keys; without its next keys it stops clearly") {
  network net;
  rotate_node_2(net);
  // Its first view and the log before the rotation name the retired keys.
  net.crash(node_id{2});
  net.restart(node_id{2});
  net.run_for(millis{1'000});
  CHECK_FALSE(net.node(2).failure().has_value());
  CHECK(public_keys(*net.node(2).state().view().find(node_id{2})) == public_keys(fresh_keys(2)));
  // A node rotated by the admin but started without its next keys stops,
  // saying how to start it.
  network other;
  other.elect(1);
  other.add_client(100);
  auto done = change_committee(other, 100, 10, rotation_of(other, fresh_keys(3)));
  REQUIRE_MESSAGE(done.outcome == operation_outcome::ok, done.message);
  other.run_for(millis{500});
  REQUIRE(other.node(3).failure().has_value());
  CHECK(contains(other.node(3).failure()->message(), "<key_file>.next"));
  other.give_next_keys(fresh_keys(3));
  other.run_for(millis{500});
  CHECK_FALSE(other.node(3).failure().has_value());
  CHECK(other.node(3).take_keys_rotated());
}

TEST_CASE("rotate keys: a running round aborts, and a rotation to another member's keys is refused") {
  network net;
  net.elect(1);
  put_three(net);
  member stolen = *rotation_of(net, fresh_keys(2)).new_member;
  stolen.sign_key = net.cluster().view.find(node_id{4})->sign_key;
  auto refused = change_committee(net, 100, 10, committee_change{committee_change_kind::rotate, node_id{2}, stolen, 0});
  CHECK(refused.outcome != operation_outcome::ok);
  CHECK(contains(refused.message, "signing key is node 4's"));
  net.give_next_keys(fresh_keys(2));
  net.run_for(millis{500});
  net.node(1).request_refresh(net.now);
  net.flush_node(1);
  net.run_until([&] { return net.node(1).state().round().has_value(); }, millis{5'000});
  REQUIRE(net.node(1).state().round().has_value());
  const auto aborted = net.node(1).state().stats().rounds_aborted;
  auto done = change_committee(net, 100, 11, rotation_of(net, fresh_keys(2)));
  REQUIRE_MESSAGE(done.outcome == operation_outcome::ok, done.message);
  CHECK(net.node(1).state().stats().rounds_aborted == aborted + 1);
  CHECK(contains(net.node(1).refresh_health().last_abort, "rotated its keys"));
}

} // namespace pss::secrets::testing

namespace pss::secrets::testing {

TEST_CASE("rotate keys: keys an earlier rotation retired are never taken back") {
  network net;
  rotate_node_2(net);
  member back = *net.node(1).state().view().find(node_id{2});
  back.box_key = net.cluster().keys[1].box.public_key; // node 2's first keys: they may be what leaked
  back.sign_key = net.cluster().keys[1].sign.public_key;
  auto refused = change_committee(net, 100, 30, committee_change{committee_change_kind::rotate, node_id{2}, back, 0});
  CHECK(refused.outcome != operation_outcome::ok);
  CHECK(contains(refused.message, "retired by an earlier one"));
  CHECK(net.node(1).state().retired_keys().size() == 1);
  // The list survives a snapshot.
  auto restored = catalog::restore(net.node(1).state().snapshot());
  REQUIRE(restored.ok());
  CHECK(restored->retired_keys() == net.node(1).state().retired_keys());
}

TEST_CASE("rotate keys: a crash before the host adopted the keys switches again on the replay, and keeps the new sealing key") {
  network net;
  ask_rotation_of_2(net);
  // Node 2 switches, erases what it drew before, and announces a new sealing key.
  net.run_until([&] {
    const auto& seals = net.node(1).state().seal_keys();
    auto s = seals.find(node_id{2});
    return s != seals.end() && announcement_signed(net.node(1).state().view(), s->second);
  }, millis{5'000});
  REQUIRE(net.node(2).take_keys_rotated());
  const auto recorded = net.node(1).state().seal_keys().at(node_id{2});
  // The host never adopted them: the next keys are still its next keys.
  net.crash(node_id{2});
  net.restart(node_id{2});
  net.run_for(millis{1'000});
  CHECK(net.node(2).take_keys_rotated());
  CHECK_FALSE(net.node(2).failure().has_value());
  CHECK(net.node(2).counters().seal_keys_foreign == 0);
  REQUIRE(net.node(2).seal_keys() != nullptr);
  CHECK(net.node(2).seal_keys()->find(recorded.key) != nullptr);
  net.adopt_rotated_keys(node_id{2});
}

} // namespace pss::secrets::testing
