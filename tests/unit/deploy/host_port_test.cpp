#include <doctest/doctest.h>

#include "deploy/config.hpp"

using namespace pss;
using namespace pss::deploy;

TEST_CASE("deploy: host_port parses IPv4, IPv6 in brackets and host names") {
  auto v4 = parse_host_port("127.0.0.1:7101");
  REQUIRE(v4.ok());
  CHECK(v4->host == "127.0.0.1");
  CHECK(v4->port == 7101);
  auto v6 = parse_host_port("[::1]:7101");
  REQUIRE(v6.ok());
  CHECK(v6->host == "::1");
  CHECK(v6->to_string() == "[::1]:7101");
  auto name = parse_host_port("node3.lan:65535");
  REQUIRE(name.ok());
  CHECK(name->host == "node3.lan");
  CHECK(name->to_string() == "node3.lan:65535");
}

TEST_CASE("deploy: host_port refuses a missing or out-of-range port and says what is expected") {
  auto no_port = parse_host_port("127.0.0.1");
  REQUIRE_FALSE(no_port.ok());
  CHECK(no_port.err().message().find(
            R"("127.0.0.1" has no port; expected host:port, for example "127.0.0.1:7101")") !=
        std::string::npos);
  for (const char* bad : {"127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:99999999999"}) {
    auto r = parse_host_port(bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.err().message().find("outside 1..65535") != std::string::npos);
  }
  for (const char* bad : {"127.0.0.1:", "[::1]", "[::1]7101", ":7101", "host:port", "::1:7101",
                          "a b:7101", "[::1:7101", ""}) {
    CAPTURE(bad);
    auto r = parse_host_port(bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.err().message().find("for example") != std::string::npos);
  }
}
