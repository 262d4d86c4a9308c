#include "actors/engine_actor.hpp"

#include <map>
#include <optional>

#include "caf/actor_system.hpp"
#include "caf/actor_system_config.hpp"
#include "caf/event_based_actor.hpp"
#include "caf/stateful_actor.hpp"

#include "actors/messages.hpp"

namespace pss::actors {

void register_message_types(caf::actor_system_config& cfg) {
  cfg.add_message_type<wire_message>("wire_message");
  cfg.add_message_type<client_operation_request>("client_operation_request");
  cfg.add_message_type<client_operation_result>("client_operation_result");
  cfg.add_message_type<node_status_request>("node_status_request");
  cfg.add_message_type<node_status>("node_status");
  cfg.add_message_type<link_message>("link_message");
  cfg.add_message_type<link_hello>("link_hello");
  cfg.add_message_type<client_hello>("client_hello");
  cfg.add_message_type<peer_health>("peer_health");
  cfg.add_message_type<node_health>("node_health");
  cfg.add_message_type<member_link>("member_link");
  cfg.add_message_type<std::vector<member_link>>("std::vector<member_link>");
  cfg.add_message_type<member_view>("member_view");
}

namespace {

// The single outstanding timer of a host.
struct timer_state {
  std::uint64_t generation = 0;
  std::optional<millis> armed;  // when the live timer fires
  std::optional<millis> wanted; // the engine's last next_wakeup
};

struct node_state {
  std::shared_ptr<host_slot> slot;
  timer_state timer;
  bool flush_queued = false; // a flush_atom is in the mailbox
  static inline const char* name = "pss_node";
};

struct client_state {
  std::shared_ptr<client_slot> slot;
  timer_state timer;
  std::map<std::uint64_t, caf::actor> reply_to;
  static inline const char* name = "pss_client";
};

template <class Self>
millis now_of(Self* self) {
  return std::chrono::duration_cast<millis>(self->clock().now().time_since_epoch());
}

// Arms exactly one live timer for the engine's wake-up. A timer armed for a
// later instant is superseded (its firing will be stale); one armed earlier
// stays and re-evaluates when it fires.
template <class Self>
void arm(Self* self, timer_state& t, millis now) {
  if (!t.wanted) return;
  const millis at = std::max(*t.wanted, now + host_tick_spacing_min);
  if (t.armed && *t.armed <= at) return;
  t.armed = at;
  ++t.generation;
  self->delayed_send(self, at - now, tick_atom::value, t.generation);
}

// Sends every outgoing message in order and remembers the next wake-up.
template <class Self, class Slot>
void flush(Self* self, Slot& slot, timer_state& t, millis now) {
  secrets::engine_output out = slot.engine->take_output();
  if constexpr (requires { slot.log; })
    if (slot.log)
      for (const auto& e : out.events) slot.log(e);
  for (auto& m : out.messages) {
    if (slot.hooks) slot.hooks->on_send(now, slot.self, m.to, m.payload);
    caf::actor dest = slot.directory->route(m.to);
    if (dest) self->send(dest, wire_message::make(slot.self, m.to, std::move(m.payload)));
  }
  if constexpr (requires { slot.after_output; })
    if (slot.after_output) slot.after_output();
  t.wanted = out.next_wakeup;
  arm(self, t, now);
  if constexpr (requires { self->state.flush_queued; }) {
    // Sent to the end of the mailbox: every input already waiting is handled
    // first, so one sync covers them all (group commit).
    if (out.flush_requested && !self->state.flush_queued) {
      self->state.flush_queued = true;
      self->send(self, flush_atom::value);
    }
  }
}

// Returns true if the timer firing is the live one and the engine is due.
template <class Self>
bool timer_fired(Self* self, timer_state& t, std::uint64_t generation, millis now) {
  if (generation != t.generation) return false; // superseded
  t.armed.reset();
  if (t.wanted && now < *t.wanted) {
    arm(self, t, now);
    return false;
  }
  return true;
}

caf::behavior node_actor(caf::stateful_actor<node_state>* self, std::shared_ptr<host_slot> slot) {
  self->state.slot = std::move(slot);
  flush(self, *self->state.slot, self->state.timer, now_of(self));
  return {
    [=](wire_message& m) {
      host_slot& s = *self->state.slot;
      if (!s.alive) return;
      const millis now = now_of(self);
      if (s.hooks) s.hooks->on_input(now, s.self, false, m.from(), m.payload);
      s.engine->on_message(now, m.from(), m.payload);
      flush(self, s, self->state.timer, now);
      if (s.hooks) s.hooks->after_input(now, s.self);
    },
    [=](tick_atom, std::uint64_t generation) {
      host_slot& s = *self->state.slot;
      const millis now = now_of(self);
      if (!s.alive || !timer_fired(self, self->state.timer, generation, now)) return;
      if (s.hooks) s.hooks->on_input(now, s.self, true, s.self, {});
      s.engine->on_tick(now);
      flush(self, s, self->state.timer, now);
      if (s.hooks) s.hooks->after_input(now, s.self);
    },
    [=](flush_atom) {
      host_slot& s = *self->state.slot;
      self->state.flush_queued = false;
      if (!s.alive) return;
      const millis now = now_of(self);
      if (s.hooks) s.hooks->on_input(now, s.self, true, s.self, {});
      s.engine->on_flush(now);
      flush(self, s, self->state.timer, now);
      if (s.hooks) s.hooks->after_input(now, s.self);
    },
    [=](health_atom) -> node_health {
      host_slot& s = *self->state.slot;
      if (!s.alive || !s.health) return node_health{};
      return s.health();
    },
    [=](members_atom) -> member_view {
      host_slot& s = *self->state.slot;
      if (!s.alive || !s.members) return {};
      return s.members();
    },
    [=](stop_atom) -> bool {
      host_slot& s = *self->state.slot;
      if (!s.alive) return false;
      const millis now = now_of(self);
      s.engine->on_stop(now);
      flush(self, s, self->state.timer, now);
      s.alive = false;
      return true;
    },
    [=](const node_status_request& r) -> node_status {
      host_slot& s = *self->state.slot;
      if (!s.alive || !s.status) return node_status{};
      return s.status(r.name);
    },
  };
}

void flush_client(caf::stateful_actor<client_state>* self, millis now) {
  client_slot& s = *self->state.slot;
  flush(self, s, self->state.timer, now);
  for (auto& c : s.engine->take_completions()) {
    auto it = self->state.reply_to.find(c.op_id);
    if (it == self->state.reply_to.end()) continue;
    self->send(it->second, client_operation_result{c.op_id, static_cast<std::uint8_t>(c.outcome),
                                                   std::move(c.value), std::move(c.note)});
    self->state.reply_to.erase(it);
  }
}

caf::behavior client_actor(caf::stateful_actor<client_state>* self,
                           std::shared_ptr<client_slot> slot) {
  self->state.slot = std::move(slot);
  return {
    [=](client_operation_request& r) {
      client_slot& s = *self->state.slot;
      if (!s.alive) return;
      const millis now = now_of(self);
      self->state.reply_to[r.op_id] = caf::actor_cast<caf::actor>(self->current_sender());
      s.engine->start(now, r.op_id,
                      operation{static_cast<op_kind>(r.kind), std::move(r.key), std::move(r.value)});
      flush_client(self, now);
    },
    [=](wire_message& m) {
      client_slot& s = *self->state.slot;
      if (!s.alive) return;
      const millis now = now_of(self);
      if (s.hooks) s.hooks->on_input(now, s.self, false, m.from(), m.payload);
      s.engine->on_message(now, m.from(), m.payload);
      flush_client(self, now);
      if (s.hooks) s.hooks->after_input(now, s.self);
    },
    [=](tick_atom, std::uint64_t generation) {
      client_slot& s = *self->state.slot;
      const millis now = now_of(self);
      if (!s.alive || !timer_fired(self, self->state.timer, generation, now)) return;
      if (s.hooks) s.hooks->on_input(now, s.self, true, s.self, {});
      s.engine->on_tick(now);
      flush_client(self, now);
      if (s.hooks) s.hooks->after_input(now, s.self);
    },
  };
}

} // namespace

caf::actor spawn_node_actor(caf::actor_system& sys, std::shared_ptr<host_slot> slot) {
  return sys.spawn(node_actor, std::move(slot));
}

caf::actor spawn_client_actor(caf::actor_system& sys, std::shared_ptr<client_slot> slot) {
  return sys.spawn(client_actor, std::move(slot));
}

} // namespace pss::actors
