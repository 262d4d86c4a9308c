#include "storage/record_file.hpp"

#include <algorithm>
#include <array>

#include "core/secure.hpp"
#include "storage/crc32c.hpp"

namespace pss::storage {

namespace {

constexpr std::array<std::uint8_t, 8> file_magic{'P', 'S', 'S', 'R', 'E', 'C', '0', '1'};
constexpr std::uint32_t record_magic = 0x52535350u; // "PSSR" little-endian

std::uint32_t load_u32(byte_view data, std::uint64_t at) noexcept {
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= static_cast<std::uint32_t>(data[at + i]) << (8 * i);
  return v;
}

std::uint64_t load_u64(byte_view data, std::uint64_t at) noexcept {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= static_cast<std::uint64_t>(data[at + i]) << (8 * i);
  return v;
}

std::uint32_t record_crc(std::uint64_t offset, byte_view header_rest_and_payload) noexcept {
  std::array<std::uint8_t, 8> where{};
  for (int i = 0; i < 8; ++i) where[i] = static_cast<std::uint8_t>(offset >> (8 * i));
  return crc32c(header_rest_and_payload, crc32c(where));
}

struct parsed_record {
  std::uint32_t length;
  std::uint64_t batch_start;
};

// The record at offset `at`, if an intact one starts there. Every field is
// checked against the buffer before it is used.
std::optional<parsed_record> parse_record(byte_view data, std::uint64_t at) noexcept {
  if (at + record_header_bytes > data.size()) return std::nullopt;
  if (load_u32(data, at + 16) != record_magic || load_u32(data, at + 20) != 0)
    return std::nullopt;
  const std::uint32_t length = load_u32(data, at + 4);
  if (length > record_payload_bytes_max) return std::nullopt;
  if (at + record_header_bytes + length > data.size()) return std::nullopt;
  const std::uint64_t batch_start = load_u64(data, at + 8);
  if (batch_start < file_header_bytes || batch_start > at
      || batch_start % record_alignment_bytes != 0)
    return std::nullopt;
  const auto covered = data.subspan(at + 4, record_header_bytes - 4 + length);
  if (record_crc(at, covered) != load_u32(data, at)) return std::nullopt;
  return parsed_record{length, batch_start};
}

bool all_zero(byte_view data) noexcept {
  return std::all_of(data.begin(), data.end(), [](std::uint8_t b) { return b == 0; });
}

// What the operator does about damage that cannot be repaired safely.
std::string recovery_advice(record_file_kind kind) {
  return kind == record_file_kind::log_segment
           ? "Keep the directory for inspection, move it aside, and let this node rejoin the "
             "cluster as a new member"
           : "Keep the directory for inspection, move it aside, and let this node recover its "
             "shares from the others";
}

error header_error(const std::string& path, record_file_kind kind, const std::string& what) {
  return error{errc::corrupt,
               path + ": " + what + " in the file header. Files are created whole and renamed "
                                    "into place, so this is damage or a foreign file, not a "
                                    "crash. " + recovery_advice(kind)};
}

status check_file_header(byte_view data, const std::string& path, record_file_kind kind) {
  if (data.size() < file_header_bytes)
    return header_error(path, kind, "the file is shorter than 32 bytes");
  if (!std::equal(file_magic.begin(), file_magic.end(), data.begin()))
    return header_error(path, kind, "the magic number is wrong");
  if (load_u32(data, 24) != crc32c(data.first(24)) || load_u32(data, 28) != 0)
    return header_error(path, kind, "the checksum does not match");
  if (load_u32(data, 8) != record_file_format_version)
    return header_error(path, kind, "format version " + std::to_string(load_u32(data, 8))
                                + " is not the supported version "
                                + std::to_string(record_file_format_version));
  if (load_u32(data, 12) != static_cast<std::uint32_t>(kind))
    return header_error(path, kind, "the file kind is wrong");
  return {};
}

} // namespace

bytes encode_file_header(record_file_kind kind, std::uint64_t base) {
  bytes out;
  byte_writer w{out};
  w.raw(file_magic);
  w.u32(record_file_format_version);
  w.u32(static_cast<std::uint32_t>(kind));
  w.u64(base);
  w.u32(crc32c(out));
  w.u32(0);
  PSS_CHECK(out.size() == file_header_bytes);
  return out;
}

void encode_record(bytes& out, std::uint64_t offset, std::uint64_t batch_start,
                   byte_view payload) {
  PSS_CHECK(payload.size() <= record_payload_bytes_max);
  PSS_CHECK(offset % record_alignment_bytes == 0 && batch_start <= offset);
  const std::size_t start = out.size();
  byte_writer w{out};
  w.u32(0); // the checksum, filled in below
  w.u32(static_cast<std::uint32_t>(payload.size()));
  w.u64(batch_start);
  w.u32(record_magic);
  w.u32(0);
  w.raw(payload);
  const std::uint32_t crc = record_crc(offset, byte_view{out}.subspan(start + 4));
  for (int i = 0; i < 4; ++i) out[start + i] = static_cast<std::uint8_t>(crc >> (8 * i));
  out.resize(start + record_bytes(payload.size()), 0);
}

std::optional<byte_view> intact_record_at(byte_view contents, std::uint64_t offset) noexcept {
  auto rec = parse_record(contents, offset);
  if (!rec) return std::nullopt;
  return contents.subspan(offset + record_header_bytes, rec->length);
}

result<scanned_file> scan_record_file(byte_view data, const std::string& path,
                                      record_file_kind kind, bool last_file) {
  PSS_TRY(check_file_header(data, path, kind));
  scanned_file out;
  out.base = load_u64(data, 16);

  std::uint64_t at = file_header_bytes;
  std::uint64_t last_batch = file_header_bytes;
  while (auto rec = parse_record(data, at)) {
    if (rec->batch_start < last_batch) break; // batches only move forward
    out.records.push_back({at, data.subspan(at + record_header_bytes, rec->length)});
    last_batch = rec->batch_start;
    at += record_bytes(rec->length);
  }
  out.end = at;
  if (at >= data.size() || all_zero(data.subspan(at))) return out;

  // Something that is not an intact record sits at `at`. Look for intact
  // records after it: they decide between a torn write and real damage.
  std::size_t later = 0;
  std::uint64_t first_later = 0;
  std::uint64_t latest_batch = 0;
  for (std::uint64_t q = at + record_alignment_bytes; q + record_header_bytes <= data.size();) {
    if (auto rec = parse_record(data, q)) {
      if (later++ == 0) first_later = q;
      latest_batch = std::max(latest_batch, rec->batch_start);
      q += record_bytes(rec->length);
    } else {
      q += record_alignment_bytes;
    }
  }
  const std::string where = path + " at offset " + std::to_string(at);
  out.needs_repair = true;
  if (later == 0) {
    out.warning = "cut off a torn or damaged tail of " + where + " ("
                  + std::to_string(data.size() - at)
                  + " bytes after the last intact record, none intact after it); "
                    "this is what a crash during an unsynced write leaves";
    return out;
  }
  if (last_file && latest_batch <= at && latest_batch >= last_batch) {
    out.warning = "dropped a damaged record in " + where + " and " + std::to_string(later)
                  + " intact record(s) after it: all belong to the final write batch, which "
                    "began at offset "
                  + std::to_string(latest_batch)
                  + " and was never synced before a crash, so none was acknowledged";
    return out;
  }
  return error{errc::corrupt,
               "the record in " + where + " is damaged, but " + std::to_string(later)
                 + " intact record(s) written after it (the first at offset "
                 + std::to_string(first_later)
                 + ") follow in a later write batch, so data that had been synced was damaged "
                   "and acknowledged records may be lost. Refusing to open rather than "
                   "silently drop them. " + recovery_advice(kind)};
}

record_writer::record_writer(std::unique_ptr<file> handle, std::uint64_t file_end,
                             std::uint64_t preallocate_bytes, bool secret)
  : handle_(std::move(handle)), synced_end_(file_end), preallocate_bytes_(preallocate_bytes),
    secret_(secret) {
  PSS_CHECK(handle_ != nullptr);
  PSS_CHECK(file_end >= file_header_bytes && file_end % record_alignment_bytes == 0);
}

record_writer::~record_writer() {
  if (secret_) zeroize(pending_);
}

status record_writer::fail(error err) {
  failed_ = err;
  if (secret_) zeroize(pending_);
  pending_.clear();
  return err;
}

std::uint64_t record_writer::add(byte_view payload) {
  const std::uint64_t offset = end();
  const std::size_t needed = pending_.size() + record_bytes(payload.size());
  if (secret_ && needed > pending_.capacity()) {
    // Grow by hand so the old buffer is zeroized, not freed with secrets in it.
    bytes bigger;
    bigger.reserve(std::max(needed, 2 * pending_.capacity()));
    bigger.assign(pending_.begin(), pending_.end());
    zeroize(pending_);
    pending_.swap(bigger);
  }
  encode_record(pending_, offset, synced_end_, payload);
  return offset;
}

status record_writer::sync() {
  if (failed_) return *failed_;
  if (pending_.empty()) return {};
  if (auto st = handle_->write_at(synced_end_, pending_); !st) return fail(st.err());
  if (auto st = handle_->sync(); !st) return fail(st.err());
  synced_end_ += pending_.size();
  if (secret_) zeroize(pending_);
  pending_.clear();
  return {};
}

status record_writer::truncate(std::uint64_t new_end) {
  if (failed_) return *failed_;
  PSS_CHECK(new_end >= file_header_bytes && new_end <= end());
  PSS_CHECK(new_end % record_alignment_bytes == 0);
  if (new_end > synced_end_) {
    // Only buffered records go; nothing on disk changes.
    const std::size_t keep = new_end - synced_end_;
    if (secret_) zeroize(std::span{pending_}.subspan(keep));
    pending_.resize(keep);
    return {};
  }
  if (secret_) zeroize(pending_);
  pending_.clear();
  // Cutting then re-reserving leaves zeroes after new_end, so no stale record
  // can ever be read back as part of the log.
  if (auto st = handle_->truncate(new_end); !st) return fail(st.err());
  if (auto st = handle_->preallocate(preallocate_bytes_); !st) return fail(st.err());
  if (auto st = handle_->sync(); !st) return fail(st.err());
  synced_end_ = new_end;
  return {};
}

result<std::unique_ptr<record_writer>>
create_record_file(file_system& fs, const std::string& path, record_file_kind kind,
                   std::uint64_t base, std::uint64_t preallocate_bytes, bool secret) {
  const std::string temp = path + std::string{temp_suffix};
  {
    auto opened = fs.open_file(temp, open_flags::create_truncate);
    if (!opened) return opened.err();
    auto& f = **opened;
    PSS_TRY(f.write_at(0, encode_file_header(kind, base)));
    PSS_TRY(f.preallocate(preallocate_bytes));
    PSS_TRY(f.sync());
  }
  PSS_TRY(fs.rename(temp, path));
  PSS_TRY(fs.sync_directory(parent_path(path)));
  auto opened = fs.open_file(path, open_flags::existing);
  if (!opened) return opened.err();
  return std::make_unique<record_writer>(std::move(*opened), file_header_bytes,
                                         preallocate_bytes, secret);
}

} // namespace pss::storage
