#include <doctest/doctest.h>

#include <sstream>

#include "core/secure.hpp"

using namespace pss;

TEST_CASE("secure: prints redacted, never its bytes") {
  secure_bytes s{as_bytes("hunter2")};
  std::ostringstream os;
  os << s;
  CHECK(os.str() == "<redacted>");
  CHECK(s.as_string() == "hunter2");
}

TEST_CASE("secure: clear zeroizes and releases; move leaves the source empty") {
  secure_bytes s{as_bytes("abc")};
  secure_bytes moved = std::move(s);
  CHECK(s.empty());
  CHECK(moved.size() == 3);
  auto copy = moved.clone();
  CHECK(copy.equals(as_bytes("abc")));
  CHECK_FALSE(copy.equals(as_bytes("abd")));
  moved.clear();
  CHECK(moved.empty());
  CHECK(copy.size() == 3);
}

TEST_CASE("secure: zeroize overwrites a buffer") {
  bytes b{1, 2, 3, 4};
  zeroize(b);
  CHECK(b == bytes{0, 0, 0, 0});
}
