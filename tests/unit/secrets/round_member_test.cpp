// round_member alone (round_member.hpp): three members and one catalog as
// the log, with no engine. Their effects alone carry a round from its begin
// to its commit; ready comes after the stores and the sync; a sat-out member
// never says ready; chunks that do not belong are refused; reset drops the
// round's material.
#include <algorithm>
#include <doctest/doctest.h>

#include "crypto/random_source.hpp"
#include "secrets/round_member.hpp"
#include "storage/sim_disk.hpp"

namespace pss::secrets {
namespace {

struct harness {
  test_cluster tc;
  catalog log;
  std::vector<std::unique_ptr<crypto::seeded_random>> rngs;
  std::vector<std::unique_ptr<round_member>> members;
  storage::sim_disk disk;
  std::unique_ptr<share_store> store; // no secrets: the round reads no share
  std::uint64_t index = 0;
  millis now{0};

  explicit harness(std::size_t n = 3, std::size_t t = 2)
    : tc(make_test_cluster(n, t, 17)), log(tc.view, tc.admin.public_key) {
    for (std::size_t i = 0; i < tc.keys.size(); ++i) {
      rngs.push_back(std::make_unique<crypto::seeded_random>(100 + i));
      members.push_back(std::make_unique<round_member>(
        round_member_config{&tc.keys[i], rngs.back().get(), millis{3'000}, false, false, round_misbehaviour::none, {}}));
    }
    auto s = share_store::open(disk, "/shares", storage::data_dir_identity{tc.view.cluster_id, node_id{1}},
                               storage::open_mode::initialise);
    REQUIRE(s.ok());
    store = std::move(*s);
  }

  round_member& member(std::uint64_t id) { return *members.at(id - 1); }

  applied_command apply(command_body body) {
    const command cmd{session_header{client_id{}, sequence_number{}, now}, std::move(body)};
    return log.apply(raft::entry{term_id{1}, log_index{++index}, raft::entry_kind::command, encode_command(cmd)});
  }

  // One member's step; its sends are delivered and its proposals applied.
  std::vector<round_effect> step(std::uint64_t id) {
    now += millis{500};
    auto effects = member(id).step(log, *store, now, true);
    for (auto& e : effects) {
      if (auto* s = std::get_if<round_fx::send>(&e)) member(s->to.value()).receive(log, node_id{id}, round_chunk{s->chunk});
      if (auto* p = std::get_if<round_fx::propose>(&e)) CHECK(apply(p->body).result.code == result_code::ok);
    }
    return effects;
  }

  void begin(node_id left_out = {}) {
    REQUIRE(apply(round_begin{round_kind::refresh, log.last_round_id() + 1, left_out}).result.code == result_code::ok);
    for (auto& m : members) m->reset(log.round()->id);
  }

  void deal_and_respond() {
    for (std::uint64_t id = 1; id <= 3; ++id) step(id);
    REQUIRE(apply(round_close{log.round()->id}).result.code == result_code::ok);
    for (std::uint64_t id = 1; id <= 3; ++id) step(id);
    REQUIRE(log.round()->responses.size() == 3);
    REQUIRE(apply(round_qualify{log.round()->id}).result.code == result_code::ok);
    REQUIRE(log.round()->phase == round_phase::finishing);
  }
};

template <class T>
std::ptrdiff_t position_of(const std::vector<round_effect>& effects) {
  auto it = std::find_if(effects.begin(), effects.end(), [](const round_effect& e) { return std::holds_alternative<T>(e); });
  return it == effects.end() ? -1 : it - effects.begin();
}

bool proposes_ready(const std::vector<round_effect>& effects) {
  return std::any_of(effects.begin(), effects.end(), [](const round_effect& e) {
    auto* p = std::get_if<round_fx::propose>(&e);
    return p != nullptr && std::holds_alternative<round_ready>(p->body);
  });
}

} // namespace

TEST_CASE("round_member: effects alone carry a refresh to its commit, and ready follows the sync") {
  harness h;
  h.begin();
  CHECK_FALSE(h.member(1).holds_material());
  const auto dealt = h.step(1);
  // Its bundles to the two others, then its signed dealing for the log.
  REQUIRE(dealt.size() == 3);
  CHECK(std::get<round_fx::send>(dealt[0]).to == node_id{2});
  CHECK(std::get<round_fx::send>(dealt[1]).to == node_id{3});
  CHECK(std::holds_alternative<round_dealing>(std::get<round_fx::propose>(dealt[2]).body));
  CHECK(h.member(1).holds_material());
  CHECK(h.member(1).counters().dealt == 1);
  h.step(2);
  h.step(3);
  REQUIRE(h.apply(round_close{1}).result.code == result_code::ok);
  for (std::uint64_t id = 1; id <= 3; ++id) h.step(id);
  REQUIRE(h.apply(round_qualify{1}).result.code == result_code::ok);
  REQUIRE(h.log.round()->qualified.size() == 3);
  for (std::uint64_t id = 1; id <= 3; ++id) {
    const auto finished = h.step(id);
    const auto sync = position_of<round_fx::sync>(finished);
    const auto ready = position_of<round_fx::propose>(finished);
    REQUIRE(sync >= 0);
    CHECK(ready > sync);
    CHECK(proposes_ready(finished));
  }
  REQUIRE(h.apply(round_commit{1}).result.code == result_code::ok);
  CHECK(h.log.view().epoch == epoch_id{2});
  for (auto& m : h.members) m->reset(0);
  CHECK_FALSE(h.member(1).holds_material());
}

TEST_CASE("round_member: a refresh that leaves a member out runs and commits without it") {
  harness h{4, 2};
  h.begin(node_id{4});
  CHECK(h.log.round()->participants == std::vector<node_id>{node_id{1}, node_id{2}, node_id{3}});
  for (std::uint64_t id = 1; id <= 3; ++id) h.step(id);
  CHECK(h.step(4).empty()); // it deals nothing
  CHECK_FALSE(h.member(4).holds_material()); // and received nothing
  REQUIRE(h.apply(round_close{1}).result.code == result_code::ok);
  for (std::uint64_t id = 1; id <= 4; ++id) h.step(id);
  REQUIRE(h.apply(round_qualify{1}).result.code == result_code::ok);
  CHECK(h.log.round()->receivers == std::vector<node_id>{node_id{1}, node_id{2}, node_id{3}});
  for (std::uint64_t id = 1; id <= 3; ++id) CHECK(proposes_ready(h.step(id)));
  CHECK(h.step(4).empty());
  REQUIRE(h.apply(round_commit{1}).result.code == result_code::ok);
  CHECK(h.log.view().epoch == epoch_id{2});
}

TEST_CASE("round_member: leaving out a non-member, or so that fewer than t+1 remain, is refused") {
  harness h{4, 3};
  CHECK(h.apply(round_begin{round_kind::refresh, 1, node_id{2}}).result.message.find("fewer than t+1") != std::string::npos);
  harness g{4, 2};
  CHECK(g.apply(round_begin{round_kind::refresh, 1, node_id{9}}).result.message == "the member to leave out is not a member");
  CHECK_FALSE(g.log.round().has_value());
}

TEST_CASE("round_member: a member that sat out never says ready") {
  harness h;
  h.begin();
  h.deal_and_respond();
  h.member(2).sat_out();
  CHECK_FALSE(proposes_ready(h.step(2)));
  CHECK(proposes_ready(h.step(1)));
}

TEST_CASE("round_member: a chunk from another sender, for another round or another receiver is refused") {
  harness h;
  h.begin();
  const auto dealt = h.member(1).step(h.log, *h.store, millis{1}, true);
  const round_chunk to_2 = std::get<round_fx::send>(dealt[0]).chunk;
  h.member(2).receive(h.log, node_id{3}, round_chunk{to_2}); // claims node 1 sent it
  CHECK(h.member(2).counters().chunks_refused == 1);
  h.member(3).receive(h.log, node_id{1}, round_chunk{to_2}); // addressed to node 2
  CHECK(h.member(3).counters().chunks_refused == 1);
  round_chunk stale = to_2;
  stale.round_id = 7;
  h.member(2).receive(h.log, node_id{1}, std::move(stale));
  CHECK(h.member(2).counters().chunks_refused == 2);
  h.member(2).receive(h.log, node_id{1}, round_chunk{to_2});
  CHECK(h.member(2).counters().chunks_refused == 2);
  CHECK(h.member(2).holds_material());
}

} // namespace pss::secrets
