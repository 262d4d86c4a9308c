#include <doctest/doctest.h>

#include <array>

#include "core/bytes.hpp"
#include "crypto/random_source.hpp"
#include "crypto/sodium.hpp"

using namespace pss::crypto;

TEST_CASE("crypto: init succeeds and is safe to call repeatedly") {
  CHECK(init().ok());
  CHECK(init().ok());
  require_init();
}

TEST_CASE("random_source: seeded_random replays the same stream for the same seed") {
  seeded_random a{42};
  seeded_random b{42};
  std::array<std::uint8_t, 100> x{};
  std::array<std::uint8_t, 100> y{};
  for (int round = 0; round < 3; ++round) {
    a.fill(x);
    b.fill(y);
    CHECK(x == y);
  }
}

TEST_CASE("random_source: different seeds and successive calls give different bytes") {
  seeded_random a{1};
  seeded_random b{2};
  std::array<std::uint8_t, 32> x{};
  std::array<std::uint8_t, 32> y{};
  std::array<std::uint8_t, 32> z{};
  a.fill(x);
  b.fill(y);
  a.fill(z);
  CHECK(x != y);
  CHECK(x != z);
}

TEST_CASE("random_source: system_random fills buffers and does not repeat") {
  system_random rng;
  std::array<std::uint8_t, 32> x{};
  std::array<std::uint8_t, 32> y{};
  rng.fill(x);
  rng.fill(y);
  CHECK(x != y);
  rng.fill(std::span<std::uint8_t>{}); // an empty fill is allowed
}

TEST_CASE("random_source: seeded_random's stream is pinned so recorded seeds replay") {
  // The key is BLAKE2b-256("pss/seeded_random/v1" | seed as u64 LE) and call
  // number c is the ChaCha20 keystream under nonce c. These bytes were
  // checked against an independent Python implementation of that
  // definition; if they change, every recorded simulator seed stops
  // replaying, so change them only on purpose.
  seeded_random rng{0};
  std::array<std::uint8_t, 16> first{};
  std::array<std::uint8_t, 16> second{};
  rng.fill(first);
  rng.fill(second);
  CHECK(pss::to_hex(first) == "80a5480a0d5c1ece529f0ff4120eb001");
  CHECK(pss::to_hex(second) == "418e011678a4563f94d7d1c90c5a080b");
}
