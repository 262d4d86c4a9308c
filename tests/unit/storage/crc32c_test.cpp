#include <doctest/doctest.h>

#include "core/prng.hpp"
#include "storage/crc32c.hpp"

using namespace pss;
using namespace pss::storage;

TEST_CASE("crc32c: the standard check value of \"123456789\" is 0xE3069283") {
  CHECK(crc32c(as_bytes("123456789")) == 0xE3069283u);
  CHECK(crc32c_portable(as_bytes("123456789")) == 0xE3069283u);
  CHECK(crc32c(byte_view{}) == 0u);
}

TEST_CASE("crc32c: the hardware and table paths agree and results chain") {
  prng rng{7};
  bytes data(1000);
  for (auto& b : data) b = static_cast<std::uint8_t>(rng.next_u64());
  for (std::size_t len = 0; len <= data.size(); len += 37) {
    const byte_view part{data.data(), len};
    CHECK(crc32c(part) == crc32c_portable(part));
    const std::size_t split = len / 3;
    CHECK(crc32c(part.subspan(split), crc32c(part.first(split))) == crc32c(part));
  }
  bytes flipped = data;
  flipped[500] ^= 0x01;
  CHECK(crc32c(flipped) != crc32c(data));
}

TEST_CASE("crc32c: a sealed buffer gives back its body, and any change is refused") {
  bytes data{1, 2, 3, 4, 5};
  seal_with_crc32c(data);
  REQUIRE(data.size() == 9);
  auto body = checksummed_body(data);
  REQUIRE(body.has_value());
  CHECK(bytes(body->begin(), body->end()) == bytes{1, 2, 3, 4, 5});
  for (std::size_t i = 0; i < data.size(); ++i) {
    bytes damaged = data;
    damaged[i] ^= 0x10;
    CHECK_FALSE(checksummed_body(damaged).has_value());
  }
  CHECK_FALSE(checksummed_body(bytes{1, 2, 3}).has_value());
  bytes empty;
  seal_with_crc32c(empty);
  CHECK(checksummed_body(empty).has_value());
}
