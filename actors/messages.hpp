// Every CAF message type of pss, and their registration, in one place.
//
// Protocol data crosses actors only as opaque payload bytes inside a
// wire_message: the engines encode, bounds-check and decode their own
// formats, so no actor interprets protocol data. The other types are local
// control messages between the shells (ticks, client operations). Never put
// share material in a control message.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "caf/atom.hpp"
#include "caf/meta/type_name.hpp"

#include "actors/operations.hpp"
#include "secrets/engine.hpp"

namespace caf {
class actor_system_config;
}

namespace pss::actors {

// A timer firing for an engine host; the generation tells a stale timer
// from the armed one.
using tick_atom = caf::atom_constant<caf::atom("tick")>;
// The simulator's network actor delivering a delayed message.
using deliver_atom = caf::atom_constant<caf::atom("deliver")>;
// The simulator's workload actor: time for a client's next operation.
using next_atom = caf::atom_constant<caf::atom("next")>;

// The one message between engines: opaque payload from one endpoint to
// another. Endpoints are flattened to integers for the serializer.
struct wire_message {
  std::uint8_t from_kind = 0;
  std::uint64_t from_id = 0;
  std::uint8_t to_kind = 0;
  std::uint64_t to_id = 0;
  std::vector<std::uint8_t> payload;

  [[nodiscard]] static wire_message make(secrets::endpoint from, secrets::endpoint to, bytes p) {
    return {static_cast<std::uint8_t>(from.kind), from.id, static_cast<std::uint8_t>(to.kind),
            to.id, std::move(p)};
  }
  [[nodiscard]] secrets::endpoint from() const {
    return {static_cast<secrets::endpoint_kind>(from_kind), from_id};
  }
  [[nodiscard]] secrets::endpoint to() const {
    return {static_cast<secrets::endpoint_kind>(to_kind), to_id};
  }
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, wire_message& x) {
  return f(caf::meta::type_name("wire_message"), x.from_kind, x.from_id, x.to_kind, x.to_id,
           x.payload);
}

// Asks a client actor to start an operation; answered with
// client_operation_result to the sender.
struct client_operation_request {
  std::uint64_t op_id = 0;
  std::uint8_t kind = 0; // op_kind
  std::string key;
  std::vector<std::uint8_t> value;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, client_operation_request& x) {
  return f(caf::meta::type_name("client_operation_request"), x.op_id, x.kind, x.key, x.value);
}

struct client_operation_result {
  std::uint64_t op_id = 0;
  std::uint8_t outcome = 0; // op_outcome
  std::vector<std::uint8_t> value;
  std::string note;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, client_operation_result& x) {
  return f(caf::meta::type_name("client_operation_result"), x.op_id, x.outcome, x.value, x.note);
}

// Asks a node actor what it can say publicly about its share of a secret;
// answered with node_status. Computed inside the node actor, on the engine's
// own thread, by the host's status function.
struct node_status_request {
  std::string name;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, node_status_request& x) {
  return f(caf::meta::type_name("node_status_request"), x.name);
}

// A node's public status: its epoch, the round counters of its catalog and a
// short fingerprint of its share (secrets/share_fingerprint.hpp), never the
// share. `answered` is false when the host has no status function.
struct node_status {
  bool answered = false;
  std::uint64_t epoch = 0;       // the cluster's epoch as applied at this node
  std::uint64_t share_epoch = 0; // the epoch of the secret's readable version
  std::string fingerprint;       // empty: no live share of it held here
  std::uint64_t refresh_epochs_committed = 0;
  std::uint64_t recoveries = 0;
  bool round_running = false;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, node_status& x) {
  return f(caf::meta::type_name("node_status"), x.answered, x.epoch, x.share_epoch, x.fingerprint,
           x.refresh_epochs_committed, x.recoveries, x.round_running);
}

// Registers every type above with the actor system (call before
// constructing it).
void register_message_types(caf::actor_system_config& cfg);

} // namespace pss::actors
