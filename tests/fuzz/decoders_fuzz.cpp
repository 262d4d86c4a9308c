// decoders_fuzz: libFuzzer over the decoders of bytes that come from
// the network or from disk, private ones through the opens of a data directory
// (tests/fuzz/README.md).
// The first input byte picks the decoder, the rest is its input; a decoder
// must answer any bytes with a value or an error, never a crash, a sanitizer
// report or an unbounded allocation. A decoded value that
// has an encoder must encode to something that decodes again.
//
// Built only by scripts/fuzz (clang, -fsanitize=fuzzer,address,undefined);
// every input that ever crashed is kept in tests/fuzz/crashes and replayed
// first.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "access/signed_request.hpp"
#include "audit/audit_log.hpp"
#include "core/check.hpp"
#include "crypto/batch.hpp"
#include "crypto/feldman.hpp"
#include "crypto/envelope.hpp"
#include "crypto/shamir.hpp"
#include "deploy/config.hpp"
#include "offline/share_text.hpp"
#include "raft/messages.hpp"
#include "raft/types.hpp"
#include "secrets/catalog.hpp"
#include "secrets/commands.hpp"
#include "secrets/messages.hpp"
#include "secrets/share_store.hpp"
#include "storage/crc32c.hpp"
#include "storage/data_dir.hpp"
#include "storage/journal.hpp"
#include "storage/raft_files.hpp"
#include "storage/record_file.hpp"
#include "storage/segmented_raft_storage.hpp"
#include "storage/sim_disk.hpp"

using namespace pss;

namespace {

// Decoding must succeed again on what a decoded value encodes to.
template <class Decoded, class Encode, class Decode>
void round_trip(const result<Decoded>& first, Encode encode, Decode decode) {
  if (!first.ok()) return;
  const bytes again = encode(*first);
  PSS_CHECK_MSG(decode(byte_view{again}).ok(), "a decoded value did not decode again after encoding");
}

// ---- data directories: the payloads of records, behind intact framing ----
// The share journal's and the Raft storage's own decoders are private to
// their files; these reach them through the public open, with the fuzz bytes
// inside valid framing (record headers, CRCs), as a damaged or hostile disk
// would present them.

const storage::data_dir_identity fuzz_identity{"fuzz", node_id{1}};
constexpr storage::log_options small_segments{4096};

// Records, each led by a one-byte length.
std::vector<byte_view> records_of(byte_view in) {
  std::vector<byte_view> out;
  while (!in.empty()) {
    const std::size_t n = std::min<std::size_t>(in[0], in.size() - 1);
    if (n > 0) out.push_back(in.subspan(1, n));
    in = in.subspan(1 + n);
  }
  return out;
}

void share_journal(byte_view in) {
  storage::sim_disk disk;
  {
    auto j = storage::open_journal(disk, "/shares", fuzz_identity, storage::open_mode::initialise);
    PSS_CHECK(j.ok());
    for (auto r : records_of(in)) PSS_CHECK(j->journal->append(r).ok());
    PSS_CHECK(j->journal->sync().ok());
  }
  (void)secrets::share_store::open(disk, "/shares", fuzz_identity, storage::open_mode::existing);
}

// A fresh Raft directory whose file `which` gets the fuzz bytes, reopened.
enum class raft_file { segment, hard_state, snapshot };

void raft_storage(raft_file which, byte_view in) {
  storage::sim_disk disk;
  PSS_CHECK(storage::open_raft_storage(disk, "/raft", fuzz_identity, storage::open_mode::initialise, small_segments).ok());
  for (const auto& [path, content] : disk.durable_files()) {
    if (which == raft_file::segment && path.ends_with(".seg")) {
      auto f = disk.open_file(path, storage::open_flags::existing);
      PSS_CHECK(f.ok());
      storage::record_writer w{std::move(*f), storage::file_header_bytes, small_segments.segment_bytes, false};
      for (auto r : records_of(in)) (void)w.add(r);
      PSS_CHECK(w.sync().ok());
    } else if (which == raft_file::hard_state && path.ends_with("/hard-state")) {
      bytes slot(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(std::min<std::size_t>(in.size(), 40)));
      storage::seal_with_crc32c(slot);
      bytes file = content;
      PSS_CHECK(file.size() >= slot.size());
      std::copy(slot.begin(), slot.end(), file.begin());
      PSS_CHECK(storage::write_file_atomically(disk, path, file).ok());
    }
  }
  if (which == raft_file::snapshot) {
    bytes file(in.begin(), in.end());
    storage::seal_with_crc32c(file);
    PSS_CHECK(storage::write_file_atomically(disk, "/raft/snapshot", file).ok());
  }
  (void)storage::open_raft_storage(disk, "/raft", fuzz_identity, storage::open_mode::existing, small_segments);
}

void decode_one(std::uint8_t which, byte_view in) {
  const std::string_view text{reinterpret_cast<const char*>(in.data()), in.size()};
  switch (which % 27) {
    case 0: round_trip(secrets::decode_wire_message(in), [](const auto& m) { return secrets::encode(m); },
                       [](byte_view b) { return secrets::decode_wire_message(b); }); break;
    case 1: round_trip(secrets::decode_command(in), [](const auto& c) { return secrets::encode_command(c); },
                       [](byte_view b) { return secrets::decode_command(b); }); break;
    case 2: (void)secrets::command_result_from_bytes(in); break;
    case 3: (void)secrets::catalog::restore(in); break;
    case 4: round_trip(raft::decode_envelope(in), [](const auto& e) { return raft::encode(e); },
                       [](byte_view b) { return raft::decode_envelope(b); }); break;
    case 5: (void)raft::configuration_from_bytes(in); break;
    case 6: (void)access::decode_signed_request_wire(in); break;
    case 7: (void)access::decode_signed_request(in); break;
    case 8: (void)audit::decode_record(in); break;
    case 9: (void)crypto::decode_share(in); break;
    case 10: (void)crypto::decode_sub_share(in); break;
    case 11: (void)crypto::commitment::decode(in, 1 + (in.empty() ? 0 : in[0] % 8)); break;
    case 12: (void)crypto::envelope::decode(in); break;
    case 13: (void)crypto::decode_bundle(in); break;
    case 14: (void)crypto::decode_bundle_chunk(in); break;
    case 15: (void)storage::scan_record_file(in, "fuzz", storage::record_file_kind::journal, true); break;
    case 16: (void)storage::scan_record_file(in, "fuzz", storage::record_file_kind::log_segment, false); break;
    case 17: (void)storage::decode_identity(in, "fuzz"); break;
    case 18: (void)offline::parse_line(text); break;
    case 19:
      (void)deploy::parse_node_config(text, "fuzz.toml", "/nonexistent");
      (void)deploy::parse_cluster_file(text, "fuzz.toml", "/nonexistent");
      break;
    case 20: share_journal(in); break;
    case 21: raft_storage(raft_file::segment, in); break;
    case 22: raft_storage(raft_file::hard_state, in); break;
    case 23: raft_storage(raft_file::snapshot, in); break;
    case 24: (void)storage::raft_files::decode_hard_state_slot(in); break;
    case 25: (void)storage::raft_files::newest_slot(in, nullptr); break;
    case 26: (void)storage::raft_files::decode_snapshot_file(in, "fuzz"); break;
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  decode_one(data[0], byte_view{data + 1, size - 1});
  return 0;
}
