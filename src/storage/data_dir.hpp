// The identity of a data directory, and what storage does with an empty one.
//
// Every pss data directory holds a small `identity` file naming the cluster
// and the node it belongs to. Opening checks it: a directory of another
// cluster or another node is refused, so a mis-pointed config can never make
// a node vote with someone else's log. A directory that is missing or holds
// no identity is reported distinctly (is_empty_data_dir), because a node
// whose disk is empty has lost its term, vote and log: it must rejoin as a
// new incarnation and recover its shares, never silently vote again. Only a
// caller that knows this is a first start passes open_mode::initialise.
//
// identity file (little-endian):
//   magic "PSSIDNT1" (8), format version (u32), cluster id (u32 length +
//   bytes, at most cluster_id_bytes_max), node id (u64), crc32c of all
//   preceding bytes (u32).
#pragma once

#include <string>

#include "core/ids.hpp"
#include "core/result.hpp"
#include "storage/file_system.hpp"

namespace pss::storage {

inline constexpr std::size_t cluster_id_bytes_max = 256;
inline constexpr std::uint32_t identity_format_version = 1;
inline constexpr std::string_view identity_file_name = "identity";

struct data_dir_identity {
  std::string cluster_id;
  node_id node;

  friend bool operator==(const data_dir_identity&, const data_dir_identity&) = default;
};

enum class open_mode {
  existing,   // the directory must already belong to this node
  initialise, // an empty or missing directory is initialised for this node
};

// True for the error open_* returns when the directory holds no pss state.
// Nothing else in storage returns errc::not_found from an open.
[[nodiscard]] bool is_empty_data_dir(const error& err) noexcept;

[[nodiscard]] bytes encode_identity(const data_dir_identity& id);
[[nodiscard]] result<data_dir_identity> decode_identity(byte_view data, const std::string& path);

enum class data_dir_state {
  belongs_to_us, // identity present and matching
  empty,         // missing, or no identity yet (an interrupted initialisation)
};

// Checks the identity of dir. Returns belongs_to_us or empty; a foreign or
// damaged identity, or unknown files in a directory without identity, is an
// error. `known_file` says which names storage itself creates (so leftovers
// of an interrupted initialisation count as empty).
[[nodiscard]] result<data_dir_state> inspect_data_dir(file_system& fs, const std::string& dir,
                                                      const data_dir_identity& expected,
                                                      bool (*known_file)(std::string_view));

// The error for an empty directory in open_mode::existing.
[[nodiscard]] error empty_data_dir_error(const std::string& dir);

// Removes leftover temporary files in dir and syncs it if any were removed.
[[nodiscard]] status remove_temp_files(file_system& fs, const std::string& dir);

// Creates dir (and its parent) if needed, with mode 0700, durably.
[[nodiscard]] status ensure_directory(file_system& fs, const std::string& dir);

} // namespace pss::storage
