// Raft core throughput: committed entries per second through an in-memory
// 3-node cluster driven by a loop. No I/O: "persistence" is instant (the
// ready is acknowledged at once) and messages go straight to their target,
// optionally through the wire encoding. Prints the median of several runs.
//
//   raft_bench [entries=200000] [entry_bytes=64] [runs=5] [window=1024]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <memory>
#include <vector>

#include "core/prng.hpp"
#include "raft/messages.hpp"
#include "raft/node.hpp"

using namespace pss;
using namespace pss::raft;

namespace {

struct bench_cluster {
  explicit bench_cluster(bool through_wire) : wire(through_wire) {
    configuration config{{node_id{1}, node_id{2}, node_id{3}}, {}};
    for (std::uint64_t id = 1; id <= 3; ++id) {
      randoms.push_back(std::make_unique<prng>(id));
      options o;
      o.id = node_id{id};
      o.append_batch_entries_max = 256;
      o.inflight_appends_max = 16;
      persisted_state ps;
      ps.snapshot.config = config;
      nodes.push_back(std::make_unique<node>(o, std::move(ps), *randoms.back(), now));
    }
  }

  node& at(node_id id) { return *nodes[id.value() - 1]; }

  void drain(node& n) {
    while (n.has_ready()) {
      ready r = n.take_ready(now);
      for (auto& m : r.messages) queue.push_back(std::move(m));
      n.advance(now);
    }
  }

  void pump() {
    while (!queue.empty()) {
      envelope e = std::move(queue.front());
      queue.pop_front();
      if (wire) {
        auto decoded = decode_envelope(encode(e));
        if (!decoded) std::abort();
        e = std::move(*decoded);
      }
      at(e.to).step(now, e);
      drain(at(e.to));
    }
  }

  bool through_wire() const { return wire; }

  bool wire;
  millis now{0};
  std::vector<std::unique_ptr<prng>> randoms;
  std::vector<std::unique_ptr<node>> nodes;
  std::deque<envelope> queue;
};

double run_once(std::uint64_t entries, std::size_t entry_bytes, std::uint64_t window, bool wire) {
  bench_cluster c{wire};
  node& leader = c.at(node_id{1});
  leader.campaign(c.now);
  c.drain(leader);
  c.pump();
  if (leader.role() != role::leader) std::abort();
  const log_index start = leader.commit_index();
  const log_index goal{start.value() + entries};
  const bytes payload(entry_bytes, 0xab);
  std::uint64_t proposed = 0;
  const auto began = std::chrono::steady_clock::now();
  while (leader.commit_index() < goal) {
    while (proposed < entries
           && leader.log().last_index().value() - leader.commit_index().value() < window) {
      if (!leader.propose(c.now, payload).ok()) std::abort();
      ++proposed;
    }
    c.drain(leader);
    c.pump();
  }
  const double seconds =
    std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
  return static_cast<double>(entries) / seconds;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

} // namespace

int main(int argc, char** argv) {
  const std::uint64_t entries = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 200'000;
  const std::size_t entry_bytes = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 64;
  const int runs = argc > 3 ? std::atoi(argv[3]) : 5;
  const std::uint64_t window = argc > 4 ? std::strtoull(argv[4], nullptr, 10) : 1024;
  for (bool wire : {false, true}) {
    std::vector<double> rates;
    for (int r = 0; r < runs; ++r) rates.push_back(run_once(entries, entry_bytes, window, wire));
    std::printf("raft_bench: 3 nodes, %zu-byte entries, %s: median %.0f committed entries/s "
                "over %d runs of %llu entries (min %.0f, max %.0f)\n",
                entry_bytes, wire ? "messages encoded and decoded" : "messages passed in memory",
                median(rates), runs, static_cast<unsigned long long>(entries),
                *std::min_element(rates.begin(), rates.end()),
                *std::max_element(rates.begin(), rates.end()));
  }
  return 0;
}
