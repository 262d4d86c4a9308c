// Deployment configuration: the files an operator writes and reads.
//
// A node reads one node config (TOML, docs/deployment.md) and its private
// keys; a client reads one cluster file and its identity file. This
// module turns those files into checked values. Every field is validated at
// load, and every error names the file, the key, what was wrong and an
// example of a right value, because a deployment mistake found at start-up
// is cheap and one found in the middle of a refresh round is not. Unknown
// keys are refused so that a typo never passes silently.
//
// Secret material (the key file, an identity's seed) never appears in an error message
// or on an output stream, and buffers that held it are zeroized.
//
// This module reads files but never touches CAF, clocks or ambient
// randomness; toml++ exceptions never escape it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/ids.hpp"
#include "core/result.hpp"
#include "crypto/seal.hpp"
#include "crypto/sign.hpp"
#include "secrets/cluster.hpp"

namespace pss::deploy {

// Named bounds, checked at load and documented in docs/deployment.md.
inline constexpr std::size_t cluster_id_chars_max = 64;
// So that "[host]:65535" fits secrets::address_bytes_max (256).
inline constexpr std::size_t host_chars_max = 248;
inline constexpr std::size_t config_file_bytes_max = 1024 * 1024;
inline constexpr std::size_t key_file_bytes_max = 4096;

inline constexpr std::uint32_t election_timeout_ms_min = 50;
inline constexpr std::uint32_t election_timeout_ms_max = 60'000;
inline constexpr std::uint32_t heartbeat_ms_min = 5;
inline constexpr std::uint32_t refresh_interval_ms_min = 1'000;        // when not 0
inline constexpr std::uint32_t refresh_interval_ms_max = 2'592'000'000; // 30 days
inline constexpr std::uint32_t peer_heartbeat_ms_min = 10;
inline constexpr std::uint32_t peer_heartbeat_ms_max = 60'000;
inline constexpr std::uint32_t peer_timeout_ms_max = 600'000;
inline constexpr std::uint32_t reconnect_max_ms_min = 100;
inline constexpr std::uint32_t reconnect_max_ms_max = 600'000;

struct host_port {
  std::string host; // without brackets, also for IPv6
  std::uint16_t port = 0;

  // "host:port", with brackets around an IPv6 host.
  [[nodiscard]] std::string to_string() const;
  bool operator==(const host_port&) const = default;
};

// Parses "127.0.0.1:7101", "[::1]:7101" or "node3.lan:7101". The error
// message says what was wrong and gives an example; it names no file.
[[nodiscard]] result<host_port> parse_host_port(std::string_view text);

// A cluster id: 1..cluster_id_chars_max characters of [A-Za-z0-9._-], so it
// is safe in file names, certificate subjects and log lines. The message
// says what was wrong and gives an example; it names no file.
[[nodiscard]] status check_cluster_id(std::string_view id);

struct tls_files {
  std::string ca_file, certificate_file, key_file; // absolute paths
  bool operator==(const tls_files&) const = default;
};

struct node_timing {
  std::uint32_t election_timeout_ms = 1000; // Raft election timeout (min; max = 2x)
  std::uint32_t heartbeat_ms = 100;         // Raft heartbeat
  std::uint32_t refresh_interval_ms = 0;    // 0 = refresh only on request
  std::uint32_t peer_heartbeat_ms = 200;    // CAF middleman heartbeat
  std::uint32_t peer_timeout_ms = 1000;     // CAF middleman connection timeout
  std::uint32_t reconnect_max_ms = 5000;    // backoff cap for reconnecting to a peer
  bool lease_reads = true;                  // leader lease reads (docs/raft.md); off where clocks jump
  bool operator==(const node_timing&) const = default;
};

struct member_entry {
  node_id id;
  share_index index;
  host_port address;
  crypto::box_public_key box_key;
  crypto::sign_public_key sign_key;
  bool operator==(const member_entry&) const = default;
};

struct node_config {
  std::string file; // the path it was loaded from (for messages)
  std::string cluster_id;
  std::uint32_t threshold = 0;
  node_id id; // this node
  host_port listen;
  // Absolute; relative ones in the file resolve against its directory.
  std::string data_dir, key_file;
  // The admin named at cluster creation: the access policy's first grant
  // (docs/access.md). Public; a node never holds a client secret.
  crypto::sign_public_key admin_key;
  std::optional<tls_files> tls; // nullopt iff insecure_plaintext
  bool insecure_plaintext = false;
  node_timing timing;
  // [metrics] listen: where /metrics, /healthz and /readyz are served; none
  // when absent (docs/gateway.md §2).
  std::optional<host_port> metrics_listen;
  // A new member that `pss member add` brings in (`pss init-cluster
  // --add-node` writes it): `members` is the cluster's first view, which
  // does not list this node; the catalog names it once the add is recorded.
  bool joining = false;
  // Every member, including this node unless it is joining, sorted by id.
  std::vector<member_entry> members;

  // Epoch 1; member.address is the host:port text.
  [[nodiscard]] secrets::cluster_view view() const;
  // This node's own entry (present after a successful load, unless joining).
  [[nodiscard]] const member_entry* self() const noexcept;
};

[[nodiscard]] result<node_config> load_node_config(const std::string& path);
[[nodiscard]] result<node_config> parse_node_config(std::string_view toml_text,
                                                    const std::string& file_for_messages,
                                                    const std::string& base_dir);

// What a client needs (PSS_CLUSTER / --cluster).
struct cluster_file {
  std::string file, cluster_id;
  std::uint32_t threshold = 0;
  std::vector<member_entry> members; // same [[members]] format as a node config
  std::optional<tls_files> tls;
  bool insecure_plaintext = false;
  std::string identity_file; // absolute; may be empty if none configured

  [[nodiscard]] secrets::cluster_view view() const;
};

[[nodiscard]] result<cluster_file> load_cluster_file(const std::string& path);
[[nodiscard]] result<cluster_file> parse_cluster_file(std::string_view toml_text,
                                                      const std::string& file_for_messages,
                                                      const std::string& base_dir);

// The node's private keys: a TOML file with `id`, `box_secret_key` (hex, 32
// bytes) and `sign_seed` (hex, 32 bytes). It must be mode 0600; a file that
// group or others can read is refused with a message that says
// `chmod 600 FILE`. The derived public keys must equal the member entry of
// that id in `expected`.
[[nodiscard]] result<secrets::node_keys> load_node_keys(const std::string& path,
                                                        const node_config& expected);
// Creates the file with mode 0600 (O_CREAT|O_EXCL: never overwrites) and
// zeroizes the buffers that held the keys.
[[nodiscard]] status write_node_keys(const std::string& path, const secrets::node_keys& keys);

// A node's keys as its host holds them across rotations (docs/refresh.md
// §7.9): the key file's keys; `retired`, the public keys of earlier
// rotations (the key file's `retired` list, which the config's entry may
// name); and `next`, the keys of a rotation an admin has not applied yet,
// from `<key_file>.next` when that file exists (same format, mode 0600).
inline constexpr std::size_t retired_keys_max = 64;
struct node_key_files {
  secrets::node_keys keys;
  std::vector<secrets::member_keys> retired;
  std::optional<secrets::node_keys> next;
};
[[nodiscard]] inline std::string next_key_path(const std::string& key_file) { return key_file + ".next"; }
[[nodiscard]] result<node_key_files> load_node_key_files(const node_config& config);
// Once the node switched to `files.next`: the key file holds the next keys
// and the old public keys as retired (an atomic replace, the old bytes
// zeroed), then the next file is erased the same way and removed.
[[nodiscard]] status adopt_next_keys(const node_config& config, const node_key_files& files);
// The second half of adopt_next_keys, for a host that finds the next file
// holding the key file's own keys (a crash between the two halves).
[[nodiscard]] status erase_next_key_file(const node_config& config);

// A new member's public keys, for `pss member add --keys FILE` (`pss
// init-cluster --add-node` writes it beside the node's config): `id`,
// `box_key` and `sign_key` (hex). Public: it may be mailed to the admin.
struct member_keys {
  node_id id;
  crypto::box_public_key box_key;
  crypto::sign_public_key sign_key;
  bool operator==(const member_keys&) const = default;
};
[[nodiscard]] std::string render_member_keys(const member_keys& k);
[[nodiscard]] result<member_keys> parse_member_keys(std::string_view toml_text, const std::string& file);
[[nodiscard]] result<member_keys> load_member_keys(const std::string& path);

// A client identity (`pss identity new`): a TOML file with `public_key` and
// `seed` (hex, 32 bytes each), mode 0600. The seed must derive the public
// key, so a damaged or edited file is refused.
[[nodiscard]] result<crypto::sign_key_pair> load_identity(const std::string& path);
// Creates the file with mode 0600 (never overwrites) and zeroizes the
// buffers that held the seed.
[[nodiscard]] status write_identity(const std::string& path, const crypto::sign_key_pair& identity);
// For clients: the file named by env_identity (PSS_IDENTITY) if set and
// non-empty, else the cluster file's identity_file; an error if neither.
[[nodiscard]] result<crypto::sign_key_pair> client_identity(const cluster_file& c, const char* env_identity);

} // namespace pss::deploy
