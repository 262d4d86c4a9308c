// The config of `pss gateway` (docs/gateway.md): where it listens, the
// cluster file it serves, the limits of its HTTP server, and its API keys.
//
// An API key is stored only as its hash (gateway::api_key_hash); the key
// itself is printed once by `pss gateway new-key` and never written. Each
// key is limited to a pattern and a set of rights, which the cluster's own
// grant to the gateway's identity further limits: a key never gets more than
// the identity has. Every limit is explicit here, with its bounds, so an
// operator sees in one file what the server accepts.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "access/rights.hpp"
#include "core/result.hpp"
#include "deploy/config.hpp"

namespace pss::deploy {

inline constexpr std::size_t gateway_keys_max = 1024;
inline constexpr std::size_t gateway_body_bytes_max = 64 * 1024; // a value's size, as `pss put`'s
inline constexpr std::uint16_t gateway_default_port = 8200;

struct gateway_key {
  std::string label;                  // whom it is for; printed in logs
  std::array<std::uint8_t, 32> hash{}; // gateway::api_key_hash of the key
  std::string pattern = "*";          // the names it may touch (access::pattern_matches)
  access::rights granted;
};

struct gateway_limits {
  std::uint32_t threads = 8;              // requests served at once
  std::uint32_t connections_max = 64;     // open connections beyond which new ones get 503
  std::uint32_t header_bytes_max = 8192;  // all request headers together; above: 431
  std::uint32_t body_bytes_max = gateway_body_bytes_max; // above: 413
  std::uint32_t read_timeout_ms = 5000;   // a client that sends slower is cut off
  std::uint32_t write_timeout_ms = 5000;
  std::uint32_t idle_timeout_ms = 5000;   // a kept-alive connection with no request is closed
  std::uint32_t keep_alive_requests_max = 100;
  std::uint32_t requests_per_second = 50; // per key, a token bucket
  std::uint32_t burst = 100;              // its size
  std::uint32_t operation_timeout_ms = 10'000; // one cluster operation; then 504 or 503
  std::uint32_t sessions = 4;             // client sessions to the cluster (operations in parallel)
};

struct gateway_config {
  std::string file;         // the path it was loaded from (for messages)
  std::string cluster_file; // absolute
  host_port listen{"127.0.0.1", gateway_default_port};
  std::string tls_certificate_file, tls_key_file; // absolute; both or neither
  // Plain HTTP on a non-loopback address; refused unless this is set.
  bool insecure_plaintext = false;
  gateway_limits limits;
  std::vector<gateway_key> keys;

  [[nodiscard]] bool tls() const noexcept { return !tls_certificate_file.empty(); }
};

// Whether `host` is a loopback address or "localhost".
[[nodiscard]] bool is_loopback_host(std::string_view host) noexcept;

[[nodiscard]] result<gateway_config> load_gateway_config(const std::string& path);
[[nodiscard]] result<gateway_config> parse_gateway_config(std::string_view toml_text,
                                                          const std::string& file_for_messages,
                                                          const std::string& base_dir);

// One [[key]] table, as `pss gateway new-key` prints it.
[[nodiscard]] std::string render_gateway_key(const gateway_key& key);

} // namespace pss::deploy
