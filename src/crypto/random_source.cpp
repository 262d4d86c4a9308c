#include "crypto/random_source.hpp"

#include <sodium.h>

#include "core/check.hpp"
#include "crypto/sodium.hpp"

namespace pss::crypto {

namespace {
constexpr char seeded_random_label[] = "pss/seeded_random/v1";
} // namespace

system_random::system_random() noexcept { require_init(); }

void system_random::fill(std::span<std::uint8_t> out) {
  if (!out.empty())
    randombytes_buf(out.data(), out.size());
}

seeded_random::seeded_random(std::uint64_t seed) noexcept {
  require_init();
  std::uint8_t seed_bytes[8];
  for (int i = 0; i < 8; ++i)
    seed_bytes[i] = static_cast<std::uint8_t>(seed >> (8 * i));
  crypto_generichash_state state;
  crypto_generichash_init(&state, nullptr, 0, key_bytes);
  crypto_generichash_update(&state,
                            reinterpret_cast<const unsigned char*>(seeded_random_label),
                            sizeof seeded_random_label - 1);
  crypto_generichash_update(&state, seed_bytes, sizeof seed_bytes);
  crypto_generichash_final(&state, key_, key_bytes);
  sodium_memzero(&state, sizeof state);
}

seeded_random::~seeded_random() { sodium_memzero(key_, sizeof key_); }

void seeded_random::fill(std::span<std::uint8_t> out) {
  static_assert(crypto_stream_chacha20_NONCEBYTES == 8);
  static_assert(crypto_stream_chacha20_KEYBYTES == key_bytes);
  std::uint8_t nonce[crypto_stream_chacha20_NONCEBYTES];
  for (int i = 0; i < 8; ++i)
    nonce[i] = static_cast<std::uint8_t>(calls_ >> (8 * i));
  ++calls_;
  if (!out.empty())
    crypto_stream_chacha20(out.data(), out.size(), nonce, key_);
}

} // namespace pss::crypto
