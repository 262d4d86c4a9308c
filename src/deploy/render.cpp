#include "deploy/render.hpp"

#include <cstdio>

#include "core/bytes.hpp"

namespace pss::deploy {

namespace {

std::string quoted_line(std::string_view key, std::string_view value) {
  return std::string{key} + " = " + toml_quote(value) + "\n";
}

std::string number_line(std::string_view key, std::uint64_t value) {
  return std::string{key} + " = " + std::to_string(value) + "\n";
}

std::string render_members(const std::vector<member_entry>& members) {
  std::string out;
  for (const auto& m : members) {
    out += "\n[[members]]\n";
    out += number_line("id", m.id.value());
    out += number_line("index", m.index.value());
    out += quoted_line("address", m.address.to_string());
    out += quoted_line("box_key", to_hex(m.box_key.bytes()));
    out += quoted_line("sign_key", to_hex(m.sign_key.bytes()));
  }
  return out;
}

std::string render_tls(const std::optional<tls_files>& tls) {
  if (!tls) return {};
  return "\n[tls]\n" + quoted_line("ca", tls->ca_file) +
         quoted_line("certificate", tls->certificate_file) + quoted_line("key", tls->key_file);
}

std::string render_timing(const node_timing& t) {
  return "\n[timing] # milliseconds; see docs/deployment.md for the bounds\n" +
         number_line("election_timeout_ms", t.election_timeout_ms) +
         number_line("heartbeat_ms", t.heartbeat_ms) +
         number_line("refresh_interval_ms", t.refresh_interval_ms) +
         number_line("peer_heartbeat_ms", t.peer_heartbeat_ms) +
         number_line("peer_timeout_ms", t.peer_timeout_ms) +
         number_line("reconnect_max_ms", t.reconnect_max_ms) +
         "lease_reads = " + (t.lease_reads ? "true" : "false") + "\n";
}

} // namespace

std::string toml_quote(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u == 0x7f) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04x", u);
      out += escaped;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string render_node_config(const node_config& c) {
  std::string out = "# pss node config (docs/deployment.md). Relative paths resolve against\n"
                    "# this file's directory.\n";
  out += quoted_line("cluster_id", c.cluster_id);
  out += number_line("threshold", c.threshold);
  out += "# the admin named at creation: the access policy's first grant (a public key)\n";
  out += quoted_line("admin_key", to_hex(c.admin_key.bytes()));
  out += "\n[node]\n";
  out += number_line("id", c.id.value());
  out += quoted_line("listen", c.listen.to_string());
  out += quoted_line("data_dir", c.data_dir);
  out += quoted_line("key_file", c.key_file);
  if (c.insecure_plaintext) out += "insecure_plaintext = true # no TLS: local experiments only\n";
  if (c.joining)
    out += "# a new member: [[members]] is the cluster's first view, without this node;\n"
           "# `pss member add` names it (docs/deployment.md, \"Adding a member\")\njoining = true\n";
  out += render_tls(c.tls);
  out += render_timing(c.timing);
  if (c.metrics_listen) out += "\n[metrics] # /metrics, /healthz, /readyz (docs/gateway.md)\n" + quoted_line("listen", c.metrics_listen->to_string());
  out += render_members(c.members);
  return out;
}

std::string render_cluster_file(const cluster_file& c) {
  std::string out = "# pss cluster file for clients (docs/deployment.md). Relative paths\n"
                    "# resolve against this file's directory.\n";
  out += quoted_line("cluster_id", c.cluster_id);
  out += number_line("threshold", c.threshold);
  if (!c.identity_file.empty()) out += quoted_line("identity_file", c.identity_file);
  if (c.insecure_plaintext) out += "insecure_plaintext = true # no TLS: local experiments only\n";
  out += render_tls(c.tls);
  out += render_members(c.members);
  return out;
}

} // namespace pss::deploy
