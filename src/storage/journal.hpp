// A durable journal of opaque records, for a node's private share store.
//
// The share store appends one record per change (a share stored, made live,
// erased), syncs before it acknowledges, and replays the records at start.
// From time to time it rewrites the journal with only the live records;
// rewrite() is also how erasure reaches the disk: the new file replaces the
// old one atomically, and the old file's bytes are then overwritten with
// zeroes through a handle kept open across the rename, before it is closed.
//
// SECRET: the records hold share material. Files are created 0600 in a 0700
// directory, buffered record bytes are zeroized once written, recovered
// records are returned as secure_bytes, and no error or warning ever
// contains record contents (only file names, offsets and sizes).
//
// Limits, stated honestly: overwriting in place removes the bytes from the
// file system's view; on copy-on-write file systems and on SSDs the medium
// may still hold old copies until the blocks are reused. A crash between the
// rename and the overwrite leaves the old bytes in freed blocks.
//
// Files: `identity` (data_dir.hpp) and `journal`, a record file
// (record_file.hpp) of kind journal whose header base is the generation,
// incremented by every rewrite.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/secure.hpp"
#include "storage/data_dir.hpp"
#include "storage/file_system.hpp"

namespace pss::storage {

inline constexpr std::uint32_t journal_record_bytes_max = 1024 * 1024;
inline constexpr std::string_view journal_file_name = "journal";

class record_writer;

class record_journal {
public:
  record_journal(file_system& fs, std::string dir, std::unique_ptr<record_writer> writer,
                 std::uint64_t generation);
  ~record_journal();
  record_journal(const record_journal&) = delete;
  record_journal& operator=(const record_journal&) = delete;

  // Buffers a record; durable after sync(). errc::too_large above
  // journal_record_bytes_max, or when the file would pass its size limit
  // (rewrite it first).
  [[nodiscard]] status append(byte_view record);
  [[nodiscard]] status sync();
  // Atomically replaces the journal with exactly `live` (buffered appends are
  // dropped), then overwrites the old file's bytes. Durable on return.
  [[nodiscard]] status rewrite(std::span<const byte_view> live);

  // The journal's size in bytes, buffered records included.
  [[nodiscard]] std::uint64_t size_bytes() const noexcept;
  [[nodiscard]] std::uint64_t generation() const noexcept { return generation_; }

private:
  status check_usable() const;

  file_system& fs_;
  std::string dir_;
  std::unique_ptr<record_writer> writer_;
  std::uint64_t generation_;
  std::optional<error> failed_;
};

struct opened_journal {
  std::unique_ptr<record_journal> journal;
  std::vector<secure_bytes> records; // in the order they were appended
  std::vector<std::string> warnings; // damage found and repaired; no contents
  bool initialised = false;
};

// Opens (or, with open_mode::initialise, creates) the journal in dir, with
// the same identity check, empty-directory report and torn-tail repair as the
// Raft storage.
[[nodiscard]] result<opened_journal> open_journal(file_system& fs, const std::string& dir,
                                                  const data_dir_identity& identity,
                                                  open_mode mode);

} // namespace pss::storage
