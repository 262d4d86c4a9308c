#include "sim/durability_checker.hpp"

#include <type_traits>
#include <variant>

#include "storage/record_file.hpp"
#include "storage/segmented_raft_storage.hpp"

namespace pss::sim {
namespace {

std::string who(node_id n) { return "durability: n" + std::to_string(n.value()); }

// The hard state that would be recovered from the disk now.
std::optional<raft::hard_state> durable_hard_state(const sim_node_engine& engine, const storage::sim_disk& disk) {
  auto file = disk.durable_view(engine.raft_storage().hard_state_path());
  if (!file) return std::nullopt;
  return storage::newest_hard_state(*file);
}

std::optional<std::string> check_entry(node_id n, const sim_node_engine& engine, const storage::sim_disk& disk,
                                       log_index m, const char* what) {
  if (m == log_index{}) return std::nullopt;
  const auto& store = engine.raft_storage();
  if (auto at = store.locate(m)) {
    // The record must be on the medium, intact, and nothing unsynced may
    // touch it: a record still buffered in memory leaves only zeroes there.
    const auto file = disk.durable_view(at->path);
    if (file && storage::intact_record_at(*file, at->offset) && disk.durable_through(at->path, at->end))
      return std::nullopt;
    return who(n) + " " + what + " index " + std::to_string(m.value()) + " before the entry was durable in "
           + at->path;
  }
  if (m <= engine.core().log().snapshot_index()) {
    if (disk.fully_durable(store.snapshot_path())) return std::nullopt;
    return who(n) + " " + what + " index " + std::to_string(m.value()) + " before its snapshot was durable";
  }
  return who(n) + " " + what + " index " + std::to_string(m.value()) + ", which its log does not hold";
}

std::optional<std::string> check_raft(node_id n, const sim_node_engine& engine, const storage::sim_disk& disk,
                                      const raft::envelope& e) {
  if (std::holds_alternative<raft::pre_vote_request>(e.body)) return std::nullopt;
  const term_id t = raft::term_of(e.body);
  const auto hard = durable_hard_state(engine, disk);
  const std::string kind{raft::name_of(e.body)};
  if (!hard || hard->term < t)
    return who(n) + " sent " + kind + " in term " + std::to_string(t.value()) + " while its durable term is "
           + (hard ? std::to_string(hard->term.value()) : std::string{"unreadable"});
  auto voted_for = [&](node_id c) -> std::optional<std::string> {
    if (hard->term == t && hard->vote == c) return std::nullopt;
    return who(n) + " sent " + kind + " for n" + std::to_string(c.value()) + " in term " + std::to_string(t.value())
           + " before that vote was durable (durable: term " + std::to_string(hard->term.value()) + ", vote n"
           + std::to_string(hard->vote.value()) + ")";
  };
  return std::visit([&](const auto& m) -> std::optional<std::string> {
    using T = std::decay_t<decltype(m)>;
    if constexpr (std::is_same_v<T, raft::vote_response>) {
      if (m.granted) return voted_for(e.to);
    } else if constexpr (std::is_same_v<T, raft::vote_request>) {
      return voted_for(e.from);
    } else if constexpr (std::is_same_v<T, raft::append_entries_response>) {
      if (m.success) return check_entry(n, engine, disk, m.match_index, "acknowledged entries up to");
    } else if constexpr (std::is_same_v<T, raft::install_snapshot_response>) {
      // A stale install (everything it covers is committed here) is
      // acknowledged from the log: then its entries must be durable there
      // (seed 943033 of swarm: a node's own compaction had failed before its
      // snapshot file was synced, and the log still held the entries).
      if (m.done && !disk.fully_durable(engine.raft_storage().snapshot_path())
          && check_entry(n, engine, disk, m.snapshot_index, "acknowledged a snapshot at"))
        return who(n) + " acknowledged a snapshot at index " + std::to_string(m.snapshot_index.value())
               + " before the snapshot file was durable";
    }
    return std::nullopt;
  }, e.body);
}

} // namespace

// A request stays after its answer: the network may duplicate it, and the
// node then answers again. The table is capped (the lowest keys go).
constexpr std::size_t share_requests_max = 1 << 16;

void durability_checker::on_share_request(secrets::endpoint client, node_id node, std::uint64_t request_id,
                                          secrets::share_key key) {
  if (requests_.size() >= share_requests_max) {
    requests_.erase(requests_.begin());
    forgot_ = true;
  }
  requests_[request{client.id, node, request_id}] = std::move(key);
}

std::optional<std::string> durability_checker::on_node_send(node_id node, secrets::endpoint to,
                                                            const sim_node_engine& engine,
                                                            const storage::sim_disk& disk, byte_view payload) {
  ++checked_;
  if (auto e = engine.raft_envelope_in(payload)) return check_raft(node, engine, disk, *e);
  const auto acked = engine.share_ack_request_id(payload);
  if (!acked || to.is_node()) return std::nullopt;
  auto it = requests_.find(request{to.id, node, *acked});
  if (it == requests_.end() && forgot_) return std::nullopt;
  if (it == requests_.end())
    return who(node) + " acknowledged a share request " + std::to_string(*acked) + " that it was never sent";
  const secrets::share_key& key = it->second;
  if (engine.share_is_durable(key, disk)) return std::nullopt;
  return who(node) + " acknowledged its share of " + key.name + " v" + std::to_string(key.version.value())
         + " before the share was in its durable journal";
}

} // namespace pss::sim
