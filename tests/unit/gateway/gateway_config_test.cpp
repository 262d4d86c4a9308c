// The gateway's config, API keys and rate limiter: a good config loads with
// its defaults, each rule refuses a bad value naming the key, a key is found
// only by itself, and the limiter admits `burst` at once and then the rate.
#include <doctest/doctest.h>

#include <string>

#include "crypto/random_source.hpp"
#include "deploy/gateway_config.hpp"
#include "gateway/api_keys.hpp"
#include "gateway/rate_limiter.hpp"

using namespace pss;

namespace {

std::string key_block(const std::string& label, const std::string& key, const std::string& rights = "read,list",
                      const std::string& pattern = "*") {
  deploy::gateway_key k;
  k.label = label;
  k.hash = gateway::api_key_hash(key);
  k.granted = *access::rights::parse(rights);
  k.pattern = pattern;
  return deploy::render_gateway_key(k);
}

result<deploy::gateway_config> parse(const std::string& text) {
  return deploy::parse_gateway_config(text, "/etc/pss/gateway.toml", "/etc/pss");
}

void check_refused(const std::string& text, const std::string& fragment) {
  auto c = parse(text);
  REQUIRE_FALSE(c.ok());
  INFO(c.err().message());
  CHECK(c.err().message().find(fragment) != std::string::npos);
}

} // namespace

TEST_CASE("a gateway config loads with its defaults and resolves paths against its directory") {
  auto c = parse("cluster_file = \"client/cluster.toml\"\n" + key_block("app", "k1"));
  REQUIRE(c.ok());
  CHECK(c->cluster_file == "/etc/pss/client/cluster.toml");
  CHECK(c->listen.to_string() == "127.0.0.1:8200");
  CHECK_FALSE(c->tls());
  CHECK(c->limits.body_bytes_max == 64 * 1024);
  REQUIRE(c->keys.size() == 1);
  CHECK(c->keys[0].label == "app");
  CHECK(c->keys[0].granted.to_string() == "read,list");
}

TEST_CASE("the gateway config refuses what would be unsafe or wrong, naming the key") {
  const std::string base = "cluster_file = \"c.toml\"\n";
  check_refused(base + "listen = \"0.0.0.0:8200\"\n" + key_block("a", "k"), "not a loopback address");
  check_refused(base + "tls_certificate = \"g.crt\"\n" + key_block("a", "k"), "tls_key");
  check_refused(base + key_block("a", "k", "read,admin"), "may not include admin");
  check_refused(base + key_block("a", "k") + key_block("a", "k2"), "two keys labelled");
  check_refused(base + key_block("a", "k") + key_block("b", "k"), "same hash twice");
  check_refused(base + "[limits]\nthreads = 0\n" + key_block("a", "k"), "limits.threads");
  check_refused(base + "[limits]\nthread = 4\n" + key_block("a", "k"), "thread");
  check_refused(base, "key");
  check_refused(base + "[[key]]\nlabel = \"a\"\nhash = \"sha256:00\"\nrights = \"read\"\n", "blake2b256");
  auto plain = parse(base + "listen = \"0.0.0.0:8200\"\ninsecure_plaintext = true\n" + key_block("a", "k"));
  CHECK(plain.ok());
}

TEST_CASE("an API key is found by itself only, and a new key has the documented form") {
  crypto::seeded_random random{7};
  const std::string k1 = gateway::new_api_key(random), k2 = gateway::new_api_key(random);
  CHECK(k1.size() == gateway::api_key_chars);
  CHECK(k1.rfind("pssk_", 0) == 0);
  CHECK(k1 != k2);
  auto c = parse("cluster_file = \"c.toml\"\n" + key_block("one", k1) + key_block("two", k2));
  REQUIRE(c.ok());
  REQUIRE(gateway::find_api_key(c->keys, k1) != nullptr);
  CHECK(gateway::find_api_key(c->keys, k1)->label == "one");
  CHECK(gateway::find_api_key(c->keys, k2)->label == "two");
  CHECK(gateway::find_api_key(c->keys, k1.substr(0, k1.size() - 1)) == nullptr);
  CHECK(gateway::find_api_key(c->keys, "") == nullptr);
}

TEST_CASE("the rate limiter admits a burst at once, then the rate, per key") {
  gateway::rate_limiter limiter{10, 3}; // 10 a second, 3 at once
  for (int i = 0; i < 3; ++i) CHECK_FALSE(limiter.admit("a", 1000).has_value());
  auto wait = limiter.admit("a", 1000);
  REQUIRE(wait.has_value());
  CHECK(*wait == 100);                                 // one token every 100 ms
  CHECK_FALSE(limiter.admit("b", 1000).has_value());  // another key has its own bucket
  CHECK(limiter.admit("a", 1050).has_value());
  CHECK_FALSE(limiter.admit("a", 1100).has_value());
  for (int i = 0; i < 3; ++i) CHECK_FALSE(limiter.admit("a", 100'000).has_value()); // refilled, to the burst only
  CHECK(limiter.admit("a", 100'000).has_value());
}
