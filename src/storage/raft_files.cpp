#include "storage/raft_files.hpp"

#include <algorithm>

#include "core/check.hpp"
#include "storage/crc32c.hpp"
#include "storage/segmented_raft_storage.hpp"

namespace pss::storage::raft_files {

std::optional<log_index> parse_segment_name(std::string_view name) {
  if (name.size() != segment_prefix.size() + segment_index_digits + segment_suffix.size()
      || name.substr(0, segment_prefix.size()) != segment_prefix
      || name.substr(name.size() - segment_suffix.size()) != segment_suffix)
    return std::nullopt;
  std::uint64_t value = 0;
  for (char c : name.substr(segment_prefix.size(), segment_index_digits)) {
    if (c < '0' || c > '9') return std::nullopt;
    if (value > (UINT64_MAX - 9) / 10) return std::nullopt;
    value = value * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return log_index{value};
}

bool is_known_file(std::string_view name) {
  return name == hard_state_file_name || name == snapshot_file_name
         || parse_segment_name(name).has_value();
}

bytes encode_hard_state_slot(std::uint64_t sequence, const raft::hard_state& hs) {
  byte_writer w;
  w.u32(hard_state_magic);
  w.u32(hard_state_format_version);
  w.u64(sequence);
  raft::encode(w, hs);
  seal_with_crc32c(w.data());
  PSS_CHECK(w.data().size() == hard_state_record_bytes);
  return w.take();
}

std::optional<hard_state_slot> decode_hard_state_slot(byte_view data) {
  if (data.size() < hard_state_record_bytes) return std::nullopt;
  const auto body = checksummed_body(data.first(hard_state_record_bytes));
  if (!body) return std::nullopt;
  byte_reader in{*body};
  if (in.u32() != hard_state_magic || in.u32() != hard_state_format_version) return std::nullopt;
  hard_state_slot slot{};
  slot.sequence = in.u64();
  slot.state = raft::decode_hard_state(in);
  if (!in.finish("hard state").ok()) return std::nullopt;
  return slot;
}

// The newer of the hard state file's two intact slots; `damaged` names each
// slot that is neither intact nor all zeroes (a torn write).
std::optional<hard_state_slot> newest_slot(byte_view file, std::vector<std::uint64_t>* damaged) {
  std::optional<hard_state_slot> best;
  for (std::uint64_t slot = 0; slot < 2; ++slot) {
    const std::uint64_t at = slot * hard_state_slot_bytes;
    const auto region = at < file.size()
                          ? file.subspan(at, std::min<std::uint64_t>(hard_state_record_bytes, file.size() - at))
                          : byte_view{};
    auto decoded = decode_hard_state_slot(region);
    if (!decoded) {
      if (damaged && !std::all_of(region.begin(), region.end(), [](std::uint8_t b) { return b == 0; }))
        damaged->push_back(slot);
      continue;
    }
    if (!best || decoded->sequence > best->sequence) best = decoded;
  }
  return best;
}

bytes encode_snapshot_file(const raft::snapshot_meta& meta, byte_view data) {
  byte_writer w;
  w.raw(snapshot_magic);
  w.u32(snapshot_format_version);
  byte_writer meta_bytes;
  raft::encode(meta_bytes, meta);
  w.blob(meta_bytes.data());
  w.u64(data.size());
  w.raw(data);
  seal_with_crc32c(w.data());
  return w.take();
}

result<decoded_snapshot> decode_snapshot_file(byte_view file, const std::string& path) {
  const auto damaged = [&](const std::string& what) {
    return error{errc::corrupt,
                 path + " is damaged (" + what
                   + "). Snapshots are replaced atomically, so this is damage, not a crash: "
                     "the node cannot rebuild its state machine. Move the data directory aside "
                     "and let this node rejoin as a new member"};
  };
  const auto body = checksummed_body(file);
  if (!body) return damaged("checksum mismatch or too short");
  byte_reader in{*body};
  const auto magic = in.raw(snapshot_magic.size());
  if (!std::equal(magic.begin(), magic.end(), snapshot_magic.begin()))
    return damaged("wrong magic number");
  if (const auto version = in.u32(); version != snapshot_format_version)
    return damaged("format version " + std::to_string(version) + " is not supported");
  byte_reader meta_in{in.blob(snapshot_meta_bytes_max)};
  decoded_snapshot out;
  out.meta = raft::decode_snapshot_meta(meta_in);
  if (auto st = meta_in.finish("snapshot metadata"); !st) return damaged(st.err().message());
  const std::uint64_t length = in.u64();
  if (length != in.remaining()) return damaged("the data length does not match the file size");
  out.data = in.raw(length);
  if (auto st = in.finish("snapshot"); !st) return damaged(st.err().message());
  return out;
}

} // namespace pss::storage::raft_files
