#include "gateway/rate_limiter.hpp"

#include <algorithm>

#include "core/check.hpp"

namespace pss::gateway {

namespace {
constexpr std::uint64_t milli = 1000;
} // namespace

rate_limiter::rate_limiter(std::uint32_t per_second, std::uint32_t burst)
  : per_second_(per_second), capacity_(std::uint64_t{burst} * milli) {
  PSS_CHECK(per_second > 0 && burst > 0);
}

std::optional<std::uint64_t> rate_limiter::admit(std::string_view key, std::uint64_t now_ms) {
  auto it = buckets_.find(key);
  if (it == buckets_.end()) it = buckets_.emplace(std::string{key}, bucket{capacity_, now_ms}).first;
  bucket& b = it->second;
  if (now_ms > b.at_ms) {
    // per_second requests a second = per_second milli-tokens a millisecond.
    const std::uint64_t elapsed = std::min<std::uint64_t>(now_ms - b.at_ms, capacity_);
    b.milli_tokens = std::min(capacity_, b.milli_tokens + elapsed * per_second_);
    b.at_ms = now_ms;
  }
  if (b.milli_tokens >= milli) {
    b.milli_tokens -= milli;
    return std::nullopt;
  }
  const std::uint64_t missing = milli - b.milli_tokens;
  return (missing + per_second_ - 1) / per_second_; // ms until one whole token
}

} // namespace pss::gateway
