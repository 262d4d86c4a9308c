// Rights and name patterns of the access policy (docs/access.md).
//
// A right is one kind of request a client key may make; a pattern is a glob
// over a whole secret name. Both are public data: they hold no secret and
// may be printed. Parsing refuses anything outside the documented grammar
// with a message that says what is wrong.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace pss::access {

enum class right : std::uint8_t {
  read = 1 << 0,    // get a share, read a record
  write = 1 << 1,   // store a share, register a version
  remove = 1 << 2,  // delete a name ("delete" is a C++ keyword)
  list = 1 << 3,    // list names (the list is filtered by pattern)
  refresh = 1 << 4, // start a refresh round now; cluster-wide
  admin = 1 << 5,   // change the policy; cluster-wide
};

inline constexpr std::uint8_t all_rights_mask = 0x3F;
inline constexpr std::size_t pattern_bytes_max = 256;

// Refresh and admin concern no single name: they are granted (and count) only in a grant whose
// pattern is "*".
[[nodiscard]] constexpr bool is_cluster_wide(right r) noexcept { return r == right::refresh || r == right::admin; }

// A set of rights.
class rights {
public:
  constexpr rights() noexcept = default;
  [[nodiscard]] static result<rights> from_mask(std::uint8_t mask);
  // "read,write,list" (any order; "all" is every right). Refuses an unknown
  // or repeated name and an empty list.
  [[nodiscard]] static result<rights> parse(std::string_view text);

  [[nodiscard]] constexpr bool has(right r) const noexcept { return (mask_ & static_cast<std::uint8_t>(r)) != 0; }
  [[nodiscard]] constexpr std::uint8_t mask() const noexcept { return mask_; }
  [[nodiscard]] constexpr bool empty() const noexcept { return mask_ == 0; }
  constexpr rights& add(right r) noexcept {
    mask_ = static_cast<std::uint8_t>(mask_ | static_cast<std::uint8_t>(r));
    return *this;
  }
  // "read,write" in declaration order.
  [[nodiscard]] std::string to_string() const;
  bool operator==(const rights&) const = default;

private:
  std::uint8_t mask_ = 0;
};

[[nodiscard]] std::string_view name_of(right r) noexcept;

// invalid_argument unless the pattern is 1..pattern_bytes_max bytes of
// printable ASCII.
[[nodiscard]] status check_pattern(std::string_view pattern);

// Whether the glob matches the whole name: '*' any run of characters
// (including '/'), '?' exactly one, any other character itself. Linear in
// name x pattern at worst; no recursion.
[[nodiscard]] bool pattern_matches(std::string_view pattern, std::string_view name) noexcept;

} // namespace pss::access
