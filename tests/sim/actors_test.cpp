// Engine actors under the simulator's test-coordinator fixture: election,
// commit, crash and catch-up, determinism of the trace, and the end-to-end
// run with its report. Everything runs in simulated time and never sleeps.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>

#include "sim/simulator.hpp"

using namespace pss;
using namespace pss::sim;

namespace {

sim_options calm(std::uint64_t seed, std::size_t nodes = 5) {
  sim_options o;
  o.seed = seed;
  o.nodes = nodes;
  o.profile = "calm";
  o.workload = false;
  return o;
}

actors::operation put(const std::string& key, const std::string& value) {
  return {actors::op_kind::put, key, bytes(value.begin(), value.end())};
}

// Runs until the operation completes or the bound passes.
std::optional<actors::completion> wait_for(simulation& s, std::uint64_t op, millis bound) {
  const millis end = s.now() + bound;
  while (s.now() < end) {
    if (auto c = s.completion_of(op)) return c;
    s.run_until(s.now() + millis{10});
  }
  return s.completion_of(op);
}

} // namespace

TEST_CASE("actors: node actors elect one leader and commit a put through the client actor") {
  simulation s{calm(11)};
  s.run_until(millis{2000});
  const auto leader = s.leader();
  REQUIRE(leader.has_value());
  const auto op = s.submit(1, put("k", "v1"));
  const auto done = wait_for(s, op, millis{2000});
  REQUIRE(done.has_value());
  CHECK(done->outcome == actors::op_outcome::ok);
  s.run_until(s.now() + millis{500});
  const log_index committed = s.commit_index(*s.leader());
  CHECK(committed >= log_index{2}); // the leader's no-op and the put
  for (std::uint64_t n = 1; n <= 5; ++n) CHECK(s.applied_index(node_id{n}) == committed);
  CHECK_FALSE(s.violation());
}

TEST_CASE("actors: a get reads the value of the last acknowledged put (ReadIndex)") {
  simulation s{calm(12, 3)};
  s.run_until(millis{2000});
  REQUIRE(wait_for(s, s.submit(1, put("k", "first")), millis{2000})->outcome == actors::op_outcome::ok);
  REQUIRE(wait_for(s, s.submit(2, put("k", "second")), millis{2000})->outcome == actors::op_outcome::ok);
  const auto read = wait_for(s, s.submit(3, {actors::op_kind::get, "k", {}}), millis{2000});
  REQUIRE(read.has_value());
  CHECK(read->outcome == actors::op_outcome::ok);
  CHECK(std::string(read->value.begin(), read->value.end()) == "second");
}

TEST_CASE("actors: a crashed follower restarts from its sim_disk and catches up") {
  simulation s{calm(13)};
  s.run_until(millis{2000});
  const auto leader = s.leader();
  REQUIRE(leader.has_value());
  const node_id victim{leader->value() % 5 + 1};
  s.crash(victim);
  CHECK_FALSE(s.is_up(victim));
  for (int i = 0; i < 5; ++i)
    REQUIRE(wait_for(s, s.submit(1, put("k", "v" + std::to_string(i))), millis{2000})->outcome
            == actors::op_outcome::ok);
  s.restart(victim);
  REQUIRE(s.is_up(victim));
  s.run_until(s.now() + millis{2000});
  const log_index target = s.applied_index(*s.leader());
  CHECK(target >= log_index{6});
  CHECK(s.applied_index(victim) == target);
  CHECK_FALSE(s.violation());
}

TEST_CASE("actors: when the leader crashes a new one is elected and puts commit again") {
  simulation s{calm(14)};
  s.run_until(millis{2000});
  const auto first = s.leader();
  REQUIRE(first.has_value());
  s.crash(*first);
  s.run_until(s.now() + millis{2000});
  const auto second = s.leader();
  REQUIRE(second.has_value());
  CHECK(*second != *first);
  CHECK(wait_for(s, s.submit(2, put("k", "after")), millis{2000})->outcome == actors::op_outcome::ok);
  s.restart(*first);
  s.run_until(s.now() + millis{2000});
  CHECK(s.applied_index(*first) == s.applied_index(*second));
  CHECK_FALSE(s.violation());
}

TEST_CASE("sim: the same seed gives the same trace hash, a different seed a different one") {
  auto run = [](std::uint64_t seed) {
    sim_options o;
    o.seed = seed;
    o.seconds = 5;
    o.profile = "swarm";
    simulation s{o};
    return s.run().trace_hash;
  };
  const auto a = run(7), b = run(7), c = run(8);
  CHECK(a == b);
  CHECK(a != c);
}

TEST_CASE("sim: a faulty run reports faults, commits, a history and stays safe and live") {
  sim_options o;
  o.seed = 5;
  o.seconds = 10;
  o.profile = "crashes";
  std::size_t checked_events = 0;
  o.check_history = [&](const std::vector<history_event>& h) -> std::optional<std::string> {
    checked_events = h.size();
    return std::nullopt;
  };
  simulation s{o};
  const auto r = s.run();
  CHECK(r.ok);
  CHECK(r.live);
  CHECK(r.entries_committed > 10);
  CHECK(r.puts_acked > 0);
  CHECK(r.leaders_elected >= 1);
  CHECK(checked_events == r.history.size());
  CHECK(checked_events > 0);
  const auto json = to_json(r);
  CHECK(json.find("\"trace_hash\":\"") != std::string::npos);
  CHECK(json.find("\"violations\":[]") != std::string::npos);
  CHECK(exit_code_of(r) == 0);
}

TEST_CASE("sim: a history checker's verdict is a violation with exit code 1") {
  sim_options o;
  o.seed = 3;
  o.seconds = 2;
  o.profile = "calm";
  o.check_history = [](const std::vector<history_event>&) -> std::optional<std::string> {
    return std::string{"not linearizable: \"quoted\"\n"};
  };
  simulation s{o};
  const auto r = s.run();
  CHECK_FALSE(r.ok);
  CHECK(exit_code_of(r) == 1);
  CHECK(to_json(r).find(R"(history: not linearizable: \"quoted\"\n)") != std::string::npos);
}

// Seeds that once failed stay as regressions.
TEST_CASE("sim regression: the checker restarts a node's state machine at the snapshot it booted from (seeds 28, 113)") {
  for (std::uint64_t seed : {28, 113}) {
    sim_options o;
    o.seed = seed;
    o.profile = "crashes";
    o.seconds = 30;
    simulation s{o};
    const auto r = s.run();
    CHECK_MESSAGE(r.ok, "seed ", seed, ": ", r.violations.empty() ? "" : r.violations.front());
    CHECK(r.live);
  }
}

TEST_CASE("sim regression: wipes leave a majority of disks, so healing restores liveness (seed 159)") {
  sim_options o;
  o.seed = 159;
  o.nodes = 3;
  o.profile = "swarm";
  o.seconds = 5;
  simulation s{o};
  const auto r = s.run();
  CHECK(r.ok);
  CHECK(r.live);
}

TEST_CASE("actors: a wiped node is refused by its storage and replaced by a new member that catches up (item 27)") {
  simulation s{calm(15, 3)};
  s.run_until(millis{2000});
  const auto leader = s.leader();
  REQUIRE(leader.has_value());
  const node_id victim{leader->value() % 3 + 1};
  REQUIRE(wait_for(s, s.submit(1, put("k", "before")), millis{2000})->outcome == actors::op_outcome::ok);
  s.crash_and_wipe(victim);
  s.restart(victim);
  CHECK_FALSE(s.is_up(victim)); // it lost its vote: never rejoin as if nothing happened
  s.run_until(s.now() + millis{3000});
  const auto voters = s.voters();
  CHECK(voters.size() == 3);
  CHECK(std::find(voters.begin(), voters.end(), victim) == voters.end());
  const node_id fresh{4};
  CHECK(std::find(voters.begin(), voters.end(), fresh) != voters.end());
  REQUIRE(wait_for(s, s.submit(2, put("k", "after")), millis{2000})->outcome == actors::op_outcome::ok);
  s.run_until(s.now() + millis{500});
  CHECK(s.applied_index(fresh) == s.applied_index(*s.leader()));
  CHECK_FALSE(s.violation());
}
