// Record files: the on-disk framing shared by Raft log segments and the
// share journal, and the recovery scan that runs when they are opened.
//
// A record file is a 32-byte file header followed by records, each aligned
// to 8 bytes:
//
//   file header (32 bytes, little-endian)
//     0  magic "PSSREC01"        8
//     8  format version (u32)    currently 1
//    12  kind (u32)              1 = log segment, 2 = journal
//    16  base (u64)              a segment's first log index; a journal's generation
//    24  crc32c of bytes 0..24 (u32)
//    28  zero (u32)
//
//   record (24-byte header, payload, zero padding to a multiple of 8)
//     0  crc32c (u32)            over the record's own file offset (u64 LE), then
//                                bytes 4..24+length of the record
//     4  payload length (u32)    at most record_payload_bytes_max
//     8  batch start (u64)       file offset where this record's write batch began
//    16  magic 0x52535350 (u32)
//    20  zero (u32)
//    24  payload
//
// A write batch is everything appended between two syncs; it reaches the
// disk with one write and one fdatasync. Before that fdatasync returns, any
// subset of the batch's sectors may be on the medium; after it, all are. So
// only the final batch of a file can be legitimately damaged, and the batch
// start recorded in every record tells recovery which batch a record belongs
// to. Putting the record's own offset under its checksum means a record
// copied inside some other record's payload is never mistaken for a real one.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/bytes.hpp"
#include "core/result.hpp"
#include "storage/file_system.hpp"

namespace pss::storage {

inline constexpr std::size_t file_header_bytes = 32;
inline constexpr std::size_t record_header_bytes = 24;
inline constexpr std::size_t record_alignment_bytes = 8;
inline constexpr std::uint32_t record_file_format_version = 1;
// Large enough for the biggest Raft entry (16 MiB of data plus its header).
inline constexpr std::uint32_t record_payload_bytes_max = 17 * 1024 * 1024;
// No record file this version writes is larger; anything bigger is refused
// before it is read into memory.
inline constexpr std::uint64_t record_file_bytes_max = 1024ULL * 1024 * 1024;

enum class record_file_kind : std::uint32_t { log_segment = 1, journal = 2 };

[[nodiscard]] bytes encode_file_header(record_file_kind kind, std::uint64_t base);

// The space a record with this payload takes, header and padding included.
[[nodiscard]] constexpr std::uint64_t record_bytes(std::size_t payload) noexcept {
  const std::uint64_t raw = record_header_bytes + payload;
  return (raw + record_alignment_bytes - 1) / record_alignment_bytes * record_alignment_bytes;
}

// Appends one framed record that will sit at file offset `offset`.
void encode_record(bytes& out, std::uint64_t offset, std::uint64_t batch_start,
                   byte_view payload);

struct scanned_record {
  std::uint64_t offset = 0;
  byte_view payload; // points into the scanned buffer
};

struct scanned_file {
  std::uint64_t base = 0;
  std::vector<scanned_record> records;
  // Where the intact records end: the next record goes here.
  std::uint64_t end = file_header_bytes;
  // True if bytes after `end` are not all zero and must be cut off before
  // anything is appended.
  bool needs_repair = false;
  // Set when damage was found and tolerated: what and where, for the log.
  std::optional<std::string> warning;
};

// The payload of the intact record that starts at `offset` of a record
// file's bytes, or nothing (for checkers that read a disk image).
[[nodiscard]] std::optional<byte_view> intact_record_at(byte_view contents, std::uint64_t offset) noexcept;

// Checks the header and finds the intact records of a record file.
//
// Damage is handled as follows (see docs/storage.md):
// - a bad file header is refused (errc::corrupt): files are created whole
//   and renamed into place, so a bad header is never a torn write;
// - a damaged region after which no intact record exists is a torn tail: it
//   is reported in `warning` and left for the caller to cut;
// - in the last file only, a damaged record followed by intact records that
//   all belong to the same final write batch is also a torn, never-synced
//   write: the records from the damage on are dropped, with a warning;
// - a damaged record followed by an intact record of a later batch means
//   data that was synced has since been damaged: refused (errc::corrupt)
//   with the file and offset, because dropping it could lose acknowledged
//   entries.
[[nodiscard]] result<scanned_file> scan_record_file(byte_view contents, const std::string& path,
                                                    record_file_kind kind, bool last_file);

// Appends records to one open record file. Records are buffered in memory
// and reach the disk at sync(), as one write and one fdatasync (group
// commit). After any failed write or sync the writer refuses all further
// work: the state of the page cache is unknown, so the node must restart and
// recover from what is durable (Linux may drop dirty pages after a failed
// fsync, so retrying would be a lie).
class record_writer {
public:
  // `file_end` is where the next record goes; the file is kept preallocated
  // to at least `preallocate_bytes`. `secret` zeroizes buffered payloads once
  // written.
  record_writer(std::unique_ptr<file> handle, std::uint64_t file_end,
                std::uint64_t preallocate_bytes, bool secret);
  ~record_writer();
  record_writer(const record_writer&) = delete;
  record_writer& operator=(const record_writer&) = delete;

  // Buffers a record and returns its file offset.
  std::uint64_t add(byte_view payload);
  // Writes everything buffered and makes it durable.
  [[nodiscard]] status sync();
  // Drops buffered records, cuts the file at `end` (a record boundary), zeroes
  // and re-reserves the space after it, and makes that durable.
  [[nodiscard]] status truncate(std::uint64_t end);

  // The offset after the last record, buffered ones included.
  [[nodiscard]] std::uint64_t end() const noexcept { return synced_end_ + pending_.size(); }
  [[nodiscard]] bool has_pending() const noexcept { return !pending_.empty(); }
  [[nodiscard]] const std::string& path() const { return handle_->path(); }
  [[nodiscard]] file& handle() noexcept { return *handle_; }

private:
  status fail(error err);

  std::unique_ptr<file> handle_;
  std::uint64_t synced_end_;
  std::uint64_t preallocate_bytes_;
  bool secret_;
  bytes pending_;
  std::optional<error> failed_;
};

// Creates a record file atomically: the header is written to a temporary
// file, preallocated, synced, renamed into place and the directory synced.
[[nodiscard]] result<std::unique_ptr<record_writer>>
create_record_file(file_system& fs, const std::string& path, record_file_kind kind,
                   std::uint64_t base, std::uint64_t preallocate_bytes, bool secret);

} // namespace pss::storage
