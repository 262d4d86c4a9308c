#include <doctest/doctest.h>

#include <unistd.h>

#include "core/prng.hpp"
#include "storage/journal.hpp"
#include "storage/posix_file_system.hpp"
#include "storage/record_file.hpp"
#include "storage/sim_disk.hpp"
#include "test_support.hpp"

using namespace pss;
using namespace pss::storage;
using namespace pss::storage::test;

namespace {

// A record that is easy to find in a disk image.
bytes share_record(std::uint8_t tag, std::size_t size = 48) {
  bytes out(size, tag);
  const char marker[] = "SHARE-";
  std::copy(marker, marker + 6, out.begin());
  out[6] = tag;
  return out;
}

std::vector<bytes> as_bytes_list(const std::vector<secure_bytes>& records) {
  std::vector<bytes> out;
  for (const auto& r : records) out.emplace_back(r.view().begin(), r.view().end());
  return out;
}

struct fixture {
  temp_dir tmp;
  posix_file_system fs;
  std::string dir = tmp.sub("shares");
  std::string file = dir + "/journal";

  result<opened_journal> open(open_mode mode = open_mode::existing,
                              data_dir_identity id = test_identity()) {
    return open_journal(fs, dir, id, mode);
  }
};

} // namespace

TEST_CASE("journal: records replay in order after a reopen") {
  fixture f;
  {
    auto j = f.open(open_mode::initialise);
    REQUIRE(j.ok());
    CHECK(j->initialised);
    CHECK(j->records.empty());
    for (std::uint8_t i = 1; i <= 5; ++i) REQUIRE(j->journal->append(share_record(i)).ok());
    REQUIRE(j->journal->sync().ok());
    REQUIRE(j->journal->append(share_record(6)).ok()); // never synced
  }
  auto j = f.open();
  REQUIRE(j.ok());
  CHECK(j->warnings.empty());
  CHECK(as_bytes_list(j->records)
        == std::vector<bytes>{share_record(1), share_record(2), share_record(3), share_record(4),
                              share_record(5)});
}

TEST_CASE("journal: a torn last record is truncated at open, cut at every byte offset") {
  fixture f;
  {
    auto j = f.open(open_mode::initialise);
    REQUIRE(j.ok());
    for (std::uint8_t i = 1; i <= 3; ++i) {
      REQUIRE(j->journal->append(share_record(i)).ok());
      REQUIRE(j->journal->sync().ok());
    }
  }
  const bytes whole = read_all(f.file);
  const std::size_t last = whole.size() - record_bytes(48);
  for (std::size_t cut = last + 1; cut < last + record_header_bytes + 48; ++cut) {
    write_all(f.file, bytes(whole.begin(), whole.begin() + static_cast<std::ptrdiff_t>(cut)));
    auto j = f.open();
    REQUIRE(j.ok());
    CHECK(as_bytes_list(j->records) == std::vector<bytes>{share_record(1), share_record(2)});
    REQUIRE(j->warnings.size() == 1);
    CHECK(contains(j->warnings[0], f.file + " at offset " + std::to_string(last)));
    // No warning ever carries record contents.
    CHECK_FALSE(contains(j->warnings[0], "SHARE-"));
  }
}

TEST_CASE("journal: a rewrite removes erased records from the file and overwrites the old one") {
  fixture f;
  auto j = f.open(open_mode::initialise);
  REQUIRE(j.ok());
  for (std::uint8_t i = 1; i <= 4; ++i) REQUIRE(j->journal->append(share_record(i)).ok());
  REQUIRE(j->journal->sync().ok());
  // A second name for the old file outside the directory lets the test see
  // whether its bytes were overwritten after the rewrite unlinked it.
  const std::string old_link = f.tmp.sub("old-journal");
  REQUIRE(::link(f.file.c_str(), old_link.c_str()) == 0);
  const bytes keep_a = share_record(2), keep_b = share_record(4);
  const std::vector<byte_view> live{keep_a, keep_b};
  REQUIRE(j->journal->rewrite(live).ok());
  CHECK(j->journal->generation() == 2);
  const bytes now = read_all(f.file);
  const auto has = [](const bytes& hay, const bytes& needle) {
    return std::search(hay.begin(), hay.end(), needle.begin(), needle.end()) != hay.end();
  };
  CHECK_FALSE(has(now, share_record(1)));
  CHECK_FALSE(has(now, share_record(3)));
  CHECK(has(now, share_record(2)));
  const bytes old = read_all(old_link);
  CHECK_FALSE(old.empty());
  CHECK(std::all_of(old.begin(), old.end(), [](std::uint8_t b) { return b == 0; }));
  // Appends continue after the rewrite, and a reopen sees exactly the live set.
  REQUIRE(j->journal->append(share_record(5)).ok());
  REQUIRE(j->journal->sync().ok());
  j->journal.reset();
  auto again = f.open();
  REQUIRE(again.ok());
  CHECK(as_bytes_list(again->records)
        == std::vector<bytes>{share_record(2), share_record(4), share_record(5)});
  CHECK(again->journal->generation() == 2);
}

TEST_CASE("journal: files are 0600 in a 0700 directory, foreign and empty directories are told apart") {
  fixture f;
  auto missing = f.open();
  REQUIRE_FALSE(missing.ok());
  CHECK(is_empty_data_dir(missing.err()));
  {
    auto j = f.open(open_mode::initialise);
    REQUIRE(j.ok());
    REQUIRE(j->journal->append(share_record(1)).ok());
    REQUIRE(j->journal->sync().ok());
    const bytes one = share_record(1);
    const std::vector<byte_view> live{one};
    REQUIRE(j->journal->rewrite(live).ok());
  }
  CHECK(mode_of(f.dir) == 0700);
  CHECK(mode_of(f.file) == 0600);
  CHECK(mode_of(f.dir + "/identity") == 0600);
  auto foreign = f.open(open_mode::initialise, test_identity(9));
  REQUIRE_FALSE(foreign.ok());
  CHECK(foreign.err().code() == errc::mismatch);
}

TEST_CASE("journal: oversized records are refused without stopping the journal") {
  fixture f;
  auto j = f.open(open_mode::initialise);
  REQUIRE(j.ok());
  CHECK(j->journal->append(bytes(journal_record_bytes_max + 1)).err().code() == errc::too_large);
  REQUIRE(j->journal->append(share_record(1)).ok());
  REQUIRE(j->journal->sync().ok());
}

TEST_CASE("journal (simulated): crashes lose only unsynced records and erased ones leave the image") {
  std::size_t torn = 0;
  for (std::uint64_t seed = 0; seed < 120; ++seed) {
    prng rng{seed};
    sim_disk disk;
    std::vector<bytes> acked;
    std::vector<bytes> current;
    std::vector<bytes> erased;
    auto opened = open_journal(disk, "/node/shares", test_identity(), open_mode::initialise);
    REQUIRE(opened.ok());
    auto journal = std::move(opened->journal);
    std::uint8_t next_tag = 1;
    for (int step = 0; step < 25; ++step) {
      const auto op = rng.below(10);
      bool crash = op >= 8;
      if (op < 6) {
        const bytes rec = share_record(next_tag++, 20 + rng.below(300));
        REQUIRE(journal->append(rec).ok());
        current.push_back(rec);
        if (rng.chance(0.2)) {
          // The write reaches the disk but its fdatasync fails: the journal
          // stops, and the power goes while the write is half on the medium.
          disk.fail_next_syncs(1);
          REQUIRE_FALSE(journal->sync().ok());
          REQUIRE_FALSE(journal->append(rec).ok());
          crash = true;
        } else if (rng.chance(0.6)) {
          REQUIRE(journal->sync().ok());
          acked = current;
        }
      } else if (op < 8 && !current.empty()) {
        // Erase a random record: keep the others.
        const std::size_t victim = rng.below(current.size());
        erased.push_back(current[victim]);
        current.erase(current.begin() + static_cast<std::ptrdiff_t>(victim));
        std::vector<byte_view> live(current.begin(), current.end());
        REQUIRE(journal->rewrite(live).ok());
        acked = current;
        for (const auto& gone : erased) REQUIRE_FALSE(disk.durable_image_contains(gone));
      }
      if (crash) {
        journal.reset();
        disk.crash(rng);
        auto re = open_journal(disk, "/node/shares", test_identity(), open_mode::existing);
        REQUIRE_MESSAGE(re.ok(), re.err().describe());
        const auto got = as_bytes_list(re->records);
        REQUIRE(got.size() >= acked.size());
        REQUIRE(got.size() <= current.size());
        for (std::size_t i = 0; i < got.size(); ++i) REQUIRE(got[i] == current[i]);
        torn += re->warnings.empty() ? 0 : 1;
        current = got;
        acked = got;
        journal = std::move(re->journal);
        for (const auto& gone : erased) REQUIRE_FALSE(disk.durable_image_contains(gone));
      }
    }
  }
  CHECK(torn > 0);
}

TEST_CASE("journal (simulated): a crash inside a rewrite leaves the old or the new records, never a mix") {
  std::size_t saw_old = 0, saw_new = 0;
  for (std::uint64_t seed = 0; seed < 120; ++seed) {
    sim_disk disk;
    const std::vector<bytes> before{share_record(1), share_record(2), share_record(3)};
    const std::vector<bytes> after{share_record(2)};
    {
      auto j = open_journal(disk, "/node/shares", test_identity(), open_mode::initialise);
      REQUIRE(j.ok());
      for (const auto& r : before) REQUIRE(j->journal->append(r).ok());
      REQUIRE(j->journal->sync().ok());
      // Stop the rewrite at one of its syncs: the new file, the rename, or
      // the overwrite of the old file.
      disk.fail_next_syncs(1, seed % 4);
      const std::vector<byte_view> live(after.begin(), after.end());
      const bool done = j->journal->rewrite(live).ok();
      if (done) {
        CHECK_FALSE(disk.durable_image_contains(share_record(1)));
        CHECK_FALSE(disk.durable_image_contains(share_record(3)));
      }
    }
    prng rng{seed};
    disk.crash(rng);
    auto j = open_journal(disk, "/node/shares", test_identity(), open_mode::existing);
    REQUIRE_MESSAGE(j.ok(), j.err().describe());
    const auto got = as_bytes_list(j->records);
    REQUIRE((got == before || got == after));
    saw_old += got == before ? 1 : 0;
    saw_new += got == after ? 1 : 0;
    if (got == after) {
      CHECK_FALSE(disk.durable_image_contains(share_record(1)));
    }
  }
  CHECK(saw_old > 0);
  CHECK(saw_new > 0);
}
