// raft_storage on a file_system: a segmented log, a two-slot hard state and
// an atomically replaced snapshot, in one data directory.
//
// With posix_file_system this is the production storage; with sim_disk it is
// the simulator's, running the same recovery code against injected crashes.
//
// Directory layout (every file 0600, the directory 0700):
//   identity                       who owns the directory (data_dir.hpp)
//   hard-state                     two 4 KiB slots, see below
//   snapshot                       the latest snapshot, replaced atomically
//   log-<first index, 20 digits>.seg   record files (record_file.hpp), one
//                                  log entry per record, raft::encode(entry)
//
// hard-state slot (at offset 0 or 4096, little-endian):
//   magic "PSHS" (u32 0x53485350), format version (u32), sequence (u64),
//   term (u64), vote (u64), commit (u64), crc32c of the preceding 40 bytes (u32).
// Writes alternate between the slots with an increasing sequence; the intact
// slot with the highest sequence wins, so a write torn by a crash leaves the
// previous hard state.
//
// snapshot (little-endian): magic "PSSSNAP1", format version (u32), metadata
// (u32 length + raft::encode(snapshot_meta)), data (u64 length + bytes),
// crc32c of everything before it (u32).
#pragma once

#include "storage/data_dir.hpp"
#include "storage/file_system.hpp"
#include "storage/raft_storage.hpp"

namespace pss::storage {

inline constexpr std::uint64_t segment_bytes_min = 4096;
inline constexpr std::uint64_t segment_bytes_max = 256ULL * 1024 * 1024;
inline constexpr std::uint64_t snapshot_bytes_max = 512ULL * 1024 * 1024;
inline constexpr std::size_t snapshot_meta_bytes_max = 64 * 1024;

struct log_options {
  // A segment is preallocated to this size and a new one is started when the
  // next record would not fit. A single larger entry gets a segment of its own.
  std::uint64_t segment_bytes = 16ULL * 1024 * 1024;
};

// Opens (or, with open_mode::initialise, creates) the Raft storage in dir.
// Errors: is_empty_data_dir(err) when the directory holds no state and mode
// is existing; errc::mismatch for another node's directory; errc::corrupt
// for damage that cannot be repaired without losing acknowledged data.
[[nodiscard]] result<opened_raft_storage>
open_raft_storage(file_system& fs, const std::string& dir, const data_dir_identity& identity,
                  open_mode mode, const log_options& options = {});

// The hard state a node would recover from this hard state file's bytes
// (the newer intact slot), or nothing. For checkers that read a disk image.
[[nodiscard]] std::optional<raft::hard_state> newest_hard_state(byte_view file);

// The file name of the segment whose first entry is `first`.
[[nodiscard]] std::string segment_file_name(log_index first);

} // namespace pss::storage
