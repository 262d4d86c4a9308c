// Loading and validating node configs and cluster files (docs/deployment.md).
#include "deploy/config.hpp"

#include <algorithm>
#include <filesystem>
#include <limits>

#include "core/bytes.hpp"
#include "deploy/files.hpp"
#include "deploy/toml_reader.hpp"

namespace pss::deploy {

namespace {

using detail::table_reader;

constexpr std::int64_t int64_max = std::numeric_limits<std::int64_t>::max();
constexpr std::string_view hex_key_example =
    R"("3b6a27bcceb6a42d62a3a8d02a6f0d73653215771de243a63ac048a18b59da29" (64 hex digits))";

result<std::string> read_cluster_id(const table_reader& root) {
  constexpr std::string_view example = R"(cluster_id = "pss-2f6c9a1e")";
  auto id = root.string("cluster_id", example, cluster_id_chars_max);
  if (!id.ok()) return id.err();
  if (auto s = check_cluster_id(*id); !s.ok()) return root.fail("cluster_id", s.err().message());
  return id;
}

// A 32-byte public key in hex, parsed by the key type's own from_bytes.
template <class Key>
result<Key> read_public_key(const table_reader& member, std::string_view key) {
  auto text = member.string(key, hex_key_example);
  if (!text.ok()) return text.err();
  if (text->size() != 64)
    return member.fail(key, "has " + std::to_string(text->size()) + " characters, not 64 hex digits",
                       hex_key_example);
  auto raw = from_hex(*text);
  if (!raw.ok()) return member.fail(key, raw.err().message(), hex_key_example);
  auto parsed = Key::from_bytes(*raw);
  if (!parsed.ok())
    return member.fail(key, "is not a valid public key (" + parsed.err().message() +
                                "); copy it from the node's generated config", hex_key_example);
  return parsed;
}

result<member_entry> read_member(const toml::table& table, const std::string& file,
                                 std::size_t position) {
  const table_reader member{table, file, "members[" + std::to_string(position) + "]."};
  PSS_TRY(member.allow_only({"id", "index", "address", "box_key", "sign_key"}));
  auto id = member.integer("id", 1, int64_max, "id = 1");
  if (!id.ok()) return id.err();
  auto index = member.integer("index", 1, static_cast<std::int64_t>(secrets::members_max),
                              "index = 1");
  if (!index.ok()) return index.err();
  auto address_text = member.string("address", R"(address = "127.0.0.1:7101")");
  if (!address_text.ok()) return address_text.err();
  auto address = parse_host_port(*address_text);
  if (!address.ok()) return member.fail("address", address.err().message());
  auto box = read_public_key<crypto::box_public_key>(member, "box_key");
  if (!box.ok()) return box.err();
  auto sign = read_public_key<crypto::sign_public_key>(member, "sign_key");
  if (!sign.ok()) return sign.err();
  return member_entry{node_id{static_cast<std::uint64_t>(*id)},
                      share_index{static_cast<std::uint32_t>(*index)}, std::move(*address), *box,
                      *sign};
}

// Ids, indices, addresses and keys must each be distinct: a repeated one is
// always a copy-and-paste mistake, and the protocol cannot tell two members
// with the same key apart.
status check_distinct(const std::vector<member_entry>& members, const table_reader& root) {
  auto fail = [&](std::size_t i, std::size_t j, std::string_view key, std::string_view what) {
    return error{errc::duplicate,
                 root.file() + ": key 'members[" + std::to_string(j + 1) + "]." +
                     std::string{key} + "': " + std::string{what} + " as members[" +
                     std::to_string(i + 1) + "]; every member needs its own " +
                     std::string{key} + ", for example ids and indices 1, 2, 3, ..."};
  };
  for (std::size_t j = 0; j < members.size(); ++j)
    for (std::size_t i = 0; i < j; ++i) {
      const auto& a = members[i];
      const auto& b = members[j];
      if (a.id == b.id) return fail(i, j, "id", "the same id " + std::to_string(b.id.value()));
      if (a.index == b.index)
        return fail(i, j, "index", "the same index " + std::to_string(b.index.value()));
      if (a.address == b.address)
        return fail(i, j, "address", "the same address " + b.address.to_string());
      if (a.box_key == b.box_key) return fail(i, j, "box_key", "the same box_key");
      if (a.sign_key == b.sign_key) return fail(i, j, "sign_key", "the same sign_key");
    }
  return ok_status();
}

result<std::vector<member_entry>> read_members(const table_reader& root, const std::string& file) {
  auto array = root.array_of_tables("members",
      "[[members]] tables, one per node, each with id, index, address, box_key and sign_key");
  if (!array.ok()) return array.err();
  if ((*array)->size() > secrets::members_max)
    return root.fail("members", "lists " + std::to_string((*array)->size()) +
                                    " members; a cluster has at most " +
                                    std::to_string(secrets::members_max));
  std::vector<member_entry> members;
  for (std::size_t i = 0; i < (*array)->size(); ++i) {
    auto m = read_member(*(*array)->get(i)->as_table(), file, i + 1);
    if (!m.ok()) return m.err();
    members.push_back(std::move(*m));
  }
  PSS_TRY(check_distinct(members, root));
  std::sort(members.begin(), members.end(),
            [](const member_entry& a, const member_entry& b) { return a.id < b.id; });
  return members;
}

result<std::uint32_t> read_threshold(const table_reader& root, std::size_t members) {
  // A majority is the usual choice; never suggest more than there are members.
  const std::string example =
      "threshold = " + std::to_string(std::clamp<std::size_t>(members / 2 + 1, 2, std::max<std::size_t>(members, 2)));
  auto t = root.integer("threshold", 2, static_cast<std::int64_t>(secrets::members_max), example);
  if (!t.ok()) return t.err();
  if (static_cast<std::size_t>(*t) > members)
    return root.fail("threshold", std::to_string(*t) + " is more than the " +
                                      std::to_string(members) + " members; expected 2.." +
                                      std::to_string(members), example);
  return static_cast<std::uint32_t>(*t);
}

// A path key: a non-empty string, resolved against the file's directory.
result<std::string> read_path(const table_reader& table, std::string_view key,
                              std::string_view example, const std::string& base_dir) {
  auto text = table.string(key, example);
  if (!text.ok()) return text.err();
  return resolve_path(base_dir, *text);
}

// [tls] is required exactly when plaintext was not asked for: a config that
// says both is ambiguous about what the operator wanted.
result<std::optional<tls_files>> read_tls(const table_reader& root, const std::string& base_dir,
                                          bool insecure, std::string_view insecure_key) {
  constexpr std::string_view example = "[tls] with ca = \"../ca.crt\", certificate = \"tls.crt\", key = \"tls.key\"";
  auto table = root.optional_table("tls", example);
  if (!table.ok()) return table.err();
  if (insecure) {
    if (*table != nullptr)
      return root.fail("tls", "is present but " + std::string{insecure_key} +
                                  " = true; remove [tls] or set " + std::string{insecure_key} +
                                  " = false");
    return std::optional<tls_files>{};
  }
  if (*table == nullptr)
    return error{errc::invalid_argument,
                 root.file() + ": table '[tls]' is missing; add " + std::string{example} +
                     " (or " + std::string{insecure_key} + " = true for a local experiment only)"};
  const table_reader tls{**table, root.file(), "tls."};
  PSS_TRY(tls.allow_only({"ca", "certificate", "key"}));
  auto ca = read_path(tls, "ca", R"(ca = "../ca.crt")", base_dir);
  if (!ca.ok()) return ca.err();
  auto cert = read_path(tls, "certificate", R"(certificate = "tls.crt")", base_dir);
  if (!cert.ok()) return cert.err();
  auto key = read_path(tls, "key", R"(key = "tls.key")", base_dir);
  if (!key.ok()) return key.err();
  auto check = [&](std::string_view name, status s) -> status {
    if (s.ok()) return s;
    return error{s.err().code(), root.file() + ": key 'tls." + std::string{name} + "': " + s.err().message()};
  };
  PSS_TRY(check("ca", check_readable_file(*ca, "the CA certificate")));
  PSS_TRY(check("certificate", check_readable_file(*cert, "the certificate")));
  PSS_TRY(check("key", check_readable_file(*key, "the TLS key")));
  PSS_TRY(check("key", check_private_file(*key, "the TLS key")));
  return std::optional<tls_files>{tls_files{*ca, *cert, *key}};
}

result<node_timing> read_timing(const table_reader& root) {
  node_timing t;
  auto table = root.optional_table("timing", "[timing] with heartbeat_ms = 100");
  if (!table.ok()) return table.err();
  if (*table == nullptr) return t;
  const table_reader timing{**table, root.file(), "timing."};
  PSS_TRY(timing.allow_only({"election_timeout_ms", "heartbeat_ms", "refresh_interval_ms",
                             "peer_heartbeat_ms", "peer_timeout_ms", "reconnect_max_ms", "lease_reads"}));
  PSS_TRY(timing.optional_u32("election_timeout_ms", t.election_timeout_ms,
                            election_timeout_ms_min, election_timeout_ms_max));
  // A leader must be able to send at least two heartbeats inside one
  // election timeout, or followers start elections against a live leader.
  const std::uint32_t heartbeat_max = (t.election_timeout_ms + 1) / 2 - 1;
  PSS_TRY(timing.optional_u32("heartbeat_ms", t.heartbeat_ms, heartbeat_ms_min,
                            election_timeout_ms_max));
  if (t.heartbeat_ms > heartbeat_max)
    return timing.fail("heartbeat_ms", std::to_string(t.heartbeat_ms) + " must be " +
                                           std::to_string(heartbeat_ms_min) + ".." +
                                           std::to_string(heartbeat_max) +
                                           ", below election_timeout_ms / 2 (election_timeout_ms = " +
                                           std::to_string(t.election_timeout_ms) + ")",
                       "heartbeat_ms = " + std::to_string(t.election_timeout_ms / 10));
  PSS_TRY(timing.optional_u32("refresh_interval_ms", t.refresh_interval_ms, 0,
                            refresh_interval_ms_max));
  if (t.refresh_interval_ms != 0 && t.refresh_interval_ms < refresh_interval_ms_min)
    return timing.fail("refresh_interval_ms",
                       std::to_string(t.refresh_interval_ms) + " must be 0 (refresh only on request) or " +
                           std::to_string(refresh_interval_ms_min) + ".." +
                           std::to_string(refresh_interval_ms_max),
                       "refresh_interval_ms = 60000");
  PSS_TRY(timing.optional_u32("peer_heartbeat_ms", t.peer_heartbeat_ms,
                            peer_heartbeat_ms_min, peer_heartbeat_ms_max));
  // The connection timeout must outlast a heartbeat, or every quiet
  // connection would be declared dead.
  PSS_TRY(timing.optional_u32("peer_timeout_ms", t.peer_timeout_ms, 1, peer_timeout_ms_max));
  if (t.peer_timeout_ms <= t.peer_heartbeat_ms)
    return timing.fail("peer_timeout_ms", std::to_string(t.peer_timeout_ms) +
                                              " must be above peer_heartbeat_ms (" +
                                              std::to_string(t.peer_heartbeat_ms) + ") and at most " +
                                              std::to_string(peer_timeout_ms_max),
                       "peer_timeout_ms = " + std::to_string(t.peer_heartbeat_ms * 5));
  PSS_TRY(timing.optional_u32("reconnect_max_ms", t.reconnect_max_ms, reconnect_max_ms_min,
                            reconnect_max_ms_max));
  auto lease = timing.optional_boolean("lease_reads", t.lease_reads, "lease_reads = false");
  if (!lease.ok()) return lease.err();
  t.lease_reads = *lease;
  return t;
}

// The fields a node config and a cluster file share.
template <class Config>
status read_cluster_fields(const table_reader& root, Config& c) {
  auto cluster_id = read_cluster_id(root);
  if (!cluster_id.ok()) return cluster_id.err();
  c.cluster_id = std::move(*cluster_id);
  auto members = read_members(root, root.file());
  if (!members.ok()) return members.err();
  c.members = std::move(*members);
  auto threshold = read_threshold(root, c.members.size());
  if (!threshold.ok()) return threshold.err();
  c.threshold = *threshold;
  return ok_status();
}

// [node]: who this node is, where it listens and where its files are.
status read_node_table(const table_reader& root, const std::string& base_dir, node_config& c) {
  auto node_table = root.optional_table("node", "[node] with id = 1");
  if (!node_table.ok()) return node_table.err();
  if (*node_table == nullptr)
    return error{errc::invalid_argument, root.file() + ": table '[node]' is missing; add [node] with id, "
                                                "listen, data_dir and key_file"};
  const table_reader node{**node_table, root.file(), "node."};
  PSS_TRY(node.allow_only({"id", "listen", "data_dir", "key_file", "insecure_plaintext", "joining"}));
  auto id = node.integer("id", 1, int64_max, "id = 1");
  if (!id.ok()) return id.err();
  c.id = node_id{static_cast<std::uint64_t>(*id)};
  auto listen_text = node.string("listen", R"(listen = "127.0.0.1:7101")");
  if (!listen_text.ok()) return listen_text.err();
  auto listen = parse_host_port(*listen_text);
  if (!listen.ok()) return node.fail("listen", listen.err().message());
  c.listen = std::move(*listen);
  auto data_dir = read_path(node, "data_dir", R"(data_dir = "data")", base_dir);
  if (!data_dir.ok()) return data_dir.err();
  c.data_dir = std::move(*data_dir);
  auto key_file = read_path(node, "key_file", R"(key_file = "node.key")", base_dir);
  if (!key_file.ok()) return key_file.err();
  c.key_file = std::move(*key_file);
  auto insecure = node.optional_boolean("insecure_plaintext", false, "insecure_plaintext = false");
  if (!insecure.ok()) return insecure.err();
  c.insecure_plaintext = *insecure;
  auto joining = node.optional_boolean("joining", false, "joining = true");
  if (!joining.ok()) return joining.err();
  c.joining = *joining;

  const member_entry* self = c.self();
  if (c.joining) {
    // Its index is the catalog's to give, and its keys reach the others
    // through the admin's signed `pss member add`, never through this file.
    if (self != nullptr)
      return node.fail("joining", "node " + std::to_string(c.id.value()) + " is listed in [[members]]; a joining "
                                  "node is not a member yet: remove its [[members]] entry or the joining flag",
                       "joining = false");
    return ok_status();
  }
  if (self == nullptr) {
    std::string ids;
    for (const auto& m : c.members) ids += (ids.empty() ? "" : ", ") + std::to_string(m.id.value());
    return node.fail("id", std::to_string(c.id.value()) +
                               " is not the id of any [[members]] entry; expected one of " + ids,
                     "id = " + std::to_string(c.members.front().id.value()));
  }
  // Peers dial the member address; a node listening on another port would
  // be unreachable. Hosts may differ (0.0.0.0 against a public name).
  if (self->address.port != c.listen.port)
    return node.fail("listen", "port " + std::to_string(c.listen.port) +
                                   " differs from the port of this node's member address \"" +
                                   self->address.to_string() + "\"; use the same port in both",
                     "listen = \"" + host_port{c.listen.host, self->address.port}.to_string() + "\"");
  return ok_status();
}

secrets::cluster_view make_view(const std::string& cluster_id, std::uint32_t threshold,
                                const std::vector<member_entry>& members) {
  secrets::cluster_view view;
  view.cluster_id = cluster_id;
  view.threshold = threshold;
  view.epoch = epoch_id{1};
  for (const auto& m : members)
    view.members.push_back(secrets::member{m.id, m.index, m.address.to_string(), m.box_key, m.sign_key});
  return view;
}

// The last line of defence: the same checks every node applies to a view
// received from the log.
status check_view(const secrets::cluster_view& view, const std::string& file) {
  if (auto s = view.validate(); !s.ok())
    return error{s.err().code(), file + ": the cluster described is not valid: " + s.err().message()};
  return ok_status();
}

// [metrics]: where the node serves /metrics, /healthz and /readyz (off when absent).
status read_metrics(const table_reader& root, node_config& c) {
  auto table = root.optional_table("metrics", R"([metrics] with listen = "127.0.0.1:9101")");
  if (!table.ok()) return table.err();
  if (*table == nullptr) return ok_status();
  const table_reader metrics{**table, root.file(), "metrics."};
  PSS_TRY(metrics.allow_only({"listen"}));
  auto text = metrics.string("listen", R"(listen = "127.0.0.1:9101")");
  if (!text.ok()) return text.err();
  auto parsed = parse_host_port(*text);
  if (!parsed.ok()) return metrics.fail("listen", parsed.err().message());
  if (*parsed == c.listen) return metrics.fail("listen", "is the node's own listen address; give the metrics another port");
  c.metrics_listen = std::move(*parsed);
  return ok_status();
}

template <class Parsed>
result<Parsed> load(const std::string& path,
                    result<Parsed> (*parse)(std::string_view, const std::string&, const std::string&)) {
  auto text = read_file_bounded(path, config_file_bytes_max);
  if (!text.ok()) return text.err();
  return parse(text->as_string(), path, base_dir_of(path));
}

} // namespace

status check_cluster_id(std::string_view id) {
  const std::string example = R"(; for example "pss-2f6c9a1e")";
  if (id.empty() || id.size() > cluster_id_chars_max)
    return error{errc::invalid_argument, "a cluster id must be 1.." +
                                             std::to_string(cluster_id_chars_max) +
                                             " characters, not " + std::to_string(id.size()) + example};
  for (char c : id) {
    const bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                         (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!allowed)
      return error{errc::invalid_argument, "\"" + std::string{id} +
                                               "\" may use only letters, digits, '.', '_' and '-'" + example};
  }
  return ok_status();
}

secrets::cluster_view node_config::view() const { return make_view(cluster_id, threshold, members); }

const member_entry* node_config::self() const noexcept {
  for (const auto& m : members)
    if (m.id == id) return &m;
  return nullptr;
}

secrets::cluster_view cluster_file::view() const { return make_view(cluster_id, threshold, members); }

result<node_config> parse_node_config(std::string_view toml_text, const std::string& file,
                                      const std::string& base_dir) {
  auto doc = detail::parse_toml(toml_text, file);
  if (!doc.ok()) return doc.err();
  const table_reader root{*doc, file, ""};
  PSS_TRY(root.allow_only({"cluster_id", "threshold", "admin_key", "node", "tls", "timing", "members", "metrics"}));
  node_config c;
  c.file = file;
  PSS_TRY(read_cluster_fields(root, c));
  auto admin = read_public_key<crypto::sign_public_key>(root, "admin_key");
  if (!admin.ok()) return admin.err();
  c.admin_key = *admin;
  PSS_TRY(read_node_table(root, base_dir, c));
  auto tls = read_tls(root, base_dir, c.insecure_plaintext, "node.insecure_plaintext");
  if (!tls.ok()) return tls.err();
  c.tls = std::move(*tls);
  auto timing = read_timing(root);
  if (!timing.ok()) return timing.err();
  c.timing = *timing;
  PSS_TRY(read_metrics(root, c));
  PSS_TRY(check_view(c.view(), file));
  return c;
}

result<node_config> load_node_config(const std::string& path) {
  return load<node_config>(path, &parse_node_config);
}

std::string render_member_keys(const member_keys& k) {
  return "# the public keys of a new pss member, for `pss member add --keys` (public)\n"
         "id = " + std::to_string(k.id.value()) + "\nbox_key = \"" + to_hex(k.box_key.bytes()) + "\"\nsign_key = \""
         + to_hex(k.sign_key.bytes()) + "\"\n";
}

result<member_keys> parse_member_keys(std::string_view toml_text, const std::string& file) {
  auto doc = detail::parse_toml(toml_text, file);
  if (!doc.ok()) return doc.err();
  const table_reader root{*doc, file, ""};
  PSS_TRY(root.allow_only({"id", "box_key", "sign_key"}));
  auto id = root.integer("id", 1, int64_max, "id = 6");
  if (!id.ok()) return id.err();
  auto box = read_public_key<crypto::box_public_key>(root, "box_key");
  if (!box.ok()) return box.err();
  auto sign = read_public_key<crypto::sign_public_key>(root, "sign_key");
  if (!sign.ok()) return sign.err();
  return member_keys{node_id{static_cast<std::uint64_t>(*id)}, *box, *sign};
}

result<member_keys> load_member_keys(const std::string& path) {
  auto text = read_file_bounded(path, key_file_bytes_max);
  if (!text.ok()) return text.err();
  return parse_member_keys(text->as_string(), path);
}

result<cluster_file> parse_cluster_file(std::string_view toml_text, const std::string& file,
                                        const std::string& base_dir) {
  auto doc = detail::parse_toml(toml_text, file);
  if (!doc.ok()) return doc.err();
  const table_reader root{*doc, file, ""};
  PSS_TRY(root.allow_only({"cluster_id", "threshold", "identity_file", "insecure_plaintext", "tls",
                           "members"}));
  cluster_file c;
  c.file = file;
  PSS_TRY(read_cluster_fields(root, c));
  if (root.has("identity_file")) {
    auto identity_file = read_path(root, "identity_file", R"(identity_file = "identity")", base_dir);
    if (!identity_file.ok()) return identity_file.err();
    c.identity_file = std::move(*identity_file);
  }
  auto insecure = root.optional_boolean("insecure_plaintext", false, "insecure_plaintext = false");
  if (!insecure.ok()) return insecure.err();
  c.insecure_plaintext = *insecure;
  auto tls = read_tls(root, base_dir, c.insecure_plaintext, "insecure_plaintext");
  if (!tls.ok()) return tls.err();
  c.tls = std::move(*tls);
  PSS_TRY(check_view(c.view(), file));
  return c;
}

result<cluster_file> load_cluster_file(const std::string& path) {
  return load<cluster_file>(path, &parse_cluster_file);
}

} // namespace pss::deploy
