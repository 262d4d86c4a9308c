// A token bucket per API key (docs/gateway.md "Limits"): each key may send
// `per_second` requests a second on average and `burst` at once. Time comes
// in as an argument, so the limiter is pure and its tests need no clock. Only
// keys that passed authentication get a bucket, so the map is bounded by the
// config's keys.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace pss::gateway {

class rate_limiter {
public:
  rate_limiter(std::uint32_t per_second, std::uint32_t burst);

  // nullopt when the request may go on (a token is spent); otherwise the
  // milliseconds until a token is there (for Retry-After).
  [[nodiscard]] std::optional<std::uint64_t> admit(std::string_view key, std::uint64_t now_ms);

private:
  struct bucket {
    std::uint64_t milli_tokens = 0; // thousandths of a request
    std::uint64_t at_ms = 0;        // when milli_tokens was last brought up to date
  };
  std::uint64_t per_second_;
  std::uint64_t capacity_; // burst, in milli-tokens
  std::map<std::string, bucket, std::less<>> buckets_;
};

} // namespace pss::gateway
