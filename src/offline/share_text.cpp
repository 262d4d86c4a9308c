#include "offline/share_text.hpp"

#include <sodium.h>

#include <charconv>

namespace pss::offline {

namespace {

constexpr std::string_view share_kind = "share";
constexpr std::string_view commit_kind = "commit";
constexpr std::size_t fields_per_line = 8;

std::array<std::uint8_t, checksum_bytes> checksum(std::string_view body) {
  std::array<std::uint8_t, checksum_bytes> out{};
  crypto_generichash(out.data(), out.size(),
                     reinterpret_cast<const unsigned char*>(body.data()), body.size(),
                     nullptr, 0);
  return out;
}

std::string with_checksum(std::string body) {
  auto sum = checksum(body);
  body += ':';
  body += to_hex(sum);
  return body;
}

std::vector<std::string_view> split_fields(std::string_view text) {
  std::vector<std::string_view> fields;
  std::size_t start = 0;
  while (fields.size() <= fields_per_line) {
    const auto colon = text.find(':', start);
    fields.push_back(text.substr(start, colon - start));
    if (colon == std::string_view::npos)
      break;
    start = colon + 1;
  }
  return fields;
}

error field_error(std::string_view field, std::string_view why) {
  return error{errc::malformed, std::string{field} + " " + std::string{why}};
}

result<std::uint32_t> parse_count(std::string_view text, std::string_view field) {
  std::uint32_t value = 0;
  if (text.empty() || text.size() > 9 || text.front() == '0')
    return field_error(field, "is not a positive decimal number");
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size())
    return field_error(field, "is not a positive decimal number");
  return value;
}

int hex_digit(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes hex into `out` without leaving a copy anywhere else, so it is safe
// for secret fields. The error never quotes the text.
status decode_hex_into(std::string_view text, std::span<std::uint8_t> out,
                       std::string_view field) {
  if (text.size() != 2 * out.size())
    return field_error(field, "has " + std::to_string(text.size())
                                  + " hex digits, expected " + std::to_string(2 * out.size()));
  for (std::size_t i = 0; i < out.size(); ++i) {
    const int hi = hex_digit(text[2 * i]);
    const int lo = hex_digit(text[2 * i + 1]);
    if (hi < 0 || lo < 0)
      return field_error(field, "has a non-hex character");
    out[i] = static_cast<std::uint8_t>(hi << 4 | lo);
  }
  return {};
}

result<bytes> decode_hex_field(std::string_view text, std::string_view field,
                               std::size_t unit, std::size_t max_bytes) {
  if (text.size() % 2 != 0)
    return field_error(field, "has an odd number of hex digits");
  const std::size_t size = text.size() / 2;
  if (size == 0 || size % unit != 0 || size > max_bytes)
    return field_error(field, "has the wrong length");
  bytes out(size);
  PSS_TRY(decode_hex_into(text, out, field));
  return out;
}

// Fields 2 and 3 of either kind of line: the threshold and the share count.
status parse_counts(const std::vector<std::string_view>& f, std::uint32_t& threshold,
                    std::uint32_t& shares) {
  auto t = parse_count(f[2], "threshold");
  PSS_TRY(t);
  auto n = parse_count(f[3], "share count");
  PSS_TRY(n);
  if (*t > *n)
    return error{errc::malformed, "threshold " + std::to_string(*t)
                                    + " is not between 1 and the share count "
                                    + std::to_string(*n)};
  threshold = *t;
  shares = *n;
  return {};
}

result<parsed_line> parse_share(const std::vector<std::string_view>& f) {
  share_line line;
  PSS_TRY(parse_counts(f, line.threshold, line.shares));
  auto i = parse_count(f[4], "share index");
  PSS_TRY(i);
  if (*i > line.shares)
    return error{errc::malformed, "share index " + std::to_string(*i)
                                    + " is above the share count "
                                    + std::to_string(line.shares)};
  line.index = *i;
  PSS_TRY(decode_hex_into(f[5], line.id, "split id"));
  line.value = secure_bytes{share_bytes};
  PSS_TRY(decode_hex_into(f[6], line.value.span(), "share value"));
  return parsed_line{std::move(line)};
}

result<parsed_line> parse_commit(const std::vector<std::string_view>& f) {
  commit_line line;
  PSS_TRY(parse_counts(f, line.threshold, line.shares));
  const std::uint32_t t = line.threshold;
  PSS_TRY(decode_hex_into(f[4], line.id, "split id"));
  auto commitments = decode_hex_field(f[5], "commitments", point_bytes,
                                      point_bytes * static_cast<std::size_t>(t));
  PSS_TRY(commitments);
  if (commitments->size() != point_bytes * t)
    return error{errc::malformed, "commitments hold "
                                    + std::to_string(commitments->size() / point_bytes)
                                    + " points, expected the threshold "
                                    + std::to_string(t)};
  line.commitments = std::move(*commitments);
  auto ciphertext = decode_hex_field(f[6], "ciphertext", 1, 2 * secret_bytes_max);
  PSS_TRY(ciphertext);
  line.ciphertext = std::move(*ciphertext);
  if (derive_split_id(line.threshold, line.shares, line.commitments, line.ciphertext)
      != line.id)
    return error{errc::verification_failed,
                 "commitment line's split id does not match its content"};
  return parsed_line{std::move(line)};
}

// "pss1:KIND:T:N:", the start of every line.
std::string header(std::string_view kind, std::uint32_t threshold, std::uint32_t shares) {
  std::string out{format_tag};
  out += ':';
  out += kind;
  out += ':' + std::to_string(threshold) + ':' + std::to_string(shares) + ':';
  return out;
}

} // namespace

split_id derive_split_id(std::uint32_t threshold, std::uint32_t shares,
                         byte_view commitments, byte_view ciphertext) {
  static constexpr std::string_view label = "pss/offline/split-id/v1";
  byte_writer w;
  w.str(label);
  w.u32(threshold);
  w.u32(shares);
  w.blob(commitments);
  w.blob(ciphertext);
  split_id id{};
  crypto_generichash(id.data(), id.size(), w.data().data(), w.data().size(), nullptr, 0);
  return id;
}

std::string format(const share_line& line) {
  std::string body = header(share_kind, line.threshold, line.shares);
  body += std::to_string(line.index) + ':' + to_hex(line.id) + ':';
  body += to_hex(line.value.view());
  auto out = with_checksum(body);
  zeroize(std::span{reinterpret_cast<std::uint8_t*>(body.data()), body.size()});
  return out;
}

std::string format(const commit_line& line) {
  std::string body = header(commit_kind, line.threshold, line.shares);
  body += to_hex(line.id) + ':' + to_hex(line.commitments) + ':' + to_hex(line.ciphertext);
  return with_checksum(std::move(body));
}

result<parsed_line> parse_line(std::string_view text) {
  while (!text.empty() && (text.back() == '\r' || text.back() == ' ' || text.back() == '\t'))
    text.remove_suffix(1);
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
    text.remove_prefix(1);
  if (text.empty() || text.front() == '#')
    return parsed_line{};
  if (text.size() > line_chars_max)
    return error{errc::too_large, "line is longer than " + std::to_string(line_chars_max)
                                    + " characters"};
  const auto fields = split_fields(text);
  if (fields[0] != format_tag)
    return error{errc::malformed, "does not start with '" + std::string{format_tag}
                                    + ":' (not a pss share or commitment line)"};
  if (fields.size() != fields_per_line)
    return error{errc::malformed, "has " + std::to_string(fields.size())
                                    + " ':'-separated fields, expected "
                                    + std::to_string(fields_per_line)};
  std::array<std::uint8_t, checksum_bytes> expected{};
  PSS_TRY(decode_hex_into(fields[7], expected, "checksum"));
  const auto body = text.substr(0, text.size() - fields[7].size() - 1);
  if (sodium_memcmp(checksum(body).data(), expected.data(), checksum_bytes) != 0)
    return error{errc::verification_failed,
                 "checksum does not match: the line was mistyped or damaged"};
  if (fields[1] == share_kind)
    return parse_share(fields);
  if (fields[1] == commit_kind)
    return parse_commit(fields);
  return error{errc::malformed, "kind must be 'share' or 'commit'"};
}

} // namespace pss::offline
