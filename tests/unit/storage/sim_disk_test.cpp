// The simulated disk, and the Raft storage running on it under crashes.
#include <doctest/doctest.h>

#include <map>
#include <optional>

#include "core/prng.hpp"
#include "storage/record_file.hpp"
#include "storage/segmented_raft_storage.hpp"
#include "storage/sim_disk.hpp"
#include "test_support.hpp"

using namespace pss;
using namespace pss::storage;
using namespace pss::storage::test;

namespace {

constexpr log_options small_segments{4096};
const std::string dir = "/node/raft";

result<opened_raft_storage> open_sim(sim_disk& disk, open_mode mode = open_mode::existing) {
  return open_raft_storage(disk, dir, test_identity(), mode, small_segments);
}

bytes content(sim_disk& disk, const std::string& path) {
  auto files = disk.durable_files();
  auto it = files.find(path);
  return it == files.end() ? bytes{} : it->second;
}

} // namespace

TEST_CASE("sim disk: unsynced writes are lost on a crash and synced ones survive") {
  sim_disk disk;
  REQUIRE(disk.create_directory("/d").ok());
  REQUIRE(disk.sync_directory("/").ok());
  auto f = disk.open_file("/d/f", open_flags::create_truncate);
  REQUIRE(f.ok());
  REQUIRE(disk.sync_directory("/d").ok());
  REQUIRE((*f)->write_at(0, bytes{1, 2, 3}).ok());
  REQUIRE((*f)->sync().ok());
  REQUIRE((*f)->write_at(3, bytes(600, 9)).ok());
  CHECK(disk.current_contents("/d/f")->size() == 603);
  CHECK(content(disk, "/d/f") == bytes{1, 2, 3});
  // Over many seeds the unsynced write is kept, lost or torn, never invented.
  bool lost = false, kept = false, torn = false;
  for (std::uint64_t seed = 0; seed < 64; ++seed) {
    sim_disk copy;
    REQUIRE(copy.create_directory("/d").ok());
    REQUIRE(copy.sync_directory("/").ok());
    auto g = copy.open_file("/d/f", open_flags::create_truncate);
    REQUIRE(copy.sync_directory("/d").ok());
    REQUIRE((*g)->write_at(0, bytes{1, 2, 3}).ok());
    REQUIRE((*g)->sync().ok());
    REQUIRE((*g)->write_at(3, bytes(600, 9)).ok());
    prng rng{seed};
    copy.crash(rng);
    const bytes after = content(copy, "/d/f");
    REQUIRE(after.size() >= 3);
    CHECK(bytes(after.begin(), after.begin() + 3) == bytes{1, 2, 3});
    const auto nines = std::count(after.begin() + 3, after.end(), 9);
    lost |= nines == 0;
    kept |= nines == 600;
    torn |= nines > 0 && nines < 600;
  }
  CHECK(lost);
  CHECK(kept);
  CHECK(torn);
}

TEST_CASE("sim disk: a new name is durable only once its directory is synced") {
  sim_disk disk;
  REQUIRE(disk.create_directory("/d").ok());
  REQUIRE(disk.sync_directory("/").ok());
  auto f = disk.open_file("/d/f", open_flags::create_truncate);
  REQUIRE(f.ok());
  REQUIRE((*f)->write_at(0, bytes{1}).ok());
  REQUIRE((*f)->sync().ok());
  CHECK(disk.durable_files().empty());
  REQUIRE(disk.sync_directory("/d").ok());
  CHECK(disk.durable_files().size() == 1);
  REQUIRE(disk.remove("/d/f").ok());
  CHECK(disk.durable_files().size() == 1);
  REQUIRE(disk.sync_directory("/d").ok());
  CHECK(disk.durable_files().empty());
}

TEST_CASE("storage (simulated): a wiped disk is reported as empty, not silently reinitialised") {
  sim_disk disk;
  {
    auto s = open_sim(disk, open_mode::initialise);
    REQUIRE(s.ok());
    REQUIRE(s->storage->append(make_entries(1, 5, 1)).ok());
    REQUIRE(s->storage->sync().ok());
    REQUIRE(s->storage->save_hard_state({term_id{1}, node_id{1}, log_index{5}}).ok());
  }
  disk.wipe();
  CHECK(disk.durable_files().empty());
  auto s = open_sim(disk);
  REQUIRE_FALSE(s.ok());
  CHECK(is_empty_data_dir(s.err()));
}

TEST_CASE("storage (simulated): unsynced entries are lost on a crash, synced ones never") {
  bool some_lost = false, some_kept = false;
  for (std::uint64_t seed = 0; seed < 100; ++seed) {
    sim_disk disk;
    {
      auto s = open_sim(disk, open_mode::initialise);
      REQUIRE(s.ok());
      REQUIRE(s->storage->append(make_entries(1, 10, 1)).ok());
      REQUIRE(s->storage->sync().ok());
      REQUIRE(s->storage->append(make_entries(11, 20, 1)).ok());
      REQUIRE(s->storage->sync().ok());
      REQUIRE(s->storage->append(make_entries(21, 30, 2)).ok());
      // Written by the page cache but not synced: a crash decides.
      REQUIRE(s->storage->append(make_entries(31, 31, 2)).ok());
    }
    prng rng{seed};
    disk.crash(rng);
    auto s = open_sim(disk);
    REQUIRE_MESSAGE(s.ok(), s.err().describe());
    // Buffered entries never reached the disk: only synced ones come back.
    CHECK(s->state.entries.size() == 20);
    some_lost |= s->state.entries.size() == 20;
    some_kept |= s->state.entries.size() > 20;
  }
  CHECK(some_lost);
  CHECK_FALSE(some_kept);
}

// What the durability-on-send checker asks the disk: an entry is durable
// only once its sync succeeded, whatever the storage has buffered or written.
TEST_CASE("sim disk: an entry is durable through its record only after its sync, and a failed sync leaves it not durable") {
  sim_disk disk;
  auto s = open_sim(disk, open_mode::initialise);
  REQUIRE(s.ok());
  REQUIRE(s->storage->append(make_entries(1, 5, 1)).ok());
  REQUIRE(s->storage->sync().ok());
  auto at5 = s->storage->locate(log_index{5});
  REQUIRE(at5.has_value());
  CHECK(disk.durable_through(at5->path, at5->end));
  auto intact = [&](const entry_location& at) {
    auto file = disk.durable_view(at.path);
    return file && intact_record_at(*file, at.offset).has_value() && disk.durable_through(at.path, at.end);
  };
  CHECK(intact(*at5));
  REQUIRE(s->storage->append(make_entries(6, 8, 1)).ok());
  auto at8 = s->storage->locate(log_index{8});
  REQUIRE(at8.has_value());
  CHECK(at8->end > at5->end);
  CHECK_FALSE(intact(*at8)); // buffered only: zeroes on the medium
  // A failed sync aimed at the log (the hard state would pass) leaves the
  // written bytes unsynced.
  disk.fail_next_syncs(1, 0, dir);
  CHECK_FALSE(s->storage->sync().ok());
  CHECK_FALSE(disk.durable_through(at8->path, at8->end));
  CHECK_FALSE(intact(*at8));
  CHECK(intact(*at5));
  CHECK(disk.has_unsynced_under(dir));
  CHECK_FALSE(s->storage->locate(log_index{9}).has_value());
  // The durable hard state is what a reader of the file finds.
  auto hs_file = disk.durable_view(s->storage->hard_state_path());
  REQUIRE(hs_file.has_value());
  CHECK(newest_hard_state(*hs_file).has_value());
}

TEST_CASE("sim disk: a sync failure aimed at a directory spares the syncs of other files") {
  sim_disk disk;
  REQUIRE(disk.create_directory("/a").ok());
  REQUIRE(disk.create_directory("/b").ok());
  auto fa = disk.open_file("/a/f", open_flags::create_truncate);
  auto fb = disk.open_file("/b/f", open_flags::create_truncate);
  REQUIRE(fa.ok());
  REQUIRE(fb.ok());
  disk.fail_next_syncs(1, 0, "/b");
  REQUIRE((*fa)->write_at(0, bytes{1}).ok());
  CHECK((*fa)->sync().ok());
  CHECK(disk.sync_directory("/a").ok());
  REQUIRE((*fb)->write_at(0, bytes{2}).ok());
  CHECK_FALSE((*fb)->sync().ok());
  CHECK(disk.has_unsynced_under("/b"));
  CHECK(disk.fully_durable("/a/f"));
  CHECK_FALSE(disk.fully_durable("/b/f"));
}

TEST_CASE("storage (simulated): a torn last batch is detected by its checksum after a crash") {
  std::size_t warned = 0;
  for (std::uint64_t seed = 0; seed < 200; ++seed) {
    sim_disk disk;
    {
      auto s = open_sim(disk, open_mode::initialise);
      REQUIRE(s.ok());
      REQUIRE(s->storage->append(make_entries(1, 5, 1)).ok());
      REQUIRE(s->storage->sync().ok());
      REQUIRE(s->storage->append(make_entries(6, 12, 1)).ok());
      // The batch reaches the disk but its fdatasync fails: its sectors may
      // be partly on the medium when the power goes.
      disk.fail_next_syncs(1);
      CHECK_FALSE(s->storage->sync().ok());
      CHECK_FALSE(s->storage->append(make_entries(13, 13, 1)).ok()); // stopped
    }
    prng rng{seed};
    disk.crash(rng);
    auto s = open_sim(disk);
    REQUIRE_MESSAGE(s.ok(), s.err().describe());
    const auto& got = s->state.entries;
    REQUIRE(got.size() >= 5);
    REQUIRE(got.size() <= 12);
    CHECK(got == make_entries(1, got.size(), 1));
    warned += s->state.warnings.empty() ? 0 : 1;
  }
  CHECK(warned > 20);
}

TEST_CASE("storage (simulated): a crash while saving the hard state leaves the old or the new one") {
  const raft::hard_state old_hs{term_id{2}, node_id{1}, log_index{0}};
  const raft::hard_state new_hs{term_id{3}, node_id{2}, log_index{0}};
  std::size_t saw_old = 0, saw_new = 0;
  for (std::uint64_t seed = 0; seed < 100; ++seed) {
    sim_disk disk;
    {
      auto s = open_sim(disk, open_mode::initialise);
      REQUIRE(s.ok());
      REQUIRE(s->storage->save_hard_state(old_hs).ok());
      disk.fail_next_syncs(1);
      CHECK_FALSE(s->storage->save_hard_state(new_hs).ok());
    }
    prng rng{seed};
    disk.crash(rng);
    auto s = open_sim(disk);
    REQUIRE_MESSAGE(s.ok(), s.err().describe());
    const auto hs = s->state.hard_state;
    CHECK((hs == old_hs || hs == new_hs));
    saw_old += hs == old_hs ? 1 : 0;
    saw_new += hs == new_hs ? 1 : 0;
  }
  CHECK(saw_old > 0);
  CHECK(saw_new > 0);
}

namespace {

// A random workload against the storage with crashes between and inside
// operations. The model keeps the log as the node believes it (`current`)
// and the part a successful sync made durable (`acked`); after every crash
// the recovered log must hold all of `acked` and nothing `current` lacks.
struct crash_model {
  std::vector<raft::entry> current; // current[i] is entry i+1
  std::size_t acked = 0;            // entries 1..acked are durable
  log_index snapshot;
  raft::hard_state hs;
  std::optional<raft::hard_state> hs_maybe; // a save that failed mid-way
  std::uint64_t term = 1;
};

void check_recovered(const crash_model& m, const recovered_raft_state& got) {
  REQUIRE(got.snapshot.last_index == m.snapshot);
  CHECK((got.hard_state == m.hs || (m.hs_maybe && got.hard_state == *m.hs_maybe)));
  const std::size_t recovered_last = m.snapshot.value() + got.entries.size();
  REQUIRE(recovered_last >= m.acked);
  REQUIRE(recovered_last <= m.current.size());
  for (const auto& e : got.entries) REQUIRE(e == m.current[e.index.value() - 1]);
}

} // namespace

TEST_CASE("storage (simulated): random crashes never lose a synced entry nor invent one") {
  std::size_t crashes = 0, warnings = 0;
  for (std::uint64_t seed = 1; seed <= 300; ++seed) {
    prng rng{seed};
    sim_disk disk;
    crash_model m;
    auto opened = open_sim(disk, open_mode::initialise);
    REQUIRE(opened.ok());
    auto storage = std::move(opened->storage);
    for (int step = 0; step < 60; ++step) {
      const bool inject = rng.chance(0.08);
      if (inject) disk.fail_next_syncs(1 + rng.below(2), rng.below(3));
      const auto before = m;
      bool failed = false;
      const auto op = rng.below(100);
      if (op < 45) {
        if (rng.chance(0.1)) ++m.term;
        const std::uint64_t n = 1 + rng.below(8);
        const std::uint64_t first = m.current.size() + 1;
        auto batch = make_entries(first, first + n - 1, m.term, rng.below(200));
        // An append that rolls over to a new segment syncs, so it can fail.
        failed = !storage->append(batch).ok();
        m.current.insert(m.current.end(), batch.begin(), batch.end());
        if (!failed && rng.chance(0.7)) {
          failed = !storage->sync().ok();
          if (!failed) m.acked = m.current.size();
        }
      } else if (op < 60) {
        // Conflict truncation: never below the commit index or the snapshot.
        const std::uint64_t low = std::max(m.hs.commit, m.snapshot).value() + 1;
        if (m.current.size() >= low) {
          const std::uint64_t from = low + rng.below(m.current.size() - low + 1);
          failed = !storage->truncate_suffix(log_index{from}).ok();
          if (!failed) m.current.resize(from - 1);
          m.acked = std::min<std::size_t>(m.acked, from - 1);
        }
      } else if (op < 75) {
        raft::hard_state next{term_id{m.term}, node_id{1 + rng.below(3)}, log_index{m.acked}};
        next.commit = std::max(next.commit, m.hs.commit);
        if (storage->save_hard_state(next).ok()) {
          m.hs = next;
        } else {
          failed = true;
          m.hs_maybe = next;
        }
      } else if (op < 85) {
        if (m.acked > m.snapshot.value() && !inject) {
          const std::uint64_t at = m.snapshot.value() + 1 + rng.below(m.acked - m.snapshot.value());
          REQUIRE(storage->save_snapshot({log_index{at}, m.current[at - 1].term, {}}, bytes{1}).ok());
          m.snapshot = log_index{at};
          if (rng.chance(0.5)) REQUIRE(storage->compact(log_index{at}).ok());
        }
      } else if (op < 90) {
        if (!inject) {
          // A snapshot from the leader beyond the log: the log is replaced.
          const std::uint64_t at = m.current.size() + 1 + rng.below(5);
          ++m.term;
          REQUIRE(storage->save_snapshot({log_index{at}, term_id{m.term}, {}}, bytes{2}).ok());
          m.current.resize(at, raft::entry{term_id{m.term}, log_index{0}, raft::entry_kind::noop, {}});
          m.acked = at;
          m.snapshot = log_index{at};
        }
      }
      if (failed || rng.chance(0.1)) {
        // Power failure. After a failed operation the outcome of that
        // operation is open, so `before` bounds what may come back.
        storage.reset();
        disk.crash(rng);
        ++crashes;
        auto re = open_sim(disk);
        REQUIRE_MESSAGE(re.ok(), re.err().describe(), " seed ", seed, " step ", step);
        crash_model bound = m;
        if (failed) bound.current = before.current.size() > m.current.size() ? before.current : m.current;
        check_recovered(bound, re->state);
        warnings += re->state.warnings.size();
        m.current.resize(m.snapshot.value() + re->state.entries.size());
        m.acked = m.current.size();
        m.hs = re->state.hard_state;
        m.hs_maybe.reset();
        storage = std::move(re->storage);
      }
      disk.fail_next_syncs(0);
    }
  }
  CHECK(crashes > 100);
  CHECK(warnings > 0);
}

TEST_CASE("storage (simulated): a crash while saving a snapshot leaves the old or the new one with a matching log") {
  const raft::snapshot_meta old_meta{log_index{4}, term_id{1}, {}};
  std::size_t saw_old = 0, saw_new = 0;
  for (std::uint64_t seed = 0; seed < 240; ++seed) {
    const bool beyond = seed % 2 == 1; // a leader's snapshot past the end of the log
    const raft::snapshot_meta new_meta = beyond ? raft::snapshot_meta{log_index{30}, term_id{5}, {}}
                                                : raft::snapshot_meta{log_index{8}, term_id{1}, {}};
    sim_disk disk;
    {
      auto s = open_sim(disk, open_mode::initialise);
      REQUIRE(s.ok());
      REQUIRE(s->storage->append(make_entries(1, 10, 1)).ok());
      REQUIRE(s->storage->sync().ok());
      REQUIRE(s->storage->save_snapshot(old_meta, bytes{1}).ok());
      // Fail one of the syncs inside the save: the temporary file, the
      // rename, the new empty segment or the removal of the old ones.
      disk.fail_next_syncs(1, seed / 2 % 6);
      (void)s->storage->save_snapshot(new_meta, bytes{2});
    }
    prng rng{seed};
    disk.crash(rng);
    auto s = open_sim(disk);
    REQUIRE_MESSAGE(s.ok(), s.err().describe(), " seed ", seed);
    const auto& meta = s->state.snapshot;
    REQUIRE((meta == old_meta || meta == new_meta));
    auto data = s->storage->read_snapshot();
    REQUIRE(data.ok());
    CHECK(*data == (meta == old_meta ? bytes{1} : bytes{2}));
    if (meta == old_meta || !beyond) {
      // The synced entries after the snapshot are all there.
      CHECK(s->state.entries == make_entries(meta.last_index.value() + 1, 10, 1));
    } else {
      CHECK(s->state.entries.empty());
      CHECK(s->storage->last_index() == log_index{30});
    }
    saw_old += meta == old_meta ? 1 : 0;
    saw_new += meta == new_meta ? 1 : 0;
  }
  CHECK(saw_old > 0);
  CHECK(saw_new > 0);
}

TEST_CASE("storage (simulated): hostile bytes in any file never crash the open") {
  prng rng{99};
  for (int round = 0; round < 300; ++round) {
    sim_disk disk;
    {
      auto s = open_sim(disk, open_mode::initialise);
      REQUIRE(s.ok());
      REQUIRE(s->storage->append(make_entries(1, 50, 1)).ok());
      REQUIRE(s->storage->sync().ok());
      REQUIRE(s->storage->save_hard_state({term_id{1}, node_id{1}, log_index{3}}).ok());
      REQUIRE(s->storage->save_snapshot({log_index{3}, term_id{1}, {{node_id{1}}, {}}}, bytes(20, 1)).ok());
    }
    auto names = disk.list_directory(dir);
    REQUIRE(names.ok());
    const std::string victim = dir + "/" + (*names)[rng.below(names->size())];
    auto current = disk.current_contents(victim);
    REQUIRE(current.ok());
    bytes damaged = *current;
    if (rng.chance(0.5) && !damaged.empty()) {
      for (int i = 0; i < 1 + static_cast<int>(rng.below(8)); ++i)
        damaged[rng.below(damaged.size())] = static_cast<std::uint8_t>(rng.next_u64());
    } else {
      damaged.resize(rng.below(damaged.size() + 64));
      for (auto& b : damaged) b = static_cast<std::uint8_t>(rng.next_u64());
    }
    auto f = disk.open_file(victim, open_flags::create_truncate);
    REQUIRE(f.ok());
    REQUIRE((*f)->write_at(0, damaged).ok());
    REQUIRE((*f)->sync().ok());
    auto s = open_sim(disk);
    if (s.ok()) {
      // Whatever opened is a prefix of what was written.
      for (const auto& e : s->state.entries) CHECK(e == make_entry(e.index.value(), 1));
    } else {
      CHECK(s.err().code() != errc::invalid_argument);
      CHECK_FALSE(s.err().message().empty());
    }
  }
}
