#include <doctest/doctest.h>

#include "core/prng.hpp"
#include "storage/sim_disk.hpp"
#include "test_support.hpp"

using namespace pss;
using namespace pss::storage;
using namespace pss::storage::test;

using fixture = raft_fixture;

TEST_CASE("storage: entries, hard state and snapshot round trip through a reopen") {
  fixture f;
  const raft::hard_state hs{term_id{3}, node_id{2}, log_index{4}};
  const raft::snapshot_meta meta{log_index{2}, term_id{1},
                                 raft::configuration{{node_id{1}, node_id{2}}, {node_id{3}}}};
  const bytes snapshot_data{9, 8, 7};
  auto entries = make_entries(1, 5, 1);
  {
    auto s = f.open(open_mode::initialise);
    CHECK(s.initialised);
    CHECK(s.state.entries.empty());
    CHECK(s.state.hard_state == raft::hard_state{});
    REQUIRE(s.storage->append(entries).ok());
    REQUIRE(s.storage->sync().ok());
    REQUIRE(s.storage->save_hard_state(hs).ok());
    REQUIRE(s.storage->save_snapshot(meta, snapshot_data).ok());
    CHECK(s.storage->last_index() == log_index{5});
  }
  auto s = f.open();
  CHECK_FALSE(s.initialised);
  CHECK(s.state.warnings.empty());
  CHECK(s.state.hard_state == hs);
  CHECK(s.state.snapshot == meta);
  // The snapshot covers 1..2; the log after it is returned.
  CHECK(s.state.entries == std::vector<raft::entry>(entries.begin() + 2, entries.end()));
  auto data = s.storage->read_snapshot();
  REQUIRE(data.ok());
  CHECK(*data == snapshot_data);
}

TEST_CASE("storage: appended entries are not durable until sync") {
  fixture f;
  {
    auto s = f.open(open_mode::initialise);
    REQUIRE(s.storage->append(make_entries(1, 3, 1)).ok());
    REQUIRE(s.storage->sync().ok());
    REQUIRE(s.storage->append(make_entries(4, 6, 1)).ok());
    // Dropped without sync: a process crash loses the buffered entries.
  }
  auto s = f.open();
  CHECK(s.state.entries == make_entries(1, 3, 1));
  CHECK(s.storage->last_index() == log_index{3});
}

TEST_CASE("storage: a restart from a snapshot plus log suffix restores the configuration") {
  fixture f;
  const raft::configuration config{{node_id{1}, node_id{4}}, {}};
  {
    auto s = f.open(open_mode::initialise);
    REQUIRE(s.storage->append(make_entries(1, 40, 2)).ok());
    REQUIRE(s.storage->sync().ok());
    REQUIRE(s.storage->save_snapshot({log_index{30}, term_id{2}, config}, bytes{1}).ok());
    REQUIRE(s.storage->compact(log_index{30}).ok());
    REQUIRE(s.storage->append(make_entries(41, 45, 3)).ok());
    REQUIRE(s.storage->sync().ok());
  }
  auto s = f.open();
  CHECK(s.state.snapshot.config == config);
  CHECK(s.state.snapshot.last_index == log_index{30});
  auto expected = make_entries(31, 40, 2);
  for (auto& e : make_entries(41, 45, 3)) expected.push_back(e);
  CHECK(s.state.entries == expected);
}

TEST_CASE("storage: conflict truncation then append survives a reopen") {
  fixture f;
  {
    auto s = f.open(open_mode::initialise);
    REQUIRE(s.storage->append(make_entries(1, 60, 1)).ok()); // spans several segments
    REQUIRE(s.storage->sync().ok());
    REQUIRE(f.segment_count() > 1);
    REQUIRE(s.storage->truncate_suffix(log_index{7}).ok());
    CHECK(s.storage->last_index() == log_index{6});
    REQUIRE(s.storage->append(make_entries(7, 9, 2)).ok());
    REQUIRE(s.storage->sync().ok());
    // Truncating only buffered entries works too.
    REQUIRE(s.storage->append(make_entries(10, 12, 2)).ok());
    REQUIRE(s.storage->truncate_suffix(log_index{11}).ok());
    REQUIRE(s.storage->sync().ok());
  }
  auto s = f.open();
  CHECK(s.state.warnings.empty());
  auto expected = make_entries(1, 6, 1);
  for (auto& e : make_entries(7, 10, 2)) expected.push_back(e);
  CHECK(s.state.entries == expected);
}

TEST_CASE("storage: append refuses gaps, overlaps and falling terms; truncation refuses the snapshot") {
  fixture f;
  auto s = f.open(open_mode::initialise);
  REQUIRE(s.storage->append(make_entries(1, 3, 2)).ok());
  CHECK(s.storage->append(make_entries(5, 5, 2)).err().code() == errc::invalid_argument);
  CHECK(s.storage->append(make_entries(3, 3, 2)).err().code() == errc::invalid_argument);
  CHECK(s.storage->append(make_entries(4, 4, 1)).err().code() == errc::invalid_argument);
  REQUIRE(s.storage->sync().ok());
  REQUIRE(s.storage->save_snapshot({log_index{2}, term_id{2}, {}}, {}).ok());
  CHECK(s.storage->truncate_suffix(log_index{2}).err().code() == errc::invalid_argument);
  CHECK(s.storage->truncate_suffix(log_index{9}).err().code() == errc::invalid_argument);
  CHECK(s.storage->compact(log_index{3}).err().code() == errc::invalid_argument);
  CHECK(s.storage->save_snapshot({log_index{1}, term_id{2}, {}}, {}).err().code()
        == errc::conflict);
  // Refusals change nothing: the storage keeps working.
  CHECK(s.storage->append(make_entries(4, 4, 2)).ok());
}

TEST_CASE("storage: compaction removes the segments a snapshot covers") {
  fixture f;
  {
    auto s = f.open(open_mode::initialise);
    REQUIRE(s.storage->append(make_entries(1, 200, 1)).ok());
    REQUIRE(s.storage->sync().ok());
    const auto before = f.segment_count();
    REQUIRE(before >= 5);
    REQUIRE(s.storage->save_snapshot({log_index{150}, term_id{1}, {}}, bytes(100, 1)).ok());
    REQUIRE(s.storage->compact(log_index{150}).ok());
    CHECK(f.segment_count() < before);
    CHECK(f.segment_count() >= 2);
  }
  auto s = f.open();
  CHECK(s.state.entries == make_entries(151, 200, 1));
}

TEST_CASE("storage: segments roll over at the configured size") {
  fixture f;
  {
    auto s = f.open(open_mode::initialise);
    for (std::uint64_t i = 1; i <= 100; ++i) {
      REQUIRE(s.storage->append(make_entries(i, i, 1)).ok());
      REQUIRE(s.storage->sync().ok());
    }
  }
  // 100 records of 112 bytes in 4096-byte segments: 36 fit in each.
  CHECK(f.segment_count() == 3);
  CHECK(std::filesystem::exists(f.dir + "/" + segment_file_name(log_index{37})));
  CHECK(std::filesystem::exists(f.dir + "/" + segment_file_name(log_index{73})));
  auto s = f.open();
  CHECK(s.state.entries == make_entries(1, 100, 1));
  // An entry larger than a segment gets a segment of its own.
  REQUIRE(s.storage->append(make_entries(101, 101, 1, 10000)).ok());
  REQUIRE(s.storage->append(make_entries(102, 102, 1)).ok());
  REQUIRE(s.storage->sync().ok());
  auto again = f.open();
  CHECK(again.state.entries.size() == 102);
  CHECK(again.state.entries[100].data.size() == 10000);
}

TEST_CASE("storage: a snapshot beyond the log discards the log (Raft section 7)") {
  fixture f;
  {
    auto s = f.open(open_mode::initialise);
    REQUIRE(s.storage->append(make_entries(1, 10, 1)).ok());
    REQUIRE(s.storage->sync().ok());
    // A leader's snapshot at 50: the log does not hold entry 50.
    REQUIRE(s.storage->save_snapshot({log_index{50}, term_id{3}, {}}, bytes{5}).ok());
    CHECK(s.storage->last_index() == log_index{50});
    REQUIRE(s.storage->append(make_entries(51, 52, 3)).ok());
    REQUIRE(s.storage->sync().ok());
  }
  {
    auto s = f.open();
    CHECK(s.state.entries == make_entries(51, 52, 3));
    // A snapshot whose last entry conflicts with the log also discards it.
    REQUIRE(s.storage->save_snapshot({log_index{52}, term_id{4}, {}}, bytes{6}).ok());
    CHECK(s.storage->last_index() == log_index{52});
  }
  auto s = f.open();
  CHECK(s.state.entries.empty());
  CHECK(s.state.snapshot.last_index == log_index{52});
  CHECK(f.segment_count() == 1);
}

TEST_CASE("storage: files are created 0600 in a 0700 directory") {
  fixture f;
  {
    auto s = f.open(open_mode::initialise);
    REQUIRE(s.storage->append(make_entries(1, 100, 1)).ok());
    REQUIRE(s.storage->sync().ok());
    REQUIRE(s.storage->save_snapshot({log_index{1}, term_id{1}, {}}, bytes{1}).ok());
  }
  CHECK(mode_of(f.dir) == 0700);
  for (const auto& entry : std::filesystem::directory_iterator(f.dir))
    CHECK_MESSAGE(mode_of(entry.path()) == 0600, entry.path());
}

TEST_CASE("storage: a commit saved without a sync survives a crash or falls back, never losing the term and vote") {
  for (std::uint64_t seed = 1; seed <= 40; ++seed) {
    sim_disk disk;
    const data_dir_identity identity{"commit-test", node_id{1}};
    const raft::hard_state durable{term_id{4}, node_id{1}, log_index{1}};
    {
      auto s = open_raft_storage(disk, "/raft", identity, open_mode::initialise);
      REQUIRE(s.ok());
      std::vector<raft::entry> es;
      for (std::uint64_t i = 1; i <= 5; ++i) es.push_back(raft::entry{term_id{4}, log_index{i}, raft::entry_kind::command, bytes{1, 2, 3}});
      REQUIRE(s->storage->append(es).ok());
      REQUIRE(s->storage->sync().ok());
      REQUIRE(s->storage->save_hard_state(durable).ok());
      for (std::uint64_t c = 2; c <= 5; ++c)
        REQUIRE(s->storage->save_commit(raft::hard_state{term_id{4}, node_id{1}, log_index{c}}).ok());
    }
    prng rng{seed};
    disk.crash(rng);
    auto s = open_raft_storage(disk, "/raft", identity, open_mode::existing);
    REQUIRE(s.ok());
    const auto& hs = s->state.hard_state;
    CHECK(hs.term == durable.term);
    CHECK(hs.vote == durable.vote);
    // Any commit saved since the durable one (a crash keeps a prefix of the
    // unsynced writes, and a torn slot falls back), never beyond the last.
    CHECK(hs.commit >= durable.commit);
    CHECK(hs.commit <= log_index{5});
    // What was read is synced at the open: the next writes never risk it.
    REQUIRE(s->storage->save_commit(raft::hard_state{term_id{4}, node_id{1}, log_index{5}}).ok());
    const raft::hard_state next{term_id{5}, node_id{2}, log_index{5}};
    REQUIRE(s->storage->save_hard_state(next).ok());
    disk.crash(rng);
    auto again = open_raft_storage(disk, "/raft", identity, open_mode::existing);
    REQUIRE(again.ok());
    CHECK(again->state.hard_state == next);
  }
}
