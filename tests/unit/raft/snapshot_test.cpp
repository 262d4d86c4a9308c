// Snapshot scenarios. Checklist items covered here:
//  28 catch-up through chunked InstallSnapshot after compaction,
//  29 restart from a snapshot plus log suffix restores the membership,
//  30 stale snapshots ignored, a conflicting log discarded,
//  31 interrupted transfers (follower crash, leader change) and duplicate or
//     out-of-range chunks, 24 crash points around snapshot persistence.
#include "harness.hpp"

using namespace pss;
using namespace pss::raft;
using namespace pss::raft::testing;

namespace {

options small_chunks() {
  options o;
  o.snapshot_chunk_bytes_max = 8;
  return o;
}

void fill(cluster& c, std::uint64_t leader, int count, std::string_view prefix) {
  for (int i = 0; i < count; ++i) {
    REQUIRE(c.raft(leader).propose(c.now, data_of(std::string(prefix) + std::to_string(i))).ok());
    c.flush(leader);
    c.run_for(millis{2});
  }
  c.run_for(millis{100});
}

std::size_t snapshot_chunks_queued(cluster& c, std::uint64_t to) {
  std::size_t k = 0;
  for (auto& q : c.queue())
    if (q.e.to == n(to) && std::holds_alternative<install_snapshot>(q.e.body)) ++k;
  return k;
}

} // namespace

TEST_CASE("raft: a lagging follower catches up through a chunked InstallSnapshot (item 28)") {
  cluster c{{1, 2, 3}, small_chunks()};
  c.elect(1);
  c.crash(3);
  fill(c, 1, 30, "v");
  c.compact(1);
  c.compact(2);
  REQUIRE(c.raft(1).log().snapshot_index() > li(10));
  c.restart(3);
  c.run_for(millis{400});
  CHECK(c.delivered_kinds["install_snapshot"] > 3); // it went in several chunks
  CHECK(c.m(3).d.snap.last_index >= c.raft(1).log().snapshot_index());
  for (int i = 0; i < 30; ++i) CHECK(c.count(3, "v" + std::to_string(i)) == 1);
  CHECK(c.raft(3).log().last_index() == c.raft(1).log().last_index());
  CHECK_FALSE(c.violation());
}

TEST_CASE("raft: a restart from a snapshot and log suffix restores the membership (item 29)") {
  cluster c{{1, 2, 3}};
  c.elect(1);
  c.run_for(millis{50});
  c.add(n(4), {});
  REQUIRE(c.raft(1).propose_config_change(c.now, {config_change_kind::add_learner, n(4)}).ok());
  c.flush(1);
  c.run_for(millis{100});
  fill(c, 1, 5, "a");
  c.compact(1);
  fill(c, 1, 3, "b");
  REQUIRE(c.m(1).d.snap.config.is_learner(n(4)));
  c.crash(1);
  c.restart(1);
  CHECK(c.raft(1).config().is_learner(n(4)));
  CHECK(c.raft(1).config().voters.size() == 3);
  CHECK(c.raft(1).log().snapshot_index() == c.m(1).d.snap.last_index);
  c.run_for(millis{1000});
  auto l = c.leader();
  REQUIRE(l);
  REQUIRE(c.propose(l->value(), "z").ok());
  c.run_for(millis{200});
  for (int i = 1; i <= 4; ++i) CHECK(c.count(i, "z") == 1);
  CHECK_FALSE(c.violation());
}

TEST_CASE("raft: a stale snapshot is ignored and a conflicting log is discarded (item 30)") {
  cluster c{{1, 2, 3}};
  c.elect(1);
  fill(c, 1, 5, "a");
  node& f = c.raft(2);
  const term_id t = f.term();
  const auto commit = f.commit_index();
  const auto last = f.log().last_index();
  bytes data = c.m(1).sm.snapshot();
  snapshot_meta stale{li(2), t, f.config()};
  f.step(c.now, envelope{n(1), n(2), install_snapshot{t, stale, data.size(), 0, data, true}});
  c.flush(2);
  CHECK(f.log().last_index() == last);
  CHECK(f.commit_index() == commit);
  CHECK(c.m(2).d.snap.last_index == li(0));
  // A snapshot beyond our log whose last entry we do not hold: the log goes.
  c.queue().clear();
  snapshot_meta ahead{li(50), t, f.config()};
  f.step(c.now, envelope{n(1), n(2), install_snapshot{t, ahead, data.size(), 0, data, true}});
  c.flush(2);
  CHECK(f.log().snapshot_index() == li(50));
  CHECK(f.log().entries().empty());
  CHECK(f.commit_index() == li(50));
  CHECK(c.m(2).d.snap.last_index == li(50));
  CHECK(c.m(2).d.log.empty());
  // (The forged snapshot breaks state machine safety on purpose; only the
  // node's handling is under test here.)
}

TEST_CASE("raft: duplicate and out-of-range snapshot chunks are answered, never trusted (item 31)") {
  cluster c{{1, 2, 3}};
  c.elect(1);
  node& f = c.raft(2);
  const term_id t = f.term();
  bytes data = c.m(1).sm.snapshot();
  data.resize(40, 0);
  snapshot_meta meta{li(50), t, f.config()};
  auto chunk = [&](std::uint64_t off, std::uint64_t len, const snapshot_meta& m) {
    install_snapshot s{t, m, data.size(), off, bytes(data.begin() + off, data.begin() + off + len), off + len == data.size()};
    return envelope{n(1), n(2), s};
  };
  auto last_next_offset = [&]() {
    auto* r = std::get_if<install_snapshot_response>(&c.queue().back().e.body);
    REQUIRE(r);
    return r->next_offset;
  };
  f.step(c.now, chunk(0, 10, meta));
  c.flush(2);
  CHECK(last_next_offset() == 10);
  f.step(c.now, chunk(0, 10, meta)); // duplicate
  c.flush(2);
  CHECK(last_next_offset() == 10);
  f.step(c.now, chunk(20, 10, meta)); // beyond what we hold
  c.flush(2);
  CHECK(last_next_offset() == 10);
  snapshot_meta other{li(60), t, f.config()};
  f.step(c.now, chunk(10, 10, other)); // a different snapshot, mid-stream
  c.flush(2);
  CHECK(last_next_offset() == 0);
  CHECK(f.log().snapshot_index() == li(0));
  c.queue().clear();
  CHECK_FALSE(c.violation());
}

TEST_CASE("raft: a follower crash during a snapshot transfer does not leave it stuck (item 31)") {
  cluster c{{1, 2, 3}, small_chunks()};
  c.elect(1);
  c.crash(3);
  fill(c, 1, 30, "v");
  c.compact(1);
  c.restart(3);
  c.faults.delay_min = c.faults.delay_max = millis{1}; // messages wait a step
  for (int i = 0; i < 500 && snapshot_chunks_queued(c, 3) == 0; ++i) c.run_for(millis{1});
  for (int i = 0; i < 50 && c.delivered_kinds["install_snapshot"] < 2; ++i) c.deliver_all(1);
  CHECK(c.delivered_kinds["install_snapshot"] >= 1);
  CHECK(c.m(3).d.snap.last_index == li(0)); // interrupted mid-transfer
  c.crash(3);
  c.run_for(millis{100});
  c.restart(3);
  c.run_for(millis{1000});
  for (int i = 0; i < 30; ++i) CHECK(c.count(3, "v" + std::to_string(i)) == 1);
  CHECK_FALSE(c.violation());
}

TEST_CASE("raft: a leader change during a snapshot transfer does not leave the follower stuck (item 31)") {
  cluster c{{1, 2, 3}, small_chunks()};
  c.elect(1);
  c.crash(3);
  fill(c, 1, 30, "v");
  c.compact(1);
  c.compact(2);
  c.restart(3);
  c.faults.delay_min = c.faults.delay_max = millis{1}; // messages wait a step
  for (int i = 0; i < 500 && snapshot_chunks_queued(c, 3) == 0; ++i) c.run_for(millis{1});
  for (int i = 0; i < 50 && c.delivered_kinds["install_snapshot"] < 2; ++i) c.deliver_all(1);
  CHECK(c.delivered_kinds["install_snapshot"] >= 1);
  CHECK(c.m(3).d.snap.last_index == li(0)); // interrupted mid-transfer
  c.crash(1);
  c.run_for(millis{2000});
  auto l = c.leader();
  REQUIRE(l == n(2));
  REQUIRE(c.propose(2, "after").ok());
  c.run_for(millis{500});
  for (int i = 0; i < 30; ++i) CHECK(c.count(3, "v" + std::to_string(i)) == 1);
  CHECK(c.count(3, "after") == 1);
  CHECK_FALSE(c.violation());
}

TEST_CASE("raft: crashes around installing a received snapshot keep the node consistent (item 24)") {
  for (auto point : {crash_point::before_persist, crash_point::after_snapshot,
                     crash_point::after_hard_state, crash_point::after_send}) {
    CAPTURE(static_cast<int>(point));
    cluster c{{1, 2, 3}};
    c.elect(1);
    c.crash(3);
    fill(c, 1, 10, "v");
    c.compact(1);
    c.compact(2);
    c.restart(3);
    c.faults.delay_min = c.faults.delay_max = millis{1};
    // Crash 3 at `point` in the flush that installs the snapshot.
    for (int i = 0; i < 200; ++i) {
      bool chunk_next = false;
      for (auto& q : c.queue())
        if (q.e.to == n(3) && std::holds_alternative<install_snapshot>(q.e.body)) chunk_next = true;
      if (chunk_next) {
        c.m(3).armed = point;
        break;
      }
      c.run_for(millis{1});
    }
    c.run_for(millis{50});
    CHECK(c.delivered_kinds["install_snapshot"] >= 1);
    if (!c.m(3).up) c.restart(3);
    c.run_for(millis{1000});
    for (int i = 0; i < 10; ++i) CHECK(c.count(3, "v" + std::to_string(i)) == 1);
    CHECK_FALSE(c.violation());
  }
}

TEST_CASE("raft: a crash between writing a local snapshot and trimming the log recovers (item 24)") {
  for (std::uint64_t victim : {1, 2}) {
    cluster c{{1, 2, 3}};
    c.elect(1);
    fill(c, 1, 10, "v");
    c.compact(victim, true);
    REQUIRE_FALSE(c.m(victim).up);
    c.restart(victim);
    CHECK(c.raft(victim).log().snapshot_index() == c.m(victim).d.snap.last_index);
    c.run_for(millis{1500});
    auto l = c.leader();
    REQUIRE(l);
    REQUIRE(c.propose(l->value(), "after").ok());
    c.run_for(millis{200});
    for (int i = 1; i <= 3; ++i) {
      CHECK(c.count(i, "v9") == 1);
      CHECK(c.count(i, "after") == 1);
    }
    CHECK_FALSE(c.violation());
  }
}

// Regression: the randomized sweep (seed 133 of an earlier profile) spent
// 100 s in one seed because every duplicated snapshot answer sent another
// chunk, so chunks multiplied with each round trip.
TEST_CASE("raft: duplicated snapshot answers do not multiply chunks (item 31, regression)") {
  cluster c{{1, 2, 3}, small_chunks()};
  c.elect(1);
  c.crash(3);
  fill(c, 1, 30, "v");
  c.compact(1);
  c.compact(2);
  c.faults.duplicate = 1.0; // every message arrives twice
  c.restart(3);
  c.run_for(millis{1000});
  const auto chunks_needed = c.m(1).d.snap_data.size() / 8 + 1;
  CHECK(c.count(3, "v29") == 1);
  CHECK(c.delivered_kinds["install_snapshot"] < 6 * chunks_needed + 100);
  CHECK_FALSE(c.violation());
}
