// host:port text, as written in node configs and cluster files.
#include <charconv>

#include "deploy/config.hpp"

namespace pss::deploy {

namespace {

constexpr std::string_view host_port_example = R"(expected host:port, for example "127.0.0.1:7101", "[::1]:7101" or "node3.lan:7101")";

error bad(std::string_view text, std::string_view what) {
  return error{errc::invalid_argument,
               "\"" + std::string{text} + "\" " + std::string{what} + "; " +
                   std::string{host_port_example}};
}

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '.' || c == '-' || c == '_';
}

bool is_ipv6_char(char c) {
  return (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || (c >= '0' && c <= '9') ||
         c == ':' || c == '.' || c == '%';
}

} // namespace

std::string host_port::to_string() const {
  const bool ipv6 = host.find(':') != std::string::npos;
  return (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

result<host_port> parse_host_port(std::string_view text) {
  if (text.empty()) return bad(text, "is empty");
  std::string_view host;
  std::string_view rest;
  if (text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos) return bad(text, "has no closing ']'");
    host = text.substr(1, close - 1);
    rest = text.substr(close + 1);
    if (host.empty()) return bad(text, "has an empty host");
    for (char c : host)
      if (!is_ipv6_char(c)) return bad(text, "is not an IPv6 address inside the brackets");
    if (rest.empty()) return bad(text, "has no port");
    if (rest.front() != ':') return bad(text, "has text between ']' and the port");
    rest.remove_prefix(1);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return bad(text, "has no port");
    host = text.substr(0, colon);
    rest = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos)
      return bad(text, "looks like an IPv6 address without brackets");
    if (host.empty()) return bad(text, "has an empty host");
    for (char c : host)
      if (!is_name_char(c)) return bad(text, "has a character not allowed in a host name");
  }
  if (host.size() > host_chars_max)
    return bad(text.substr(0, 32), "... has a host longer than " + std::to_string(host_chars_max) +
                                       " characters");
  if (rest.empty()) return bad(text, "has no port");
  unsigned port = 0;
  const auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), port);
  if (end != rest.data() + rest.size() || ec == std::errc::invalid_argument)
    return bad(text, "has a port that is not a number");
  if (ec == std::errc::result_out_of_range) return bad(text, "has a port outside 1..65535");
  if (port < 1 || port > 65535) return bad(text, "has a port outside 1..65535");
  return host_port{std::string{host}, static_cast<std::uint16_t>(port)};
}

} // namespace pss::deploy
