// The gateway's HTTP API core: every route answers from one table; keys,
// rights, patterns, names, versions and bodies are checked before anything
// reaches the cluster; completions become the documented statuses, and
// only a get's answer carries a value (marked sensitive).
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "gateway/api_keys.hpp"
#include "gateway/http_api.hpp"

using namespace pss;
using nlohmann::json;
using gateway::http_request;

namespace {

const std::string reader_key = "pssk_reader", writer_key = "pssk_writer";

deploy::gateway_config test_config() {
  deploy::gateway_config c;
  c.cluster_file = "/c.toml";
  c.limits.requests_per_second = 5;
  c.limits.burst = 5;
  deploy::gateway_key reader;
  reader.label = "reader";
  reader.hash = gateway::api_key_hash(reader_key);
  reader.granted = *access::rights::parse("read,list");
  reader.pattern = "db/*";
  deploy::gateway_key writer;
  writer.label = "writer";
  writer.hash = gateway::api_key_hash(writer_key);
  writer.granted = *access::rights::parse("read,write,delete,list");
  c.keys = {reader, writer};
  return c;
}

http_request request(std::string method, std::string path, const std::string& key = writer_key) {
  http_request r;
  r.method = std::move(method);
  r.path = std::move(path);
  if (!key.empty()) r.authorization = "Bearer " + key;
  return r;
}

std::string code_of(const gateway::http_response& r) { return json::parse(r.body)["error"]["code"].get<std::string>(); }

} // namespace

TEST_CASE("routes: one table, and every route the OpenAPI file names") {
  std::set<std::string> seen;
  for (const auto& r : gateway::routes()) seen.insert(std::string{r.method} + " " + std::string{r.path});
  CHECK(seen == std::set<std::string>{"PUT /v1/secrets/{name}", "POST /v1/secrets/{name}", "GET /v1/secrets/{name}",
                                      "DELETE /v1/secrets/{name}", "GET /v1/secrets", "GET /v1/sys/health",
                                      "GET /v1/sys/status", "GET /v1/sys/dashboard", "GET /ui/"});
}

TEST_CASE("keys: missing, malformed and unknown keys get 401; rights and patterns 403") {
  const auto config = test_config();
  gateway::http_api api{config, 2};
  auto d = api.prepare(request("GET", "/v1/secrets/db/root", ""), 0);
  REQUIRE(d.answer);
  CHECK(d.answer->status == 401);
  CHECK(code_of(*d.answer) == "missing_key");
  CHECK(d.answer->headers.count("WWW-Authenticate") == 1);
  auto basic = request("GET", "/v1/secrets/db/root", "");
  basic.authorization = "Basic abc";
  CHECK(api.prepare(basic, 0).answer->status == 401);
  CHECK(code_of(*api.prepare(request("GET", "/v1/secrets/db/root", "pssk_nobody"), 0).answer) == "bad_key");
  auto put = api.prepare(request("PUT", "/v1/secrets/db/root", reader_key), 0);
  CHECK(put.answer->status == 403);
  CHECK(put.answer->body.find("lacks the right write") != std::string::npos);
  auto other = api.prepare(request("GET", "/v1/secrets/app/token", reader_key), 0);
  CHECK(other.answer->status == 403);
  auto ok = api.prepare(request("GET", "/v1/secrets/db/root", reader_key), 0);
  CHECK_FALSE(ok.answer);
  CHECK(ok.call.kind == secrets::operation_kind::get);
  CHECK(ok.call.name == "db/root");
  CHECK(ok.call.key_label == "reader");
  CHECK(ok.call.key_may_list); // the dashboard shows audit names only to such a key
  auto health = api.prepare(request("GET", "/v1/sys/health", ""), 0);
  CHECK_FALSE(health.answer);
  CHECK(health.call.route == gateway::route_id::health);
}

TEST_CASE("paths, methods, names and versions are checked before the cluster") {
  const auto config = test_config();
  gateway::http_api api{config, 2};
  CHECK(api.prepare(request("GET", "/v2/x"), 0).answer->status == 404);
  auto patch = api.prepare(request("PATCH", "/v1/secrets/a"), 0);
  CHECK(patch.answer->status == 405);
  CHECK(patch.answer->headers["Allow"] == "PUT, POST, GET, DELETE");
  for (const char* bad : {"/v1/secrets/a//b", "/v1/secrets/a/../b", "/v1/secrets/a/", "/v1/secrets/./a",
                          "/v1/secrets/a\x01"}) {
    INFO(std::string{bad});
    auto d = api.prepare(request("GET", bad), 0);
    REQUIRE(d.answer);
    CHECK(d.answer->status == 400);
    CHECK(code_of(*d.answer) == "bad_name");
  }
  CHECK(api.prepare(request("GET", "/v1/secrets/" + std::string(257, 'a')), 0).answer->status == 400);
  auto v = request("GET", "/v1/secrets/a");
  v.query["version"] = "0";
  CHECK(code_of(*api.prepare(v, 0).answer) == "bad_version");
  v.query["version"] = "12x";
  CHECK(api.prepare(v, 0).answer->status == 400);
  v.query["version"] = "12";
  CHECK(api.prepare(v, 0).call.version == secret_version{12});
}

TEST_CASE("bodies: JSON base64 or raw bytes; anything else is refused") {
  const auto config = test_config();
  gateway::http_api api{config, 2};
  std::uint64_t now = 0; // a second apart: the rate limit is not under test here
  auto put = request("PUT", "/v1/secrets/a");
  put.content_type = "application/json";
  const std::string body = R"({"value": "aGVsbG8="})";
  put.body = body;
  auto d = api.prepare(put, now += 1000);
  REQUIRE_FALSE(d.answer);
  CHECK(d.call.value.as_string() == "hello");
  put.content_type = "application/octet-stream";
  put.body = "raw\0bytes";
  CHECK(api.prepare(put, now += 1000).call.value.size() == 3);
  put.content_type = "text/plain";
  CHECK(api.prepare(put, now += 1000).answer->status == 415);
  const std::string big(64 * 1024 + 1, 'v'); // one byte above the value limit: 413, and the value is not echoed
  put.content_type = "application/octet-stream";
  put.body = big;
  auto large = api.prepare(put, now += 1000);
  REQUIRE(large.answer);
  CHECK(large.answer->status == 413);
  CHECK(code_of(*large.answer) == "body_too_large");
  CHECK(large.answer->body.find("vvvv") == std::string::npos);
  put.content_type = "application/json";
  for (const char* bad : {"{", R"({"value": 5})", R"({"value": "***"})", R"(["a"])"}) {
    INFO(std::string{bad});
    put.body = bad;
    auto refused = api.prepare(put, now += 1000);
    REQUIRE(refused.answer);
    CHECK(refused.answer->status == 400);
    CHECK(code_of(*refused.answer) == "bad_body");
    CHECK(refused.answer->body.find("***") == std::string::npos); // no input echoed back
  }
}

TEST_CASE("completions become statuses; only a get's answer holds the value") {
  const auto config = test_config();
  gateway::http_api api{config, 3};
  auto d = api.prepare(request("GET", "/v1/secrets/db/root"), 0);
  secrets::completion done;
  done.kind = secrets::operation_kind::get;
  done.version = secret_version{4};
  done.value = secure_bytes{byte_view{reinterpret_cast<const std::uint8_t*>("hi"), 2}};
  auto ok = api.finish(d.call, done);
  CHECK(ok.status == 200);
  CHECK(ok.sensitive);
  CHECK(json::parse(ok.body) == json{{"name", "db/root"}, {"version", 4}, {"value", "aGk="}});
  d.call.raw = true;
  CHECK(api.finish(d.call, done).body == "hi");

  secrets::completion failed;
  failed.outcome = secrets::operation_outcome::fail;
  failed.error = secrets::client_error::too_few_nodes;
  failed.answered = 1;
  auto few = api.finish(d.call, failed);
  CHECK(few.status == 503);
  CHECK_FALSE(few.sensitive);
  CHECK(few.body.find("1 answered, 3 needed") != std::string::npos);
  failed.error = secrets::client_error::unknown_secret;
  CHECK(api.finish(d.call, failed).status == 404);
  failed.error = secrets::client_error::conflict;
  CHECK(api.finish(d.call, failed).status == 409);
  failed.outcome = secrets::operation_outcome::unknown;
  failed.error = secrets::client_error::timeout;
  CHECK(api.finish(d.call, failed).status == 504);
  CHECK(api.too_few_nodes(1, 5, 3).body.find("reaches 1 of 5 nodes; this needs 3") != std::string::npos);
}

TEST_CASE("a list shows only live names under the prefix that the key's pattern allows") {
  const auto config = test_config();
  gateway::http_api api{config, 2};
  auto r = request("GET", "/v1/secrets", reader_key);
  r.query["prefix"] = "db/";
  auto d = api.prepare(r, 0);
  REQUIRE_FALSE(d.answer);
  secrets::completion done;
  done.kind = secrets::operation_kind::list;
  done.items = {{"db/a", secret_version{1}, false}, {"db/b", secret_version{2}, true}, {"app/c", secret_version{1}, false},
                {"db/\xff\xfe", secret_version{1}, false}};
  auto answer = api.finish(d.call, done);
  CHECK(json::parse(answer.body)
        == json{{"secrets", json::array({{{"name", "db/a"}, {"version", 1}}})}, {"not_servable", 1}});
  // Text that is not UTF-8 is replaced, not thrown on.
  CHECK(gateway::json_response(200, json{{"name", "a\xff"}}).body == "{\"name\":\"a\xef\xbf\xbd\"}");
}

TEST_CASE("a key over its rate gets 429 with Retry-After; another key is not slowed") {
  const auto config = test_config();
  gateway::http_api api{config, 2};
  for (int i = 0; i < 5; ++i) CHECK_FALSE(api.prepare(request("GET", "/v1/secrets/db/a", reader_key), 0).answer);
  auto limited = api.prepare(request("GET", "/v1/secrets/db/a", reader_key), 0);
  REQUIRE(limited.answer);
  CHECK(limited.answer->status == 429);
  CHECK(limited.answer->headers["Retry-After"] == "1");
  CHECK_FALSE(api.prepare(request("GET", "/v1/secrets/db/a", writer_key), 0).answer);
}
