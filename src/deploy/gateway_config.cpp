#include "deploy/gateway_config.hpp"

#include <limits>
#include <set>

#include "core/bytes.hpp"
#include "deploy/files.hpp"
#include "deploy/toml_reader.hpp"

namespace pss::deploy {

namespace {

using detail::table_reader;

constexpr std::string_view hash_prefix = "blake2b256:";
constexpr std::string_view hash_example = R"(hash = "blake2b256:<64 hex digits>" (pss gateway new-key prints it))";

result<std::array<std::uint8_t, 32>> read_hash(const table_reader& key) {
  auto text = key.string("hash", hash_example, 200);
  if (!text.ok()) return text.err();
  if (text->rfind(hash_prefix, 0) != 0 || text->size() != hash_prefix.size() + 64)
    return key.fail("hash", "is not blake2b256: and 64 hex digits", hash_example);
  auto raw = from_hex(std::string_view{*text}.substr(hash_prefix.size()));
  if (!raw.ok()) return key.fail("hash", raw.err().message(), hash_example);
  std::array<std::uint8_t, 32> out{};
  std::copy(raw->begin(), raw->end(), out.begin());
  return out;
}

result<gateway_key> read_key(const toml::table& table, const std::string& file, std::size_t position) {
  const table_reader key{table, file, "key[" + std::to_string(position) + "]."};
  PSS_TRY(key.allow_only({"label", "hash", "rights", "pattern"}));
  gateway_key out;
  auto label = key.string("label", R"(label = "billing-app")", 64);
  if (!label.ok()) return label.err();
  for (char c : *label)
    if (c < 0x21 || c > 0x7e) return key.fail("label", "must be printable ASCII without spaces", R"(label = "billing-app")");
  out.label = std::move(*label);
  auto hash = read_hash(key);
  if (!hash.ok()) return hash.err();
  out.hash = *hash;
  auto rights_text = key.string("rights", R"(rights = "read,list")", 100);
  if (!rights_text.ok()) return rights_text.err();
  auto granted = access::rights::parse(*rights_text);
  if (!granted.ok()) return key.fail("rights", granted.err().message(), R"(rights = "read,list")");
  if (granted->has(access::right::admin))
    return key.fail("rights", "may not include admin: the gateway serves secrets, not the policy",
                    R"(rights = "read,write,delete,list")");
  out.granted = *granted;
  if (key.has("pattern")) {
    auto pattern = key.string("pattern", R"(pattern = "db/*")", access::pattern_bytes_max);
    if (!pattern.ok()) return pattern.err();
    if (auto s = access::check_pattern(*pattern); !s.ok()) return key.fail("pattern", s.err().message(), R"(pattern = "db/*")");
    out.pattern = std::move(*pattern);
  }
  return out;
}

result<std::vector<gateway_key>> read_keys(const table_reader& root) {
  auto array = root.array_of_tables("key", "[[key]] tables, each with label, hash and rights (pss gateway new-key)");
  if (!array.ok()) return array.err();
  if ((*array)->size() > gateway_keys_max)
    return root.fail("key", "lists " + std::to_string((*array)->size()) + " keys; at most "
                              + std::to_string(gateway_keys_max));
  std::vector<gateway_key> keys;
  std::set<std::string> labels;
  std::set<std::array<std::uint8_t, 32>> hashes;
  for (std::size_t i = 0; i < (*array)->size(); ++i) {
    auto k = read_key(*(*array)->get(i)->as_table(), root.file(), i + 1);
    if (!k.ok()) return k.err();
    if (!labels.insert(k->label).second)
      return root.fail("key", "has two keys labelled \"" + k->label + "\"; labels name keys in logs, so they must differ");
    if (!hashes.insert(k->hash).second)
      return root.fail("key", "has the same hash twice (key \"" + k->label + "\")");
    keys.push_back(std::move(*k));
  }
  return keys;
}

result<gateway_limits> read_limits(const table_reader& root) {
  gateway_limits l;
  auto table = root.optional_table("limits", "[limits] with threads = 8");
  if (!table.ok()) return table.err();
  if (*table == nullptr) return l;
  const table_reader t{**table, root.file(), "limits."};
  PSS_TRY(t.allow_only({"threads", "connections_max", "header_bytes_max", "body_bytes_max", "read_timeout_ms",
                        "write_timeout_ms", "idle_timeout_ms", "keep_alive_requests_max", "requests_per_second",
                        "burst", "operation_timeout_ms", "sessions"}));
  PSS_TRY(t.optional_u32("threads", l.threads, 1, 256));
  PSS_TRY(t.optional_u32("connections_max", l.connections_max, 1, 65'536));
  PSS_TRY(t.optional_u32("header_bytes_max", l.header_bytes_max, 1024, 65'536));
  PSS_TRY(t.optional_u32("body_bytes_max", l.body_bytes_max, 1024, 4 * gateway_body_bytes_max));
  PSS_TRY(t.optional_u32("read_timeout_ms", l.read_timeout_ms, 100, 600'000));
  PSS_TRY(t.optional_u32("write_timeout_ms", l.write_timeout_ms, 100, 600'000));
  PSS_TRY(t.optional_u32("idle_timeout_ms", l.idle_timeout_ms, 100, 600'000));
  PSS_TRY(t.optional_u32("keep_alive_requests_max", l.keep_alive_requests_max, 1, 100'000));
  PSS_TRY(t.optional_u32("requests_per_second", l.requests_per_second, 1, 1'000'000));
  PSS_TRY(t.optional_u32("burst", l.burst, 1, 1'000'000));
  PSS_TRY(t.optional_u32("operation_timeout_ms", l.operation_timeout_ms, 500, 600'000));
  PSS_TRY(t.optional_u32("sessions", l.sessions, 1, 64));
  return l;
}

status read_listening(const table_reader& root, const std::string& base_dir, gateway_config& c) {
  if (root.has("listen")) {
    auto text = root.string("listen", R"(listen = "127.0.0.1:8200")");
    if (!text.ok()) return text.err();
    auto parsed = parse_host_port(*text);
    if (!parsed.ok()) return root.fail("listen", parsed.err().message());
    c.listen = std::move(*parsed);
  }
  const bool has_cert = root.has("tls_certificate"), has_key = root.has("tls_key");
  if (has_cert != has_key)
    return root.fail(has_cert ? "tls_key" : "tls_certificate", "is missing: TLS needs both tls_certificate and tls_key");
  if (has_cert) {
    auto cert = root.string("tls_certificate", R"(tls_certificate = "gateway.crt")");
    if (!cert.ok()) return cert.err();
    auto key = root.string("tls_key", R"(tls_key = "gateway.key")");
    if (!key.ok()) return key.err();
    c.tls_certificate_file = resolve_path(base_dir, *cert);
    c.tls_key_file = resolve_path(base_dir, *key);
  }
  auto insecure = root.optional_boolean("insecure_plaintext", false, "insecure_plaintext = true");
  if (!insecure.ok()) return insecure.err();
  c.insecure_plaintext = *insecure;
  if (!c.tls() && !c.insecure_plaintext && !is_loopback_host(c.listen.host))
    return root.fail("listen", "is not a loopback address, and the gateway has no TLS certificate: API keys and "
                               "values would cross the network in plain text. Set tls_certificate and tls_key, or "
                               "insecure_plaintext = true where the network is private (a container network)");
  return ok_status();
}

} // namespace

bool is_loopback_host(std::string_view host) noexcept {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

result<gateway_config> parse_gateway_config(std::string_view toml_text, const std::string& file,
                                            const std::string& base_dir) {
  auto parsed = detail::parse_toml(toml_text, file);
  if (!parsed.ok()) return parsed.err();
  const table_reader root{*parsed, file, ""};
  PSS_TRY(root.allow_only({"cluster_file", "listen", "tls_certificate", "tls_key", "insecure_plaintext", "limits", "key"}));
  gateway_config c;
  c.file = file;
  auto cluster = root.string("cluster_file", R"(cluster_file = "cluster.toml")");
  if (!cluster.ok()) return cluster.err();
  c.cluster_file = resolve_path(base_dir, *cluster);
  PSS_TRY(read_listening(root, base_dir, c));
  auto limits = read_limits(root);
  if (!limits.ok()) return limits.err();
  c.limits = *limits;
  auto keys = read_keys(root);
  if (!keys.ok()) return keys.err();
  c.keys = std::move(*keys);
  return c;
}

result<gateway_config> load_gateway_config(const std::string& path) {
  auto text = read_file_bounded(path, config_file_bytes_max);
  if (!text.ok()) return text.err();
  return parse_gateway_config(text->as_string(), path, base_dir_of(path));
}

std::string render_gateway_key(const gateway_key& key) {
  std::string pattern; // TOML basic string: escape what would end or bend it
  for (char c : key.pattern) {
    if (c == '"' || c == '\\') pattern += '\\';
    pattern += c;
  }
  return "[[key]]\nlabel = \"" + key.label + "\"\nhash = \"" + std::string{hash_prefix}
         + to_hex(byte_view{key.hash.data(), key.hash.size()}) + "\"\nrights = \"" + key.granted.to_string()
         + "\"\npattern = \"" + pattern + "\"\n";
}

} // namespace pss::deploy
