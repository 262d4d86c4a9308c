#include "runaway.hpp"

#include <algorithm>
#include <vector>

#include "core/check.hpp"

namespace pss::sim {

runaway_guard::runaway_guard(std::uint64_t bound) : bound_{bound} { PSS_CHECK(bound > 0); }

void runaway_guard::sample(const std::string& what) {
  PSS_CHECK(!tripped_);
  ++sample_[what];
  ++sampled_;
  if (sampled_ >= sample_size) tripped_ = true;
}

std::string runaway_guard::describe() const {
  PSS_CHECK(tripped_);
  std::vector<std::pair<std::uint64_t, std::string>> kinds;
  for (const auto& [what, n] : sample_) kinds.emplace_back(n, what);
  std::sort(kinds.begin(), kinds.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  std::string out = "runaway: more than " + std::to_string(bound_) + " inputs at simulated t="
                    + std::to_string(instant_.count()) + " ms without time passing; of the next "
                    + std::to_string(sample_size) + ":";
  const std::size_t shown = std::min<std::size_t>(kinds.size(), 6);
  for (std::size_t i = 0; i < shown; ++i)
    out += (i == 0 ? " " : ", ") + std::to_string(kinds[i].first) + "x " + kinds[i].second;
  if (kinds.size() > shown) out += ", and " + std::to_string(kinds.size() - shown) + " other kinds";
  return out;
}

} // namespace pss::sim
