#include <doctest/doctest.h>

#include <string>

#include "checkers/runaway.hpp"

using namespace pss::sim;
using std::chrono::milliseconds;

TEST_CASE("runaway: inputs spread over time never trip the guard") {
  runaway_guard g{100};
  int described = 0;
  for (int t = 0; t < 10'000; ++t)
    for (int i = 0; i < 100; ++i)
      g.on_input(milliseconds{t}, [&] {
        ++described;
        return std::string{"n1 <- n2 x"};
      });
  CHECK_FALSE(g.tripped());
  CHECK(g.max_seen() == 100);
  CHECK(described == 0); // nothing is named below the bound
}

TEST_CASE("runaway: a loop at one instant trips and is described by its commonest inputs") {
  runaway_guard g{1000};
  g.on_input(milliseconds{5}, [] { return std::string{"n9 <- c1 store_share"}; });
  std::uint64_t i = 0;
  while (!g.tripped()) {
    REQUIRE(i < 1000 + runaway_guard::sample_size + 1);
    g.on_input(milliseconds{7}, [&] {
      return std::string{i % 2 ? "n1 <- n2 append_entries_response" : "n2 <- n1 append_entries"};
    });
    ++i;
  }
  CHECK(i == 1000 + runaway_guard::sample_size);
  const std::string d = g.describe();
  CHECK(d.find("t=7 ms") != std::string::npos);
  CHECK(d.find("1000x n1 <- n2 append_entries_response") != std::string::npos);
  CHECK(d.find("1000x n2 <- n1 append_entries") != std::string::npos);
  CHECK(d.find("store_share") == std::string::npos);
}

TEST_CASE("runaway: a burst that ends before the sample is full does not trip") {
  runaway_guard g{10};
  for (int i = 0; i < 10 + static_cast<int>(runaway_guard::sample_size) - 1; ++i)
    g.on_input(milliseconds{1}, [] { return std::string{"x"}; });
  g.on_input(milliseconds{2}, [] { return std::string{"x"}; });
  for (int i = 0; i < 10 + static_cast<int>(runaway_guard::sample_size) - 1; ++i)
    g.on_input(milliseconds{3}, [] { return std::string{"x"}; });
  CHECK_FALSE(g.tripped());
}
