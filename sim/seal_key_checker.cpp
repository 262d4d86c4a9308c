#include "sim/seal_key_checker.hpp"

#include <algorithm>

namespace pss::sim {
namespace {

constexpr millis next_input_slack{500};

std::array<std::uint8_t, crypto::box_key_bytes> key_of(const crypto::box_public_key& k) {
  std::array<std::uint8_t, crypto::box_key_bytes> out{};
  std::copy(k.bytes().begin(), k.bytes().end(), out.begin());
  return out;
}

} // namespace

void seal_key_checker::observe(millis now, const secrets::node_engine& node, const storage::sim_disk& disk,
                               std::vector<std::string>& violations) {
  const secrets::seal_keyring* ring = node.seal_keys();
  // A stopped node does nothing until it restarts; one that is behind
  // (restarted, cut off) erases nothing until it caught up, unless removed.
  if (ring == nullptr || node.failure()) return;
  if (!node.caught_up() && node.state().view().find(node.id()) != nullptr && node.state().leaving() != node.id()) return;
  auto& mine = keys_[node.id()];
  for (const secrets::seal_pair& p : ring->pairs()) {
    const auto k = key_of(p.keys.public_key);
    if (mine.contains(k) || done_[node.id()].contains(k)) continue;
    mine.emplace(k, tracked{p.epoch, p.serial, secure_bytes{p.keys.secret_key.view()}, std::nullopt, now});
    ++seen_;
  }
  const auto& state = node.state();
  const auto rec = state.seal_keys().find(node.id());
  const auto& round = state.round();
  for (auto it = mine.begin(); it != mine.end();) {
    tracked& t = it->second;
    // Retired while the node's own catalog records a newer key (a restarted
    // node's catalog may be behind until it catches up: it keeps the key).
    // A member its own catalog dropped is sealed nothing any more.
    const bool removed = state.view().find(node.id()) == nullptr || state.leaving() == node.id();
    const bool newer = removed || (rec != state.seal_keys().end() && rec->second.serial > t.serial);
    if (!newer) t.retired.reset();
    else if (!t.retired) t.retired = now;
    if (round) {
      const auto fixed = round->seal_keys.find(node.id());
      if (fixed != round->seal_keys.end() && key_of(fixed->second) == it->first) t.fixed_until = now;
    }
    const millis due = std::max(t.retired.value_or(now), t.fixed_until) + grace_ + next_input_slack;
    if (!t.retired || now < due) {
      ++it;
      continue;
    }
    if (disk.durable_image_contains(t.secret.view())) {
      violations.push_back("seal keys: n" + std::to_string(node.id().value()) + "'s disk still holds its sealing key of epoch "
                           + std::to_string(t.epoch.value()) + " (serial " + std::to_string(t.serial) + "), superseded at t="
                           + std::to_string(t.retired->count()) + "ms: a read of its disk opens what was sealed to it before");
      ++it;
      continue;
    }
    ++gone_;
    done_[node.id()].insert(it->first);
    it = mine.erase(it);
  }
}

} // namespace pss::sim
