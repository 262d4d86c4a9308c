// What the simulator needs from a node engine besides the secrets::engine
// seam: the observers its checkers call after every input. The Raft-only
// engine (sim/raft_engine.hpp) and the adapter around the real
// secrets::node_engine (sim/secrets_engine.hpp) both provide them, so the
// simulator picks one in simulation::impl::boot and is otherwise the same.
#pragma once

#include <string>
#include <vector>

#include <optional>

#include "raft/cluster_checker.hpp"
#include "raft/messages.hpp"
#include "raft/node.hpp"
#include "secrets/engine.hpp"
#include "secrets/share_store.hpp"
#include "storage/raft_storage.hpp"
#include "storage/sim_disk.hpp"

namespace pss::sim {

// What the state machine did, in order, for the checker.
struct applied_event {
  bool snapshot = false; // true: replaced by a snapshot up to `index`
  log_index index;
  raft::entry entry;     // when !snapshot
};

class sim_node_engine : public secrets::engine {
public:
  [[nodiscard]] virtual const raft::node& core() const = 0;
  [[nodiscard]] virtual raft::node_observation observation() const = 0;
  // What was applied since the last call, in order.
  [[nodiscard]] virtual std::vector<applied_event> take_applied() = 0;
  // The snapshot the engine started from (cluster_checker::on_restart).
  [[nodiscard]] virtual log_index boot_snapshot_index() const = 0;
  // A storage failure stopped the engine: the simulator crashes the node.
  [[nodiscard]] virtual bool halted() const = 0;
  // Warnings from opening the storage (hashed into the trace).
  [[nodiscard]] virtual const std::vector<std::string>& open_warnings() const = 0;

  // For the durability-on-send checker (sim/durability_checker.hpp): the
  // node's Raft storage (where each entry lies on its disk), the Raft
  // envelope an outgoing payload carries, the request id of a stored share
  // it acknowledges, and whether that share is in the durable journal.
  [[nodiscard]] virtual const storage::raft_storage& raft_storage() const = 0;
  [[nodiscard]] virtual std::optional<raft::envelope> raft_envelope_in(byte_view payload) const = 0;
  [[nodiscard]] virtual std::optional<std::uint64_t> share_ack_request_id(byte_view) const { return std::nullopt; }
  [[nodiscard]] virtual bool share_is_durable(const secrets::share_key&, const storage::sim_disk&) const {
    return false;
  }
};

} // namespace pss::sim
