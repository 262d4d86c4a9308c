// The Raft storage's own files, encoded and decoded: segment names, the
// hard-state slots and the snapshot file (docs/storage.md). Used by
// segmented_raft_storage.cpp; bytes read back are hostile (a damaged disk)
// and every decoder answers them with a value, nothing, or an error.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.hpp"
#include "core/result.hpp"
#include "raft/types.hpp"

namespace pss::storage::raft_files {

inline constexpr std::string_view hard_state_file_name = "hard-state";
inline constexpr std::string_view snapshot_file_name = "snapshot";
inline constexpr std::string_view segment_prefix = "log-";
inline constexpr std::string_view segment_suffix = ".seg";
inline constexpr std::size_t segment_index_digits = 20;

inline constexpr std::uint32_t hard_state_magic = 0x53485350u; // "PSHS"
inline constexpr std::uint32_t hard_state_format_version = 1;
inline constexpr std::uint64_t hard_state_slot_bytes = 4096;
inline constexpr std::size_t hard_state_record_bytes = 44;

inline constexpr std::array<std::uint8_t, 8> snapshot_magic{'P', 'S', 'S', 'S', 'N', 'A', 'P', '1'};
inline constexpr std::uint32_t snapshot_format_version = 1;

struct hard_state_slot {
  std::uint64_t sequence;
  raft::hard_state state;
};

struct decoded_snapshot {
  raft::snapshot_meta meta;
  byte_view data; // into the buffer passed in
};

[[nodiscard]] std::optional<log_index> parse_segment_name(std::string_view name);
[[nodiscard]] bool is_known_file(std::string_view name);
[[nodiscard]] bytes encode_hard_state_slot(std::uint64_t sequence, const raft::hard_state& hs);
[[nodiscard]] std::optional<hard_state_slot> decode_hard_state_slot(byte_view data);
// The valid slot with the highest sequence; the offsets of damaged slots go to `damaged`.
[[nodiscard]] std::optional<hard_state_slot> newest_slot(byte_view file, std::vector<std::uint64_t>* damaged);
[[nodiscard]] bytes encode_snapshot_file(const raft::snapshot_meta& meta, byte_view data);
[[nodiscard]] result<decoded_snapshot> decode_snapshot_file(byte_view file, const std::string& path);

} // namespace pss::storage::raft_files
