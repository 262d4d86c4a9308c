#include <doctest/doctest.h>

#include "core/result.hpp"

using namespace pss;

namespace {
result<int> parse_positive(int v) {
  if (v <= 0) return error{errc::invalid_argument, "must be positive"};
  return v;
}
status twice(int v, int& out) {
  auto r = parse_positive(v);
  PSS_TRY(r);
  out = *r * 2;
  return {};
}
} // namespace

TEST_CASE("result: holds a value or an error") {
  auto good = parse_positive(3);
  REQUIRE(good.ok());
  CHECK(*good == 3);
  auto bad = parse_positive(-1);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.err().code() == errc::invalid_argument);
  CHECK(bad.err().describe() == "invalid argument: must be positive");
}

TEST_CASE("result: PSS_TRY propagates the first error") {
  int out = 0;
  CHECK(twice(4, out).ok());
  CHECK(out == 8);
  auto failed = twice(0, out);
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.err().message() == "must be positive");
  CHECK(out == 8);
}
