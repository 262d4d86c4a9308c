// The text format of `pss split` and `pss combine`.
//
// A split prints one line per share and one commitment line:
//
//   pss1:share:T:N:INDEX:SPLIT_ID:SHARE_HEX:CHECK
//   pss1:commit:T:N:SPLIT_ID:COMMITMENTS_HEX:CIPHERTEXT_HEX:CHECK
//
// The version tag `pss1` comes first so a future format is recognised.
// SPLIT_ID is derived from the commitment line's public content, so a share
// from another split is caught by its id, and a commitment line whose content
// does not match its id is refused. CHECK is a 4-byte BLAKE2b checksum of the
// line before it, so a mistyped character is caught before any arithmetic.
// See docs/share-format.md. This module only parses and formats; it never
// prints share material anywhere but the line it was asked to format, and its
// error messages name line numbers and fields, never field contents.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/bytes.hpp"
#include "core/result.hpp"
#include "core/secure.hpp"

namespace pss::offline {

inline constexpr std::string_view format_tag = "pss1";
inline constexpr std::size_t split_id_bytes = 8;
inline constexpr std::size_t share_bytes = 32;
inline constexpr std::size_t point_bytes = 32;
inline constexpr std::size_t checksum_bytes = 4;
// A secret given to `pss split` may be at most this long.
inline constexpr std::size_t secret_bytes_max = 64 * 1024;
// A line longer than this is refused before it is parsed.
inline constexpr std::size_t line_chars_max = 4 * secret_bytes_max;

using split_id = std::array<std::uint8_t, split_id_bytes>;

struct share_line {
  std::uint32_t threshold = 0;
  std::uint32_t shares = 0;
  std::uint32_t index = 0;
  split_id id{};
  secure_bytes value; // the 32-byte scalar encoding of the share
};

struct commit_line {
  std::uint32_t threshold = 0;
  std::uint32_t shares = 0;
  split_id id{};
  bytes commitments; // threshold encoded points, concatenated
  bytes ciphertext;  // the envelope: nonce followed by AEAD ciphertext

  friend bool operator==(const commit_line&, const commit_line&) = default;
};

// The split id for a commitment line's public content.
[[nodiscard]] split_id derive_split_id(std::uint32_t threshold, std::uint32_t shares,
                                       byte_view commitments, byte_view ciphertext);

[[nodiscard]] std::string format(const share_line& line);
[[nodiscard]] std::string format(const commit_line& line);

// One parsed line; blank lines and '#' comments parse to std::monostate.
using parsed_line = std::variant<std::monostate, share_line, commit_line>;

// Parses one line. Errors say which field is wrong and why, never its value.
[[nodiscard]] result<parsed_line> parse_line(std::string_view text);

} // namespace pss::offline
