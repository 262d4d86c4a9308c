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

// The simulator's operator talks to a node through the host with payloads
// no engine's wire format uses: this one asks a leader to hand leadership to
// the node id that follows it (8 bytes, little-endian).
inline constexpr std::uint8_t sim_transfer_tag = 0xF7;
// Only the operator's endpoint (client 0) may send it.
[[nodiscard]] inline bytes encode_sim_transfer(node_id target) {
  byte_writer w;
  w.u8(sim_transfer_tag);
  w.u64(target.value());
  return w.take();
}
[[nodiscard]] inline std::optional<node_id> decode_sim_transfer(secrets::endpoint from, byte_view payload) {
  if (from.is_node() || from.id != 0 || payload.size() != 9 || payload[0] != sim_transfer_tag) return std::nullopt;
  byte_reader r{payload.subspan(1)};
  const node_id target{r.u64()};
  if (!r.finish("sim transfer").ok()) return std::nullopt;
  return target;
}

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
  // The reads Raft accepted and released since the last call.
  [[nodiscard]] virtual std::vector<raft::read_trace> take_read_traces() = 0;
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
