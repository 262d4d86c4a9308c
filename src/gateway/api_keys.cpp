#include "gateway/api_keys.hpp"

#include <sodium.h>

#include "core/bytes.hpp"
#include "core/check.hpp"
#include "crypto/hash.hpp"

namespace pss::gateway {

namespace {
constexpr std::string_view hash_label = "pss gateway api key v1";
} // namespace

std::string new_api_key(crypto::random_source& random) {
  std::array<std::uint8_t, 32> raw{};
  random.fill(raw);
  std::string key = std::string{api_key_prefix} + to_hex(byte_view{raw.data(), raw.size()});
  sodium_memzero(raw.data(), raw.size());
  PSS_CHECK(key.size() == api_key_chars);
  return key;
}

std::array<std::uint8_t, 32> api_key_hash(std::string_view key) noexcept {
  std::array<std::uint8_t, 32> out{};
  crypto_generichash_state state;
  crypto_generichash_init(&state, nullptr, 0, out.size());
  crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(hash_label.data()), hash_label.size());
  const unsigned char separator = 0;
  crypto_generichash_update(&state, &separator, 1);
  crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(key.data()), key.size());
  crypto_generichash_final(&state, out.data(), out.size());
  sodium_memzero(&state, sizeof state);
  return out;
}

const deploy::gateway_key* find_api_key(const std::vector<deploy::gateway_key>& keys,
                                        std::string_view presented) noexcept {
  const auto hash = api_key_hash(presented);
  const deploy::gateway_key* found = nullptr;
  for (const auto& k : keys) {
    const bool same = sodium_memcmp(k.hash.data(), hash.data(), hash.size()) == 0;
    if (same) found = &k; // no early exit: the time does not depend on which key matched
  }
  return found;
}

} // namespace pss::gateway
