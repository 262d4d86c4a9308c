// A Raft-only engine: the pure raft::node behind the secrets::engine seam,
// with its durable state in storage::raft_storage on a file_system (a
// sim_disk in the simulator), and a tiny key-value state machine.
//
// It exists so the CAF shells and the simulator can be proven before the
// secrets engines land: client operations are "propose an opaque value and
// wait for its commit" (put) and a ReadIndex read of the last value (get).
// It follows the Raft shell contract (docs/raft.md): for each ready, persist
// snapshot, entries, sync, hard state; only then queue the messages; then
// apply and answer. A storage failure halts the engine (no further output),
// which the simulator treats as a crash in the middle of a flush.
//
// Never used in production: it holds no shares and no secrets.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "actors/operations.hpp"
#include "core/prng.hpp"
#include "raft/cluster_checker.hpp"
#include "raft/host.hpp"
#include "raft/node.hpp"
#include "secrets/engine.hpp"
#include "sim/node_host.hpp"
#include "storage/file_system.hpp"
#include "storage/raft_storage.hpp"

namespace pss::sim {

using secrets::endpoint;
using secrets::millis;

// ---- the client <-> node protocol of the Raft-only engine -----------------
inline constexpr std::uint8_t payload_tag_raft = 'R';
inline constexpr std::uint8_t payload_tag_request = 'Q';
inline constexpr std::uint8_t payload_tag_reply = 'A';
// An operator's membership change (Raft thesis §4), sent by the simulator
// on behalf of an operator; answered like a put.
inline constexpr std::uint8_t payload_tag_membership = 'M';
inline constexpr std::size_t key_bytes_max = 256;
inline constexpr std::size_t value_bytes_max = 64 * 1024;

enum class reply_status : std::uint8_t { ok = 0, not_leader = 1, retry = 2 };

// A write (put or remove) carries the client's sequence number: the state
// machine applies each (client, sequence) once (Raft thesis §6.3), so a
// retried write that commits twice takes effect once.
struct client_request {
  std::uint64_t op_id = 0;
  actors::op_kind kind = actors::op_kind::put;
  std::uint64_t sequence = 0;
  std::string key;
  bytes value;
};

struct client_reply {
  std::uint64_t op_id = 0;
  reply_status status = reply_status::retry;
  node_id leader_hint;
  bytes value;
};

struct membership_request {
  std::uint64_t op_id = 0;
  raft::config_change change;
};

[[nodiscard]] bytes encode(const membership_request& r);
[[nodiscard]] result<membership_request> decode_membership(byte_view payload);
[[nodiscard]] bytes encode(const client_request& r);
[[nodiscard]] bytes encode(const client_reply& r);
[[nodiscard]] result<client_request> decode_request(byte_view payload);
[[nodiscard]] result<client_reply> decode_reply(byte_view payload);

// ---- the node engine ------------------------------------------------------
struct raft_engine_config {
  node_id id;
  raft::configuration initial; // the boot configuration of a new cluster
  raft::options options;       // id is overwritten with `id`
  std::string cluster_id = "pss-sim";
  std::uint64_t seed = 1;      // the core's election-timeout randomness
  // Small segments keep sim_disk cheap: it copies a whole file on sync.
  std::uint64_t segment_bytes = 32 * 1024;
  // A node added to a running cluster boots with an empty configuration and
  // waits to be added as a learner (docs/raft.md).
  bool joining = false;
  // Snapshot the state machine and compact the log once this many entries
  // were applied after the last snapshot (0: never).
  std::uint64_t compact_every_entries = 512;
};

class raft_engine final : public sim_node_engine, private raft::host_client {
public:
  // Opens the node's storage under "/raft" on fs. first_boot initialises an
  // empty disk; otherwise an empty (wiped) disk is refused with the
  // is_empty_data_dir error: a node that lost its vote must not rejoin as if
  // nothing happened (raft checklist item 27).
  [[nodiscard]] static result<std::unique_ptr<raft_engine>>
  open(storage::file_system& fs, raft_engine_config config, millis now, bool first_boot);

  void on_message(millis now, endpoint from, byte_view payload) override;
  void on_tick(millis now) override;
  [[nodiscard]] secrets::engine_output take_output() override;

  // Observers for the simulator's checkers.
  [[nodiscard]] const raft::node& core() const noexcept override { return host_->core(); }
  [[nodiscard]] raft::node_observation observation() const override;
  [[nodiscard]] bool halted() const noexcept override { return halted_.has_value(); }
  [[nodiscard]] const std::optional<std::string>& halt_reason() const noexcept { return halted_; }
  // What was applied since the last call, in order, for
  // cluster_checker::on_applied / on_snapshot_installed.
  [[nodiscard]] std::vector<applied_event> take_applied() override;
  [[nodiscard]] const std::vector<std::string>& open_warnings() const noexcept override { return host_->warnings(); }
  [[nodiscard]] log_index snapshot_index() const noexcept { return host_->persisted().snapshot_index; }
  // The snapshot the engine started from: the state machine restarts there
  // (cluster_checker::on_restart), even if it compacted again while booting.
  [[nodiscard]] log_index boot_snapshot_index() const noexcept override { return boot_snapshot_index_; }
  [[nodiscard]] const storage::raft_storage& raft_storage() const override { return host_->storage(); }
  [[nodiscard]] std::vector<raft::read_trace> take_read_traces() override { return host_->core().take_read_traces(); }
  [[nodiscard]] std::optional<raft::envelope> raft_envelope_in(byte_view payload) const override;
  // The state machine: the value last put for key, if any.
  [[nodiscard]] std::optional<bytes> value_of(const std::string& key) const;

  raft_engine(const raft_engine&) = delete;
  raft_engine& operator=(const raft_engine&) = delete;
  ~raft_engine() override;

private:
  raft_engine(raft_engine_config config, storage::opened_raft_storage opened, bytes snapshot_data, millis now);

  void drain(millis now);
  // raft::host_client
  void send(const raft::envelope& m) override;
  [[nodiscard]] status install(millis now, const raft::snapshot& s) override;
  void apply(millis now, const raft::entry& e) override;
  [[nodiscard]] status applied(millis) override { return ok_status(); }
  void reads(std::span<const raft::read_state> ready, std::span<const std::uint64_t> failed) override;
  void answer_reads();
  void maybe_compact();
  [[nodiscard]] bytes encode_values() const;
  [[nodiscard]] status restore_values(byte_view data);
  void apply_write(byte_view data);
  void on_client_request(millis now, endpoint from, const client_request& request);
  void reply(endpoint to, client_reply r);
  void halt(const std::string& why);

  struct pending_put {
    endpoint client;
    std::uint64_t op_id = 0;
    term_id term;
  };
  struct pending_get {
    endpoint client;
    std::uint64_t op_id = 0;
    std::string key;
    std::optional<log_index> index; // set once ReadIndex confirmed it
  };

  raft_engine_config config_;
  prng random_;
  std::unique_ptr<raft::host> host_; // the core, its storage, the shell loop
  std::optional<std::string> halted_;
  log_index boot_snapshot_index_;

  std::map<std::string, bytes> values_;
  std::map<std::uint64_t, std::uint64_t> last_sequence_; // client -> last write applied
  std::map<log_index, pending_put> puts_;
  std::map<std::uint64_t, pending_get> gets_;
  std::uint64_t next_read_ = 1;
  std::vector<applied_event> applied_;
  secrets::engine_output out_;
};

// ---- the client engine ----------------------------------------------------
// A client learns members from leader hints, up to this many.
inline constexpr std::size_t known_nodes_max = 64;

struct raft_client_config {
  client_id id;
  std::vector<node_id> nodes;
  millis operation_timeout{2000}; // then the outcome is unknown (info)
  millis attempt_timeout{250};    // then ask another node
  millis redirect_backoff{20};    // after "not leader", before asking again
};

class raft_client_engine final : public actors::client_host_engine {
public:
  explicit raft_client_engine(raft_client_config config);

  void on_message(millis now, endpoint from, byte_view payload) override;
  void on_tick(millis now) override;
  [[nodiscard]] secrets::engine_output take_output() override;
  void start(millis now, std::uint64_t op_id, actors::operation op) override;
  [[nodiscard]] std::vector<actors::completion> take_completions() override;
  // The operator updated the cluster file: a new member to try.
  void learn_node(node_id n);

private:
  void send_attempt(millis now);
  void finish(actors::op_outcome outcome, bytes value, std::string note);
  [[nodiscard]] std::optional<millis> wakeup() const;

  struct current_op {
    std::uint64_t op_id = 0;
    actors::operation op;
    millis deadline{0};
    std::optional<millis> retry_at;
    bool redirected = false; // retry_at is a backoff after a redirect, not a lost answer
    std::uint64_t sequence = 0; // a write's, the same on every attempt
  };

  raft_client_config config_;
  std::size_t target_ = 0; // index into config_.nodes
  std::optional<current_op> current_;
  std::uint64_t last_sequence_ = 0;
  std::vector<actors::completion> done_;
  secrets::engine_output out_;
};

} // namespace pss::sim
