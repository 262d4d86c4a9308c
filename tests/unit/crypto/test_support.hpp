// Helpers shared by the crypto unit tests.
#pragma once

#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/bytes.hpp"
#include "core/ids.hpp"
#include "core/prng.hpp"

namespace pss::crypto::testing {

inline bytes hex(std::string_view text) {
  auto out = from_hex(text);
  REQUIRE(out.ok());
  return *out;
}

// A random subset of {1..n} of the given size, in random order.
inline std::vector<share_index> random_subset(prng& rng, std::size_t n, std::size_t size) {
  std::vector<share_index> all;
  for (std::size_t i = 1; i <= n; ++i)
    all.push_back(share_index{static_cast<std::uint32_t>(i)});
  for (std::size_t i = all.size(); i > 1; --i)
    std::swap(all[i - 1], all[rng.below(i)]);
  all.resize(size);
  return all;
}

} // namespace pss::crypto::testing
