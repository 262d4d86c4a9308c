#include "deploy/toml_reader.hpp"

#include <algorithm>

#include <exception>

namespace pss::deploy::detail {

namespace {

std::string_view type_name(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a floating-point number";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "an array";
    case toml::node_type::date:
    case toml::node_type::time:
    case toml::node_type::date_time: return "a date or time";
    case toml::node_type::none: break;
  }
  return "nothing";
}

std::string range_text(std::int64_t min, std::int64_t max) {
  return std::to_string(min) + ".." + std::to_string(max);
}

} // namespace

result<toml::table> parse_toml(std::string_view text, const std::string& file) {
  try {
    return toml::parse(text, file);
  } catch (const toml::parse_error& e) {
    const auto& where = e.source().begin;
    return error{errc::malformed, file + ":" + std::to_string(where.line) + ":" +
                                      std::to_string(where.column) + ": TOML syntax error: " +
                                      std::string{e.description()}};
  } catch (const std::exception& e) {
    return error{errc::malformed, file + ": cannot parse TOML: " + std::string{e.what()}};
  }
}

error table_reader::fail(std::string_view key, std::string_view what,
                         std::string_view example) const {
  std::string text = file_ + ": key '" + path(key) + "': " + std::string{what};
  if (!example.empty()) text += "; for example " + std::string{example};
  return error{errc::invalid_argument, std::move(text)};
}

error table_reader::missing(std::string_view key, std::string_view example) const {
  return error{errc::invalid_argument, file_ + ": key '" + path(key) +
                                           "' is missing; for example " + std::string{example}};
}

error table_reader::wrong_type(std::string_view key, std::string_view expected,
                               std::string_view example) const {
  return fail(key, "expected " + std::string{expected} + ", found " +
                       std::string{type_name(*table_.get(key))}, example);
}

status table_reader::allow_only(std::initializer_list<std::string_view> keys) const {
  for (const auto& [key, node] : table_) {
    bool known = false;
    for (auto allowed : keys) known = known || key.str() == allowed;
    if (known) continue;
    std::string list;
    for (auto allowed : keys) list += (list.empty() ? "" : ", ") + std::string{allowed};
    std::string where = prefix_.empty() ? "at the top level" : "in [" + prefix_.substr(0, prefix_.size() - 1) + "]";
    return error{errc::invalid_argument,
                 file_ + ": unknown key '" + path(key.str()) + "' (line " +
                     std::to_string(node.source().begin.line) + "); the keys allowed " + where +
                     " are " + list};
  }
  return ok_status();
}

result<std::string> table_reader::string(std::string_view key, std::string_view example,
                                         std::size_t chars_max) const {
  const toml::node* node = table_.get(key);
  if (node == nullptr) return missing(key, example);
  const auto* value = node->as_string();
  if (value == nullptr) return wrong_type(key, "a string", example);
  const std::string& text = value->get();
  if (text.empty()) return fail(key, "is empty", example);
  if (text.size() > chars_max)
    return fail(key, "is longer than " + std::to_string(chars_max) + " characters", example);
  return text;
}

result<std::int64_t> table_reader::integer(std::string_view key, std::int64_t min,
                                           std::int64_t max, std::string_view example) const {
  auto value = optional_integer(key, min, max, example);
  if (!value.ok()) return value.err();
  if (!value->has_value()) return missing(key, example);
  return **value;
}

result<std::optional<std::int64_t>> table_reader::optional_integer(
    std::string_view key, std::int64_t min, std::int64_t max, std::string_view example) const {
  const toml::node* node = table_.get(key);
  if (node == nullptr) return std::optional<std::int64_t>{};
  const auto* value = node->as_integer();
  if (value == nullptr) return wrong_type(key, "an integer", example);
  const std::int64_t v = value->get();
  if (v < min || v > max)
    return fail(key, std::to_string(v) + " is outside " + range_text(min, max), example);
  return std::optional<std::int64_t>{v};
}

status table_reader::optional_u32(std::string_view key, std::uint32_t& out, std::int64_t min, std::int64_t max) const {
  auto v = optional_integer(key, min, std::min<std::int64_t>(max, 0xFFFF'FFFF), std::string{key} + " = " + std::to_string(out));
  if (!v.ok()) return v.err();
  if (v->has_value()) out = static_cast<std::uint32_t>(**v);
  return ok_status();
}

result<bool> table_reader::optional_boolean(std::string_view key, bool fallback,
                                            std::string_view example) const {
  const toml::node* node = table_.get(key);
  if (node == nullptr) return fallback;
  const auto* value = node->as_boolean();
  if (value == nullptr) return wrong_type(key, "true or false", example);
  return value->get();
}

result<const toml::table*> table_reader::optional_table(std::string_view key,
                                                        std::string_view example) const {
  const toml::node* node = table_.get(key);
  if (node == nullptr) return static_cast<const toml::table*>(nullptr);
  const auto* value = node->as_table();
  if (value == nullptr) return wrong_type(key, "a table", example);
  return value;
}

result<const toml::array*> table_reader::array_of_tables(std::string_view key,
                                                         std::string_view example) const {
  const toml::node* node = table_.get(key);
  if (node == nullptr) return missing(key, example);
  const auto* value = node->as_array();
  if (value == nullptr || !value->is_array_of_tables() || value->empty())
    return wrong_type(key, "one or more [[" + std::string{key} + "]] tables", example);
  return value;
}

} // namespace pss::deploy::detail
