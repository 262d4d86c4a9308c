// Typed, checked access to one TOML table, with error messages that name the
// file, the full key path (`members[2].box_key`, counted from 1), what was wrong
// and an example of a right value.
//
// Internal to src/deploy: only the .cpp files of this module include it, so
// toml++ stays out of every other translation unit. The reader never throws.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include <toml++/toml.h>

#include "core/result.hpp"

namespace pss::deploy::detail {

// Parses TOML text; a syntax error becomes `FILE:LINE:COLUMN: ...`.
[[nodiscard]] result<toml::table> parse_toml(std::string_view text, const std::string& file);

class table_reader {
public:
  // `prefix` is the key path of this table with a trailing dot ("node."),
  // empty for the root table.
  table_reader(const toml::table& table, const std::string& file, std::string prefix)
    : table_(table), file_(file), prefix_(std::move(prefix)) {}

  // Refuses every key not in the list, naming it, so a typo never passes.
  [[nodiscard]] status allow_only(std::initializer_list<std::string_view> keys) const;

  [[nodiscard]] bool has(std::string_view key) const { return table_.contains(key); }

  // A required string of 1..chars_max characters.
  [[nodiscard]] result<std::string> string(std::string_view key, std::string_view example,
                                           std::size_t chars_max = 4096) const;
  // A required integer in min..max.
  [[nodiscard]] result<std::int64_t> integer(std::string_view key, std::int64_t min,
                                             std::int64_t max, std::string_view example) const;
  // An optional integer (nullopt when absent) in min..max.
  [[nodiscard]] result<std::optional<std::int64_t>> optional_integer(
      std::string_view key, std::int64_t min, std::int64_t max, std::string_view example) const;
  // An optional integer in min..max (max at most 2^32-1) into `out`; absent
  // keeps `out`, and the example shows its value.
  [[nodiscard]] status optional_u32(std::string_view key, std::uint32_t& out, std::int64_t min, std::int64_t max) const;
  [[nodiscard]] result<bool> optional_boolean(std::string_view key, bool fallback,
                                              std::string_view example) const;
  // A sub-table written as [key]; nullptr when absent.
  [[nodiscard]] result<const toml::table*> optional_table(std::string_view key,
                                                          std::string_view example) const;
  // Tables written as [[key]]; an error when absent or empty.
  [[nodiscard]] result<const toml::array*> array_of_tables(std::string_view key,
                                                           std::string_view example) const;

  // `FILE: key 'PATH': WHAT; for example EXAMPLE`. The example is
  // left out when empty (WHAT then carries its own).
  [[nodiscard]] error fail(std::string_view key, std::string_view what,
                           std::string_view example = {}) const;
  [[nodiscard]] std::string path(std::string_view key) const { return prefix_ + std::string{key}; }
  [[nodiscard]] const std::string& file() const noexcept { return file_; }

private:
  [[nodiscard]] error missing(std::string_view key, std::string_view example) const;
  [[nodiscard]] error wrong_type(std::string_view key, std::string_view expected,
                                 std::string_view example) const;

  const toml::table& table_;
  const std::string& file_;
  std::string prefix_;
};

} // namespace pss::deploy::detail
