// The round leader's decision (docs/refresh.md §3): given the round as the
// catalog holds it and the leader's own clock of that round, which phase end
// to propose now, if any. Pure: no engine, no I/O; node_engine::lead_round
// proposes what it returns and remembers that it did (lead_clock::led_*).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <set>

#include "secrets/catalog.hpp"
#include "secrets/commands.hpp"

namespace pss::secrets {

using millis = std::chrono::milliseconds;

// What the leader knows of the round's time, kept by node_engine.
struct lead_clock {
  millis phase_since{0};   // when this node saw the current phase begin
  millis next_send{0};     // the leader's next resend tick
  millis next_lead{0};     // when the end it last proposed may be proposed again
  std::uint64_t led_round = 0;
  round_phase led_phase = round_phase::dealing;
  millis phase_timeout{0};
  // Participants the leader has heard nothing from lately (down, or cut
  // off): the dealing and responding phases do not wait for them once
  // every other participant answered, t+1 answers are in, and the phase is
  // `quiet_grace` old (docs/refresh.md §3, "Phase ends").
  std::set<node_id> quiet;
  millis quiet_grace{0};
};

// A phase's end is proposed as soon as every participant has answered it
// (every dealing, every response, every verdict, every receiver ready for a
// refresh's commit) or every one but the quiet ones (see lead_clock), else
// once the phase timed out; and again every resend
// interval until the log shows it (a proposal
// can be lost with a leadership change). Waiting for a tick when nothing is
// left to wait for cost a round up to a resend interval per phase.
[[nodiscard]] std::optional<command_body> decide(const round_state& r, const lead_clock& c, millis now);

// What waits for the leader to begin a round, kept by node_engine.
struct round_queue {
  millis next_refresh{0};         // when the next scheduled refresh is due
  bool refresh_requested = false; // an admin's `pss refresh`, or a member's forwarded begin
  bool recovery_turn = false;     // after a refresh, queued recoveries go before the next one
  std::set<node_id> recoveries;   // members to recover, taken in turn by id
  // The last recovery's target: the next is the next id after it (then the
  // lowest again), so a member whose recovery keeps failing (a refreshed
  // version a liar can block, docs/refresh.md §3) never starves the others.
  node_id last_recovery;
  // The next refresh leaves this member out (docs/refresh.md §7.3, the first
  // step of its removal); set by the leader's own caller only, never from a
  // member's request, and taken off the queue with that refresh.
  std::optional<node_id> leave_out;
};

struct round_start {
  round_kind kind = round_kind::refresh;
  node_id target; // a recovery's
};

// Which round to begin when none runs, taken off the queue. Refreshes and
// recoveries take turns when both wait: recoveries, which any node can ask
// for again and again by declaring its shares lost, never starve refresh,
// and rounds slower than the refresh interval never starve recovery. The
// caller proposes it at its resend ticks only.
[[nodiscard]] std::optional<round_start> next_round(round_queue& q, millis now, millis refresh_interval);

} // namespace pss::secrets
