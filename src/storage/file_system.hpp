// The file-system operations storage needs, behind an interface.
//
// Two backends implement it: posix_file_system (real files, fdatasync, fsync
// of directories) and sim_disk (memory, with crashes that lose unsynced
// writes and tear the last one). The Raft log and the share journal are
// written once, against this interface, so the simulator exercises exactly
// the recovery code that runs in production.
//
// Durability contract, as on Linux: data written to a file is durable after
// file::sync(); a name created, renamed or removed in a directory is durable
// after sync_directory() on that directory. Every file is created with mode
// 0600 and every directory with 0700, because storage holds secrets.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.hpp"
#include "core/result.hpp"

namespace pss::storage {

// An open file. Offsets and sizes are in bytes.
class file {
public:
  virtual ~file() = default;

  // Writes all of data at offset, extending the file if needed. Not durable
  // until sync().
  [[nodiscard]] virtual status write_at(std::uint64_t offset, byte_view data) = 0;
  // Makes every write, truncation and extension so far durable (fdatasync).
  [[nodiscard]] virtual status sync() = 0;
  // Cuts or extends (with zeroes) the file to exactly size bytes.
  [[nodiscard]] virtual status truncate(std::uint64_t size) = 0;
  // Reserves space so the file is at least size bytes long, zero-filled
  // beyond its old end (posix_fallocate).
  [[nodiscard]] virtual status preallocate(std::uint64_t size) = 0;
  [[nodiscard]] virtual result<std::uint64_t> size() const = 0;
  [[nodiscard]] virtual const std::string& path() const = 0;
};

enum class open_flags {
  existing,        // the file must exist
  create_truncate, // create it, or empty it if it exists
};

class file_system {
public:
  virtual ~file_system() = default;

  // True if a file or directory exists at path.
  [[nodiscard]] virtual result<bool> exists(const std::string& path) = 0;
  // Creates a directory with mode 0700; success if it already exists. The
  // caller syncs the parent directory to make the new name durable.
  [[nodiscard]] virtual status create_directory(const std::string& path) = 0;
  // The names (not paths) in a directory, sorted. errc::not_found if the
  // directory does not exist.
  [[nodiscard]] virtual result<std::vector<std::string>> list_directory(const std::string& path) = 0;
  // The whole file; errc::not_found if missing, errc::too_large above max_bytes.
  [[nodiscard]] virtual result<bytes> read_file(const std::string& path, std::uint64_t max_bytes) = 0;
  // Opens a file for writing (mode 0600 when created).
  [[nodiscard]] virtual result<std::unique_ptr<file>> open_file(const std::string& path,
                                                                open_flags flags) = 0;
  // Atomically replaces `to` with `from` (rename(2)).
  [[nodiscard]] virtual status rename(const std::string& from, const std::string& to) = 0;
  [[nodiscard]] virtual status remove(const std::string& path) = 0;
  // Makes the names in a directory durable (fsync on the directory).
  [[nodiscard]] virtual status sync_directory(const std::string& path) = 0;
};

// "dir/name" without doubling a slash.
[[nodiscard]] std::string join_path(std::string_view dir, std::string_view name);
// The directory holding path ("/" for a top-level name, "." for a bare name).
[[nodiscard]] std::string parent_path(std::string_view path);

// Writes a small file atomically and durably: write path.tmp, sync it,
// rename it over path, sync the directory. A crash at any point leaves either
// the old file or the new one, never a mix.
[[nodiscard]] status write_file_atomically(file_system& fs, const std::string& path,
                                           byte_view contents);

// Overwrites every byte of an (already unlinked) file with zeroes, durably:
// how erasure reaches the disk (limits: storage/journal.hpp).
[[nodiscard]] status overwrite_with_zeroes(file& old);
// write_file_atomically, then the old file's bytes (if there was one)
// overwritten with zeroes through a handle kept open across the rename.
[[nodiscard]] status replace_file_erasing_old(file_system& fs, const std::string& path, byte_view contents);

// The suffix of temporary files; storage removes leftovers at open.
inline constexpr std::string_view temp_suffix = ".tmp";

} // namespace pss::storage
