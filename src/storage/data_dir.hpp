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

#include <functional>
#include <string>
#include <vector>

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
// That error, for `dir`.
[[nodiscard]] error empty_data_dir_error(const std::string& dir);

// Creates dir and its missing parents (mode 0700), durably.
[[nodiscard]] status ensure_directory(file_system& fs, const std::string& dir);

[[nodiscard]] bytes encode_identity(const data_dir_identity& id);
[[nodiscard]] result<data_dir_identity> decode_identity(byte_view data, const std::string& path);

// Opens the data directory `dir` for one store (the Raft log or the share
// journal), before the store reads its files:
// - checks the identity: another cluster's or node's directory is refused
//   (errc::mismatch), a damaged identity too (errc::corrupt), and so is a
//   file that `known_file` does not recognise (errc::conflict);
// - a missing directory, or one without identity (an initialisation that a
//   crash interrupted), is empty: with open_mode::existing that is the
//   is_empty_data_dir error; with open_mode::initialise the directory is
//   created (0700), emptied, `create_files` writes the store's initial files,
//   and the identity is written last, so it exists only once all else does;
// - leftover temporary files are removed, with a warning each.
// Returns true if the directory was initialised.
[[nodiscard]] result<bool> open_data_dir(file_system& fs, const std::string& dir,
                                         const data_dir_identity& identity, open_mode mode,
                                         bool (*known_file)(std::string_view),
                                         const std::function<status()>& create_files,
                                         std::vector<std::string>& warnings);

} // namespace pss::storage
