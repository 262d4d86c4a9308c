// The seam between pure protocol engines and the actors that host them.
//
// A node or a client is an `engine`: a deterministic, single-threaded object
// fed messages and ticks, each with the current time, that queues outgoing
// messages and asks to be woken again. The CAF actors (actors/), the
// deterministic simulator (sim/) and unit tests all drive engines the same
// way, so everything the protocol does can be replayed from a seed.
//
// Payloads are opaque bytes here: each engine encodes and bounds-checks its
// own messages, so an actor never interprets protocol data and a hostile
// payload is refused inside the engine that owns its format.
#pragma once

#include <chrono>
#include <compare>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "core/bytes.hpp"
#include "core/ids.hpp"

namespace pss::secrets {

// Injected time: milliseconds since an arbitrary origin (the same type the
// Raft core uses).
using millis = std::chrono::milliseconds;

enum class endpoint_kind : std::uint8_t { node = 1, client = 2 };

// Who sent or receives a message: a cluster member or a client.
struct endpoint {
  endpoint_kind kind = endpoint_kind::node;
  std::uint64_t id = 0;

  [[nodiscard]] static endpoint of(node_id n) { return {endpoint_kind::node, n.value()}; }
  [[nodiscard]] static endpoint of(client_id c) { return {endpoint_kind::client, c.value()}; }
  [[nodiscard]] bool is_node() const noexcept { return kind == endpoint_kind::node; }
  [[nodiscard]] node_id as_node() const noexcept { return node_id{id}; }
  [[nodiscard]] client_id as_client() const noexcept { return client_id{id}; }

  auto operator<=>(const endpoint&) const = default;

  friend std::ostream& operator<<(std::ostream& os, endpoint e) {
    return os << (e.is_node() ? "node " : "client ") << e.id;
  }
};

struct outgoing {
  endpoint to;
  bytes payload;
};

// Everything an engine asks its host to do after an input.
struct engine_output {
  std::vector<outgoing> messages;    // send in this order, after any persistence
  std::optional<millis> next_wakeup; // call on_tick no later than this
  std::vector<std::string> events;   // human-readable, never secret material
  // Call on_flush() once the inputs already waiting are handled: the engine
  // holds messages until one sync covers them all (group commit).
  bool flush_requested = false;
};

class engine {
public:
  virtual ~engine() = default;

  virtual void on_message(millis now, endpoint from, byte_view payload) = 0;
  virtual void on_tick(millis now) = 0;
  // The host's answer to flush_requested; an engine that never asks ignores it.
  virtual void on_flush(millis now) { (void)now; }
  // A clean stop: make durable what was waiting for a later sync. A crash
  // never calls it.
  virtual void on_stop(millis now) { (void)now; }
  // Drains what the inputs so far produced. Anything the messages depend on
  // has already been made durable by the engine's storage.
  [[nodiscard]] virtual engine_output take_output() = 0;
};

} // namespace pss::secrets
