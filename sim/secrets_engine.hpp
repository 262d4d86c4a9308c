// Adapters that let the simulator host the real secrets engines
// (`pss sim --engine secrets`):
//
// - secrets_node_host wraps secrets::node_engine on a node's sim_disk and
//   provides the observers of sim_node_engine (core, observation,
//   take_applied, boot_snapshot_index, halted) from node_engine's raft(),
//   observe(), take_apply_events(), persisted() and failure().
// - the clients run actors::secrets_client_host (actors/client_host.hpp),
//   the host `pss demo` runs too.
//
// CAF-free: the simulator's CAF TU only sees these classes.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "actors/client_host.hpp"
#include "actors/operations.hpp"
#include "secrets/client_engine.hpp"
#include "secrets/node_engine.hpp"
#include "sim/node_host.hpp"
#include "storage/file_system.hpp"

namespace pss::sim {

using secrets::millis;
using actors::history_outcome;
using actors::secrets_client_host;

// The simulated cluster's bootstrap admin, whose key every simulated client
// signs with (a fixed seed: the identity is not what a run explores), and the
// wall clock at simulated time zero.
[[nodiscard]] const std::shared_ptr<const crypto::sign_key_pair>& sim_admin_identity();
// A validly signing client key that no policy ever grants anything.
[[nodiscard]] const std::shared_ptr<const crypto::sign_key_pair>& sim_stranger_identity();
inline constexpr access::unix_ms sim_wall_clock_offset = 1'700'000'000'000;
// How long a superseded sealing key still opens stores on simulated nodes:
// shorter than the default, since simulated refreshes commit every second
// or so, and the sealing-key checker must see a key kept past it.
inline constexpr millis sim_seal_key_grace{300};

// What a client's payload asks: the body of a signed envelope, or the
// payload itself when it is not one.
[[nodiscard]] bytes client_request_body(byte_view payload);

class secrets_node_host final : public sim_node_engine {
public:
  // Opens the node's storage under "/data" on fs. first_start only on the
  // very first boot of a member; a wiped disk is refused by node_engine
  // (storage::is_empty_data_dir) unless `rejoin` is set (the operator's
  // --rejoin): then the node rejoins under its id.
  [[nodiscard]] static result<std::unique_ptr<secrets_node_host>>
  open(storage::file_system& fs, const secrets::cluster_view& view, const secrets::node_keys& keys,
       const raft::options& raft_options, std::uint64_t prng_seed, std::uint64_t random_seed,
       millis now, bool first_start, secrets::node_test_only_options test_only = {},
       millis refresh_interval = millis{0}, bool rejoin = false,
       std::uint64_t snapshot_every = secrets::snapshot_every_entries_default, bool joining = false,
       const secrets::node_keys* next_keys = nullptr, std::vector<secrets::member_keys> retired_keys = {});

  void on_message(millis now, secrets::endpoint from, byte_view payload) override;
  void on_tick(millis now) override;
  void on_flush(millis now) override;
  [[nodiscard]] secrets::engine_output take_output() override;

  [[nodiscard]] const raft::node& core() const override { return engine_->raft(); }
  [[nodiscard]] raft::node_observation observation() const override {
    return engine_->observe();
  }
  [[nodiscard]] std::vector<applied_event> take_applied() override;
  [[nodiscard]] log_index boot_snapshot_index() const override { return boot_snapshot_index_; }
  [[nodiscard]] bool halted() const override { return engine_->failure().has_value(); }
  // The engine switched to its next keys since the last call (a rotation).
  [[nodiscard]] bool take_keys_rotated() { return engine_->take_keys_rotated(); }
  [[nodiscard]] const std::vector<std::string>& open_warnings() const override { return warnings_; }
  [[nodiscard]] const storage::raft_storage& raft_storage() const override { return engine_->storage(); }
  [[nodiscard]] std::vector<raft::read_trace> take_read_traces() override { return engine_->take_read_traces(); }
  [[nodiscard]] std::optional<raft::envelope> raft_envelope_in(byte_view payload) const override;
  [[nodiscard]] std::optional<std::uint64_t> share_ack_request_id(byte_view payload) const override;
  [[nodiscard]] bool share_is_durable(const secrets::share_key& key, const storage::sim_disk& disk) const override;

  [[nodiscard]] const secrets::node_engine& engine() const noexcept { return *engine_; }

  // A planted bug in the host, not the engine (`pss sim --planted-bug
  // share-leak`): after every input, dump every share the node holds into a
  // file in its Raft directory on fs, as a careless debug dump would. The
  // end-of-run share scan must report it.
  void plant_share_leak(storage::file_system& fs) noexcept { leak_fs_ = &fs; }

  explicit secrets_node_host(std::unique_ptr<secrets::node_engine> engine);
  ~secrets_node_host() override;

private:
  std::unique_ptr<secrets::node_engine> engine_;
  // The apply events of opening (the boot snapshot first), kept for take_applied.
  std::vector<secrets::apply_event> boot_events_;
  log_index boot_snapshot_index_;
  std::vector<std::string> warnings_;
  storage::file_system* leak_fs_ = nullptr;
  std::size_t leaked_shares_ = 0;

  void leak_shares();
};

// The request id and share key of a client's store_share_request (the
// digest is that of its commitments, of any t: an admin may raise it), for
// the durability checker.
[[nodiscard]] std::optional<std::pair<std::uint64_t, secrets::share_key>> store_share_request_in(byte_view payload);

} // namespace pss::sim
