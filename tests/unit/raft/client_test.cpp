// Leadership transfer, ReadIndex and client sessions. Checklist items
// covered here: 38 leadership transfer, 39 ReadIndex, 40 exactly once.
#include "harness.hpp"

using namespace pss;
using namespace pss::raft;
using namespace pss::raft::testing;

TEST_CASE("raft: leadership moves to an up-to-date voter on request (item 38)") {
  cluster c{{1, 2, 3}};
  c.elect(1);
  c.run_for(millis{50});
  REQUIRE(c.raft(1).transfer_leadership(c.now, n(2)).ok());
  c.flush(1);
  c.deliver_all();
  CHECK(c.raft(2).role() == role::leader);
  CHECK(c.raft(1).role() == role::follower);
  REQUIRE(c.propose(2, "x").ok());
  c.run_for(millis{100});
  CHECK(c.count(1, "x") == 1);
  CHECK_FALSE(c.violation());
}

TEST_CASE("raft: leadership moves to a slow voter after the leader catches it up (item 38)") {
  cluster c{{1, 2, 3}};
  c.elect(1);
  c.crash(3);
  for (int i = 0; i < 20; ++i) REQUIRE(c.propose(1, "x" + std::to_string(i)).ok());
  c.run_for(millis{100});
  c.restart(3);
  REQUIRE(c.raft(1).transfer_leadership(c.now, n(3)).ok());
  c.flush(1);
  // No timeout_now until 3 has everything.
  for (auto& q : c.queue()) CHECK_FALSE(std::holds_alternative<timeout_now>(q.e.body));
  c.run_for(millis{100});
  CHECK(c.raft(3).role() == role::leader);
  CHECK(c.count(3, "x19") == 1);
  CHECK_FALSE(c.violation());
}

TEST_CASE("raft: a transfer blocks proposals, times out, and refuses self and non-members (item 38)") {
  options o;
  cluster c{{1, 2, 3}, o};
  c.elect(1);
  c.run_for(millis{50});
  auto self = c.raft(1).transfer_leadership(c.now, n(1));
  CHECK(self.err().code() == errc::invalid_argument);
  auto stranger = c.raft(1).transfer_leadership(c.now, n(9));
  CHECK(stranger.err().code() == errc::invalid_argument);
  auto from_follower = c.raft(2).transfer_leadership(c.now, n(3));
  CHECK(from_follower.err().code() == errc::not_leader);
  c.crash(2);
  REQUIRE(c.raft(1).transfer_leadership(c.now, n(2)).ok());
  c.flush(1);
  auto blocked = c.propose(1, "x");
  REQUIRE_FALSE(blocked.ok());
  CHECK(blocked.err().code() == errc::unavailable);
  c.run_for(o.election_timeout_min + millis{10});
  CHECK(c.raft(1).role() == role::leader);
  CHECK_FALSE(c.raft(1).transfer_target());
  CHECK(c.propose(1, "y").ok());
  CHECK_FALSE(c.violation());
}

TEST_CASE("raft: a new leader serves no read before its no-op commits (item 39)") {
  cluster c{{1, 2, 3}};
  c.campaign(1);
  while (c.raft(1).role() != role::leader) c.deliver_all(1);
  auto early = c.raft(1).read_index(c.now, 7);
  REQUIRE_FALSE(early.ok());
  CHECK(early.err().code() == errc::unavailable);
  c.deliver_all();
  REQUIRE(c.propose(1, "w").ok());
  c.deliver_all();
  REQUIRE(c.raft(1).read_index(c.now, 8).ok());
  c.flush(1);
  CHECK(c.m(1).reads.empty()); // needs a quorum round first
  c.deliver_all();
  REQUIRE(c.m(1).reads.size() == 1);
  CHECK(c.m(1).reads[0].request_id == 8);
  CHECK(c.m(1).reads[0].index == c.raft(1).commit_index());
  auto follower = c.raft(2).read_index(c.now, 9);
  CHECK(follower.err().code() == errc::not_leader);
  auto write = c.raft(2).propose(c.now, data_of("w"));
  CHECK(write.err().code() == errc::not_leader);
  CHECK(write.err().message().find("leader=n1") != std::string::npos);
  CHECK(c.raft(2).leader_hint() == n(1));
  CHECK_FALSE(c.violation());
}

TEST_CASE("raft: a partitioned leader never serves a linearizable read (item 39)") {
  options o;
  o.lease_reads = false; // the heartbeat round alone
  cluster c{{1, 2, 3}, o};
  c.elect(1);
  c.run_for(millis{50});
  c.isolate(1);
  REQUIRE(c.raft(1).read_index(c.now, 11).ok());
  c.flush(1);
  c.run_for(millis{1000});
  CHECK(c.m(1).reads.empty());
  CHECK(c.raft(1).role() != role::leader);
  CHECK(c.m(1).failed_reads == std::vector<std::uint64_t>{11});
  CHECK_FALSE(c.violation());
}

// Thesis §6.4.1: the lease lets a leader answer at once, and it ends before
// any other leader can be elected.
TEST_CASE("raft: a leader serves reads from its lease, and a partitioned one stops before a new leader exists") {
  cluster c{{1, 2, 3}};
  c.elect(1);
  c.run_for(millis{50}); // heartbeats answered: the lease runs
  REQUIRE(c.raft(1).read_index(c.now, 21).ok());
  c.flush(1);
  REQUIRE(c.m(1).reads.size() == 1); // no heartbeat round
  c.m(1).reads.clear();
  c.isolate(1);
  const millis cut_at = c.now;
  const millis et = options{}.election_timeout_min;
  std::optional<millis> last_served, new_leader_at;
  for (std::uint64_t id = 100; c.now < cut_at + 4 * et; ++id) {
    if (c.raft(1).role() == role::leader && c.raft(1).read_index(c.now, id).ok()) {
      c.flush(1);
      if (!c.m(1).reads.empty()) last_served = c.now;
      c.m(1).reads.clear();
    }
    for (std::uint64_t other : {2, 3})
      if (!new_leader_at && c.raft(other).role() == role::leader) new_leader_at = c.now;
    c.run_for(millis{1});
  }
  REQUIRE(last_served.has_value());
  REQUIRE(new_leader_at.has_value());
  CHECK(*last_served < cut_at + et);     // the lease ended within an election timeout
  CHECK(*last_served < *new_leader_at); // and before the others elected anyone
  CHECK_FALSE(c.violation());
}

TEST_CASE("raft: no lease read after timeout_now, whose target is voted for inside any lease") {
  cluster c{{1, 2, 3}};
  c.elect(1);
  c.run_for(millis{50});
  REQUIRE(c.raft(1).transfer_leadership(c.now, n(2)).ok());
  c.flush(1); // timeout_now is on its way, not delivered
  REQUIRE(c.raft(1).role() == role::leader);
  REQUIRE(c.raft(1).read_index(c.now, 31).ok());
  c.flush(1);
  CHECK(c.m(1).reads.empty()); // waits for a heartbeat round instead
  {
    planted::scoped_arm bug{planted::bug::lease_through_transfer};
    cluster d{{1, 2, 3}};
    d.elect(1);
    d.run_for(millis{50});
    REQUIRE(d.raft(1).transfer_leadership(d.now, n(2)).ok());
    d.flush(1);
    REQUIRE(d.raft(1).read_index(d.now, 32).ok());
    d.flush(1);
    CHECK(d.m(1).reads.size() == 1); // the planted bug reads on
  }
}

// A voter vouches for a lease until an election timeout after the heartbeat;
// a restart must not let it forget that promise.
TEST_CASE("raft: a restarted voter votes for no one within an election timeout") {
  cluster c{{1, 2, 3}};
  c.elect(1);
  c.run_for(millis{50});
  c.crash(3);
  c.restart(3);
  c.isolate(1);
  c.campaign(2);
  c.deliver_all();
  CHECK(c.raft(2).role() != role::leader); // 3 still keeps 1's lease
  c.run_for(options{}.election_timeout_min * 4);
  CHECK((c.raft(2).role() == role::leader || c.raft(3).role() == role::leader));
  CHECK_FALSE(c.violation());
}

TEST_CASE("raft: a single voter serves reads at once after its no-op commits (item 39)") {
  cluster c{{1}};
  c.elect(1);
  REQUIRE(c.raft(1).read_index(c.now, 5).ok());
  c.flush(1);
  REQUIRE(c.m(1).reads.size() == 1);
  CHECK(c.m(1).reads[0].index == c.raft(1).commit_index());
}

TEST_CASE("raft: a client retry after the leader crashes is applied exactly once, even across a snapshot (item 40)") {
  cluster c{{1, 2, 3}};
  c.elect(1);
  REQUIRE(c.raft(1).propose(c.now, session_command(42, 1, c.now.count(), "pay")).ok());
  c.flush(1);
  c.run_for(millis{100});
  for (int i = 1; i <= 3; ++i) CHECK(c.count(i, "pay") == 1);
  // The leader crashes before answering; the client retries at the new leader.
  c.crash(1);
  auto l = c.run_until_leader(millis{3000});
  REQUIRE(l);
  const auto leader = l->value();
  REQUIRE(c.raft(leader).propose(c.now, session_command(42, 1, c.now.count(), "pay")).ok());
  c.flush(leader);
  c.run_for(millis{100});
  CHECK(c.count(leader, "pay") == 1);
  CHECK(c.m(leader).sm.responses[{42, 1}] == "done:pay#1");
  // The session table rides in snapshots: a node that joins through one
  // still recognises the retry.
  c.compact(2);
  c.compact(3);
  c.add(n(4), {});
  REQUIRE(c.raft(leader).propose_config_change(c.now, {config_change_kind::add_learner, n(4)}).ok());
  c.flush(leader);
  c.run_for(millis{300});
  REQUIRE(c.m(4).d.snap.last_index > li(0));
  CHECK(c.m(4).sm.sessions.size() == 1);
  REQUIRE(c.raft(leader).propose(c.now, session_command(42, 1, c.now.count(), "pay")).ok());
  c.flush(leader);
  c.run_for(millis{100});
  CHECK(c.count(4, "pay") == 1);
  CHECK(c.m(4).sm.responses[{42, 1}] == "done:pay#1");
  c.restart(1);
  c.run_for(millis{300});
  CHECK(c.count(1, "pay") == 1);
  CHECK_FALSE(c.violation());
}

TEST_CASE("raft: sessions expire by the time recorded in the log, not by local clocks (item 40)") {
  cluster c{{1, 2, 3}};
  c.elect(1);
  REQUIRE(c.raft(1).propose(c.now, session_command(1, 1, 1000, "a")).ok());
  c.flush(1);
  c.run_for(millis{50});
  // Much later in log time, another client's command expires session 1 on
  // every replica at the same index, whatever their clocks say.
  REQUIRE(c.raft(1).propose(c.now, session_command(2, 1, 1000 + 60'000, "b")).ok());
  c.flush(1);
  REQUIRE(c.raft(1).propose(c.now, session_command(1, 2, 1000 + 60'001, "a2")).ok());
  c.flush(1);
  c.run_for(millis{100});
  for (int i = 1; i <= 3; ++i) {
    CHECK(c.m(i).sm.responses[{1, 2}] == "expired");
    CHECK(c.count(i, "a2") == 0);
    CHECK(c.m(i).sm.sessions.size() == 1);
  }
  CHECK_FALSE(c.violation());
}

TEST_CASE("raft: the session table answers duplicates from cache, refuses stale and survives encoding (item 40)") {
  session_table t{millis{100}};
  CHECK(t.check(client_id{1}, sequence_number{1}).kind == session_table::verdict::fresh);
  CHECK(t.check(client_id{1}, sequence_number{2}).kind == session_table::verdict::expired);
  t.record(client_id{1}, sequence_number{1}, data_of("r1"), millis{10});
  auto dup = t.check(client_id{1}, sequence_number{1});
  REQUIRE(dup.kind == session_table::verdict::duplicate);
  CHECK(*dup.cached == data_of("r1"));
  t.record(client_id{1}, sequence_number{2}, data_of("r2"), millis{20});
  CHECK(t.check(client_id{1}, sequence_number{1}).kind == session_table::verdict::stale);
  byte_writer w;
  t.encode(w);
  auto buf = w.take();
  byte_reader r{buf};
  auto back = session_table::decode(r);
  REQUIRE(back.ok());
  CHECK(*back == t);
  // Hostile bytes never crash.
  for (std::size_t cut = 0; cut < buf.size(); ++cut) {
    byte_reader rr{byte_view{buf}.first(cut)};
    CHECK_FALSE(session_table::decode(rr).ok());
  }
  t.expire(millis{121});
  CHECK(t.size() == 0);
}
