#include "sim/secrets_engine.hpp"

#include <utility>

#include "crypto/random_source.hpp"
#include "crypto/shamir.hpp"

namespace pss::sim {

const std::shared_ptr<const crypto::sign_key_pair>& sim_admin_identity() {
  static const std::shared_ptr<const crypto::sign_key_pair> admin = [] {
    crypto::seeded_random r{0xAD517};
    return std::make_shared<const crypto::sign_key_pair>(crypto::sign_key_pair::generate(r));
  }();
  return admin;
}

const std::shared_ptr<const crypto::sign_key_pair>& sim_stranger_identity() {
  static const std::shared_ptr<const crypto::sign_key_pair> stranger = [] {
    crypto::seeded_random r{0x57A4};
    return std::make_shared<const crypto::sign_key_pair>(crypto::sign_key_pair::generate(r));
  }();
  return stranger;
}

// The wire form only: validating the client's key (an Ed25519 point check)
// for every request the simulator peeks at was a fifteenth of a calm run.
bytes client_request_body(byte_view payload) {
  if (!payload.empty() && payload[0] == access::signed_request_tag)
    if (auto q = access::decode_signed_request_wire(payload); q.ok()) return std::move(q->body);
  return bytes(payload.begin(), payload.end());
}

// ---- node -------------------------------------------------------------------
constexpr std::uint64_t sim_segment_bytes = 64 * 1024;

result<std::unique_ptr<secrets_node_host>>
secrets_node_host::open(storage::file_system& fs, const secrets::cluster_view& view,
                        const secrets::node_keys& keys, const raft::options& raft_options,
                        std::uint64_t prng_seed, std::uint64_t random_seed, millis now,
                        bool first_start, secrets::node_test_only_options test_only,
                        millis refresh_interval, bool rejoin, std::uint64_t snapshot_every, bool joining,
                        const secrets::node_keys* next_keys, std::vector<secrets::member_keys> retired_keys) {
  secrets::node_options o;
  o.cluster = view;
  o.data_dir = "/data";
  o.first_start = first_start;
  o.rejoin = rejoin;
  o.joining = joining;
  o.admin_key = sim_admin_identity()->public_key;
  o.wall_clock_offset = sim_wall_clock_offset;
  o.raft = raft_options;
  o.prng_seed = prng_seed;
  o.record_apply_events = true;
  o.test_only = test_only;
  o.refresh_interval = refresh_interval;
  o.snapshot_every_entries = snapshot_every;
  o.seal_key_grace = sim_seal_key_grace;
  if (next_keys != nullptr) o.next_keys = next_keys->clone();
  o.retired_keys = std::move(retired_keys);
  // The default 16 MiB segment is allocated, copied at each sync and read
  // back at each restart in memory: a sixth of a calm run's time (seed 7).
  o.log.segment_bytes = sim_segment_bytes;
  auto opened = secrets::node_engine::open(std::move(o), keys.clone(), fs,
                                           std::make_unique<crypto::seeded_random>(random_seed), now);
  if (!opened.ok()) return opened.err();
  return std::make_unique<secrets_node_host>(std::move(*opened));
}

// The boot snapshot is the first apply event of opening: node_engine may
// apply and compact again while opening, so persisted().snapshot_index can
// already be past it (seeds 171 and 219 of the crashes profile on 3 nodes
// then reported "installed a snapshot behind applied").
secrets_node_host::secrets_node_host(std::unique_ptr<secrets::node_engine> engine)
  : engine_(std::move(engine)), boot_events_(engine_->take_apply_events()),
    boot_snapshot_index_(!boot_events_.empty() && boot_events_.front().snapshot
                           ? boot_events_.front().index
                           : engine_->persisted().snapshot_index) {}

secrets_node_host::~secrets_node_host() = default;

void secrets_node_host::on_message(millis now, secrets::endpoint from, byte_view payload) {
  if (auto target = decode_sim_transfer(from, payload)) engine_->transfer_leadership(now, *target);
  else engine_->on_message(now, from, payload);
  if (leak_fs_) leak_shares();
}
void secrets_node_host::on_tick(millis now) {
  engine_->on_tick(now);
  if (leak_fs_) leak_shares();
}
void secrets_node_host::on_flush(millis now) { engine_->on_flush(now); }

// The planted bug: rewrite the dump whenever the number of held shares changes.
void secrets_node_host::leak_shares() {
  const auto inventory = engine_->shares().inventory();
  if (inventory.size() == leaked_shares_) return;
  leaked_shares_ = inventory.size();
  bytes dump;
  for (const auto& info : inventory)
    if (auto value = engine_->shares().share_value(info.key)) {
      const secure_bytes encoded = crypto::encode_share(*value);
      dump.insert(dump.end(), encoded.view().begin(), encoded.view().end());
    }
  // A failed write only hides the planted bug; the scan then reports nothing.
  (void)storage::write_file_atomically(*leak_fs_, "/data/raft/debug-shares", dump);
}
secrets::engine_output secrets_node_host::take_output() { return engine_->take_output(); }

std::optional<raft::envelope> secrets_node_host::raft_envelope_in(byte_view payload) const {
  if (payload.empty() || payload[0] != static_cast<std::uint8_t>(secrets::message_type::raft_message))
    return std::nullopt;
  auto m = secrets::decode_wire_message(payload);
  if (!m.ok()) return std::nullopt;
  if (auto* r = std::get_if<secrets::raft_message>(&*m)) return std::move(r->envelope);
  return std::nullopt;
}

std::optional<std::uint64_t> secrets_node_host::share_ack_request_id(byte_view payload) const {
  if (payload.empty() || payload[0] != static_cast<std::uint8_t>(secrets::message_type::store_share_response))
    return std::nullopt;
  auto m = secrets::decode_wire_message(payload);
  if (!m.ok()) return std::nullopt;
  auto* r = std::get_if<secrets::store_share_response>(&*m);
  if (r == nullptr || r->code != secrets::reply_code::ok) return std::nullopt;
  return r->request_id;
}

// The share's encoded value must be in the journal file that survives a
// crash now (the checker holds share material; it runs only in simulation).
bool secrets_node_host::share_is_durable(const secrets::share_key& key, const storage::sim_disk& disk) const {
  // The request names the dealing (version 0); the share may since have
  // moved to the version the catalog gave it.
  auto value = engine_->shares().dealing_value(key.name, key.epoch, key.commitments_digest);
  // An ack waits for the audit log's sync (group commit). Meanwhile the node
  // may have applied the register of this dealing and then a newer register
  // that dropped it, or a delete, and erased the share: an ack of a dealing
  // the catalog no longer keeps promises nothing more. Only such a dealing
  // is ever erased before the pending lifetime (which no simulated run
  // reaches), so a missing share with the name's dealing not kept passes.
  if (!value) {
    const secrets::secret_record* s = engine_->state().find(key.name);
    if (s == nullptr || s->latest == secret_version{}) return false;
    if (s->deleted) return true;
    return std::none_of(s->versions.begin(), s->versions.end(), [&](const auto& v) {
      return v.second.commitments_digest == key.commitments_digest;
    });
  }
  auto journal = disk.durable_view("/data/shares/journal");
  if (!journal) return false;
  const secure_bytes needle = crypto::encode_share(*value);
  const byte_view n = needle.view();
  return std::search(journal->begin(), journal->end(), n.begin(), n.end()) != journal->end();
}

std::optional<std::pair<std::uint64_t, secrets::share_key>> store_share_request_in(byte_view payload) {
  if (payload.empty() || payload[0] != static_cast<std::uint8_t>(secrets::message_type::store_share_request))
    return std::nullopt;
  auto m = secrets::decode_wire_message(payload);
  if (!m.ok()) return std::nullopt;
  auto* r = std::get_if<secrets::store_share_request>(&*m);
  if (r == nullptr) return std::nullopt;
  auto c = crypto::commitment::decode(r->commitments, crypto::threshold_min, crypto::shares_max);
  if (!c.ok()) return std::nullopt;
  return std::pair{r->request_id, secrets::share_key{r->name, secret_version{}, r->epoch, c->digest()}};
}

std::vector<applied_event> secrets_node_host::take_applied() {
  std::vector<applied_event> out;
  for (auto& e : std::exchange(boot_events_, {}))
    out.push_back(applied_event{e.snapshot, e.index, std::move(e.entry)});
  for (auto& e : engine_->take_apply_events())
    out.push_back(applied_event{e.snapshot, e.index, std::move(e.entry)});
  return out;
}

} // namespace pss::sim
