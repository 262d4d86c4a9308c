#include "access/rights.hpp"

#include <array>

namespace pss::access {
namespace {

constexpr std::array<right, 6> every_right{right::read, right::write, right::remove,
                                           right::list, right::refresh, right::admin};

} // namespace

std::string_view name_of(right r) noexcept {
  switch (r) {
    case right::read: return "read";
    case right::write: return "write";
    case right::remove: return "delete";
    case right::list: return "list";
    case right::refresh: return "refresh";
    case right::admin: return "admin";
  }
  return "unknown";
}

result<rights> rights::from_mask(std::uint8_t mask) {
  if (mask == 0 || (mask & ~all_rights_mask) != 0)
    return error{errc::malformed, "a rights mask must name at least one right and no unknown bit"};
  rights out;
  out.mask_ = mask;
  return out;
}

result<rights> rights::parse(std::string_view text) {
  if (text == "all") return from_mask(all_rights_mask);
  rights out;
  while (!text.empty()) {
    const auto comma = text.find(',');
    const std::string_view word = text.substr(0, comma);
    bool known = false;
    for (right r : every_right) {
      if (word != name_of(r)) continue;
      if (out.has(r)) return error{errc::invalid_argument, "the right '" + std::string{word} + "' is named twice"};
      out.add(r);
      known = true;
    }
    if (!known)
      return error{errc::invalid_argument, "unknown right '" + std::string{word}.substr(0, 32)
                                               + "'; the rights are read, write, delete, list, refresh, admin, or all"};
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
    if (text.empty()) return error{errc::invalid_argument, "a list of rights must not end with a comma"};
  }
  if (out.empty()) return error{errc::invalid_argument, "name at least one right (read, write, delete, list, refresh, admin)"};
  return out;
}

std::string rights::to_string() const {
  std::string out;
  for (right r : every_right)
    if (has(r)) out += (out.empty() ? "" : ",") + std::string{name_of(r)};
  return out;
}

status check_pattern(std::string_view pattern) {
  if (pattern.empty() || pattern.size() > pattern_bytes_max)
    return error{errc::invalid_argument, "a name pattern must be 1.." + std::to_string(pattern_bytes_max) + " bytes"};
  for (char c : pattern)
    if (c < 0x21 || c > 0x7e)
      return error{errc::invalid_argument, "a name pattern may hold only printable ASCII without spaces"};
  return ok_status();
}

// The classic greedy glob match with one backtrack point: on a mismatch after
// a '*', the star takes one more character. Each (name, pattern) position is
// visited O(1) times per star, so it is O(|name| * |pattern|) at worst.
bool pattern_matches(std::string_view pattern, std::string_view name) noexcept {
  std::size_t p = 0, n = 0;
  std::size_t star = std::string_view::npos, star_n = 0;
  while (n < name.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == name[n])) {
      ++p;
      ++n;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      star_n = n;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      n = ++star_n;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

} // namespace pss::access
