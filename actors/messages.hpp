// Every CAF message type of pss, and their registration, in one place.
//
// Protocol data crosses actors only as opaque payload bytes inside a
// wire_message: the engines encode, bounds-check and decode their own
// formats, so no actor interprets protocol data. The other types are local
// control messages between the shells (ticks, client operations). Never put
// share material in a control message.
#pragma once

#include <cstdint>
#include <map>
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
// A node engine asked to sync what it holds once the waiting inputs are in
// (engine_output::flush_requested); sent by the node actor to itself.
using flush_atom = caf::atom_constant<caf::atom("flush")>;
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

// ---- between processes (actors/network.hpp) --------------------------------

// A message between two members over the middleman, tagged with the key of
// their link (crypto/link.hpp): the receiver's gateway forwards it to its
// node only if the tag verifies for (from, to, payload).
// Between members, `counter` numbers the message in its link session
// (crypto::link_session) and is under the tag; a reply to a client carries 0.
struct link_message {
  std::uint64_t from = 0;
  std::uint64_t to = 0;
  std::vector<std::uint8_t> payload;
  std::vector<std::uint8_t> tag;
  std::uint64_t counter = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, link_message& x) {
  return f(caf::meta::type_name("link_message"), x.from, x.to, x.payload, x.tag, x.counter);
}

// Sent by the member that dialled (the lower id) right after connecting,
// with a fresh `dialler_nonce`: proves the connection comes from `from`, so
// the other end routes its own messages for `from` back over it. The other
// end answers with the same message type, its own fresh `acceptor_nonce`
// added; the two nonces name the link session (crypto::link_session). The
// tag covers the hello marker and the nonces.
struct link_hello {
  std::uint64_t from = 0;
  std::uint64_t to = 0;
  std::vector<std::uint8_t> tag;
  std::uint64_t dialler_nonce = 0;
  std::uint64_t acceptor_nonce = 0; // 0 in the dialler's hello
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, link_hello& x) {
  return f(caf::meta::type_name("link_hello"), x.from, x.to, x.tag, x.dialler_nonce, x.acceptor_nonce);
}

// Sent by a client right after it dials a member: its id and an ephemeral
// X25519 public key. The gateway derives the connection's key with its own
// box key (crypto::link_key::derive_for_client) and answers the client only
// with link_messages tagged under it, so the client accepts a reply only
// from the holder of the box key its cluster file pins for that member.
struct client_hello {
  std::uint64_t client = 0;
  std::vector<std::uint8_t> key;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, client_hello& x) {
  return f(caf::meta::type_name("client_hello"), x.client, x.key);
}

// Asks a node actor to stop cleanly (secrets::engine::on_stop); answered
// with true once its engine has made durable what waited for a later sync.
using stop_atom = caf::atom_constant<caf::atom("stop")>;

// Asks a node's gateway for its health; answered with node_health.
using health_atom = caf::atom_constant<caf::atom("health")>;

// What a node says about one peer link.
struct peer_health {
  std::uint64_t id = 0;
  std::string address;
  bool connected = false;
  std::uint32_t failed_attempts = 0; // since the last success
  std::string last_error;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, peer_health& x) {
  return f(caf::meta::type_name("peer_health"), x.id, x.address, x.connected, x.failed_attempts,
           x.last_error);
}

// A node's public health for `pss status`: Raft role and positions, the
// catalog's epoch and counters, and the state of its peer links. Never
// share material.
struct node_health {
  bool answered = false;
  std::uint64_t id = 0;
  std::string role;
  std::uint64_t term = 0;
  std::uint64_t leader = 0;
  std::uint64_t commit = 0;
  std::uint64_t applied = 0;
  std::uint64_t epoch = 0;
  std::uint64_t secrets = 0;
  std::uint64_t shares_live = 0; // live shares in this node's store (a count, never a value)
  std::uint64_t refresh_epochs_committed = 0;
  std::uint64_t rounds_aborted = 0;
  std::uint64_t recoveries = 0;
  bool round_running = false;
  std::vector<std::uint64_t> voters;
  std::vector<std::uint64_t> learners;
  std::string failure; // the storage error that stopped the node, if any
  std::vector<peer_health> peers;
  // Client requests this node admitted, and refused by reason (docs/access.md).
  std::uint64_t requests_admitted = 0;
  std::map<std::string, std::uint64_t> requests_refused;
  // Messages the gateway dropped, by reason: a bad link tag (someone not a
  // member speaking as one), a client message over a connection that did
  // not say hello for its id, a bad hello, an oversized payload.
  std::map<std::string, std::uint64_t> transport_refused;
  // Proactive refresh as this node sees it: how long it has had the current
  // epoch, and the rounds aborted since (with the last reason).
  std::uint64_t epoch_age_ms = 0;
  std::uint64_t rounds_aborted_since_commit = 0;
  std::string last_abort_reason;
  // The committee change this node's catalog records, and its step (empty:
  // none; docs/refresh.md §7): "remove node 5, step excluding".
  std::string committee;
  std::uint64_t members = 0; // in this node's view
  std::uint64_t threshold = 0; // t in this node's view
  // Its sealing keys (docs/refresh.md §7.9): the epoch of the key its
  // catalog records for it (0: none yet), the pairs it holds, and how often
  // the catalog recorded a key for it that it does not hold (an alarm).
  std::uint64_t seal_key_epoch = 0;
  std::uint64_t seal_keys_held = 0;
  std::uint64_t seal_keys_foreign = 0;
  // Key rotations (`pss member rotate-keys`, §7.9): how many this node's
  // catalog applied, and whether it holds next keys not applied yet.
  std::uint64_t keys_rotated = 0;
  bool next_keys_held = false;
  // For the node's metrics (docs/gateway.md §2), since this node started:
  // elections it started and won, proposals, reads it served, shares it
  // served to clients, and rounds aborted by kind (secrets::abort_kind).
  // dealers_excluded is the catalog's replicated count.
  std::uint64_t elections_started = 0;
  std::uint64_t elections_won = 0;
  std::uint64_t proposals = 0;
  std::uint64_t reads_served = 0;
  std::uint64_t shares_served = 0;
  std::uint64_t dealers_excluded = 0;
  std::map<std::string, std::uint64_t> rounds_aborted_by_kind;
  // secrets::share_set_fingerprint of its live shares (empty: none, or too
  // many to fingerprint): the dashboard shows it change with every epoch.
  std::string shares_fingerprint;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, node_health& x) {
  return f(caf::meta::type_name("node_health"), x.answered, x.id, x.role, x.term, x.leader,
           x.commit, x.applied, x.epoch, x.secrets, x.shares_live, x.refresh_epochs_committed, x.rounds_aborted,
           x.recoveries, x.round_running, x.voters, x.learners, x.failure, x.peers, x.requests_admitted,
           x.requests_refused, x.transport_refused, x.epoch_age_ms, x.rounds_aborted_since_commit,
           x.last_abort_reason, x.committee, x.members, x.threshold, x.seal_key_epoch, x.seal_keys_held,
           x.seal_keys_foreign, x.keys_rotated, x.next_keys_held, x.elections_started, x.elections_won, x.proposals,
           x.reads_served, x.shares_served, x.dealers_excluded, x.rounds_aborted_by_kind,
           x.shares_fingerprint);
}

// Asks a node actor for the members of its applied view (answered with a
// member_view): the gateway links a member added since the config was
// written, unlinks one removed and re-keys one whose keys rotated
// (actors/network.hpp).
using members_atom = caf::atom_constant<caf::atom("members")>;

// One member as the catalog's view names it: public data only.
struct member_link {
  std::uint64_t id = 0;
  std::string address;               // host:port
  std::vector<std::uint8_t> box_key; // its X25519 public key
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, member_link& x) {
  return f(caf::meta::type_name("member_link"), x.id, x.address, x.box_key);
}

// The applied view's members, and whether the node was caught up when it
// answered (a view replayed after a restart is old news: a key it shows
// rotating away gets no grace).
struct member_view {
  std::vector<member_link> members;
  bool caught_up = false;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, member_view& x) {
  return f(caf::meta::type_name("member_view"), x.members, x.caught_up);
}

// Registers every type above with the actor system (call before
// constructing it).
void register_message_types(caf::actor_system_config& cfg);

} // namespace pss::actors
