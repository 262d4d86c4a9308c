// The gateway's API keys (docs/gateway.md): how a key is made, hashed and
// found. A key is 32 random bytes, written as "pssk_" and 64 hex digits; the
// config holds only its BLAKE2b-256 hash under a domain label. The keys are
// random, not passwords, so a plain hash is enough: nothing can be guessed
// from it. Finding a key compares the presented key's hash with every
// stored hash in constant time, and never stops early.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/random_source.hpp"
#include "deploy/gateway_config.hpp"

namespace pss::gateway {

inline constexpr std::string_view api_key_prefix = "pssk_";
inline constexpr std::size_t api_key_chars = 5 + 64;

// A new key from `random`. The caller zeroizes it once printed.
[[nodiscard]] std::string new_api_key(crypto::random_source& random);

[[nodiscard]] std::array<std::uint8_t, 32> api_key_hash(std::string_view key) noexcept;

// The key `presented` is, or nullptr. Every stored hash is compared.
[[nodiscard]] const deploy::gateway_key* find_api_key(const std::vector<deploy::gateway_key>& keys,
                                                      std::string_view presented) noexcept;

} // namespace pss::gateway
