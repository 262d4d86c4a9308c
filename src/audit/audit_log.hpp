// A node's append-only, hash-chained audit log (docs/access.md, "Audit").
//
// Every share a node releases, every share it stores, every write, delete
// and policy change it carries out is one record: who (the client's public
// key), what (the action, the name, the version), when (the node's wall
// clock), the digest of the signed request, and the outcome. A record holds
// no share, no value and no secret key; the client's public key is public.
//
// Each record carries the hash of the one before it (the first, a hash of
// the cluster id and node id), and its own hash is BLAKE2b-256 over its
// encoding, so an edit or a cut anywhere but at the very end breaks the chain
// (verify_chain names the first broken record). A cut of the tail is found
// only against a head seen before (a previous `pss audit`).
//
// Durability: append() buffers; sync() makes everything appended durable
// with one write and one fdatasync (group commit). The node releases a share
// only after the record of its release is durable.
//
// Files: `<dir>/identity` and `<dir>/journal` (storage/journal.hpp), never
// rewritten. A full journal (record_file_bytes_max) refuses further appends,
// and the node then refuses to release shares: the log is never bypassed.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/bytes.hpp"
#include "core/ids.hpp"
#include "core/result.hpp"
#include "crypto/hash.hpp"
#include "storage/data_dir.hpp"
#include "storage/file_system.hpp"

namespace pss::storage {
class record_journal;
}

namespace pss::audit {

using digest = crypto::digest256;

enum class action : std::uint8_t {
  share_released = 1, // a share sealed to a reader's key left this node
  share_stored = 2,   // a client's share was stored (pending) here
  registered = 3,     // a version was registered (at the leader)
  deleted = 4,        // a name was deleted (at the leader)
  grant = 5,          // a policy grant applied here
  revoke = 6,         // a policy revoke applied here
  refresh = 7,        // a refresh round was requested here
  committee = 8,      // a committee change was asked for here (the name field says which)
};
[[nodiscard]] std::string_view to_string(action a) noexcept;

enum class outcome : std::uint8_t { ok = 0, refused = 1 };

inline constexpr std::size_t name_bytes_max = 256;

struct record {
  std::uint64_t seq = 0;   // 1, 2, ... with no gap
  std::uint64_t at_ms = 0; // the node's wall clock, unix ms
  action what = action::share_released;
  outcome result = outcome::ok;
  std::array<std::uint8_t, 32> client{}; // the signing key (public)
  std::string name;                      // empty for a refresh
  std::uint64_t version = 0;             // a version, or a grant id
  digest request{};                      // the signed request's digest
  digest prev{};                         // the previous record's hash
  friend bool operator==(const record&, const record&) = default;
};

// An encoded record is far below this (its name is bounded by name_bytes_max).
inline constexpr std::size_t record_bytes_max = 1024;

[[nodiscard]] bytes encode(const record& r);
[[nodiscard]] result<record> decode_record(byte_view data);
[[nodiscard]] digest hash_of(const record& r);
// The `prev` of a log's first record.
[[nodiscard]] digest genesis(const std::string& cluster_id, node_id node);

// Checks that `records` continue a chain whose last hash was `prev` and
// last seq `prev_seq` (genesis and 0 for a whole log): seq + 1 each, each
// prev the hash of the one before. The first broken record is named.
[[nodiscard]] status verify_chain(const std::vector<record>& records, const digest& prev, std::uint64_t prev_seq);

class log {
public:
  // Opens (or with open_mode::initialise creates) the log in `dir`, checking
  // the chain of what is there; a broken chain is refused (errc::corrupt).
  [[nodiscard]] static result<std::unique_ptr<log>> open(storage::file_system& fs, const std::string& dir,
                                                         const storage::data_dir_identity& identity,
                                                         storage::open_mode mode);
  ~log();
  log(const log&) = delete;
  log& operator=(const log&) = delete;

  // Fills seq and prev, buffers the record, and returns its seq. Durable
  // after sync(). Errors: a name over name_bytes_max, a full journal.
  [[nodiscard]] result<std::uint64_t> append(record r);
  [[nodiscard]] status sync();
  [[nodiscard]] bool has_unsynced() const noexcept { return synced_seq_ < head_seq_; }

  [[nodiscard]] std::uint64_t head_seq() const noexcept { return head_seq_; }
  [[nodiscard]] const digest& head_hash() const noexcept { return head_; }
  [[nodiscard]] std::uint64_t synced_seq() const noexcept { return synced_seq_; }

  // Up to `max` durable records after seq `after`, read back from the disk.
  [[nodiscard]] result<std::vector<record>> read(std::uint64_t after, std::size_t max) const;

  log(storage::file_system& fs, std::string dir, std::unique_ptr<storage::record_journal> journal,
      digest head, std::uint64_t head_seq);

private:
  storage::file_system* fs_;
  std::string dir_;
  std::unique_ptr<storage::record_journal> journal_;
  digest head_;
  std::uint64_t head_seq_ = 0;
  std::uint64_t synced_seq_ = 0;
};

} // namespace pss::audit
