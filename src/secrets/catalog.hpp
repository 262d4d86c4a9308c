// The secret catalog: the replicated state machine every node applies.
//
// It holds only public, replicated state (DESIGN §4): the cluster view
// (membership, t, epoch), every secret's versions (commitments, envelope
// ciphertext, holders, epoch, state), tombstones of deleted names, and the
// client-session table that makes retried commands exactly-once (Raft thesis
// §6.3). apply() is a pure function of the catalog and the entry, so every
// replica that applies the same log reaches the same state. It never sees a
// share: snapshot() serialises exactly what is replicated, and a node that
// installs a snapshot receives no other node's shares.
//
// Versions. A client deals version = latest+1 (latest counts tombstoned
// versions too, so a number is never reused) and the envelope's associated
// data binds the name and that version. A register of any other version is a
// conflict answered with the latest version, and the client re-deals. A
// delete tombstones the name: later reads say "deleted", and a later put
// starts at the tombstone's latest+1. At most versions_kept_max versions of a
// name stay readable; registering one more drops the oldest (its shares are
// erased by every node when it applies that entry).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/bytes.hpp"
#include "core/ids.hpp"
#include "core/result.hpp"
#include "raft/session_table.hpp"
#include "raft/types.hpp"
#include "secrets/cluster.hpp"
#include "secrets/commands.hpp"

namespace pss::secrets {

inline constexpr std::size_t versions_kept_max = 8;
inline constexpr std::size_t secrets_max_decode = 1 << 20;
inline constexpr millis session_expiry_default{10 * 60 * 1000};

using digest = std::array<std::uint8_t, 32>;

// pending is reserved for refresh rounds; a version is live when registered
// (its shares were durable on its holders before the register was proposed).
enum class version_state : std::uint8_t { pending = 0, live = 1, deleted = 2 };

struct version_record {
  secret_version version;
  epoch_id epoch;
  bytes commitments;
  bytes ciphertext;
  std::vector<node_id> holders;
  version_state state = version_state::live;
  digest commitments_digest{};

  bool operator==(const version_record&) const = default;
};

struct secret_record {
  secret_version latest;  // the highest version ever registered, deleted or not
  bool deleted = false;   // a tombstone: no version is readable
  std::map<secret_version, version_record> versions; // readable versions

  bool operator==(const secret_record&) const = default;
};

// What a node must do to its private share store after applying an entry.
struct apply_effects {
  struct registered_version {
    std::string name;
    secret_version version;
    epoch_id epoch;
    digest commitments_digest{};
  };
  std::optional<registered_version> registered;
  std::vector<std::pair<std::string, secret_version>> dropped_versions;
  std::optional<std::string> deleted_name;
};

struct applied_command {
  command_result result;
  apply_effects effects;
  std::optional<session_header> session; // nothing for an entry that did not decode
};

struct list_item {
  std::string name;
  secret_version latest;
  bool deleted = false;
  bool operator==(const list_item&) const = default;
};

class catalog {
public:
  explicit catalog(cluster_view view, millis session_expiry = session_expiry_default);

  // Applies one committed entry; noop and config entries change nothing.
  [[nodiscard]] applied_command apply(const raft::entry& e);

  // Replicated state only: view, secrets, sessions.
  [[nodiscard]] bytes snapshot() const;
  [[nodiscard]] static result<catalog> restore(byte_view data);

  [[nodiscard]] const cluster_view& view() const noexcept { return view_; }
  [[nodiscard]] const secret_record* find(const std::string& name) const;
  // The readable version (latest when version is 0), or not_found naming why.
  [[nodiscard]] result<version_record> lookup(const std::string& name, secret_version version) const;
  [[nodiscard]] std::vector<list_item> list() const;
  [[nodiscard]] const std::map<std::string, secret_record>& secrets() const noexcept { return secrets_; }
  [[nodiscard]] const raft::session_table& sessions() const noexcept { return sessions_; }
  [[nodiscard]] log_index applied_index() const noexcept { return applied_; }

  bool operator==(const catalog&) const = default;

private:
  [[nodiscard]] command_result execute(const register_secret& r, apply_effects& fx);
  [[nodiscard]] command_result execute(const delete_secret& d, apply_effects& fx);
  [[nodiscard]] status validate(const register_secret& r, digest& out) const;

  cluster_view view_;
  std::map<std::string, secret_record> secrets_;
  raft::session_table sessions_;
  log_index applied_;
};

// The number of acknowledged holders a register needs: t+1, or n when the
// cluster has no more than t members (DESIGN §5 write_quorum floor).
[[nodiscard]] std::size_t holders_min(const cluster_view& view) noexcept;

} // namespace pss::secrets
