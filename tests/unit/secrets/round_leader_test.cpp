// The round leader's pure decision (src/secrets/round_leader.hpp): which
// phase end it proposes, and when it waits.
#include <doctest/doctest.h>

#include "secrets/round_leader.hpp"

namespace pss::secrets {
namespace {

using namespace std::chrono_literals;

round_state round_of(round_kind kind, round_phase phase) {
  round_state r;
  r.kind = kind;
  r.id = 7;
  r.phase = phase;
  r.participants = {node_id{1}, node_id{2}, node_id{3}};
  return r;
}

// A clock whose resend tick is due now and whose phase began at 0.
lead_clock due_clock() {
  lead_clock c;
  c.phase_timeout = 1000ms;
  return c;
}

template <class T>
bool proposes(const std::optional<command_body>& b) {
  return b && std::holds_alternative<T>(*b) && std::get<T>(*b).round_id == 7;
}

TEST_CASE("round leader: a phase ends as soon as everyone answered, not at the next tick") {
  auto r = round_of(round_kind::refresh, round_phase::dealing);
  auto c = due_clock();
  c.next_send = 50ms;
  r.dealings[node_id{1}] = {};
  r.dealings[node_id{2}] = {};
  CHECK_FALSE(decide(r, c, 60ms)); // one dealing missing, not timed out, at a tick
  CHECK_FALSE(decide(r, c, 10ms));
  r.dealings[node_id{3}] = {};
  CHECK(proposes<round_close>(decide(r, c, 10ms))); // all dealt: before the resend tick
  r.phase = round_phase::responding;
  CHECK_FALSE(decide(r, c, 60ms));
  r.responses[node_id{1}] = {};
  r.responses[node_id{2}] = {};
  CHECK_FALSE(decide(r, c, 10ms));
  r.responses[node_id{3}] = {};
  CHECK(proposes<round_qualify>(decide(r, c, 10ms)));
}

TEST_CASE("round leader: a phase that timed out ends without the missing answers") {
  auto r = round_of(round_kind::refresh, round_phase::dealing);
  auto c = due_clock();
  c.next_send = 5000ms; // no resend tick before the timeout
  CHECK_FALSE(decide(r, c, 999ms));
  CHECK(proposes<round_close>(decide(r, c, 1000ms)));
  r.phase = round_phase::finishing;
  CHECK(proposes<round_commit>(decide(r, c, 1000ms)));
  auto rec = round_of(round_kind::recovery, round_phase::finishing);
  CHECK_FALSE(decide(rec, c, 999ms));
  CHECK(std::holds_alternative<round_abort>(*decide(rec, c, 1000ms)));
}

TEST_CASE("round leader: disputes and a ready refresh end at once, not at the next tick") {
  auto r = round_of(round_kind::refresh, round_phase::disputing);
  auto c = due_clock();
  c.next_send = 500ms;
  r.disputes.push_back(round_dispute{node_id{1}, node_id{2}, dispute_verdict::open, {}, {}, {}});
  CHECK_FALSE(decide(r, c, 10ms));
  r.disputes.back().verdict = dispute_verdict::dealer_lied;
  CHECK(proposes<round_qualify>(decide(r, c, 10ms)));
  r.phase = round_phase::finishing;
  r.receivers = {node_id{1}, node_id{3}};
  r.ready = {node_id{1}};
  CHECK_FALSE(decide(r, c, 10ms));
  r.ready.push_back(node_id{3});
  CHECK(proposes<round_commit>(decide(r, c, 10ms)));
}

TEST_CASE("round leader: an end it proposed is proposed again only after the resend interval") {
  auto r = round_of(round_kind::refresh, round_phase::dealing);
  for (auto n : r.participants) r.dealings[n] = {};
  auto c = due_clock();
  c.led_round = 7;
  c.led_phase = round_phase::dealing;
  c.next_lead = 100ms;
  CHECK_FALSE(decide(r, c, 99ms));
  CHECK(proposes<round_close>(decide(r, c, 100ms)));
  c.led_phase = round_phase::responding; // led another phase: no wait for this one
  CHECK(proposes<round_close>(decide(r, c, 0ms)));
}

} // namespace
} // namespace pss::secrets

namespace pss::secrets {
namespace {

using namespace std::chrono_literals;

TEST_CASE("round leader: with nothing queued and no refresh due, no round begins") {
  round_queue q;
  q.next_refresh = 500ms;
  CHECK_FALSE(next_round(q, 100ms, 1000ms));
  CHECK_FALSE(next_round(q, 10'000ms, 0ms)); // no schedule at all
}

TEST_CASE("round leader: a due refresh begins and schedules the next; a requested one needs no schedule") {
  round_queue q;
  q.next_refresh = 500ms;
  auto s = next_round(q, 500ms, 1000ms);
  REQUIRE(s);
  CHECK(s->kind == round_kind::refresh);
  CHECK(q.next_refresh == 1500ms);
  CHECK(q.recovery_turn);
  CHECK_FALSE(next_round(q, 600ms, 1000ms));
  q.refresh_requested = true;
  s = next_round(q, 700ms, 0ms);
  REQUIRE(s);
  CHECK(s->kind == round_kind::refresh);
  CHECK_FALSE(q.refresh_requested);
}

TEST_CASE("round leader: a refresh asked to leave a member out carries it, once") {
  round_queue q;
  q.refresh_requested = true;
  q.leave_out = node_id{4};
  auto s = next_round(q, 0ms, 1000ms);
  REQUIRE(s);
  CHECK(s->kind == round_kind::refresh);
  CHECK(s->target == node_id{4});
  CHECK_FALSE(q.leave_out);
  s = next_round(q, 1000ms, 1000ms); // the next scheduled refresh leaves nobody out
  REQUIRE(s);
  CHECK(s->target == node_id{});
}

TEST_CASE("round leader: recoveries and refreshes take turns when both wait, by id") {
  round_queue q;
  q.next_refresh = 500ms;
  q.recoveries = {node_id{3}, node_id{1}};
  // No refresh due: recoveries go, one per round.
  auto s = next_round(q, 0ms, 1000ms);
  REQUIRE(s);
  CHECK(s->kind == round_kind::recovery);
  CHECK(s->target == node_id{1});
  // Both wait: the refresh goes first (not recovery's turn), then the recovery.
  s = next_round(q, 1000ms, 1000ms);
  REQUIRE(s);
  CHECK(s->kind == round_kind::refresh);
  q.next_refresh = 1000ms; // due again at once
  s = next_round(q, 1000ms, 1000ms);
  REQUIRE(s);
  CHECK(s->kind == round_kind::recovery);
  CHECK(s->target == node_id{3});
  CHECK(q.recoveries.empty());
  s = next_round(q, 1000ms, 1000ms);
  REQUIRE(s);
  CHECK(s->kind == round_kind::refresh);
}

TEST_CASE("round leader: a member whose recovery keeps failing does not starve the others") {
  round_queue q;
  q.next_refresh = 1'000'000ms;
  // Node 1's recovery fails each time (a liar among the t+1 holders of a
  // refreshed version) and node 1 asks again at once; node 8 waits too.
  q.recoveries = {node_id{1}, node_id{8}};
  auto s = next_round(q, 0ms, 1000ms);
  REQUIRE(s);
  CHECK(s->target == node_id{1});
  q.recoveries.insert(node_id{1}); // asks again
  s = next_round(q, 0ms, 1000ms);
  REQUIRE(s);
  CHECK(s->target == node_id{8}); // not node 1 again
  q.recoveries.insert(node_id{8});
  s = next_round(q, 0ms, 1000ms);
  REQUIRE(s);
  CHECK(s->target == node_id{1}); // past the highest id, the lowest again
}

TEST_CASE("round leader: a phase does not wait for quiet participants once the others and t+1 answered") {
  auto r = round_of(round_kind::refresh, round_phase::dealing);
  r.participants = {node_id{1}, node_id{2}, node_id{3}, node_id{4}, node_id{5}};
  r.threshold = 3;
  auto c = due_clock();
  c.phase_timeout = 3000ms;
  c.next_send = 5000ms;
  c.quiet = {node_id{5}};
  c.quiet_grace = 400ms;
  for (std::uint64_t i = 1; i <= 3; ++i) r.dealings[node_id{i}] = {};
  CHECK_FALSE(decide(r, c, 500ms)); // node 4 is not quiet and has not dealt
  r.dealings[node_id{4}] = {};
  CHECK_FALSE(decide(r, c, 300ms)); // the phase is younger than quiet_grace
  CHECK(proposes<round_close>(decide(r, c, 500ms)));
  // Fewer than t+1 answers: it waits for the timeout, quiet or not.
  auto few = round_of(round_kind::refresh, round_phase::responding);
  few.participants = r.participants;
  few.threshold = 3;
  c.quiet = {node_id{3}, node_id{4}, node_id{5}};
  few.responses[node_id{1}] = {};
  few.responses[node_id{2}] = {};
  CHECK_FALSE(decide(few, c, 500ms));
  CHECK(proposes<round_qualify>(decide(few, c, 3000ms)));
  few.responses[node_id{3}] = {};
  c.quiet = {node_id{4}, node_id{5}};
  CHECK_FALSE(decide(few, c, 500ms)); // 3 answers: t+1 = 4 are needed
  few.responses[node_id{4}] = {};
  c.quiet = {node_id{5}};
  CHECK(proposes<round_qualify>(decide(few, c, 500ms)));
  // Nobody quiet: every participant, as before.
  c.quiet.clear();
  CHECK_FALSE(decide(few, c, 500ms));
}

} // namespace
} // namespace pss::secrets
