// Small helpers shared by the round files (round_member.cpp, round_dealer.cpp,
// round_finish.cpp, round_participant.cpp) and the catalog's (catalog_detail.hpp).
// Internal to src/secrets.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

#include "core/bytes.hpp"
#include "core/check.hpp"
#include "core/ids.hpp"

namespace pss::secrets::detail {

inline bool contains(const std::vector<node_id>& v, node_id n) {
  return std::find(v.begin(), v.end(), n) != v.end();
}

// A fixed-size field (a scalar, a signature) from bytes of exactly its size.
template <std::size_t N>
void copy_into(std::array<std::uint8_t, N>& out, byte_view in) {
  PSS_CHECK(in.size() == N);
  std::copy(in.begin(), in.end(), out.begin());
}

} // namespace pss::secrets::detail
