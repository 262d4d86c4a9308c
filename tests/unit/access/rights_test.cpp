#include <doctest/doctest.h>

#include <string>

#include "access/rights.hpp"

using namespace pss;
using namespace pss::access;

TEST_CASE("access: rights parse from names and print in a fixed order") {
  auto r = rights::parse("list,read,delete");
  REQUIRE(r.ok());
  CHECK(r->has(right::read));
  CHECK(r->has(right::remove));
  CHECK(r->has(right::list));
  CHECK_FALSE(r->has(right::write));
  CHECK_FALSE(r->has(right::admin));
  CHECK(r->to_string() == "read,delete,list");
  auto all = rights::parse("all");
  REQUIRE(all.ok());
  CHECK(all->to_string() == "read,write,delete,list,refresh,admin");
  CHECK(rights::from_mask(r->mask()).value() == *r);
}

TEST_CASE("access: rights refuse unknown, repeated and empty names with a message") {
  CHECK(rights::parse("").err().code() == errc::invalid_argument);
  CHECK(rights::parse("read,").err().message().find("comma") != std::string::npos);
  CHECK(rights::parse("read,read").err().message().find("twice") != std::string::npos);
  CHECK(rights::parse("root").err().message().find("unknown right 'root'") != std::string::npos);
  CHECK(rights::parse("read write").err().code() == errc::invalid_argument);
  CHECK_FALSE(rights::from_mask(0).ok());
  CHECK_FALSE(rights::from_mask(0x40).ok());
}

TEST_CASE("access: a pattern matches the whole name; * any run, ? one character") {
  CHECK(pattern_matches("*", ""));
  CHECK(pattern_matches("*", "a/b/c"));
  CHECK(pattern_matches("app/*", "app/db"));
  CHECK(pattern_matches("app/*", "app/db/password"));
  CHECK(pattern_matches("app/*", "app/"));
  CHECK_FALSE(pattern_matches("app/*", "app"));
  CHECK_FALSE(pattern_matches("app/*", "apps/x"));
  CHECK(pattern_matches("db-?", "db-1"));
  CHECK_FALSE(pattern_matches("db-?", "db-12"));
  CHECK_FALSE(pattern_matches("db-?", "db-"));
  CHECK(pattern_matches("exact", "exact"));
  CHECK_FALSE(pattern_matches("exact", "exactly"));
  CHECK_FALSE(pattern_matches("exact", "exac"));
  CHECK(pattern_matches("a*b*c", "aXXbYYc"));
  CHECK(pattern_matches("a*b*c", "abc"));
  CHECK_FALSE(pattern_matches("a*b*c", "aXXbYY"));
  CHECK(pattern_matches("*key", "api/key"));
  CHECK_FALSE(pattern_matches("*key", "api/keys"));
}

TEST_CASE("access: a pathological pattern is matched without blowing up") {
  const std::string name(2000, 'a');
  std::string pattern;
  for (int i = 0; i < 100; ++i) pattern += "a*";
  pattern += "b";
  CHECK_FALSE(pattern_matches(pattern, name));
  CHECK(pattern_matches(pattern.substr(0, pattern.size() - 1), name));
}

TEST_CASE("access: patterns must be printable ASCII of bounded length") {
  CHECK(check_pattern("app/*").ok());
  CHECK_FALSE(check_pattern("").ok());
  CHECK_FALSE(check_pattern("a b").ok());
  CHECK_FALSE(check_pattern(std::string(pattern_bytes_max + 1, 'a')).ok());
  CHECK(check_pattern(std::string(pattern_bytes_max, 'a')).ok());
  CHECK_FALSE(check_pattern(std::string{"a\nb"}).ok());
}
