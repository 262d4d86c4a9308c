// A node whose whole data directory was wiped rejoins under its old id
// (docs/refresh.md, "Rejoining a wiped node"): it never votes while
// rejoining, is removed, added back as a learner and promoted by whoever
// leads, recovers exactly its shares, and a crash mid-rejoin or a duplicated
// request changes none of that.
#include <doctest/doctest.h>

#include <algorithm>

#include "network.hpp"
#include "secrets/share_fingerprint.hpp"
#include "storage/data_dir.hpp"

namespace pss::secrets::testing {
namespace {

const node_id wiped{4};

// Public fingerprints of a node's shares of names s0..s(count-1).
std::vector<std::string> fingerprints(node_engine& n, std::size_t count) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < count; ++i)
    out.push_back(describe_share(n.state(), n.shares(), "s" + std::to_string(i)).fingerprint.value_or("none"));
  return out;
}

void put_secrets(network& net, std::size_t count) {
  for (std::size_t i = 0; i < count; ++i)
    REQUIRE(net.put(100, i + 1, "s" + std::to_string(i), "v" + std::to_string(i)).outcome == operation_outcome::ok);
  net.run_for(millis{200});
}

bool readmitted(network& net, node_id n) {
  if (!net.is_up(n) || net.node(n.value()).rejoining()) return false;
  const node_id l = net.leader();
  return l != no_node && net.node(l.value()).raft().config().is_voter(n)
         && net.node(l.value()).state().missing_for(n).empty()
         && net.node(n.value()).state().missing_for(n).empty();
}

std::size_t events_with(const network& net, std::string_view text) {
  return static_cast<std::size_t>(std::count_if(net.events.begin(), net.events.end(), [&](const std::string& e) {
    return e.find(text) != std::string::npos;
  }));
}

TEST_CASE("secrets: a wiped node refuses to start without the rejoin option and says how to rejoin") {
  network net;
  net.elect(1);
  net.crash(wiped);
  net.disk(4).wipe();
  auto opened = net.open_node(wiped, false);
  REQUIRE(!opened.ok());
  CHECK(opened.err().code() == errc::not_found);
  CHECK(opened.err().message().find("wiped") != std::string::npos);
  CHECK(opened.err().message().find("--rejoin") != std::string::npos);
}

TEST_CASE("secrets: a fully wiped node rejoins under its id, is removed, re-added and promoted, and recovers the same shares") {
  network net;
  net.elect(1);
  net.add_client(100);
  put_secrets(net, 4);
  const auto before = fingerprints(net.node(4), 4);
  REQUIRE(std::count(before.begin(), before.end(), "none") == 0);

  net.wipe_and_rejoin(wiped);
  CHECK(net.node(4).rejoining());
  CHECK(net.node(4).raft().config().voters.empty());
  CHECK(net.node(4).raft().voting_suspended());
  net.run_until([&] { return readmitted(net, wiped); }, millis{20'000});
  REQUIRE(readmitted(net, wiped));
  CHECK(fingerprints(net.node(4), 4) == before);
  const auto& stats = net.node(1).state().stats();
  CHECK(stats.rejoins == 1);
  CHECK(stats.recoveries >= 1);
  CHECK_FALSE(net.node(4).raft().voting_suspended());
  CHECK_FALSE(net.disk(4).exists("/data/rejoining").value());
  // The leader removed it, added it back as a learner, then promoted it.
  CHECK(events_with(net, "rejoin of node 4: proposed its removal") >= 1);
  CHECK(events_with(net, "rejoin of node 4: proposed adding it as a learner") >= 1);
  CHECK(events_with(net, "rejoin of node 4: proposed promoting it") >= 1);
  for (std::size_t i = 0; i < 4; ++i)
    CHECK(net.node(1).state().lookup("s" + std::to_string(i), {})->holders.size() == 5);
  // Reads that need node 4's share: two others are unreachable.
  net.cut(endpoint::of(client_id{100}), endpoint::of(node_id{2}));
  net.cut(endpoint::of(client_id{100}), endpoint::of(node_id{3}));
  auto got = net.get(100, 20, "s1");
  REQUIRE_MESSAGE(got.outcome == operation_outcome::ok, got.message);
  CHECK(text_of(*got.value) == "v1");
  net.check();
}

TEST_CASE("secrets: a rejoining node that learned a configuration naming it a voter still never votes nor campaigns") {
  network net{5, 3, 21, 4}; // snapshots every 4 entries
  net.elect(1);
  net.add_client(100);
  net.crash(wiped);
  put_secrets(net, 6); // the leader compacts past what node 4 had
  // Node 4's rejoin requests are lost, but Raft traffic flows: the leader
  // sends it a snapshot whose configuration still lists it as a voter.
  net.drop_if = [](const in_flight& m) {
    return !m.payload.empty() && m.payload[0] == static_cast<std::uint8_t>(message_type::rejoin_request);
  };
  net.wipe_and_rejoin(wiped);
  net.run_until([&] { return net.node(4).raft().config().is_voter(wiped); }, millis{5'000});
  REQUIRE(net.node(4).raft().config().is_voter(wiped));
  REQUIRE(net.node(4).rejoining());
  // Its leader goes away; it must neither campaign nor grant a vote.
  net.crash(node_id{1});
  for (int i = 0; i < 300 && net.node(4).rejoining(); ++i) {
    net.run_for(millis{10});
    const auto role = net.node(4).raft().role();
    REQUIRE(role == raft::role::follower);
    REQUIRE(net.node(4).raft().vote() == no_node);
  }
  // An explicit vote request is refused too.
  const term_id t = net.node(4).raft().term().next().next();
  raft::envelope ask{node_id{2}, wiped, raft::vote_request{t, log_index{1000}, t, true}};
  net.inject(endpoint::of(node_id{2}), endpoint::of(wiped), encode(raft_message{ask}));
  net.run_for(millis{10});
  const bool refused = net.node(4).raft().vote() == no_node || !net.node(4).rejoining();
  CHECK(refused);
  // The new leader finishes the rejoin once the requests get through.
  net.drop_if = nullptr;
  net.restart(node_id{1});
  net.run_until([&] { return readmitted(net, wiped); }, millis{20'000});
  CHECK(readmitted(net, wiped));
  net.check();
}

TEST_CASE("secrets: a node that crashes mid-rejoin restarts still rejoining, with the same nonce") {
  network net;
  net.elect(1);
  net.add_client(100);
  put_secrets(net, 3);
  const auto before = fingerprints(net.node(4), 3);
  // A crash right after opening: the marker was written before any Raft state.
  net.wipe_and_rejoin(wiped);
  net.crash(wiped);
  net.rejoin.clear(); // restarted without the option: the marker governs
  net.restart(wiped);
  CHECK(net.node(4).rejoining());
  CHECK(net.node(4).raft().config().voters.empty());
  // A crash after the rejoin was recorded but before it is done.
  net.run_until([&] { return net.node(1).state().rejoins().contains(wiped); }, millis{5'000});
  REQUIRE(net.node(1).state().rejoins().contains(wiped));
  REQUIRE_FALSE(net.node(1).state().rejoins().at(wiped).done);
  net.crash(wiped);
  net.restart(wiped);
  CHECK(net.node(4).rejoining());
  CHECK(net.node(4).raft().voting_suspended());
  net.run_until([&] { return readmitted(net, wiped); }, millis{20'000});
  REQUIRE(readmitted(net, wiped));
  CHECK(net.node(1).state().rejoins().at(wiped).nonces.size() == 1); // one rejoin, one nonce
  CHECK(net.node(1).state().stats().rejoins == 1);
  CHECK(fingerprints(net.node(4), 3) == before);
  // Restarted once more after it is done, it is an ordinary voter.
  net.crash(wiped);
  net.restart(wiped);
  CHECK_FALSE(net.node(4).rejoining());
  CHECK(net.node(4).raft().config().is_voter(wiped));
  net.check();
}

TEST_CASE("secrets: a duplicate or stale rejoin_request is ignored") {
  network net;
  net.elect(1);
  net.add_client(100);
  put_secrets(net, 2);
  net.wipe_and_rejoin(wiped);
  net.run_until([&] { return readmitted(net, wiped); }, millis{20'000});
  REQUIRE(readmitted(net, wiped));
  const auto nonce = net.node(1).state().rejoins().at(wiped).nonces.back();
  const auto applied = net.node(1).raft().commit_index();
  const auto ignored = net.node(1).counters().rejoin_requests_ignored;
  // A late copy of the finished rejoin's request.
  net.inject(endpoint::of(wiped), endpoint::of(node_id{1}), encode(rejoin_request{wiped, nonce}));
  // A node asking on behalf of another.
  const auto unexpected = net.node(1).counters().unexpected;
  net.inject(endpoint::of(node_id{2}), endpoint::of(node_id{1}), encode(rejoin_request{wiped, nonce + 1}));
  net.run_for(millis{500});
  CHECK(net.node(1).counters().rejoin_requests_ignored == ignored + 1);
  CHECK(net.node(1).counters().unexpected == unexpected + 1);
  CHECK(net.node(1).state().stats().rejoins == 1);
  CHECK(net.node(1).state().rejoins().at(wiped).nonces.size() == 1);
  CHECK(net.node(1).raft().config().is_voter(wiped));
  // Nothing but heartbeats: no member_rejoin or configuration entry was added.
  for (const auto& e : net.node(1).raft().log().entries())
    if (e.index > applied) CHECK(e.kind != raft::entry_kind::config);
  CHECK(net.node(1).state().rejoins().at(wiped).done);
  net.check();
}

} // namespace
} // namespace pss::secrets::testing
