#include <doctest/doctest.h>

#include <sstream>

#include "crypto/scalar.hpp"
#include "test_support.hpp"

using namespace pss;
using namespace pss::crypto;
using pss::crypto::testing::hex;

namespace {
// The group order L, little-endian (RFC 9496 §4.1).
const char* const order_hex = "edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010";
} // namespace

TEST_CASE("scalar: arithmetic agrees with small integers") {
  const auto a = scalar::from_u64(7);
  const auto b = scalar::from_u64(5);
  CHECK(a + b == scalar::from_u64(12));
  CHECK(a - b == scalar::from_u64(2));
  CHECK(a * b == scalar::from_u64(35));
  CHECK(b - a + scalar::from_u64(2) == scalar::zero());
  CHECK(-a + a == scalar::zero());
  CHECK(scalar::zero().is_zero());
  CHECK_FALSE(scalar::one().is_zero());
}

TEST_CASE("scalar: invert gives the multiplicative inverse and refuses zero") {
  seeded_random rng{7};
  for (int i = 0; i < 20; ++i) {
    const auto a = scalar::random_nonzero(rng);
    auto inv = a.invert();
    REQUIRE(inv.ok());
    CHECK(a * *inv == scalar::one());
  }
  auto zero_inv = scalar::zero().invert();
  REQUIRE_FALSE(zero_inv.ok());
  CHECK(zero_inv.err().code() == errc::invalid_argument);
}

TEST_CASE("scalar: from_bytes accepts canonical encodings and rejects L and above") {
  const auto l = hex(order_hex);
  auto parsed_l = scalar::from_bytes(l);
  REQUIRE_FALSE(parsed_l.ok());
  CHECK(parsed_l.err().code() == errc::malformed);

  // L - 1 is the largest canonical scalar, and it equals -1.
  auto l_minus_1 = l;
  l_minus_1[0] -= 1;
  auto parsed = scalar::from_bytes(l_minus_1);
  REQUIRE(parsed.ok());
  CHECK(*parsed == -scalar::one());

  bytes all_ff(32, 0xff);
  CHECK_FALSE(scalar::from_bytes(all_ff).ok());
  CHECK_FALSE(scalar::from_bytes(bytes(31, 0)).ok());
  CHECK_FALSE(scalar::from_bytes(bytes(33, 0)).ok());

  seeded_random rng{3};
  for (int i = 0; i < 50; ++i) {
    const auto a = scalar::random(rng);
    auto back = scalar::from_bytes(a.bytes());
    REQUIRE(back.ok());
    CHECK(*back == a);
  }
}

TEST_CASE("scalar: random is drawn from 64 bytes and is replayable from a seed") {
  seeded_random a{11};
  seeded_random b{11};
  const auto x = scalar::random(a);
  const auto y = scalar::random(b);
  CHECK(x == y);
  CHECK_FALSE(scalar::random(a) == x);
}

TEST_CASE("scalar: from_wide reduces 64 bytes modulo L") {
  // L + 5, zero-extended to 64 bytes, reduces to 5.
  auto wide = hex(order_hex);
  wide.resize(64, 0);
  wide[0] += 5;
  const auto reduced = scalar::from_wide(std::span<const std::uint8_t, 64>{wide.data(), 64});
  CHECK(reduced == scalar::from_u64(5));
  bytes big(64, 0);
  big[40] = 1; // 2^320
  const auto r = scalar::from_wide(std::span<const std::uint8_t, 64>{big.data(), 64});
  // 2^320 = (2^64)^5, checked through the field's own multiplication.
  const auto two64 = scalar::from_u64(1ULL << 32) * scalar::from_u64(1ULL << 32);
  CHECK(r == two64 * two64 * two64 * two64 * two64);
}

TEST_CASE("scalar: prints redacted, never its value") {
  const auto a = scalar::from_u64(0x1234);
  std::ostringstream os;
  os << a;
  CHECK(os.str() == "<redacted>");
  CHECK(to_string(a) == "<redacted>");
  CHECK(a.to_secure_bytes().equals(a.bytes()));
}

TEST_CASE("scalar: in-place arithmetic matches out-of-place, also on itself") {
  seeded_random rng{171};
  for (int i = 0; i < 50; ++i) {
    const auto a = scalar::random(rng);
    const auto b = scalar::random(rng);
    auto x = a;
    x *= b;
    CHECK(x == a * b);
    x = a;
    x += b;
    CHECK(x == a + b);
    x = a;
    x -= b;
    CHECK(x == a - b);
    x = a;
    x *= x; // the output aliases both inputs
    CHECK(x == a * a);
    x = a;
    x += x;
    CHECK(x == a + a);
    x = a;
    x -= x;
    CHECK(x.is_zero());
  }
}
