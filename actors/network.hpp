// The multi-host transport: one published gateway actor per node, mutual
// TLS through CAF's openssl module, and authenticated node-to-node links.
//
// Every node publishes exactly one actor, its gateway (CAF 0.17 breaks a
// TLS connection when a second published port on the same host is dialled,
// see ../shared/notes/caf-0.17.md). Between two members there is one
// connection: the lower id dials the higher one and says hello, and both
// ends route over it. Every node-to-node message carries a link tag
// (crypto/link.hpp) that only the two members can compute, so a client or
// another node holding a certificate of the same CA cannot speak for a
// member; the hello exchange opens a link session whose nonces and
// per-message counters are under every tag, so a recorded message is never
// accepted again (crypto::link_session). Clients send plain wire_messages; the gateway remembers which
// connection a client id came from to route the answers, and the node
// engine checks the client's token.
//
// Dialling blocks in CAF, so each dialled peer has its own thread that
// reconnects with capped exponential backoff, never an actor handler. A
// lost link is noticed through the middleman heartbeat (down_msg) and
// reported in node_health. Messages above network_payload_bytes_max are
// refused and counted. Never logs a payload.
//
// The members follow the node's view, not the config: every member_sync the
// gateway asks its node for the applied view's members (members_atom),
// links a member added since (its key derived from the box key the admin's
// signed add put in the catalog; dialled if its id is higher) and unlinks
// one the view no longer has. A dialler whose hello went unanswered for a
// whole sync (the other end did not know it yet) says hello again. When a
// member's identity key rotates (or this node's, `pss member rotate-keys`),
// its link key is derived again; open sessions keep theirs, and a hello
// verifies under the current key, under the replaced one for a grace, and
// at the rotating node under the keys its next pair derives.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "caf/actor.hpp"
#include "caf/fwd.hpp"

#include "core/ids.hpp"
#include "core/result.hpp"
#include "crypto/link.hpp"
#include "secrets/messages.hpp"

namespace pss::actors {

// Larger payloads are refused at the gateway, before the engine sees them.
inline constexpr std::size_t network_payload_bytes_max = secrets::wire_message_bytes_max;
// The gateway remembers at most this many client connections (oldest first out).
inline constexpr std::size_t client_routes_max = 4096;
inline constexpr std::chrono::milliseconds reconnect_backoff_min{100};
// A dial first opens a plain TCP connection with this timeout (see dial()).
inline constexpr std::chrono::milliseconds dial_probe_timeout{1000};

struct transport_options {
  bool tls = true;
  std::string ca_file, certificate_file, key_file; // when tls
  std::chrono::milliseconds heartbeat{200};
  std::chrono::milliseconds connection_timeout{1000};
  // CAF's scheduler threads. A node's or client's work is one engine actor,
  // so more workers only add cross-thread wake-ups to every message: on a
  // 2-core machine one worker cut a put's median by a fifth and raised puts/s
  // by a quarter against 2 or 4 (docs/benchmarks.md, 2026-12-05). TLS and
  // sockets run on the middleman's own thread either way.
  std::size_t worker_threads = 1;
};

// Sets the middleman, openssl and scheduler keys; call before the
// actor_system is constructed. Also registers pss's message types.
void configure_transport(caf::actor_system_config& cfg, const transport_options& o);

// Dials host:port with TLS or plaintext; blocks (call from a thread). A
// TCP probe with dial_probe_timeout comes first, because CAF connects with
// a blocking connect() in one actor shared by every dial of the process.
[[nodiscard]] result<caf::actor> dial(caf::actor_system& sys, bool tls, const std::string& host,
                                      std::uint16_t port);

struct peer_address {
  node_id id;
  std::string host;
  std::uint16_t port = 0;
  std::vector<std::uint8_t> box_key; // the identity key its configured link key is derived from
};

struct network_options {
  node_id self;
  std::string listen_host;
  std::uint16_t listen_port = 0;
  bool tls = true;
  std::vector<peer_address> peers;          // every other member
  std::map<node_id, crypto::link_key> keys; // one per peer
  // This node's identity keys it holds the private half of: its key file's,
  // then a rotation's next ones (docs/refresh.md §7.9). The view says which
  // one is current; links and client connections derive from that one.
  std::vector<crypto::box_public_key> own_keys;
  // Called with the identity key this node rotated away from: the shell
  // drops its private half (no link key is derived from it again).
  std::function<void(const crypto::box_public_key&)> forget_own_key;
  // The key of a client connection from the client's hello (its ephemeral
  // public key and id), derived with this member's identity key pair `own`.
  std::function<result<crypto::link_key>(const crypto::box_public_key& own, const crypto::box_public_key&,
                                         std::uint64_t client)>
    client_key;
  std::chrono::milliseconds reconnect_max{5000};
  // The link key of a member the node's view names, from this node's
  // identity key pair `own` and the member's identity public key: one added
  // since the config was written, or one whose keys (or this node's) rotated.
  std::function<result<crypto::link_key>(const crypto::box_public_key& own, const crypto::box_public_key& peer,
                                         node_id)>
    member_key;
  std::chrono::milliseconds member_sync{1000};
  // After a rotation, a hello still verifies under the link key it replaced
  // for this long (members apply the rotation at different moments); then
  // the old key is of no use: the rotation exists because it may be known.
  std::chrono::milliseconds rotation_grace{60'000};
  std::function<void(const std::string&)> log; // link events (never payloads)
};

// Owns the gateway and the dialling threads of one node.
class node_network {
public:
  node_network();
  ~node_network(); // stops the threads
  node_network(const node_network&) = delete;
  node_network& operator=(const node_network&) = delete;

  // Spawns the gateway for `node`, publishes it on listen_host:listen_port
  // and starts dialling the peers with higher ids.
  [[nodiscard]] status start(caf::actor_system& sys, caf::actor node, network_options o);
  // The actor the node's directory routes every outgoing message to.
  [[nodiscard]] caf::actor gateway() const;
  void stop();

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace pss::actors
