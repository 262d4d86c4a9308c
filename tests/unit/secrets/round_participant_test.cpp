// A member's part in a round as a pure plan (src/secrets/round_participant.hpp):
// which steps each role takes in each phase, and when it waits.
#include <doctest/doctest.h>

#include "secrets/round_participant.hpp"

namespace pss::secrets {
namespace {

using namespace std::chrono_literals;

const node_id self{2};

round_state round_of(round_kind kind, round_phase phase) {
  round_state r;
  r.kind = kind;
  r.id = 7;
  r.phase = phase;
  r.participants = {node_id{1}, node_id{2}, node_id{3}};
  r.dealers = r.participants;
  r.receivers = r.participants;
  return r;
}

part_progress due() {
  part_progress p;
  p.resend = true;
  p.phase_timeout = 1000ms;
  return p;
}

using steps = std::vector<part_step>;

TEST_CASE("round participant: a participant deals once, and resends only while its dealing is not in the log") {
  auto r = round_of(round_kind::refresh, round_phase::dealing);
  auto p = due();
  CHECK(plan_part(r, self, p, 0ms) == steps{part_step::deal});
  p.dealt = true;
  CHECK(plan_part(r, self, p, 0ms) == steps{part_step::resend_dealing});
  p.resend = false;
  CHECK(plan_part(r, self, p, 0ms).empty()); // not at a resend tick
  p.resend = true;
  r.dealings[self] = {};
  CHECK(plan_part(r, self, p, 0ms).empty()); // the log holds it
  CHECK(plan_part(r, node_id{9}, due(), 0ms).empty()); // not a participant
}

TEST_CASE("round participant: it responds once every dealer is settled, or half a phase after the close") {
  auto r = round_of(round_kind::refresh, round_phase::responding);
  auto p = due();
  p.dealt = true;
  p.closed_at = 100ms;
  // A dealer resends the bundles receivers miss at every tick; it waits for the rest.
  CHECK(plan_part(r, self, p, 200ms) == steps{part_step::resend_bundles});
  p.dealers_settled = true;
  CHECK(plan_part(r, self, p, 200ms) == steps{part_step::resend_bundles, part_step::respond});
  p.resend = false;
  CHECK(plan_part(r, self, p, 200ms) == steps{part_step::respond}); // settled: at once, not at the next tick
  p.responded = true;
  CHECK(plan_part(r, self, p, 200ms).empty()); // sent once: again only at a resend tick
  p.resend = true;
  CHECK(plan_part(r, self, p, 200ms) == steps{part_step::resend_bundles, part_step::respond});
  p.dealers_settled = false;
  p.responded = false;
  CHECK(plan_part(r, self, p, 600ms) == steps{part_step::resend_bundles, part_step::respond}); // late
  p.resend = false;
  CHECK(plan_part(r, self, p, 600ms).empty()); // late: only at a resend tick
  p.resend = true;
  r.responses[self] = {};
  CHECK(plan_part(r, self, p, 600ms) == steps{part_step::resend_bundles}); // answered already
  r.dealers = {node_id{1}, node_id{3}}; // excluded as a dealer: no bundles of its own
  CHECK(plan_part(r, self, p, 600ms).empty());
}

TEST_CASE("round participant: disputes are answered at resend ticks by participants only") {
  auto r = round_of(round_kind::refresh, round_phase::disputing);
  CHECK(plan_part(r, self, due(), 0ms) == steps{part_step::reveal});
  auto p = due();
  p.resend = false;
  CHECK(plan_part(r, self, p, 0ms).empty());
  CHECK(plan_part(r, node_id{9}, due(), 0ms).empty());
}

TEST_CASE("round participant: at the finish, receivers of a refresh finish, a recovery's helpers send and its target recovers") {
  auto refresh = round_of(round_kind::refresh, round_phase::finishing);
  CHECK(plan_part(refresh, self, due(), 0ms) == steps{part_step::finish_refresh});
  CHECK(plan_part(refresh, node_id{9}, due(), 0ms).empty());
  auto recovery = round_of(round_kind::recovery, round_phase::finishing);
  recovery.target = node_id{4};
  CHECK(plan_part(recovery, self, due(), 0ms) == steps{part_step::send_masked});
  CHECK(plan_part(recovery, node_id{4}, due(), 0ms) == steps{part_step::recover});
  CHECK(plan_part(recovery, node_id{9}, due(), 0ms).empty());
  // The finishing steps run at every input (they resend on their own ticks).
  auto p = due();
  p.resend = false;
  CHECK(plan_part(recovery, node_id{4}, p, 0ms) == steps{part_step::recover});
}

} // namespace
} // namespace pss::secrets
