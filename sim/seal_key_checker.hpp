// The sealing-key checker (docs/refresh.md §7.9): a read of a member's disk
// must not open what was sealed to it before its newer key took over. It
// runs after every input of every live secrets node. It learns each
// sealing key pair the node holds (the simulator may look), notes since
// when the node's own catalog records a newer key for it (a later serial),
// and how long a round it applied still fixed the key for it; once that is
// more than the grace (plus half a second for the node's next input) ago, the
// key's secret bytes must appear nowhere in the durable image of the node's
// disk. A key found gone is forgotten. Planted bug: keep-seal-key.
//
// It keeps copies of secret keys: simulation only. CAF-free.
#pragma once

#include <array>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/secure.hpp"
#include "secrets/node_engine.hpp"
#include "storage/sim_disk.hpp"

namespace pss::sim {

using secrets::millis;

class seal_key_checker {
public:
  explicit seal_key_checker(millis grace) : grace_(grace) {}
  void observe(millis now, const secrets::node_engine& node, const storage::sim_disk& disk,
               std::vector<std::string>& violations);
  [[nodiscard]] std::uint64_t keys_seen() const noexcept { return seen_; }
  [[nodiscard]] std::uint64_t keys_gone() const noexcept { return gone_; }

private:
  struct tracked {
    epoch_id epoch;
    std::uint64_t serial = 0;
    secure_bytes secret;
    std::optional<millis> retired; // when a newer key was first seen recorded
    millis fixed_until{0};         // the last time a round fixed it for the node
  };
  using key_bytes = std::array<std::uint8_t, crypto::box_key_bytes>;
  millis grace_;
  std::map<node_id, std::map<key_bytes, tracked>> keys_;
  std::map<node_id, std::set<key_bytes>> done_; // found gone: never tracked again
  std::uint64_t seen_ = 0;
  std::uint64_t gone_ = 0;
};

} // namespace pss::sim
