// The HTTP API of `pss gateway` (docs/gateway.md, docs/openapi.yaml) as a
// pure core: it knows the routes, checks the API key, its rights and its
// rate, parses names, versions and bodies, and turns a client operation's
// completion into a status and a JSON body. It never does I/O and never
// waits: the shell (actors/http_gateway.cpp) takes a request from the HTTP
// server, asks prepare() what to do, runs the cluster operation, and asks
// finish() for the answer.
//
// prepare() updates the rate limiter, so the shell calls it under a lock;
// finish() and the error answers are const and may run on any thread.
//
// A value appears only in a get's answer, which is marked sensitive so the
// shell zeroizes it after sending; no error message ever holds a value.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "access/rights.hpp"
#include "core/secure.hpp"
#include "deploy/gateway_config.hpp"
#include "gateway/rate_limiter.hpp"
#include "secrets/client_engine.hpp"

namespace pss::gateway {

enum class route_id : std::uint8_t { put_secret, get_secret, delete_secret, list_secrets, health, status, dashboard, ui };

struct route {
  route_id id;
  std::string_view method;
  std::string_view path; // as in docs/openapi.yaml: /v1/secrets/{name}
  std::optional<access::right> needs; // nullopt: any valid key
  bool authenticated;                 // false: no key needed (health)
};

// Every route the server answers; the server and the OpenAPI check both read it.
[[nodiscard]] std::span<const route> routes() noexcept;

struct http_request {
  std::string method;
  std::string path; // decoded, without the query
  std::map<std::string, std::string> query;
  std::string authorization; // the header's value, or empty
  std::string content_type;
  std::string accept;
  std::string_view body;
};

struct http_response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::map<std::string, std::string> headers;
  bool sensitive = false; // the body holds a value: zeroize it once sent
};

// What prepare() asks the shell to do.
struct planned_call {
  route_id route = route_id::health;
  std::string key_label;     // for the log; empty without a key
  std::string key_pattern;   // list: the names the key may see
  bool key_may_list = false; // the dashboard shows audit records (names) only to such a key
  secrets::operation_kind kind = secrets::operation_kind::get;
  std::string name;
  secure_bytes value;        // put
  secret_version version;    // get; zero = the latest
  std::string prefix;        // list
  bool raw = false;          // get: answer the bytes, not JSON
};

struct decision {
  std::optional<http_response> answer; // set: send it, nothing to run
  planned_call call;
};

class http_api {
public:
  // `threshold` is the cluster's t, named in 503 answers.
  http_api(const deploy::gateway_config& config, std::uint32_t threshold);

  [[nodiscard]] decision prepare(const http_request& request, std::uint64_t now_ms);
  [[nodiscard]] http_response finish(const planned_call& call, const secrets::completion& done) const;

  // The gateway reaches fewer nodes than the operation needs.
  [[nodiscard]] http_response too_few_nodes(std::size_t reached, std::size_t members, std::size_t needed) const;
  // No completion within the operation's deadline: it may have been applied.
  [[nodiscard]] http_response outcome_unknown(std::uint64_t waited_ms) const;

private:
  [[nodiscard]] std::optional<http_response> check_key(const route& r, const http_request& request, std::uint64_t now_ms,
                                                       planned_call& call);

  const deploy::gateway_config& config_;
  std::uint32_t threshold_;
  rate_limiter limiter_;
};

// {"error": {"code": CODE, "message": MESSAGE}} with `status`.
[[nodiscard]] http_response error_response(int status, std::string_view code, std::string message);
[[nodiscard]] http_response json_response(int status, const nlohmann::json& body);

// Whether a secret's name is one the gateway serves: 1..256 printable ASCII
// characters, segments separated by single '/', none empty, "." or "..".
// The reason when it is not.
[[nodiscard]] std::optional<std::string> bad_name(std::string_view name);

} // namespace pss::gateway
