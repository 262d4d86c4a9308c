#include "gateway/http_api.hpp"

#include <array>
#include <charconv>

#include <sodium.h>

#include "core/check.hpp"
#include "crypto/envelope.hpp"
#include "gateway/api_keys.hpp"
#include "gateway/dashboard.hpp"

namespace pss::gateway {

namespace {

using json = nlohmann::json;
using access::right;
using secrets::client_error;
using secrets::operation_kind;

constexpr std::string_view secrets_path = "/v1/secrets";
constexpr std::size_t name_chars_max = 256;

constexpr std::array<route, 9> route_table{{
  {route_id::put_secret, "PUT", "/v1/secrets/{name}", right::write, true},
  {route_id::put_secret, "POST", "/v1/secrets/{name}", right::write, true},
  {route_id::get_secret, "GET", "/v1/secrets/{name}", right::read, true},
  {route_id::delete_secret, "DELETE", "/v1/secrets/{name}", right::remove, true},
  {route_id::list_secrets, "GET", "/v1/secrets", right::list, true},
  {route_id::health, "GET", "/v1/sys/health", std::nullopt, false},
  {route_id::status, "GET", "/v1/sys/status", std::nullopt, true},
  {route_id::dashboard, "GET", "/v1/sys/dashboard", std::nullopt, true},
  {route_id::ui, "GET", "/ui/", std::nullopt, false},
}};

// The template a path falls under, and the name it carries.
struct matched_path {
  std::string_view template_path;
  std::string name;
};

std::optional<matched_path> match_path(std::string_view path) {
  if (path == secrets_path) return matched_path{"/v1/secrets", {}};
  if (path.size() > secrets_path.size() + 1 && path.substr(0, secrets_path.size() + 1) == "/v1/secrets/")
    return matched_path{"/v1/secrets/{name}", std::string{path.substr(secrets_path.size() + 1)}};
  if (path == "/v1/sys/health") return matched_path{"/v1/sys/health", {}};
  if (path == "/v1/sys/status") return matched_path{"/v1/sys/status", {}};
  if (path == "/v1/sys/dashboard") return matched_path{"/v1/sys/dashboard", {}};
  if (path == "/ui/" || path == "/ui") return matched_path{"/ui/", {}};
  return std::nullopt;
}

std::string base64(byte_view data) {
  std::string out(sodium_base64_encoded_len(data.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), data.data(), data.size(), sodium_base64_VARIANT_ORIGINAL);
  out.resize(out.size() - 1); // the terminating NUL
  return out;
}

std::string_view media_type(const http_request& request) {
  return std::string_view{request.content_type}.substr(0, request.content_type.find(';'));
}

// JSON also under curl -d's default type, as Vault's API takes it.
bool known_media_type(std::string_view type) {
  return type.empty() || type == "application/json" || type == "application/x-www-form-urlencoded"
         || type == "application/octet-stream";
}

// The value of a put: raw bytes, or JSON {"value": base64}. The JSON copy of
// the base64 text is zeroized before returning.
result<secure_bytes> read_value(const http_request& request, std::size_t bytes_max) {
  if (media_type(request) == "application/octet-stream") {
    if (request.body.size() > bytes_max)
      return error{errc::too_large, "the value is above " + std::to_string(bytes_max) + " bytes"};
    return secure_bytes{byte_view{reinterpret_cast<const std::uint8_t*>(request.body.data()), request.body.size()}};
  }
  json body = json::parse(request.body, nullptr, false);
  if (body.is_discarded() || !body.is_object() || !body.contains("value") || !body["value"].is_string())
    return error{errc::invalid_argument, R"(the body must be JSON {"value": "<base64>"})"};
  std::string& text = body["value"].get_ref<std::string&>();
  secure_bytes value{text.size() / 4 * 3 + 3};
  std::size_t length = 0;
  const char* end = nullptr;
  const int rc = sodium_base642bin(value.data(), value.size(), text.data(), text.size(), nullptr, &length, &end,
                                   sodium_base64_VARIANT_ORIGINAL);
  const bool whole = rc == 0 && end == text.data() + text.size();
  sodium_memzero(text.data(), text.size());
  if (!whole) return error{errc::invalid_argument, "\"value\" is not standard base64"};
  if (length > bytes_max) return error{errc::too_large, "the value is above " + std::to_string(bytes_max) + " bytes"};
  return secure_bytes{byte_view{value.data(), length}};
}

result<secret_version> read_version(const http_request& request) {
  auto it = request.query.find("version");
  if (it == request.query.end()) return secret_version{};
  std::uint64_t v = 0;
  const auto& text = it->second;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || end != text.data() + text.size() || v == 0)
    return error{errc::invalid_argument, "version must be a whole number from 1"};
  return secret_version{v};
}

std::string_view code_of(client_error e) {
  switch (e) {
  case client_error::unknown_secret: return "not_found";
  case client_error::version_not_found: return "version_not_found";
  case client_error::too_few_nodes: return "too_few_nodes";
  case client_error::not_authorised: return "cluster_refused";
  case client_error::verification_failed: return "verification_failed";
  case client_error::conflict: return "conflict";
  case client_error::timeout: return "timeout";
  case client_error::refused: return "refused";
  case client_error::invalid_argument: return "bad_request";
  case client_error::none: break;
  }
  return "failed";
}

int status_of(client_error e) {
  switch (e) {
  case client_error::unknown_secret:
  case client_error::version_not_found: return 404;
  case client_error::not_authorised: return 403;
  case client_error::conflict:
  case client_error::refused: return 409;
  case client_error::invalid_argument: return 400;
  case client_error::verification_failed: return 502;
  default: return 503;
  }
}

json success_body(const planned_call& call, const secrets::completion& done) {
  json j;
  switch (call.route) {
  case route_id::put_secret: return {{"name", call.name}, {"version", done.version.value()}, {"holders", done.answered}};
  case route_id::delete_secret: return {{"name", call.name}, {"deleted", true}};
  case route_id::list_secrets: {
    // A name the gateway cannot serve (the CLI stores any bytes) is counted, not shown.
    j["secrets"] = json::array();
    std::size_t not_servable = 0;
    for (const auto& item : done.items) {
      if (item.deleted || item.name.rfind(call.prefix, 0) != 0 || !access::pattern_matches(call.key_pattern, item.name))
        continue;
      if (bad_name(item.name)) ++not_servable;
      else j["secrets"].push_back({{"name", item.name}, {"version", item.latest.value()}});
    }
    if (not_servable > 0) j["not_servable"] = not_servable;
    return j;
  }
  default: PSS_CHECK(false && "success_body: not a JSON route");
  }
  return j;
}

http_response get_answer(const planned_call& call, const secrets::completion& done) {
  PSS_CHECK(done.value.has_value());
  http_response r;
  r.sensitive = true;
  r.headers["X-Pss-Version"] = std::to_string(done.version.value());
  r.headers["Cache-Control"] = "no-store";
  if (call.raw) {
    r.content_type = "application/octet-stream";
    r.body.assign(done.value->as_string());
    return r;
  }
  std::string encoded = base64(done.value->view());
  const std::string head = R"({"name":)" + json(call.name).dump() + R"(,"version":)"
                           + std::to_string(done.version.value()) + R"(,"value":")";
  r.body.reserve(head.size() + encoded.size() + 2); // no reallocation once the value is in
  r.body.append(head).append(encoded).append("\"}");
  sodium_memzero(encoded.data(), encoded.size());
  return r;
}

// The dashboard's page, with headers that keep it from being framed or from
// loading anything but itself.
http_response ui_page() {
  http_response r;
  r.content_type = "text/html; charset=utf-8";
  r.body = std::string{dashboard_page()};
  r.headers["Content-Security-Policy"] = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
                                         "connect-src 'self'; form-action 'none'; frame-ancestors 'none'";
  r.headers["X-Frame-Options"] = "DENY";
  r.headers["Referrer-Policy"] = "no-referrer";
  r.headers["Cache-Control"] = "no-store";
  return r;
}

} // namespace

std::span<const route> routes() noexcept { return route_table; }

http_response error_response(int status, std::string_view code, std::string message) {
  http_response r;
  r.status = status;
  // A message may carry a node's text, which need not be UTF-8: replaced, never thrown on.
  r.body = json{{"error", {{"code", code}, {"message", std::move(message)}}}}.dump(-1, ' ', false,
                                                                               json::error_handler_t::replace);
  if (status == 401) r.headers["WWW-Authenticate"] = R"(Bearer realm="pss")";
  return r;
}

http_response json_response(int status, const json& body) {
  http_response r;
  r.status = status;
  // Text from the cluster (an audit record's name) may not be UTF-8: replaced, never thrown on.
  r.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
  return r;
}

std::optional<std::string> bad_name(std::string_view name) {
  if (name.empty() || name.size() > name_chars_max)
    return "a name is 1.." + std::to_string(name_chars_max) + " characters, not " + std::to_string(name.size());
  for (char c : name)
    if (c < 0x20 || c > 0x7e) return std::string{"a name is printable ASCII; it holds a control or non-ASCII byte"};
  std::size_t start = 0;
  while (start <= name.size()) {
    const std::size_t end = std::min(name.find('/', start), name.size());
    const std::string_view segment = name.substr(start, end - start);
    if (segment.empty() || segment == "." || segment == "..")
      return std::string{"a name's segments (between '/') may not be empty, '.' or '..'"};
    start = end + 1;
  }
  return std::nullopt;
}

http_api::http_api(const deploy::gateway_config& config, std::uint32_t threshold)
  : config_(config), threshold_(threshold), limiter_(config.limits.requests_per_second, config.limits.burst) {}

std::optional<http_response> http_api::check_key(const route& r, const http_request& request, std::uint64_t now_ms,
                                                 planned_call& call) {
  constexpr std::string_view bearer = "Bearer ";
  if (request.authorization.empty())
    return error_response(401, "missing_key", "this route needs an API key: Authorization: Bearer <key>");
  if (request.authorization.rfind(bearer, 0) != 0)
    return error_response(401, "bad_key", "the Authorization header must be 'Bearer <key>'");
  const auto* key = find_api_key(config_.keys, std::string_view{request.authorization}.substr(bearer.size()));
  if (key == nullptr) return error_response(401, "bad_key", "the API key is not one of this gateway's keys");
  call.key_label = key->label;
  call.key_pattern = key->pattern;
  call.key_may_list = key->granted.has(right::list);
  if (auto wait = limiter_.admit(key->label, now_ms)) {
    auto answer = error_response(429, "rate_limited", "key \"" + key->label + "\" sent more than "
                                   + std::to_string(config_.limits.requests_per_second) + " requests a second");
    answer.headers["Retry-After"] = std::to_string((*wait + 999) / 1000);
    return answer;
  }
  if (r.needs && !key->granted.has(*r.needs))
    return error_response(403, "forbidden", "key \"" + key->label + "\" lacks the right "
                                              + std::string{access::name_of(*r.needs)});
  if (!call.name.empty() && !access::pattern_matches(key->pattern, call.name))
    return error_response(403, "forbidden", "key \"" + key->label + "\" may not touch this name (its pattern is \""
                                              + key->pattern + "\")");
  return std::nullopt;
}

decision http_api::prepare(const http_request& request, std::uint64_t now_ms) {
  decision d;
  auto matched = match_path(request.path);
  if (!matched) {
    d.answer = error_response(404, "no_route", "no such route; the API is under /v1/secrets and /v1/sys, the dashboard at /ui/");
    return d;
  }
  const route* r = nullptr;
  std::string allowed;
  for (const auto& candidate : route_table) {
    if (candidate.path != matched->template_path) continue;
    allowed += (allowed.empty() ? "" : ", ") + std::string{candidate.method};
    if (candidate.method == request.method) r = &candidate;
  }
  if (r == nullptr) {
    d.answer = error_response(405, "method_not_allowed", request.method + " is not allowed here; use " + allowed);
    d.answer->headers["Allow"] = allowed;
    return d;
  }
  d.call.route = r->id;
  if (r->path == "/v1/secrets/{name}") {
    if (auto why = bad_name(matched->name)) {
      d.answer = error_response(400, "bad_name", *why);
      return d;
    }
    d.call.name = std::move(matched->name);
  }
  if (r->authenticated)
    if (auto refused = check_key(*r, request, now_ms, d.call)) {
      d.answer = std::move(refused);
      return d;
    }
  switch (r->id) {
  case route_id::put_secret: {
    d.call.kind = operation_kind::put;
    if (!known_media_type(media_type(request))) {
      d.answer = error_response(415, "unsupported_media_type",
                                "Content-Type must be application/json or application/octet-stream");
      return d;
    }
    auto value = read_value(request, config_.limits.body_bytes_max);
    if (!value.ok()) {
      const bool large = value.err().code() == errc::too_large;
      d.answer = error_response(large ? 413 : 400, large ? "body_too_large" : "bad_body", value.err().message());
      return d;
    }
    d.call.value = std::move(*value);
    break;
  }
  case route_id::get_secret: {
    d.call.kind = operation_kind::get;
    auto version = read_version(request);
    if (!version.ok()) {
      d.answer = error_response(400, "bad_version", version.err().message());
      return d;
    }
    d.call.version = *version;
    d.call.raw = request.accept == "application/octet-stream";
    break;
  }
  case route_id::delete_secret: d.call.kind = operation_kind::remove; break;
  case route_id::list_secrets: {
    d.call.kind = operation_kind::list;
    auto prefix = request.query.find("prefix");
    if (prefix != request.query.end()) d.call.prefix = prefix->second;
    if (d.call.prefix.size() > name_chars_max) {
      d.answer = error_response(400, "bad_prefix", "a prefix is at most " + std::to_string(name_chars_max) + " characters");
      return d;
    }
    break;
  }
  case route_id::ui: d.answer = ui_page(); break;
  case route_id::health:
  case route_id::status:
  case route_id::dashboard: break;
  }
  return d;
}

http_response http_api::finish(const planned_call& call, const secrets::completion& done) const {
  if (done.outcome == secrets::operation_outcome::unknown)
    return error_response(504, "outcome_unknown", "the cluster may or may not have applied it: "
                                                    + std::string{secrets::to_string(done.error)}
                                                    + (done.message.empty() ? "" : ": " + done.message));
  if (done.outcome == secrets::operation_outcome::fail) {
    std::string message{secrets::to_string(done.error)};
    if (!done.message.empty()) message += ": " + done.message;
    if (done.error == client_error::too_few_nodes)
      message += " (" + std::to_string(done.answered) + " answered, " + std::to_string(threshold_) + " needed)";
    for (auto b : done.bad_nodes) message += "; node " + std::to_string(b.value()) + " served a bad share";
    auto answer = error_response(status_of(done.error), code_of(done.error), std::move(message));
    if (answer.status == 503) answer.headers["Retry-After"] = "1";
    return answer;
  }
  if (call.route == route_id::get_secret) return get_answer(call, done);
  return json_response(200, success_body(call, done));
}

http_response http_api::too_few_nodes(std::size_t reached, std::size_t members, std::size_t needed) const {
  auto answer = error_response(503, "too_few_nodes", "the gateway reaches " + std::to_string(reached) + " of "
                                                       + std::to_string(members) + " nodes; this needs "
                                                       + std::to_string(needed));
  answer.headers["Retry-After"] = "1";
  return answer;
}

http_response http_api::outcome_unknown(std::uint64_t waited_ms) const {
  return error_response(504, "outcome_unknown", "no outcome within " + std::to_string(waited_ms)
                                                  + " ms; the cluster may or may not have applied it");
}

} // namespace pss::gateway
