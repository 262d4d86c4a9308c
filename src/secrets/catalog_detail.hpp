// Small helpers shared by the catalog's round files (catalog_rounds.cpp,
// catalog_disputes.cpp). Internal to the catalog; nothing else includes it.
#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include "core/ids.hpp"
#include "secrets/commands.hpp"
#include "secrets/round_detail.hpp"

namespace pss::secrets::detail {

inline command_result make(result_code code, std::string message) {
  return command_result{code, {}, std::move(message)};
}

inline std::string name_of(node_id n) { return "node " + std::to_string(n.value()); }

using detail::contains; // round_detail.hpp

} // namespace pss::secrets::detail
