// The rejoin's pure decisions (src/secrets/rejoin.hpp): when the rejoining
// side asks and finishes, when the leader proposes, and which membership
// change comes next. End-to-end rejoins are in rejoin_test.cpp.
#include <doctest/doctest.h>

#include "secrets/catalog.hpp"
#include "secrets/rejoin.hpp"

namespace pss::secrets {
namespace {

using namespace std::chrono_literals;

const node_id self{1};
const node_id wiped{4};
constexpr std::uint64_t nonce = 99;

struct fixture {
  test_cluster tc = make_test_cluster(5, 3, 3);
  catalog c{tc.view, tc.admin.public_key};
  std::uint64_t index = 0;

  void record(node_id n, std::uint64_t x) {
    const command cmd{session_header{client_id{0}, sequence_number{0}, millis{0}}, member_rejoin{n, x}};
    auto a = c.apply(raft::entry{term_id{1}, log_index{++index}, raft::entry_kind::command, encode_command(cmd)});
    REQUIRE(a.result.code == result_code::ok);
  }
  raft::configuration config(std::vector<std::uint64_t> voters, std::vector<std::uint64_t> learners = {}) {
    raft::configuration cfg;
    for (auto v : voters) cfg.voters.push_back(node_id{v});
    for (auto l : learners) cfg.learners.push_back(node_id{l});
    auto a = c.apply(raft::entry{term_id{1}, log_index{++index}, raft::entry_kind::config, raft::to_bytes(cfg)});
    REQUIRE(a.result.code == result_code::ok);
    return cfg;
  }
};

TEST_CASE("rejoin machine: a node that is not rejoining never asks, finishes or wakes") {
  fixture f;
  rejoin_machine m{self, std::nullopt, 300ms, 400ms};
  CHECK_FALSE(m.rejoining());
  CHECK_FALSE(m.unrecorded(f.c));
  const auto s = m.step(0ms, f.c, f.config({1, 2, 3, 4, 5}));
  CHECK_FALSE(s.finish);
  CHECK_FALSE(s.ask);
  CHECK_FALSE(m.wakeup(f.c));
}

TEST_CASE("rejoin machine: the rejoining side asks every interval until recorded, then waits, then finishes") {
  fixture f;
  rejoin_machine m{wiped, nonce, 300ms, 400ms};
  const auto all = f.config({1, 2, 3, 4, 5});
  auto s = m.step(10ms, f.c, all);
  REQUIRE(s.ask);
  CHECK(s.ask->node == wiped);
  CHECK(s.ask->nonce == nonce);
  CHECK(m.wakeup(f.c) == 310ms);
  CHECK_FALSE(m.step(309ms, f.c, all).ask); // not due
  CHECK(m.step(310ms, f.c, all).ask);
  // Recorded: no more asking, no wake-up; a voter in a configuration from
  // before its removal is not done.
  f.record(wiped, nonce);
  CHECK_FALSE(m.unrecorded(f.c));
  CHECK_FALSE(m.wakeup(f.c));
  s = m.step(10'000ms, f.c, all);
  CHECK_FALSE(s.ask);
  CHECK_FALSE(s.finish);
  // Removed, re-added as a learner: still not done; promoted: done.
  f.config({1, 2, 3, 5});
  const auto learner = f.config({1, 2, 3, 5}, {4});
  CHECK_FALSE(m.step(10'001ms, f.c, learner).finish);
  const auto back = f.config({1, 2, 3, 4, 5});
  s = m.step(10'002ms, f.c, back);
  CHECK(s.finish);
  CHECK(m.rejoining()); // until the node says the marker is gone
  m.finished();
  CHECK_FALSE(m.rejoining());
  CHECK_FALSE(m.step(10'003ms, f.c, back).finish);
}

TEST_CASE("rejoin machine: the leader proposes once per nonce and interval, and ignores the rest") {
  fixture f;
  rejoin_machine m{self, std::nullopt, 300ms, 400ms};
  const rejoin_request r{wiped, nonce};
  using v = rejoin_machine::verdict;
  CHECK(m.on_request(0ms, node_id{2}, r, true, f.c) == v::unexpected); // a node speaks only for itself
  CHECK(m.on_request(0ms, wiped, r, false, f.c) == v::ignore);         // not the leader
  CHECK(m.on_request(0ms, wiped, r, true, f.c) == v::propose);
  CHECK(m.on_request(399ms, wiped, r, true, f.c) == v::ignore);        // just proposed
  CHECK(m.on_request(10ms, wiped, rejoin_request{wiped, nonce + 1}, true, f.c) == v::propose); // a new rejoin
  CHECK(m.on_request(410ms, wiped, rejoin_request{wiped, nonce + 1}, true, f.c) == v::propose); // lost? again
  f.record(wiped, nonce + 1);
  CHECK(m.on_request(2'000ms, wiped, rejoin_request{wiped, nonce + 1}, true, f.c) == v::ignore); // recorded
}

TEST_CASE("rejoin machine: the leader removes, adds as a learner, promotes, then leaves the node be") {
  fixture f;
  const rejoin_machine m{self, std::nullopt, 300ms, 400ms};
  auto cfg = f.config({1, 2, 3, 4, 5});
  CHECK_FALSE(m.next_change(f.c, cfg)); // nothing recorded
  f.record(wiped, nonce);
  auto change = m.next_change(f.c, cfg);
  REQUIRE(change);
  CHECK(change->kind == raft::config_change_kind::remove);
  CHECK(change->node == wiped);
  cfg = f.config({1, 2, 3, 5});
  change = m.next_change(f.c, cfg);
  REQUIRE(change);
  CHECK(change->kind == raft::config_change_kind::add_learner);
  cfg = f.config({1, 2, 3, 5}, {4});
  change = m.next_change(f.c, cfg);
  REQUIRE(change);
  CHECK(change->kind == raft::config_change_kind::promote_learner);
  cfg = f.config({1, 2, 3, 4, 5});
  CHECK(f.c.rejoin_done(wiped, nonce));
  CHECK_FALSE(m.next_change(f.c, cfg));
  // The leader never changes its own membership for a rejoin of itself.
  const rejoin_machine own{wiped, std::nullopt, 300ms, 400ms};
  f.record(wiped, nonce + 1);
  CHECK_FALSE(own.next_change(f.c, cfg));
  CHECK(m.next_change(f.c, cfg)->kind == raft::config_change_kind::remove);
}

} // namespace
} // namespace pss::secrets
