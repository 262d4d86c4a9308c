// The gateway's state and its link handling, shared by actors/network.cpp
// (the gateway's behaviour, transport and dialling) and
// actors/gateway_links.cpp (hellos, link keys and the peers that follow the
// view). Internal to the shells: nothing outside actors/ includes it.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "caf/actor.hpp"
#include "caf/event_based_actor.hpp"
#include "caf/stateful_actor.hpp"

#include "actors/dial_signal.hpp"
#include "actors/messages.hpp"
#include "actors/network.hpp"
#include "crypto/random_source.hpp"

namespace pss::actors::gateway {

using peer_up_atom = caf::atom_constant<caf::atom("peer_up")>;
using peer_fail_atom = caf::atom_constant<caf::atom("peer_fail")>;
using member_sync_atom = caf::atom_constant<caf::atom("msync")>;

struct peer_route {
  std::string address;
  caf::actor handle; // invalid while not connected
  std::uint32_t failed_attempts = 0;
  std::string last_error;
  std::shared_ptr<dial_signal> signal; // set for peers this node dials
  std::vector<std::uint8_t> box_key;   // the peer's identity key its link key is derived from
  std::uint32_t unanswered = 0;        // hellos said again since the last answer
};

// A link key shared by the sessions opened under it: a session keeps its
// key when the peer's (or this node's) identity key rotates, so traffic
// flows while members apply the rotation at different moments.
using shared_link_key = std::shared_ptr<const crypto::link_key>;

struct live_session {
  shared_link_key key;
  crypto::link_session link; // refers to *key
};

// A link key a rotation replaced: hellos still verify under it until `until`.
struct retired_link {
  shared_link_key key;
  std::chrono::steady_clock::time_point until;
};

struct client_route {
  caf::actor handle;
  std::optional<crypto::link_key> key; // from the client's hello on that connection
  std::uint64_t last_seen = 0; // a counter, for evicting the oldest
};

struct gateway_counters {
  std::uint64_t oversize = 0;
  std::uint64_t bad_tag = 0;
  std::uint64_t replayed = 0; // authentic member messages refused for their counter
  std::uint64_t unknown_sender = 0;
  std::uint64_t unroutable = 0;
  std::uint64_t bad_hello = 0;
};

// Starts dialling a peer the view added; null once the node stops.
using start_dial_fn = std::function<std::shared_ptr<dial_signal>(const peer_address&)>;

struct gateway_state {
  network_options options;
  start_dial_fn start_dial;
  caf::actor node;
  std::map<node_id, peer_route> peers;
  std::map<std::uint64_t, client_route> clients;
  std::uint64_t client_clock = 0;
  gateway_counters counters;
  // One link session per peer, from the hello exchange on its connection;
  // nothing is sent to a peer before it exists (Raft and rounds resend).
  std::map<node_id, live_session> sessions;
  std::map<node_id, shared_link_key> keys;      // the current key of each peer's link
  std::map<node_id, retired_link> previous_keys; // for rotation_grace after a rotation
  std::vector<std::uint8_t> own_box;            // this node's identity key, as its view names it
  std::set<node_id> rehello_asked;              // since the last member sync
  std::map<node_id, std::uint64_t> hellos_sent; // the dialler's nonce, until answered
  std::map<node_id, std::uint64_t> hellos_at_sync; // hellos_sent at the last member sync
  std::set<node_id> strangers_logged; // ids whose hello came before this node knew them
  crypto::system_random random;
  static inline const char* name = "pss_gateway";
};

using gateway_actor = caf::stateful_actor<gateway_state>;

inline void log(gateway_actor* self, const std::string& text) {
  if (self->state.options.log) self->state.options.log(text);
}

inline bool local_sender(gateway_actor* self) {
  const auto& s = self->current_sender();
  return s != nullptr && s->node() == self->node();
}

inline std::string peer_name(node_id id) { return "node " + std::to_string(id.value()); }

void connect_route(gateway_actor* self, node_id id, caf::actor handle, const char* how);
// Link hellos (actors/gateway_links.cpp).
void on_link_hello(gateway_actor* self, const link_hello& h);
// `replaced`: under the key a rotation replaced, if still in its grace.
void say_hello(gateway_actor* self, node_id id, const caf::actor& handle, bool replaced = false);
// Asks a peer that dials this node to say hello again (its session here is
// gone), at most once per member sync.
void ask_rehello(gateway_actor* self, node_id peer);
// The peers follow the applied view: added, dropped, and re-keyed when a
// member's identity key (or this node's) rotated.
void sync_members(gateway_actor* self, const member_view& view);
// The current key of every configured peer's link, from the options.
void adopt_configured_keys(gateway_state& st);

} // namespace pss::actors::gateway
