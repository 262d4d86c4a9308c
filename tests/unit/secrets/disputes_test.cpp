// Disputes in refresh rounds (docs/refresh.md §3, "Disputes"): a receiver
// that complains or reports a y off the dealer's polynomial makes the dealer
// reveal what it sealed to it, and every replica decides who lied. An
// honest dealer is never convicted, a lying receiver is, and a dealer that
// does not answer is left out; the round commits in each case.
#include <doctest/doctest.h>

#include "core/planted.hpp"
#include "network.hpp"

namespace pss::secrets::testing {
namespace {

void refresh_and_wait(network& net) {
  const auto before = net.node(1).state().stats();
  net.node(1).request_refresh(net.now);
  net.flush_node(1);
  net.run_until([&] {
    const auto& s = net.node(1).state().stats();
    return s.refresh_epochs_committed + s.rounds_aborted > before.refresh_epochs_committed + before.rounds_aborted
           && !net.node(1).state().round();
  }, millis{20'000});
  net.run_for(millis{200});
}

void reads_back(network& net) {
  for (std::uint64_t i = 0; i < 3; ++i) {
    auto got = net.get(100, 50 + i, "s" + std::to_string(i));
    REQUIRE_MESSAGE(got.outcome == operation_outcome::ok, got.message);
    CHECK(text_of(*got.value) == "value " + std::to_string(i));
  }
}

// A network of five where node 5 misbehaves as told.
network with_misbehaving_node5(round_misbehaviour m, std::uint64_t seed) {
  network net{5, 3, seed};
  net.test_only[node_id{5}].misbehave = m;
  net.restart(node_id{5});
  net.elect(1);
  put_three(net);
  return net;
}

} // namespace

TEST_CASE("disputes: a member that complains about every dealer is convicted, and no dealer is") {
  network net = with_misbehaving_node5(round_misbehaviour::complain, 61);
  refresh_and_wait(net);
  const auto& s = net.node(1).state().stats();
  CHECK(s.refresh_epochs_committed == 1);
  CHECK(s.dealers_convicted == 0);
  CHECK(s.dealers_excluded == 0);
  CHECK(s.liars_excluded == 1);
  CHECK(s.complaints_resolved == 4); // one dispute per honest dealer, each decided
  for (std::uint64_t id = 1; id <= 4; ++id) CHECK(net.node(id).counters().reveals_sent >= 1);
  reads_back(net);
  net.check();
}

TEST_CASE("disputes: a made-up y is judged false from the reveal, and its sender is left out of R") {
  network net = with_misbehaving_node5(round_misbehaviour::false_y, 62);
  refresh_and_wait(net);
  const auto& s = net.node(1).state().stats();
  CHECK(s.refresh_epochs_committed == 1);
  CHECK(s.dealers_convicted == 0);
  CHECK(s.liars_excluded == 1);
  // The liar held no share of the new epoch: it is no holder any more.
  for (const auto& [name, rec] : net.node(1).state().secrets())
    for (const auto& [v, version] : rec.versions) CHECK(std::find(version.holders.begin(), version.holders.end(),
                                                                  node_id{5}) == version.holders.end());
  reads_back(net);
  net.check();
}

TEST_CASE("disputes: a dealer that does not reveal is left out, and the round still commits") {
  network net = with_misbehaving_node5(round_misbehaviour::withhold_reveal, 63);
  net.node(1).request_refresh(net.now);
  net.flush_node(1);
  net.run_until([&] {
    const auto& r = net.node(1).state().round();
    return r && r->phase == round_phase::disputing;
  }, millis{10'000});
  // The open dispute survives a snapshot: a node restored mid-dispute judges alike.
  const catalog& mid = net.node(1).state();
  REQUIRE(mid.round().has_value());
  CHECK(mid.round()->disputes.size() == 1);
  auto restored = catalog::restore(mid.snapshot());
  REQUIRE(restored.ok());
  CHECK(*restored == mid);
  refresh_and_wait(net);
  const auto& s = net.node(1).state().stats();
  CHECK(s.refresh_epochs_committed == 1);
  CHECK(s.disputes_unanswered == 1);
  CHECK(s.dealers_excluded == 1);
  CHECK(s.dealers_convicted == 0); // not proven, only silent
  CHECK(s.liars_excluded == 0);
  reads_back(net);
  net.check();
}

TEST_CASE("disputes: the trust-complaints planted bug convicts honest dealers on a complaint alone") {
  planted::scoped_arm bug{planted::bug::trust_complaints};
  network net = with_misbehaving_node5(round_misbehaviour::complain, 64);
  refresh_and_wait(net);
  const auto& s = net.node(1).state().stats();
  CHECK(s.dealers_convicted == 4); // every honest dealer: what the checker must see
  CHECK(s.liars_excluded == 0);
}

namespace {

// Four nodes, t = 3: node 3 deals garbage to nodes 1 and 2 and fits its
// polynomial through it; node 4 is down, so QUAL cannot spare a dealer.
// Returns the qualified dealers if the round reaches its finishing phase.
std::optional<std::vector<node_id>> garbage_round(std::uint64_t seed) {
  network net{4, 3, seed};
  net.tweak = [](node_id, node_options& o) { o.auto_recover = false; };
  net.test_only[node_id{3}].misbehave = round_misbehaviour::garbage_fit;
  for (std::uint64_t id = 1; id <= 4; ++id) net.restart(node_id{id});
  net.elect(1);
  put_three(net);
  net.crash(node_id{4});
  std::optional<std::vector<node_id>> qualified;
  net.node(1).request_refresh(net.now);
  net.flush_node(1);
  net.run_until([&] {
    const auto& r = net.node(1).state().round();
    if (r && r->phase == round_phase::finishing) qualified = r->qualified;
    return qualified.has_value() || net.node(1).state().stats().rounds_aborted > 0;
  }, millis{20'000});
  return qualified;
}

} // namespace

TEST_CASE("disputes: a dealer whose polynomial only t-1 others confirm is never qualified") {
  CHECK_FALSE(garbage_round(65).has_value()); // QUAL too small: the round aborts at qualify
  planted::scoped_arm bug{planted::bug::self_response};
  auto qualified = garbage_round(65);
  REQUIRE(qualified.has_value());
  CHECK(std::find(qualified->begin(), qualified->end(), node_id{3}) != qualified->end());
}


TEST_CASE("recovery spam: a member declaring its shares lost again and again is throttled and replays refused; refresh keeps committing") {
  network net{5, 3, 66};
  net.tweak = [](node_id, node_options& o) { o.refresh_interval = millis{1'000}; };
  net.test_only[node_id{5}].misbehave = round_misbehaviour::spam_recovery;
  for (std::uint64_t id = 1; id <= 5; ++id) net.restart(node_id{id});
  net.elect(1);
  put_three(net);
  net.run_for(millis{8'000});
  const auto& s = net.node(1).state().stats();
  CHECK(net.node(1).counters().shares_lost_throttled >= 10);
  CHECK(s.shares_lost_replayed >= 1);
  CHECK(s.refresh_epochs_committed >= 2);
  reads_back(net);
  net.check();
}

} // namespace pss::secrets::testing
