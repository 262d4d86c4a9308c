// decoders_fuzz: libFuzzer over the public decoders of bytes that come from
// the network or from disk (tests/fuzz/README.md names what is not covered).
// The first input byte picks the decoder, the rest is its input; a decoder
// must answer any bytes with a value or an error, never a crash, a sanitizer
// report or an unbounded allocation. A decoded value that
// has an encoder must encode to something that decodes again.
//
// Built only by scripts/fuzz (clang, -fsanitize=fuzzer,address,undefined);
// every input that ever crashed is kept in tests/fuzz/crashes and replayed
// first.
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
#include "storage/data_dir.hpp"
#include "storage/record_file.hpp"

using namespace pss;

namespace {

// Decoding must succeed again on what a decoded value encodes to.
template <class Decoded, class Encode, class Decode>
void round_trip(const result<Decoded>& first, Encode encode, Decode decode) {
  if (!first.ok()) return;
  const bytes again = encode(*first);
  PSS_CHECK_MSG(decode(byte_view{again}).ok(), "a decoded value did not decode again after encoding");
}

void decode_one(std::uint8_t which, byte_view in) {
  const std::string_view text{reinterpret_cast<const char*>(in.data()), in.size()};
  switch (which % 20) {
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
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  decode_one(data[0], byte_view{data + 1, size - 1});
  return 0;
}
