#include <doctest/doctest.h>

#include "core/prng.hpp"
#include "storage/record_file.hpp"
#include "test_support.hpp"

using namespace pss;
using namespace pss::storage;
using pss::storage::test::contains;

namespace {

// A record file whose records were written in the given batches (each batch
// one write and one sync), with `zero_tail` zero bytes of preallocation.
bytes build_file(const std::vector<std::vector<bytes>>& batches, std::size_t zero_tail = 0) {
  bytes out = encode_file_header(record_file_kind::journal, 1);
  for (const auto& batch : batches) {
    const std::uint64_t start = out.size();
    for (const auto& payload : batch) encode_record(out, out.size(), start, payload);
  }
  out.resize(out.size() + zero_tail, 0);
  return out;
}

bytes payload(std::uint8_t tag, std::size_t size = 40) { return bytes(size, tag); }

std::vector<bytes> payloads_of(const scanned_file& f) {
  std::vector<bytes> out;
  for (const auto& r : f.records) out.emplace_back(r.payload.begin(), r.payload.end());
  return out;
}

} // namespace

TEST_CASE("record file: records written in batches read back in order") {
  const auto file = build_file({{payload(1), payload(2)}, {payload(3, 0)}, {payload(4, 1000)}}, 512);
  auto scanned = scan_record_file(file, "f", record_file_kind::journal, true);
  REQUIRE(scanned.ok());
  CHECK(payloads_of(*scanned) == std::vector<bytes>{payload(1), payload(2), payload(3, 0),
                                                    payload(4, 1000)});
  CHECK_FALSE(scanned->warning.has_value());
  CHECK_FALSE(scanned->needs_repair);
  CHECK(scanned->end == file.size() - 512);
}

TEST_CASE("record file: a file of another kind or with a damaged header is refused") {
  auto file = build_file({{payload(1)}});
  CHECK(scan_record_file(file, "f", record_file_kind::log_segment, true).err().code()
        == errc::corrupt);
  file[3] ^= 1;
  auto bad = scan_record_file(file, "seg-file", record_file_kind::journal, true);
  REQUIRE_FALSE(bad.ok());
  CHECK(contains(bad.err().message(), "seg-file"));
  CHECK(scan_record_file(byte_view{file}.first(10), "f", record_file_kind::journal, true)
          .err().code() == errc::corrupt);
}

TEST_CASE("record file: a cut at every offset of the last record leaves exactly the earlier ones") {
  const auto whole = build_file({{payload(1)}, {payload(2)}, {payload(3)}});
  const std::size_t last_start = whole.size() - record_bytes(40);
  for (std::size_t cut = last_start; cut < whole.size(); ++cut) {
    for (bool zero_fill : {false, true}) {
      bytes file(whole.begin(), whole.begin() + static_cast<std::ptrdiff_t>(cut));
      if (zero_fill) file.resize(whole.size() + 64, 0);
      auto scanned = scan_record_file(file, "f", record_file_kind::journal, true);
      REQUIRE(scanned.ok());
      CHECK(payloads_of(*scanned) == std::vector<bytes>{payload(1), payload(2)});
      CHECK(scanned->end == last_start);
      // Only a cut exactly at the record boundary leaves no damaged bytes.
      CHECK(scanned->warning.has_value() == (cut > last_start));
    }
  }
}

TEST_CASE("record file: damage in a synced batch followed by a later batch is refused with file and offset") {
  auto file = build_file({{payload(1)}, {payload(2)}, {payload(3)}});
  const std::size_t second = file_header_bytes + record_bytes(40);
  file[second + record_header_bytes + 5] ^= 0x40;
  auto scanned = scan_record_file(file, "/data/log-x.seg", record_file_kind::journal, true);
  REQUIRE_FALSE(scanned.ok());
  CHECK(scanned.err().code() == errc::corrupt);
  CHECK(contains(scanned.err().message(), "/data/log-x.seg at offset " + std::to_string(second)));
}

TEST_CASE("record file: damage inside the final unsynced batch drops that batch from the damage on") {
  // Sectors of one unsynced write can reach the disk in any order, so intact
  // records after a damaged one in the same final batch are not acknowledged.
  auto file = build_file({{payload(1)}, {payload(2), payload(3), payload(4)}});
  const std::size_t second = file_header_bytes + record_bytes(40);
  file[second + record_header_bytes] ^= 0xff;
  auto scanned = scan_record_file(file, "f", record_file_kind::journal, true);
  REQUIRE(scanned.ok());
  CHECK(payloads_of(*scanned) == std::vector<bytes>{payload(1)});
  REQUIRE(scanned->warning.has_value());
  CHECK(contains(*scanned->warning, "final write batch"));
  CHECK(scanned->needs_repair);
  // The same damage in a file that is not the last one is refused.
  CHECK(scan_record_file(file, "f", record_file_kind::journal, false).err().code()
        == errc::corrupt);
}

TEST_CASE("record file: a record copied into another record's payload is never read as a record") {
  bytes inner;
  encode_record(inner, file_header_bytes, file_header_bytes, payload(9));
  // Payload 2 carries a valid-looking record; then payload 2's own header is
  // damaged. The copy sits at another offset, so its checksum fails there.
  auto file = build_file({{payload(1)}, {inner}, {payload(3, 8)}});
  auto scanned = scan_record_file(file, "f", record_file_kind::journal, true);
  REQUIRE(scanned.ok());
  CHECK(scanned->records.size() == 3);
}

TEST_CASE("record file: random damage never crashes and never yields records that were not written") {
  const std::vector<bytes> written{payload(1), payload(2, 100), payload(3, 7), payload(4),
                                   payload(5, 300)};
  const auto whole = build_file({{written[0]}, {written[1], written[2]}, {written[3]},
                                 {written[4]}}, 256);
  prng rng{2024};
  for (int round = 0; round < 2000; ++round) {
    bytes file = whole;
    const int flips = 1 + static_cast<int>(rng.below(4));
    for (int i = 0; i < flips; ++i)
      file[rng.below(file.size())] ^= static_cast<std::uint8_t>(1 + rng.below(255));
    if (rng.chance(0.3)) file.resize(rng.below(file.size() + 1));
    auto scanned = scan_record_file(file, "f", record_file_kind::journal, true);
    if (!scanned) {
      CHECK(scanned.err().code() == errc::corrupt);
      continue;
    }
    const auto got = payloads_of(*scanned);
    REQUIRE(got.size() <= written.size());
    for (std::size_t i = 0; i < got.size(); ++i) CHECK(got[i] == written[i]);
  }
  // Pure garbage after a valid header.
  for (int round = 0; round < 200; ++round) {
    bytes file = encode_file_header(record_file_kind::journal, 1);
    file.resize(file.size() + rng.below(2000));
    for (std::size_t i = file_header_bytes; i < file.size(); ++i)
      file[i] = static_cast<std::uint8_t>(rng.next_u64());
    auto scanned = scan_record_file(file, "f", record_file_kind::journal, true);
    if (scanned) CHECK(scanned->records.empty());
  }
}
