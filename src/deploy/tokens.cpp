// Client tokens: the node's accepted list and a client's own token.
//
// A token is a bearer secret. Messages say which line is wrong and why, never
// what the line holds.
#include "deploy/config.hpp"
#include "deploy/files.hpp"

namespace pss::deploy {

namespace {

std::string_view trim(std::string_view line) {
  while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
  while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r'))
    line.remove_suffix(1);
  return line;
}

// Printable ASCII without spaces, so a token survives copying through an
// environment variable, a shell and a file unchanged.
std::optional<std::string> token_problem(std::string_view token) {
  if (token.size() < token_chars_min || token.size() > token_chars_max)
    return "a token must be " + std::to_string(token_chars_min) + ".." +
           std::to_string(token_chars_max) + " characters, this one has " +
           std::to_string(token.size());
  for (char c : token)
    if (c < 0x21 || c > 0x7e)
      return std::string{"a token may hold only printable ASCII characters without spaces"};
  return std::nullopt;
}

constexpr std::string_view token_hint =
    "; for example 64 hex digits from: openssl rand -hex 32";

} // namespace

result<std::vector<std::string>> load_tokens(const std::string& path) {
  PSS_TRY(check_private_file(path, "the token file"));
  auto text = read_file_bounded(path, token_file_bytes_max);
  if (!text.ok()) return text.err();
  std::vector<std::string> tokens;
  std::string_view rest = text->as_string();
  std::size_t line_number = 0;
  while (!rest.empty()) {
    const auto end = rest.find('\n');
    const std::string_view line = trim(rest.substr(0, end));
    rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end + 1);
    ++line_number;
    if (line.empty() || line.front() == '#') continue;
    if (auto problem = token_problem(line))
      return error{errc::invalid_argument, path + ": line " + std::to_string(line_number) + ": " +
                                               *problem + std::string{token_hint}};
    if (tokens.size() == tokens_max)
      return error{errc::too_large, path + ": more than " + std::to_string(tokens_max) + " tokens"};
    tokens.emplace_back(line);
  }
  if (tokens.empty())
    return error{errc::invalid_argument,
                 path + ": holds no token; add one per line" + std::string{token_hint}};
  return tokens;
}

result<std::string> client_token(const cluster_file& c, const char* env_token) {
  if (env_token != nullptr && *env_token != '\0') {
    if (auto problem = token_problem(env_token))
      return error{errc::invalid_argument, "PSS_TOKEN: " + *problem + std::string{token_hint}};
    return std::string{env_token};
  }
  if (c.token_file.empty())
    return error{errc::unauthorized, "no client token: set PSS_TOKEN, or add token_file = \"token\" to " +
                                         c.file + " (a file of mode 0600 holding the token)"};
  auto tokens = load_tokens(c.token_file);
  if (!tokens.ok()) return tokens.err();
  return std::move(tokens->front());
}

} // namespace pss::deploy
