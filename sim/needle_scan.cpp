#include "sim/needle_scan.hpp"

#include <algorithm>
#include <cstring>

#include "core/check.hpp"

namespace pss::sim {
namespace {

std::uint64_t prefix_of(const std::uint8_t* p) {
  std::uint64_t v = 0;
  std::memcpy(&v, p, sizeof v);
  return v;
}

} // namespace

void needle_set::add(byte_view needle, std::size_t id) {
  PSS_CHECK(needle.size() >= needle_bytes_min);
  by_prefix_[prefix_of(needle.data())].push_back(entry{bytes(needle.begin(), needle.end()), id});
  ++count_;
  max_id_ = std::max(max_id_, id);
}

void needle_set::scan(byte_view hay, std::vector<bool>& found) const {
  if (count_ == 0) return;
  if (found.size() <= max_id_) found.resize(max_id_ + 1, false);
  // Nothing but zeroes after the last non-zero byte, and no needle is all zeroes.
  std::size_t used = hay.size();
  while (used > 0 && hay[used - 1] == 0) --used;
  if (used < needle_bytes_min) return;
  for (std::size_t at = 0; at + needle_bytes_min <= used; ++at) {
    auto it = by_prefix_.find(prefix_of(hay.data() + at));
    if (it == by_prefix_.end()) continue;
    for (const auto& e : it->second)
      if (at + e.needle.size() <= hay.size() && std::equal(e.needle.begin(), e.needle.end(), hay.begin() + static_cast<std::ptrdiff_t>(at)))
        found[e.id] = true;
  }
}

void needle_set::scan_durable(const storage::sim_disk& disk, const std::string& prefix,
                              std::vector<bool>& found) const {
  for (const auto& path : disk.durable_paths())
    if (path.starts_with(prefix))
      if (auto view = disk.durable_view(path)) scan(*view, found);
}

} // namespace pss::sim
