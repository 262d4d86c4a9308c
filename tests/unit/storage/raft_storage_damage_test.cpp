// Damage, identity and atomicity tests for the Raft storage on real files.
#include <doctest/doctest.h>

#include "storage/record_file.hpp"
#include "storage/segmented_raft_storage.hpp"
#include "test_support.hpp"

using namespace pss;
using namespace pss::storage;
using namespace pss::storage::test;

namespace {

using fixture = raft_fixture;

std::uint64_t record_offset(std::uint64_t index_in_segment) {
  return file_header_bytes + index_in_segment * record_bytes(85);
}

} // namespace

TEST_CASE("storage: a torn last record is truncated at open, cut at every byte offset") {
  fixture f;
  f.write_entries(4);
  const bytes whole = read_all(f.first_segment);
  const std::uint64_t last = record_offset(3);
  // The record proper; its zero padding may be lost without harm.
  const std::uint64_t last_end = last + record_header_bytes + 85;
  for (std::uint64_t cut = last; cut < last_end; ++cut) {
    // As a crash leaves a preallocated segment: the record's first bytes,
    // then zeroes.
    bytes torn = whole;
    std::fill(torn.begin() + static_cast<std::ptrdiff_t>(cut), torn.end(), 0);
    write_all(f.first_segment, torn);
    auto s = f.try_open();
    REQUIRE_MESSAGE(s.ok(), s.err().describe());
    CHECK(s->state.entries == make_entries(1, 3, 1));
    REQUIRE(s->state.warnings.size() == (cut > last ? 1u : 0u));
    if (cut > last) {
      CHECK(contains(s->state.warnings[0], f.first_segment + " at offset " + std::to_string(last)));
    }
  }
  // After the repair the log accepts entry 4 again and keeps it.
  {
    auto s = f.try_open();
    REQUIRE(s.ok());
    REQUIRE(s->storage->append(make_entries(4, 5, 2)).ok());
    REQUIRE(s->storage->sync().ok());
  }
  auto s = f.try_open();
  REQUIRE(s.ok());
  CHECK(s->state.warnings.empty());
  CHECK(s->state.entries.size() == 5);
  CHECK(s->state.entries[3] == make_entry(4, 2));
}

TEST_CASE("storage: a file cut short inside its last record is repaired the same way") {
  fixture f;
  f.write_entries(3);
  const bytes whole = read_all(f.first_segment);
  const std::uint64_t last = record_offset(2);
  for (std::uint64_t cut = last + 1; cut < record_offset(3); cut += 7) {
    write_all(f.first_segment, bytes(whole.begin(), whole.begin() + static_cast<std::ptrdiff_t>(cut)));
    auto s = f.try_open();
    REQUIRE(s.ok());
    CHECK(s->state.entries == make_entries(1, 2, 1));
    CHECK(s->state.warnings.size() == 1);
  }
}

TEST_CASE("storage: a flipped byte in the last record is cut off with a warning") {
  fixture f;
  f.write_entries(3);
  const bytes whole = read_all(f.first_segment);
  for (std::uint64_t at = record_offset(2); at < record_offset(2) + 109; ++at) {
    bytes damaged = whole;
    damaged[at] ^= 0x20;
    write_all(f.first_segment, damaged);
    auto s = f.try_open();
    REQUIRE(s.ok());
    CHECK(s->state.entries == make_entries(1, 2, 1));
    REQUIRE(s->state.warnings.size() == 1);
    CHECK(contains(s->state.warnings[0], "offset " + std::to_string(record_offset(2))));
  }
}

TEST_CASE("storage: a flipped byte in a middle record is refused with file and offset") {
  fixture f;
  f.write_entries(5);
  bytes damaged = read_all(f.first_segment);
  damaged[record_offset(1) + 40] ^= 0x01;
  write_all(f.first_segment, damaged);
  auto s = f.try_open();
  REQUIRE_FALSE(s.ok());
  CHECK(s.err().code() == errc::corrupt);
  CHECK(contains(s.err().message(), f.first_segment + " at offset " + std::to_string(record_offset(1))));
  CHECK(contains(s.err().message(), "rejoin"));
  // Nothing was repaired behind the operator's back: the file is unchanged.
  CHECK(read_all(f.first_segment) == damaged);
}

TEST_CASE("storage: damage in an earlier segment followed by later segments is refused") {
  fixture f;
  f.write_entries(50); // two segments
  bytes damaged = read_all(f.first_segment);
  damaged[record_offset(35) + 30] ^= 0x80; // the last record of the first segment
  write_all(f.first_segment, damaged);
  auto s = f.try_open();
  REQUIRE_FALSE(s.ok());
  CHECK(s.err().code() == errc::corrupt);
  CHECK(contains(s.err().message(), segment_file_name(log_index{37})));
}

TEST_CASE("storage: a foreign data directory is refused") {
  fixture f;
  f.write_entries(1);
  auto other_node = f.try_open(open_mode::initialise, test_identity(2));
  REQUIRE_FALSE(other_node.ok());
  CHECK(other_node.err().code() == errc::mismatch);
  CHECK(contains(other_node.err().message(), f.dir));
  CHECK(contains(other_node.err().message(), "node 1"));
  auto other_cluster = f.try_open(open_mode::existing, {"another-cluster", node_id{1}});
  REQUIRE_FALSE(other_cluster.ok());
  CHECK(other_cluster.err().code() == errc::mismatch);
  // Refusing changed nothing.
  auto s = f.try_open();
  REQUIRE(s.ok());
  CHECK(s->state.entries.size() == 1);
}

TEST_CASE("storage: an empty or missing data directory is reported distinctly") {
  fixture f;
  auto missing = f.try_open();
  REQUIRE_FALSE(missing.ok());
  CHECK(is_empty_data_dir(missing.err()));
  CHECK(contains(missing.err().message(), "new incarnation"));
  std::filesystem::create_directory(f.dir);
  auto empty = f.try_open();
  REQUIRE_FALSE(empty.ok());
  CHECK(is_empty_data_dir(empty.err()));
  // A directory whose initialisation was interrupted (no identity yet) is
  // empty too, and initialise finishes it.
  write_all(f.dir + "/hard-state", bytes(10, 1));
  auto interrupted = f.try_open();
  REQUIRE_FALSE(interrupted.ok());
  CHECK(is_empty_data_dir(interrupted.err()));
  auto created = f.try_open(open_mode::initialise);
  REQUIRE(created.ok());
  CHECK(created->initialised);
  // Damage is never reported as empty.
  f.write_entries(0);
  std::filesystem::remove(f.dir + "/hard-state");
  auto damaged = f.try_open();
  REQUIRE_FALSE(damaged.ok());
  CHECK_FALSE(is_empty_data_dir(damaged.err()));
  CHECK(damaged.err().code() == errc::corrupt);
}

TEST_CASE("storage: a file pss did not write makes the directory refused") {
  fixture f;
  f.write_entries(1);
  write_all(f.dir + "/notes.txt", bytes{1});
  auto s = f.try_open();
  REQUIRE_FALSE(s.ok());
  CHECK(s.err().code() == errc::conflict);
  CHECK(contains(s.err().message(), "notes.txt"));
}

TEST_CASE("storage: a damaged identity file is refused, not treated as empty") {
  fixture f;
  f.write_entries(1);
  bytes id = read_all(f.dir + "/identity");
  id[10] ^= 1;
  write_all(f.dir + "/identity", id);
  auto s = f.try_open();
  REQUIRE_FALSE(s.ok());
  CHECK(s.err().code() == errc::corrupt);
  CHECK(contains(s.err().message(), f.dir + "/identity"));
}

TEST_CASE("storage: a torn hard state write leaves the previous hard state") {
  fixture f;
  f.write_entries(3);
  const raft::hard_state old_hs{term_id{4}, node_id{1}, log_index{2}};
  const raft::hard_state new_hs{term_id{5}, node_id{3}, log_index{3}};
  {
    auto s = f.try_open();
    REQUIRE(s.ok());
    REQUIRE(s->storage->save_hard_state(old_hs).ok());
    REQUIRE(s->storage->save_hard_state(new_hs).ok());
  }
  const std::string path = f.dir + "/hard-state";
  const bytes both = read_all(path);
  // Sequence 1 (init) went to slot 1, 2 (old_hs) to slot 0, 3 (new_hs) to slot 1.
  for (std::size_t at = 4096; at < 4096 + 44; at += 5) {
    bytes torn = both;
    torn[at] ^= 0x11;
    write_all(path, torn);
    auto s = f.try_open();
    REQUIRE(s.ok());
    CHECK(s->state.hard_state == old_hs);
    CHECK(s->state.warnings.size() == 1);
  }
  write_all(path, both);
  auto s = f.try_open();
  REQUIRE(s.ok());
  CHECK(s->state.hard_state == new_hs);
}

TEST_CASE("storage: a hard state whose commit is ahead of the log is refused") {
  fixture f;
  f.write_entries(3);
  {
    auto s = f.try_open();
    REQUIRE(s.ok());
    REQUIRE(s->storage->save_hard_state({term_id{1}, node_id{1}, log_index{3}}).ok());
  }
  bytes damaged = read_all(f.first_segment);
  std::fill(damaged.begin() + static_cast<std::ptrdiff_t>(record_offset(2)), damaged.end(), 0);
  write_all(f.first_segment, damaged);
  auto s = f.try_open();
  REQUIRE_FALSE(s.ok());
  CHECK(s.err().code() == errc::corrupt);
  CHECK(contains(s.err().message(), "committed"));
}

TEST_CASE("storage: a damaged snapshot is refused") {
  fixture f;
  f.write_entries(3);
  {
    auto s = f.try_open();
    REQUIRE(s.ok());
    REQUIRE(s->storage->save_snapshot({log_index{2}, term_id{1}, {}}, bytes(50, 3)).ok());
  }
  bytes snap = read_all(f.dir + "/snapshot");
  snap[snap.size() / 2] ^= 4;
  write_all(f.dir + "/snapshot", snap);
  auto s = f.try_open();
  REQUIRE_FALSE(s.ok());
  CHECK(s.err().code() == errc::corrupt);
  CHECK(contains(s.err().message(), f.dir + "/snapshot"));
}

TEST_CASE("storage: a leftover temporary file is removed at open with a warning") {
  fixture f;
  f.write_entries(2);
  write_all(f.dir + "/snapshot.tmp", bytes(100, 7));
  auto s = f.try_open();
  REQUIRE(s.ok());
  CHECK_FALSE(std::filesystem::exists(f.dir + "/snapshot.tmp"));
  REQUIRE(s->state.warnings.size() == 1);
  CHECK(contains(s->state.warnings[0], "snapshot.tmp"));
}

TEST_CASE("storage: segments the snapshot covers are removed at open without being read") {
  fixture f;
  f.write_entries(100); // segments start at 1, 37 and 73
  {
    auto s = f.try_open();
    REQUIRE(s.ok());
    REQUIRE(s->storage->save_snapshot({log_index{80}, term_id{1}, {}}, bytes{1}).ok());
  }
  // As after a crash in the middle of compaction; the covered segment is
  // even damaged, which must not matter.
  write_all(f.first_segment, bytes(100, 0xee));
  auto s = f.try_open();
  REQUIRE_MESSAGE(s.ok(), s.err().describe());
  CHECK(s->state.entries == make_entries(81, 100, 1));
  CHECK_FALSE(std::filesystem::exists(f.first_segment));
  CHECK_FALSE(std::filesystem::exists(f.dir + "/" + segment_file_name(log_index{37})));
}
