// Election scenarios. Checklist items covered here:
//  1 higher term, 2 stale messages, 3 one vote per term across a crash,
//  4 election restriction, 5 candidate steps down, 6 dueling candidates,
//  7 one leader per term (the checker runs after every event in every test),
//  8 single node, 9 PreVote isolated node, 10 PreVote with an older term,
//  11 CheckQuorum, 12 leader stickiness and the stuck candidate,
//  13 asymmetric partitions, 41 liveness after healing.
#include "harness.hpp"

using namespace pss;
using namespace pss::raft;
using namespace pss::raft::testing;

namespace {

options no_pre_vote() {
  options o;
  o.pre_vote = false;
  return o;
}

} // namespace

TEST_CASE("raft: a single-node cluster elects itself and commits (item 8)") {
  cluster c{{1}};
  auto l = c.run_until_leader();
  REQUIRE(l == n(1));
  REQUIRE(c.propose(1, "x").ok());
  CHECK(c.count(1, "x") == 1);
  CHECK_FALSE(c.violation());
}

TEST_CASE("raft: a three-node cluster elects one leader and replicates (items 7, 41)") {
  cluster c{{1, 2, 3}};
  auto l = c.run_until_leader();
  REQUIRE(l);
  REQUIRE(c.propose(l->value(), "a").ok());
  c.run_for(millis{100});
  for (int i = 1; i <= 3; ++i) CHECK(c.count(i, "a") == 1);
  CHECK_FALSE(c.violation());
}

TEST_CASE("raft: any node that sees a higher term adopts it and steps down (item 1)") {
  cluster c{{1, 2, 3}};
  c.elect(1);
  const term_id t = c.raft(1).term();
  c.raft(1).step(c.now, envelope{n(2), n(1), append_entries_response{t.next().next(), false, {}, {}, {}, {}, {}}});
  c.flush(1);
  CHECK(c.raft(1).role() == role::follower);
  CHECK(c.raft(1).term() == t.next().next());
  CHECK(c.m(1).d.hard.term == t.next().next());
  CHECK_FALSE(c.violation());
}

TEST_CASE("raft: a request with a stale term is rejected and a stale response changes nothing (item 2)") {
  cluster c{{1, 2, 3}};
  c.elect(1);
  REQUIRE(c.propose(1, "a").ok());
  c.deliver_all();
  const auto before = c.raft(2).log().last_index();
  // A deposed leader of term 0 sends an append that would truncate.
  c.raft(2).step(c.now, envelope{n(3), n(2), append_entries{tid(0), li(0), tid(0), li(0), {entry{tid(0), li(1), entry_kind::command, data_of("evil")}}}});
  c.flush(2);
  CHECK(c.raft(2).log().last_index() == before);
  // The reply tells the stale sender the current term.
  bool told = false;
  for (auto& f : c.queue())
    if (f.e.to == n(3) && std::holds_alternative<heartbeat_response>(f.e.body))
      told = term_of(f.e.body) == c.raft(2).term();
  CHECK(told);
  c.queue().clear();
  // A stale vote response to the leader changes nothing.
  c.raft(1).step(c.now, envelope{n(3), n(1), vote_response{tid(0), true}});
  c.flush(1);
  CHECK(c.raft(1).role() == role::leader);
  CHECK_FALSE(c.violation());
}

TEST_CASE("raft: a voter that crashes right after voting never votes again in that term (item 3, 24)") {
  for (auto point : {crash_point::after_hard_state, crash_point::after_send}) {
    cluster c{{1, 2, 3}, no_pre_vote()};
    c.campaign(1);
    // Deliver only the vote request to 2, crashing 2 once its vote is durable.
    c.m(2).armed = point;
    c.cut(1, 3);
    c.deliver_all();
    CHECK_FALSE(c.m(2).up);
    CHECK(c.m(2).d.hard.vote == n(1));
    c.queue().clear();
    c.restart(2);
    CHECK(c.raft(2).vote() == n(1));
    // Node 3 campaigns in the same term 1: node 2 must refuse.
    c.campaign(3);
    REQUIRE(c.raft(3).term() == c.raft(2).term());
    c.cut(3, 1);
    c.deliver_all();
    CHECK(c.raft(3).role() == role::candidate);
    CHECK(c.raft(2).vote() == n(1));
    CHECK_FALSE(c.violation());
  }
}

TEST_CASE("raft: a voter that crashes before persisting its vote may vote again (item 3, 24)") {
  cluster c{{1, 2, 3}, no_pre_vote()};
  c.campaign(1);
  c.m(2).armed = crash_point::before_persist;
  c.drop_if([](const envelope& e) { return e.to == n(3); });
  c.deliver_all();
  CHECK_FALSE(c.m(2).up);
  CHECK(c.m(2).d.hard.vote == no_node);
  CHECK(c.raft(1).role() == role::candidate); // the vote was never sent
  c.restart(2);
  c.campaign(3);
  c.drop_if([](const envelope& e) { return e.to == n(1); });
  c.deliver_all();
  CHECK(c.raft(3).role() == role::leader);
  CHECK_FALSE(c.violation());
}

TEST_CASE("raft: a vote is refused to a candidate with a less up-to-date log (item 4)") {
  options o = no_pre_vote();
  o.check_quorum = false; // no leader lease, so the vote requests are judged
  cluster c{{1, 2, 3}, o};
  c.elect(1);
  REQUIRE(c.propose(1, "a").ok());
  c.deliver_all();
  node& v = c.raft(2);
  const term_id t = v.term().next();
  const auto last = v.log().last_index();
  const auto last_term = v.log().last_term();
  // Same last term, shorter log: refused.
  v.step(c.now, envelope{n(3), n(2), vote_request{t, last.prev(), last_term, false}});
  c.flush(2);
  CHECK(v.vote() == no_node);
  // Higher last term but shorter log: granted (the term is compared first).
  v.step(c.now, envelope{n(3), n(2), vote_request{t, li(1), last_term.next(), false}});
  c.flush(2);
  CHECK(v.vote() == n(3));
  CHECK_FALSE(c.violation());
}

TEST_CASE("raft: a candidate steps down on append_entries of its term (item 5)") {
  cluster c{{1, 2, 3}, no_pre_vote()};
  c.campaign(2);
  c.queue().clear();
  REQUIRE(c.raft(2).role() == role::candidate);
  const term_id t = c.raft(2).term();
  c.raft(2).step(c.now, envelope{n(1), n(2), append_entries{t, li(0), tid(0), li(0), {}}});
  c.flush(2);
  CHECK(c.raft(2).role() == role::follower);
  CHECK(c.raft(2).leader_hint() == n(1));
  CHECK(c.raft(2).term() == t);
  CHECK_FALSE(c.violation());
}

TEST_CASE("raft: dueling candidates resolve through randomized timeouts (item 6)") {
  cluster c{{1, 2, 3, 4}, no_pre_vote(), 7};
  c.campaign(1);
  c.campaign(2);
  // 3 votes for 1, 4 votes for 2: a split vote in term 1.
  c.drop_if([](const envelope& e) {
    return (e.from == n(1) && e.to == n(4)) || (e.from == n(2) && e.to == n(3));
  });
  c.deliver_all();
  CHECK(c.raft(1).role() == role::candidate);
  CHECK(c.raft(2).role() == role::candidate);
  auto l = c.run_until_leader();
  REQUIRE(l);
  CHECK(c.raft(l->value()).term() > tid(1));
  CHECK_FALSE(c.violation());
}

TEST_CASE("raft: an isolated node with PreVote does not inflate its term or disrupt on rejoin (item 9)") {
  cluster c{{1, 2, 3}};
  c.elect(1);
  const term_id t = c.raft(1).term();
  c.isolate(3);
  c.run_for(millis{2000});
  CHECK(c.raft(3).term() == t);
  CHECK(c.raft(3).role() != role::leader);
  c.heal();
  c.run_for(millis{1000});
  CHECK(c.raft(1).role() == role::leader);
  CHECK(c.raft(1).term() == t);
  CHECK(c.raft(3).leader_hint() == n(1));
  CHECK_FALSE(c.violation());
}

TEST_CASE("raft: a restarted voter with an older term still helps form a quorum under PreVote (item 10)") {
  options o;
  o.lease_reads = false; // restarted voters vote at once (no lease to keep)
  cluster c{{1, 2, 3}, o};
  c.elect(1);
  c.crash(3); // 3 stays at the first term
  c.crash(1);
  c.restart(1); // 1 forgets the leader, so 2 can win term 2 with its vote
  c.elect(2);
  const term_id t2 = c.raft(2).term();
  REQUIRE(c.propose(2, "a").ok());
  c.deliver_all();
  c.crash(1);
  c.crash(2);
  c.restart(2);
  c.restart(3);
  REQUIRE(c.raft(3).term() < t2);
  // Only 2 and 3 are up: 2 needs 3's pre-vote and vote.
  c.campaign(2);
  c.deliver_all();
  CHECK(c.raft(2).role() == role::leader);
  CHECK(c.raft(3).term() == c.raft(2).term());
  CHECK_FALSE(c.violation());
}

TEST_CASE("raft: CheckQuorum makes a leader cut off in a minority step down (item 11)") {
  options o;
  cluster c{{1, 2, 3}, o};
  c.elect(1);
  c.isolate(1);
  c.run_for(o.election_timeout_min * 2 + millis{5});
  CHECK(c.raft(1).role() == role::follower);
  CHECK_FALSE(c.violation());
}

TEST_CASE("raft: followers in a leader lease refuse votes (item 12)") {
  cluster c{{1, 2, 3}, no_pre_vote()};
  c.elect(1);
  const term_id t = c.raft(1).term();
  c.raft(2).step(c.now, envelope{n(3), n(2), vote_request{t.next(), li(99), t, false}});
  c.flush(2);
  CHECK(c.raft(2).term() == t);
  CHECK(c.raft(2).vote() == n(1));
  CHECK_FALSE(c.violation());
}

TEST_CASE("raft: a stuck candidate with a higher term is still freed (item 12)") {
  cluster c{{1, 2, 3}, no_pre_vote()};
  c.elect(1);
  c.isolate(3);
  c.run_for(millis{1000}); // 3 campaigns alone and runs its term up
  REQUIRE(c.raft(3).term() > c.raft(1).term());
  c.heal();
  c.run_for(millis{2000});
  auto l = c.leader();
  REQUIRE(l);
  CHECK(c.raft(3).term() == c.raft(l->value()).term());
  CHECK(c.raft(3).leader_hint() == *l);
  REQUIRE(c.propose(l->value(), "after").ok());
  c.run_for(millis{200});
  CHECK(c.count(3, "after") == 1);
  CHECK_FALSE(c.violation());
}

TEST_CASE("raft: a leader that can send but not receive is replaced (item 13)") {
  cluster c{{1, 2, 3}};
  c.elect(1);
  c.cut(2, 1);
  c.cut(3, 1);
  c.run_for(millis{3000});
  auto l = c.leader();
  REQUIRE(l);
  CHECK(*l != n(1));
  REQUIRE(c.propose(l->value(), "x").ok());
  c.run_for(millis{200});
  CHECK(c.count(2, "x") + c.count(3, "x") == 2);
  CHECK_FALSE(c.violation());
}

TEST_CASE("raft: a follower that reaches only part of the cluster does not disrupt it (item 13)") {
  cluster c{{1, 2, 3}};
  c.elect(1);
  const term_id t = c.raft(1).term();
  c.cut(1, 3);
  c.cut(3, 1);
  c.run_for(millis{2000});
  CHECK(c.raft(1).role() == role::leader);
  CHECK(c.raft(1).term() == t);
  REQUIRE(c.propose(1, "x").ok());
  c.run_for(millis{200});
  CHECK(c.count(2, "x") == 1);
  CHECK_FALSE(c.violation());
}

TEST_CASE("raft: after a partition heals a leader is elected and commits within a bound (item 41)") {
  cluster c{{1, 2, 3, 4, 5}};
  c.elect(1);
  c.partition({1, 2});
  c.run_for(millis{1500});
  c.partition({1, 4, 5});
  c.run_for(millis{1500});
  c.heal();
  const millis healed = c.now;
  auto l = c.run_until_leader(millis{3000});
  REQUIRE(l);
  REQUIRE(c.propose(l->value(), "live").ok());
  c.run_for(millis{300});
  for (int i = 1; i <= 5; ++i) CHECK(c.count(i, "live") == 1);
  CHECK(c.now - healed < millis{3500});
  CHECK_FALSE(c.violation());
}
