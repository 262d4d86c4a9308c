// Durability on send: whenever a node sends a message that implies durable
// state, the state it implies must survive a crash at that very moment.
//
// The check reads the node's disk (storage::sim_disk: what a power failure
// now would leave), never the engine's own record of what it persisted, so
// a node that sends before its write is synced is caught whether or not it
// crashes afterwards (issue: "a send before persist in a node shell is
// invisible"). The claims checked (DESIGN §6 "persist before send"; Raft
// checklist items 3, 23, 24):
// - any Raft message of term T, but a pre-vote request (which asks about
//   T+1 without adopting it): the durable term is at least T;
// - a vote granted in T to C, and a candidate's own vote request in T: the
//   durable term is T and the durable vote is C (the candidate itself);
// - an append acknowledged up to index M: the record of entry M is durable,
//   or, if the log no longer holds M, the snapshot file is;
// - a finished snapshot install acknowledged: the snapshot file is durable;
// - a stored share acknowledged: the share the client asked that node to
//   store is in its durable share journal (the request tells the checker
//   which share the acknowledgement is about).
//
// CAF-free; the simulator calls it from host_hooks::on_send.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "core/bytes.hpp"
#include "core/ids.hpp"
#include "secrets/share_store.hpp"
#include "sim/node_host.hpp"
#include "storage/sim_disk.hpp"

namespace pss::sim {

class durability_checker {
public:
  // A client sent `node` a request to store the share `key` (secrets mode).
  void on_share_request(secrets::endpoint client, node_id node, std::uint64_t request_id, secrets::share_key key);
  // A node is about to send `payload` to `to`: a violation, or nothing.
  [[nodiscard]] std::optional<std::string> on_node_send(node_id node, secrets::endpoint to,
                                                        const sim_node_engine& engine,
                                                        const storage::sim_disk& disk, byte_view payload);
  // How many messages were checked.
  [[nodiscard]] std::uint64_t checked() const noexcept { return checked_; }

private:
  struct request {
    std::uint64_t client;
    node_id node;
    std::uint64_t id;
    auto operator<=>(const request&) const = default;
  };
  std::map<request, secrets::share_key> requests_; // capped: see on_share_request
  std::uint64_t checked_ = 0;
  bool forgot_ = false; // the cap dropped a request: an unknown one is no proof
};

} // namespace pss::sim
