// The node engine's side of refresh and recovery rounds (docs/refresh.md
// §3): requests for a round, proposals members forward to the leader, the
// leader's phase decisions (round_leader.hpp), and this node's part, which
// round_member (round_member.hpp) works out and returns as effects that are
// performed here. Everything is driven from drain() and on_tick(), with
// injected time and randomness, so rounds run under the simulator like
// everything else.
#include <algorithm>

#include "secrets/node_engine.hpp"
#include "secrets/round_leader.hpp"

namespace pss::secrets {

bool node_engine::holds_round_material() const noexcept { return member_.holds_material(); }

// Zeroizes this node's work in the last round and starts on round `id`.
void node_engine::start_round_work(std::uint64_t id) {
  member_.reset(id);
  clock_ = round_clock{};
  clock_.id = id;
}

void node_engine::request_refresh(millis now) {
  if (failed_) return;
  if (core().role() == raft::role::leader) queue_.refresh_requested = true;
  else forward(now, round_begin{round_kind::refresh, catalog_.last_round_id() + 1, {}});
  drain(now);
}

bool node_engine::request_refresh_leaving_out(millis now, node_id member) {
  if (failed_ || core().role() != raft::role::leader) return false;
  queue_.leave_out = member;
  queue_.refresh_requested = true;
  drain(now);
  return true;
}

void node_engine::transfer_leadership(millis now, node_id target) {
  if (failed_ || core().role() != raft::role::leader) return;
  (void)core().transfer_leadership(now, target); // refused: a non-voter, itself, or a transfer running
  drain(now);
}

void node_engine::on_refresh_request(millis now, endpoint from, const refresh_request& m, const requester& who) {
  // The leader starts the round; a follower passes the request on, and
  // says so only if it knows whom to pass it to.
  if (core().role() == raft::role::leader) {
    queue_.refresh_requested = true;
  } else if (core().leader_hint() != node_id{} && core().leader_hint() != keys_.id) {
    forward(now, round_begin{round_kind::refresh, catalog_.last_round_id() + 1, {}});
  } else {
    return send(from, refresh_response{m.request_id, reply_code::unavailable,
                                       node_name(keys_.id) + ": no leader is known; retry"});
  }
  const refresh_response ok{m.request_id, reply_code::ok,
                            catalog_.round() ? "a round is running; a refresh round follows it"
                                             : "a refresh round was requested"};
  // The request is in the log; its record rides the audit log's next sync.
  if (record(now, audit::action::refresh, who, "", 0, audit::outcome::ok).ok()) return send(from, ok);
  send(from, ok);
}

void node_engine::propose_round(millis now, command_body body) {
  const command c{session_header{client_id{}, sequence_number{}, now}, std::move(body)};
  if (core().propose(now, encode_command(c)).ok()) ++counters_.proposals;
}

void node_engine::forward(millis now, command_body body) {
  if (core().role() == raft::role::leader) return propose_round(now, std::move(body));
  const node_id leader = core().leader_hint();
  if (leader == node_id{} || leader == keys_.id) return;
  send(endpoint::of(leader), node_proposal{std::move(body)});
}

void node_engine::on_node_proposal(millis now, endpoint from, node_proposal&& m) {
  const node_id sender = from.as_node();
  // A node may speak only for itself.
  bool own = std::visit(
    [&](const auto& b) {
      using T = std::decay_t<decltype(b)>;
      if constexpr (std::is_same_v<T, round_dealing>) return b.dealer == sender;
      else if constexpr (std::is_same_v<T, round_response>) return b.receiver == sender;
      else if constexpr (std::is_same_v<T, round_reveal>) return b.dealer == sender;
      else if constexpr (std::is_same_v<T, round_ready>) return b.node == sender;
      else if constexpr (std::is_same_v<T, shares_lost>) return b.node == sender;
      else if constexpr (std::is_same_v<T, seal_announcement>) return b.node == sender;
      else if constexpr (std::is_same_v<T, round_begin>)
        return b.kind == round_kind::refresh || b.target == sender;
      else return false; // close, qualify, commit, abort are the leader's own
    },
    m.body);
  if (!own) {
    ++counters_.unexpected;
    return;
  }
  if (core().role() != raft::role::leader) return; // the sender retries at the leader
  // Rounds are started by the leader in lead_round: a due refresh first,
  // then queued recoveries, so neither starves the other.
  if (auto* b = std::get_if<round_begin>(&m.body)) {
    if (b->kind == round_kind::refresh) queue_.refresh_requested = true;
    else queue_.recoveries.insert(b->target);
    return;
  }
  if (auto* l = std::get_if<shares_lost>(&m.body); l != nullptr && !admit_shares_lost(now, *l)) return;
  propose_round(now, std::move(m.body));
}

void node_engine::on_round_chunk(endpoint from, round_chunk&& m) {
  member_.receive(catalog_, from.as_node(), std::move(m));
  take_member_counters();
}

void node_engine::drive_rounds(millis now) {
  const auto& r = catalog_.round();
  if (!r) {
    if (clock_.id != 0) start_round_work(0);
  } else if (clock_.id != r->id) {
    start_round_work(r->id);
    note_raise_waits(*r);
    clock_.phase_since = now;
    clock_.seen_phase = r->phase;
  }
  // A reshare's qualify needs K over every version: a slice per input once
  // its dealings closed, so that no single apply stalls the node (§7.5).
  if (r) (void)catalog_.advance_reshare_anchor(reshare_anchor_slice);
  if (r && r->phase != clock_.seen_phase) {
    clock_.seen_phase = r->phase;
    clock_.phase_since = now;
    clock_.next_send = now; // act on the new phase at once
  }
  if (core().role() == raft::role::leader) lead_round(now);
  if (r) take_part(now);
  if (options_.test_only.misbehave == round_misbehaviour::spam_recovery) spam_recovery(now);
  // A caught-up member checks, now and then, that it holds every share the
  // catalog says it holds (else its journal was lost: it leaves the holder
  // lists), and asks for its own recovery when it misses any; also while a
  // refresh runs, since refreshes may follow each other with no gap (the
  // refresh does without its shares; the leader queues the recovery).
  if ((!r || r->kind == round_kind::refresh) && !rejoin_unrecorded() && now >= next_round_request_
      && caught_up()) {
    next_round_request_ = now + options_.round_resend_interval * 4;
    if (holds_less_than_listed()) {
      // A declaration the log applied is over: listed again for shares it
      // lacks, this node lost them anew, and says so under a new nonce.
      if (lost_nonce_ && catalog_.shares_lost_recorded(keys_.id, *lost_nonce_)) lost_nonce_.reset();
      forward(now, shares_lost{keys_.id, lost_nonce()});
    } else {
      lost_nonce_.reset(); // the declaration applied (or was never needed): the next one is new
      // A member being removed (or removed) recovers nothing (docs/refresh.md §7.3).
      const bool staying = catalog_.leaving() != keys_.id && catalog_.view().find(keys_.id) != nullptr;
      if (options_.auto_recover && staying) ask_for_recovery(now);
    }
  }
}

// A refresh that deals for the old t while a raise is recorded: some version
// is held by fewer than t' members (docs/refresh.md §7.4). The leader says so.
void node_engine::note_raise_waits(const round_state& r) {
  const std::uint32_t t = catalog_.new_threshold();
  if (t == 0 || r.kind != round_kind::refresh || r.threshold == t) return;
  raise_waited_round_ = r.id;
  if (core().role() != raft::role::leader) return;
  const std::string why = t > r.threshold ? "the raise to " + std::to_string(t) + " waits until every version is held by "
                                              + std::to_string(t) + " members"
                                          : "the lowering to " + std::to_string(t) + " waits until "
                                              + std::to_string(r.threshold) + " members hold every version, or after "
                                                "a reshare that aborted (" + catalog_.last_abort_reason() + ")";
  event("round " + std::to_string(r.id) + " deals for t = " + std::to_string(r.threshold) + ": " + why
        + " (or call it off: pss threshold set " + std::to_string(r.threshold) + ")");
}

// Participants this node has heard nothing from for a third of a phase
// timeout (followers answer the leader's heartbeats many times a second).
std::set<node_id> node_engine::quiet_participants(const round_state& r, millis now) const {
  std::set<node_id> out;
  for (node_id p : r.participants) {
    if (p == keys_.id) continue;
    auto it = heard_.find(p);
    if (it == heard_.end() || now > it->second + options_.round_phase_timeout / 3) out.insert(p);
  }
  return out;
}

void node_engine::lead_round(millis now) {
  const auto& r = catalog_.round();
  if (last_role_ != raft::role::leader) {
    queue_.next_refresh = now + options_.refresh_interval;
    queue_.leave_out.reset(); // asked of an earlier term's leadership: asked again if still wanted
  }
  lead_committee(now); // a recorded removal leaves its member out of every refresh
  if (!r) {
    if (now < clock_.next_send) return;
    const auto start = next_round(queue_, now, options_.refresh_interval);
    if (!start) return;
    clock_.next_send = now + options_.round_resend_interval;
    propose_round(now, round_begin{start->kind, catalog_.last_round_id() + 1, start->target});
    return;
  }
  // Which phase end to propose, if any: a pure decision (round_leader.hpp).
  const lead_clock clock{clock_.phase_since,
                         clock_.next_send,
                         clock_.next_lead,
                         clock_.led_round,
                         clock_.led_phase,
                         options_.round_phase_timeout,
                         quiet_participants(*r, now),
                         options_.round_resend_interval};
  auto body = decide(*r, clock, now);
  if (!body) return;
  clock_.led_round = r->id;
  clock_.led_phase = r->phase;
  clock_.next_lead = now + options_.round_resend_interval;
  propose_round(now, std::move(*body));
}

// This node's part: round_member works it out, and its effects are
// performed here in order. A store that fails makes the node sit the round
// out, a sync that fails stops it; either ends the list.
void node_engine::take_part(millis now) {
  const bool resend = now >= clock_.next_send;
  if (resend) clock_.next_send = now + options_.round_resend_interval;
  perform_round_effects(now, member_.step(catalog_, *shares_, now, resend));
  take_member_counters();
}

void node_engine::perform_round_effects(millis now, std::vector<round_effect> effects) {
  const round_state& r = *catalog_.round();
  for (auto& effect : effects) {
    if (auto* m = std::get_if<round_fx::send>(&effect)) {
      send(endpoint::of(m->to), std::move(m->chunk));
    } else if (auto* p = std::get_if<round_fx::propose>(&effect)) {
      forward(now, std::move(p->body));
    } else if (auto* n = std::get_if<round_fx::note>(&effect)) {
      event(std::move(n->text));
    } else if (auto* w = std::get_if<round_fx::store>(&effect)) {
      if (auto st = shares_->store_round_share(w->key, w->value, now, r.id); !st.ok()) return sit_out(r, st.err());
    } else if (std::holds_alternative<round_fx::sync>(effect)) {
      if (auto st = flush_shares(); !st.ok()) return fail(st.err());
    } else {
      return sit_out(r, std::get<round_fx::sit_out>(effect).why);
    }
  }
}

void node_engine::take_member_counters() {
  const round_member_counters& c = member_.counters();
  counters_.round_chunks_refused = c.chunks_refused;
  counters_.rounds_dealt = c.dealt;
  counters_.reveals_sent = c.reveals_sent;
  counters_.recovery_misfits = c.misfits;
}

// round_misbehaviour::spam_recovery: every resend interval, declare this
// node's shares lost under a fresh nonce, replay its first declaration, and
// ask for its own recovery. The leader admits one declaration per refresh
// interval, the catalog refuses the replay, and refresh keeps its turns.
void node_engine::spam_recovery(millis now) {
  if (now < spam_next_ || core().leader_hint() == node_id{}) return;
  spam_next_ = now + options_.round_resend_interval;
  lost_nonce_.reset();
  const std::uint64_t fresh = lost_nonce();
  if (!spam_first_nonce_) spam_first_nonce_ = fresh;
  forward(now, shares_lost{keys_.id, fresh});
  forward(now, shares_lost{keys_.id, *spam_first_nonce_});
  forward(now, round_begin{round_kind::recovery, catalog_.last_round_id() + 1, keys_.id});
}

} // namespace pss::secrets
