// Finding many short byte strings (share values, 32 bytes and more) in disk
// images at once, for the simulator's erasure and leak checks. A scan costs
// one pass over the haystack's bytes up to its last non-zero byte (segments
// are preallocated with zeroes), whatever the number of needles.
#pragma once

#include <cstddef>
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "core/bytes.hpp"
#include "storage/sim_disk.hpp"

namespace pss::sim {

class needle_set {
public:
  // Needles must be at least needle_bytes_min long; id is returned on a find.
  static constexpr std::size_t needle_bytes_min = 8;
  void add(byte_view needle, std::size_t id);
  [[nodiscard]] std::size_t size() const noexcept { return count_; }
  // Sets found[id] for every needle in hay (found is resized to fit).
  void scan(byte_view hay, std::vector<bool>& found) const;
  // The same for every durable file of a disk whose path starts with prefix.
  void scan_durable(const storage::sim_disk& disk, const std::string& prefix, std::vector<bool>& found) const;

private:
  struct entry {
    bytes needle;
    std::size_t id;
  };
  std::unordered_map<std::uint64_t, std::vector<entry>> by_prefix_; // lookups only: order never matters
  std::size_t count_ = 0;
  std::size_t max_id_ = 0;
};

} // namespace pss::sim
