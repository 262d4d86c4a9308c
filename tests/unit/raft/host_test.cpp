// raft::host, the one shell loop: what it persists before it sends, what it
// hands the owner, compaction, a restart from its disk, and a storage
// failure that stops it for good.
#include <doctest/doctest.h>

#include "raft/host.hpp"
#include "storage/segmented_raft_storage.hpp"
#include "storage/sim_disk.hpp"

namespace pss::raft {
namespace {

using namespace std::chrono_literals;

struct recording_client final : host_client {
  std::vector<envelope> sent;
  std::vector<entry> applied_entries;
  std::vector<read_state> ready_reads;
  int batches = 0;

  void send(const envelope& m) override { sent.push_back(m); }
  status install(millis, const snapshot&) override { return ok_status(); }
  void apply(millis, const entry& e) override { applied_entries.push_back(e); }
  status applied(millis) override {
    ++batches;
    return ok_status();
  }
  void reads(std::span<const read_state> ready, std::span<const std::uint64_t>) override {
    ready_reads.insert(ready_reads.end(), ready.begin(), ready.end());
  }
};

std::unique_ptr<host> open_host(storage::sim_disk& disk, std::vector<node_id> voters, prng& random, bool first,
                                bool pre_vote = true) {
  auto opened = storage::open_raft_storage(disk, "/raft", storage::data_dir_identity{"host-test", node_id{1}},
                                           first ? storage::open_mode::initialise : storage::open_mode::existing);
  REQUIRE(opened.ok());
  auto data = opened->storage->read_snapshot();
  REQUIRE(data.ok());
  host_boot boot;
  boot.raft.id = node_id{1};
  boot.raft.pre_vote = pre_vote;
  boot.opened = std::move(*opened);
  boot.snapshot_data = std::move(*data);
  boot.boot_config.voters = std::move(voters);
  return std::make_unique<host>(std::move(boot), random, millis{0});
}

// Ticks a single-voter cluster until it leads.
void lead(host& h, recording_client& c, millis& now) {
  for (int i = 0; i < 100 && h.core().role() != role::leader; ++i) {
    now += 50ms;
    h.core().tick(now);
    REQUIRE(h.drain(now, c).ok());
  }
  REQUIRE(h.core().role() == role::leader);
}

bytes command(std::uint8_t b) { return bytes{b, b, b}; }

TEST_CASE("a host persists what it applies, mirrors the disk, and compacts in the core and on disk") {
  storage::sim_disk disk;
  prng random{7};
  auto h = open_host(disk, {node_id{1}}, random, true);
  recording_client c;
  millis now{0};
  lead(*h, c, now);
  for (std::uint8_t b = 1; b <= 5; ++b) REQUIRE(h->core().propose(now, command(b)).ok());
  REQUIRE(h->drain(now, c).ok());
  std::vector<bytes> commands;
  for (const auto& e : c.applied_entries)
    if (e.kind == entry_kind::command && !e.data.empty()) commands.push_back(e.data);
  REQUIRE(commands.size() == 5);
  CHECK(commands.front() == command(1));
  CHECK(commands.back() == command(5));
  CHECK(c.batches > 0);
  CHECK(h->persisted().hard == h->core().current_hard_state());
  CHECK(h->persisted().entries.back().index == h->storage().last_index());
  CHECK(h->observe(true).settled);
  CHECK_FALSE(h->observe(false).settled);

  const log_index applied = h->core().applied_index();
  auto taken = h->compact(applied, bytes{42});
  REQUIRE(taken.ok());
  CHECK(*taken);
  CHECK(h->persisted().snapshot_index == applied);
  CHECK(h->persisted().entries.empty());
  auto again = h->compact(applied, bytes{42});
  REQUIRE(again.ok());
  CHECK_FALSE(*again); // nothing new to compact

  // A restart from the same disk: the snapshot, and the log after it.
  REQUIRE(h->core().propose(now, command(6)).ok());
  REQUIRE(h->drain(now, c).ok());
  h.reset();
  prng random2{8};
  auto back = open_host(disk, {node_id{1}}, random2, false);
  CHECK(back->persisted().snapshot_index == applied);
  REQUIRE(back->persisted().entries.size() == 1);
  CHECK(back->persisted().entries.front().data == command(6));
  CHECK(back->core().log().snapshot_index() == applied);
}

TEST_CASE("a host stops at a failed sync: nothing that depended on it is sent, and it stays stopped") {
  storage::sim_disk disk;
  prng random{7};
  auto h = open_host(disk, {node_id{1}, node_id{2}}, random, true, false);
  recording_client c;
  const millis now{10};
  REQUIRE(h->drain(now, c).ok());
  c.sent.clear();
  disk.fail_next_syncs(100);
  h->core().campaign(now); // a new term and a vote for itself: a hard state to save
  auto st = h->drain(now, c);
  REQUIRE_FALSE(st.ok());
  CHECK(c.sent.empty()); // the vote request depends on the durable vote
  REQUIRE(h->failure().has_value());
  disk.fail_next_syncs(0);
  auto again = h->drain(now, c);
  REQUIRE_FALSE(again.ok());
  CHECK(again.err().describe() == st.err().describe());
  CHECK(c.sent.empty());
  CHECK_FALSE(h->observe(true).settled);
}

} // namespace
} // namespace pss::raft
