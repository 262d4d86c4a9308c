// The CAF shells that host engines: the node actor and the client actor.
//
// A host does three things per input: feed the engine (a wire_message ->
// on_message, its timer -> on_tick, a client operation -> start), flush
// take_output() (each message through the peer directory, in order), and arm
// exactly one timer for next_wakeup. Timer firings carry a generation, and a
// stale one is ignored. `now` is the actor clock: simulated under the test
// coordinator, the steady clock otherwise. The host never interprets
// payloads and never holds share material itself.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "caf/actor.hpp"
#include "caf/fwd.hpp"

#include "actors/messages.hpp"
#include "actors/operations.hpp"
#include "actors/peer_directory.hpp"
#include "secrets/engine.hpp"

namespace pss::actors {

// Optional callbacks for a harness (the simulator's trace and checkers).
// Called inside the actor's handler, so single-threaded per actor.
class host_hooks {
public:
  virtual ~host_hooks() = default;
  // An input is about to be fed to the engine: a message (tick == false) or
  // a timer.
  virtual void on_input(millis now, secrets::endpoint self, bool tick, secrets::endpoint from,
                        byte_view payload) = 0;
  // The engine's output for that input has been flushed.
  virtual void after_input(millis now, secrets::endpoint self) = 0;
  // The host is about to send this message (the simulator's durability
  // checker compares what it implies with the sender's disk at this moment).
  virtual void on_send(millis, secrets::endpoint /*self*/, secrets::endpoint /*to*/, byte_view /*payload*/) {}
};

// What a host runs. The harness may keep a reference to the engine to
// observe it (single-threaded simulator only) and may clear `alive` to make
// a host that is being killed ignore everything still in its mailbox.
struct host_slot {
  secrets::endpoint self;
  std::shared_ptr<secrets::engine> engine;
  std::shared_ptr<peer_directory> directory;
  host_hooks* hooks = nullptr;
  // Answers a node_status_request inside the actor's handler, so it may read
  // the engine it captured; it must return only public data (no share, key
  // or sub-share). Unset: the node answers an empty status.
  std::function<node_status(const std::string& name)> status;
  // Answers a health_atom request, under the same rules (public data only).
  std::function<node_health()> health;
  // Answers a members_atom request (the applied view's members), under the
  // same rules; unset: an empty list, and the gateway keeps its peers.
  std::function<member_view()> members;
  // Receives the engine's events (never secret material); unset: dropped.
  std::function<void(const std::string&)> log;
  // Runs inside the actor after each input's output is sent (the node's
  // host adopts rotated keys here); unset: nothing.
  std::function<void()> after_output;
  bool alive = true;
};

struct client_slot {
  secrets::endpoint self;
  std::shared_ptr<client_host_engine> engine;
  std::shared_ptr<peer_directory> directory;
  host_hooks* hooks = nullptr;
  bool alive = true;
};

// Earliest re-arm after a tick, so an engine that reports a past wake-up
// cannot spin at one instant.
inline constexpr millis host_tick_spacing_min{1};

[[nodiscard]] caf::actor spawn_node_actor(caf::actor_system& sys, std::shared_ptr<host_slot> slot);
// Answers each client_operation_request with a client_operation_result to
// its sender once the engine completes it.
[[nodiscard]] caf::actor spawn_client_actor(caf::actor_system& sys,
                                            std::shared_ptr<client_slot> slot);

} // namespace pss::actors
