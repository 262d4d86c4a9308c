// storage_bench: what durability costs through the file log.
//
//   storage_bench [DIR]      (default: a fresh directory under $TMPDIR or /tmp)
//
// 1. Latency of append+sync of one 64-byte entry through the segmented log,
//    as a median, next to a raw baseline measured in the same run: pwrite of
//    64 bytes plus fdatasync on a preallocated file. The two are measured in
//    alternating rounds so that noise from other processes hits both.
// 2. Entries per second with group commit: P proposer threads hand 64-byte
//    entries to one writer thread, which appends everything pending and
//    syncs once per batch; each proposer waits until its entry is durable
//    before it proposes the next.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "storage/posix_file_system.hpp"
#include "storage/segmented_raft_storage.hpp"

using namespace pss;
using namespace pss::storage;
using bench_clock = std::chrono::steady_clock;

namespace {

constexpr std::size_t entry_bytes = 64;
constexpr int latency_rounds = 20;
constexpr int latency_iterations_per_round = 100;
constexpr std::uint64_t segment_bytes = 64ULL * 1024 * 1024;
constexpr auto throughput_duration = std::chrono::seconds(3);

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "storage_bench: %s\n", what.c_str());
  std::exit(1);
}

double micros(bench_clock::duration d) {
  return std::chrono::duration<double, std::micro>(d).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[std::min(v.size() - 1, static_cast<std::size_t>(p * v.size()))];
}

raft::entry make_entry(std::uint64_t index) {
  return raft::entry{term_id{1}, log_index{index}, raft::entry_kind::command,
                     bytes(entry_bytes, static_cast<std::uint8_t>(index))};
}

std::unique_ptr<raft_storage> fresh_log(posix_file_system& fs, const std::string& dir) {
  std::filesystem::remove_all(dir);
  auto opened = open_raft_storage(fs, dir, {"bench", node_id{1}}, open_mode::initialise,
                                  log_options{segment_bytes});
  if (!opened) die(opened.err().describe());
  return std::move(opened->storage);
}

struct raw_file {
  int fd = -1;
  std::uint64_t offset = 0;

  explicit raw_file(const std::string& path) {
    fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 || ::posix_fallocate(fd, 0, static_cast<off_t>(segment_bytes)) != 0
        || ::fsync(fd) != 0)
      die("cannot prepare the baseline file " + path);
  }
  ~raw_file() { ::close(fd); }

  void sync_only() {
    if (::fdatasync(fd) != 0) die("baseline fdatasync failed");
  }

  void write_and_sync(const std::uint8_t* data) {
    if (::pwrite(fd, data, entry_bytes, static_cast<off_t>(offset)) != entry_bytes
        || ::fdatasync(fd) != 0)
      die("baseline write failed");
    offset += entry_bytes;
  }
};

void bench_latency(posix_file_system& fs, const std::string& root) {
  auto log = fresh_log(fs, root + "/latency-log");
  raw_file raw{root + "/baseline"};
  const bytes payload(entry_bytes, 0x5a);
  std::vector<double> raw_us, log_us, floor_us;
  std::uint64_t index = 1;
  for (int round = 0; round < latency_rounds; ++round) {
    for (int i = 0; i < latency_iterations_per_round / 4; ++i) {
      const auto t0 = bench_clock::now();
      raw.sync_only();
      floor_us.push_back(micros(bench_clock::now() - t0));
    }
    for (int i = 0; i < latency_iterations_per_round; ++i) {
      const auto t0 = bench_clock::now();
      raw.write_and_sync(payload.data());
      raw_us.push_back(micros(bench_clock::now() - t0));
    }
    for (int i = 0; i < latency_iterations_per_round; ++i) {
      const raft::entry e = make_entry(index++);
      const auto t0 = bench_clock::now();
      if (!log->append(std::span{&e, 1}).ok() || !log->sync().ok()) die("log append failed");
      log_us.push_back(micros(bench_clock::now() - t0));
    }
  }
  const double raw_median = median(raw_us), log_median = median(log_us);
  std::printf("append+sync latency, one %zu-byte entry, %zu samples each\n", entry_bytes,
              raw_us.size());
  std::printf("  %-36s %10s %10s %10s\n", "", "median us", "p90 us", "p99 us");
  std::printf("  %-36s %10.1f %10.1f %10.1f\n", "raw pwrite 64 B + fdatasync", raw_median,
              percentile(raw_us, 0.9), percentile(raw_us, 0.99));
  std::printf("  %-36s %10.1f %10.1f %10.1f\n", "file log append + sync", log_median,
              percentile(log_us, 0.9), percentile(log_us, 0.99));
  std::printf("  %-36s %10.1f %10.1f %10.1f\n", "(fdatasync with nothing written)",
              median(floor_us), percentile(floor_us, 0.9), percentile(floor_us, 0.99));
  std::printf("  ratio (median log / median raw): %.2fx   (goal: at most 1.2x)\n\n",
              log_median / raw_median);
}

struct group_commit {
  std::mutex mutex;
  std::condition_variable work_ready;
  std::condition_variable durable_changed;
  std::uint64_t next_ticket = 0;  // tickets handed to proposers
  std::uint64_t durable_ticket = 0; // every ticket below this is durable
  std::uint64_t taken_ticket = 0;   // tickets the writer has taken
  bool stop = false;
  std::uint64_t batches = 0;
  double sync_us = 0; // total time in append+sync
};

// Each proposer waits for its entry to be durable, so by Little's law no
// design exceeds proposers / (latency of one sync) entries per second; the
// table prints that bound, from the syncs of the same run, next to the
// measurement.
void bench_throughput(posix_file_system& fs, const std::string& root, int proposers) {
  auto log = fresh_log(fs, root + "/throughput-log-" + std::to_string(proposers));
  group_commit gc;
  std::thread writer([&] {
    std::uint64_t index = 1;
    std::vector<raft::entry> batch;
    for (;;) {
      std::uint64_t from = 0, to = 0;
      {
        std::unique_lock lock{gc.mutex};
        gc.work_ready.wait(lock, [&] { return gc.stop || gc.next_ticket > gc.taken_ticket; });
        if (gc.stop && gc.next_ticket == gc.taken_ticket) return;
        from = gc.taken_ticket;
        to = gc.next_ticket;
        gc.taken_ticket = to;
      }
      batch.clear();
      for (std::uint64_t t = from; t < to; ++t) batch.push_back(make_entry(index++));
      const auto t0 = bench_clock::now();
      if (!log->append(batch).ok() || !log->sync().ok()) die("log append failed");
      const double took = micros(bench_clock::now() - t0);
      {
        std::lock_guard lock{gc.mutex};
        gc.durable_ticket = to;
        ++gc.batches;
        gc.sync_us += took;
      }
      gc.durable_changed.notify_all();
    }
  });
  std::vector<std::thread> threads;
  std::vector<std::uint64_t> done(static_cast<std::size_t>(proposers), 0);
  const auto start = bench_clock::now();
  const auto deadline = start + throughput_duration;
  for (int p = 0; p < proposers; ++p) {
    threads.emplace_back([&, p] {
      while (bench_clock::now() < deadline) {
        std::unique_lock lock{gc.mutex};
        const std::uint64_t ticket = gc.next_ticket++;
        gc.work_ready.notify_one();
        gc.durable_changed.wait(lock, [&] { return gc.durable_ticket > ticket; });
        ++done[static_cast<std::size_t>(p)];
      }
    });
  }
  for (auto& t : threads) t.join();
  const double seconds = std::chrono::duration<double>(bench_clock::now() - start).count();
  {
    std::lock_guard lock{gc.mutex};
    gc.stop = true;
  }
  gc.work_ready.notify_all();
  writer.join();
  std::uint64_t total = 0;
  for (auto n : done) total += n;
  const double mean_sync_us = gc.sync_us / static_cast<double>(gc.batches);
  std::printf("  %-10d %12.0f %10.0f %10.1f %14.0f %14.0f\n", proposers,
              static_cast<double>(total) / seconds, static_cast<double>(gc.batches) / seconds,
              static_cast<double>(total) / static_cast<double>(gc.batches), mean_sync_us,
              proposers * 1e6 / mean_sync_us);
}

} // namespace

int main(int argc, char** argv) {
  std::string root;
  if (argc > 1) {
    root = argv[1];
    std::filesystem::create_directories(root);
  } else {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string{base != nullptr && *base ? base : "/tmp"}
                          + "/pss-storage-bench-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) die("cannot create a temporary directory");
    root = pattern;
  }
  std::printf("storage_bench in %s\n\n", root.c_str());
  posix_file_system fs;
  bench_latency(fs, root);
  std::printf("group commit, %zu-byte entries, %lld s per row (goal: at least 20000 entries/s)\n",
              entry_bytes, static_cast<long long>(throughput_duration.count()));
  std::printf("  %-10s %12s %10s %10s %14s %14s\n", "proposers", "entries/s", "syncs/s",
              "batch", "mean sync us", "bound P/sync");
  for (int proposers : {16, 64}) bench_throughput(fs, root, proposers);
  if (argc <= 1) std::filesystem::remove_all(root);
  return 0;
}
