// round_bench: one refresh round of M secrets through the real node engines,
// and then (--add) bringing in member n+1 (docs/refresh.md §7.3: recovery at
// a never-used index, then promotion), (--raise) raising t by one (§7.4) or
// (--lower) lowering it by one (§7.5), timed in the same run.
//
// n = 5 nodes and t = 3 by default, all in this process, each on real files
// under a fresh temporary directory (so every sync is a real fdatasync).
// Messages are delivered at once and time is simulated, so the figures are
// the engines' own cost: dealing, sealing, opening, responding, the batch
// check, storing the new shares and the erasing rewrite. Setup (M puts
// through a client) is timed separately and is not part of the round.
//
//   round_bench [--secrets M[,M...]] [--nodes N] [--threshold T] [--dir D] [--complain] [--add] [--raise|--lower]
//
// --complain makes the last node complain about every other dealer, so each
// of them reveals its whole bundle to it through the log and every replica
// judges it (docs/refresh.md, "Disputes"): the cost of n-1 complaints.
//
// --dir picks where the temporary data directories go (default /tmp); a
// tmpfs such as /dev/shm takes the disk's sync latency out of the figures.
//
// Prints, per M: setup time, wall time of the round, CPU time of the round
// (this process; one thread), and CPU per secret per node; with --add, the
// wall and CPU time from the admin's request to the new member's promotion,
// and their ratio to the refresh's; with --raise or --lower, the same from
// the admin's request to the new t on every node.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "crypto/random_source.hpp"
#include "crypto/sodium.hpp"
#include "secrets/client_engine.hpp"
#include "secrets/node_engine.hpp"
#include "storage/posix_file_system.hpp"

using namespace pss;
using namespace pss::secrets;

namespace {

double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

double wall_seconds() {
  using namespace std::chrono;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}

struct message {
  endpoint from;
  endpoint to;
  bytes payload;
};

// Simulated time between two setup puts (see bench()).
constexpr millis put_interval{2};

class cluster {
public:
  cluster(std::size_t n, std::size_t t, const std::string& dir, bool complain)
    : tc_(make_test_cluster(n, t, 99)), dir_(dir), n_(n) {
    for (std::size_t i = 0; i < n; ++i) {
      node_options o = options_for(i);
      if (complain && i + 1 == n) o.test_only.misbehave = round_misbehaviour::complain;
      open_node(std::move(o), tc_.keys[i].clone());
    }
    client_options co;
    co.id = client_id{1};
    co.identity = admin_;
    co.nodes = tc_.view.node_ids();
    client_ = std::make_unique<client_engine>(co, std::make_unique<crypto::seeded_random>(7));
    nodes_.at(node_id{1})->campaign(now_);
    collect(endpoint::of(node_id{1}));
    run_until([&] { return nodes_.at(node_id{1})->raft().role() == raft::role::leader; });
  }

  node_options options_for(std::size_t i) const {
    node_options o;
    o.cluster = tc_.view;
    o.data_dir = dir_ + "/node-" + std::to_string(i + 1);
    std::filesystem::create_directories(o.data_dir);
    o.first_start = true;
    o.admin_key = admin_->public_key;
    o.prng_seed = 1000 + i;
    // A few snapshots at most: each encodes the whole catalog, and without
    // them every register entry of the setup stays in memory.
    o.snapshot_every_entries = 262'144;
    o.auto_recover = false;
    o.round_phase_timeout = millis{600'000};
    return o;
  }

  void open_node(node_options o, node_keys keys) {
    const node_id id = keys.id;
    auto opened = node_engine::open(std::move(o), std::move(keys), fs_,
                                    std::make_unique<crypto::seeded_random>(2000 + id.value()), now_);
    if (!opened.ok()) {
      std::fprintf(stderr, "round_bench: %s\n", opened.err().describe().c_str());
      std::exit(1);
    }
    nodes_.emplace(id, std::move(*opened));
    collect(endpoint::of(id));
  }

  // Member n+1 (keys of its own), asked for by the admin and started with
  // the joining option; it asks for its own recovery.
  member start_newcomer() {
    auto spare = make_test_cluster(n_ + 1, tc_.view.threshold, 99); // the first n keys are tc_'s
    member m = spare.view.members.back();
    node_options o = options_for(n_);
    o.joining = true;
    o.auto_recover = true;
    open_node(std::move(o), spare.keys.back().clone());
    m.index = share_index{};
    return m;
  }

  node_engine& node(std::uint64_t id) { return *nodes_.at(node_id{id}); }
  client_engine& client() { return *client_; }

  void collect(endpoint e) {
    engine_output out = e.is_node() ? nodes_.at(e.as_node())->take_output() : client_->take_output();
    for (auto& m : out.messages) queue_.push_back(message{e, m.to, std::move(m.payload)});
    if (out.next_wakeup) wake_[e] = *out.next_wakeup;
    if (out.flush_requested && e.is_node()) { // no batching here: flush at once
      nodes_.at(e.as_node())->on_flush(now_);
      collect(e);
    }
  }

  // Delivers until done() or nothing is left to do.
  template <class F>
  void run_until(F done) {
    while (!done()) {
      if (!queue_.empty()) {
        message m = std::move(queue_.front());
        queue_.pop_front();
        if (m.to.is_node()) nodes_.at(m.to.as_node())->on_message(now_, m.from, m.payload);
        else client_->on_message(now_, m.from, m.payload);
        collect(m.to);
        continue;
      }
      if (wake_.empty()) return;
      auto next = wake_.begin();
      for (auto it = wake_.begin(); it != wake_.end(); ++it)
        if (it->second < next->second) next = it;
      const endpoint e = next->first;
      now_ = std::max(now_, next->second);
      wake_.erase(next);
      if (e.is_node()) nodes_.at(e.as_node())->on_tick(now_);
      else client_->on_tick(now_);
      collect(e);
    }
  }

  // Lets simulated time pass until now + by, delivering what falls due.
  void advance(millis by) {
    const millis to = now_ + by;
    run_until([&] {
      if (!queue_.empty()) return false;
      for (const auto& [e, at] : wake_)
        if (at <= to) return false;
      return true;
    });
    now_ = std::max(now_, to);
  }

  millis now() const { return now_; }
  storage::posix_file_system::sync_counts syncs() const { return fs_.syncs(); }

private:
  storage::posix_file_system fs_;
  test_cluster tc_;
  std::shared_ptr<const crypto::sign_key_pair> admin_ = [] {
    crypto::seeded_random r{0xAD};
    return std::make_shared<const crypto::sign_key_pair>(crypto::sign_key_pair::generate(r));
  }();
  std::string dir_;
  std::size_t n_ = 0;
  std::map<node_id, std::unique_ptr<node_engine>> nodes_;
  std::unique_ptr<client_engine> client_;
  std::deque<message> queue_;
  std::map<endpoint, millis> wake_;
  millis now_{0};
};

// Member n+1 joins after the refresh: the admin's request, its catch-up on
// the log, recovery rounds at its new index, and its promotion, timed until
// the catalog records it a voter. Prints wall and CPU, and the ratios to the
// refresh round's.
void add_member(cluster& c, std::size_t secrets, std::size_t n, double refresh_wall, double refresh_cpu) {
  const double wall_start = wall_seconds();
  const double cpu_start = cpu_seconds();
  const member m = c.start_newcomer();
  const log_index log_end = c.node(1).raft().commit_index();
  c.client().change_committee(c.now(), secrets + 1, committee_change{committee_change_kind::add, {}, m, 0});
  c.collect(endpoint::of(client_id{1}));
  // First the newcomer's catch-up on the log, then its recovery and promotion.
  c.run_until([&] { return c.node(n + 1).state().applied_index() >= log_end; });
  const double caught_up_wall = wall_seconds() - wall_start;
  const double caught_up_cpu = cpu_seconds() - cpu_start;
  c.run_until([&] {
    const catalog& cat = c.node(1).state();
    return cat.stats().members_added == 1 && !cat.committee();
  });
  const double wall = wall_seconds() - wall_start;
  const double cpu = cpu_seconds() - cpu_start;
  const auto& s = c.node(1).state().stats();
  const std::size_t held = c.node(n + 1).shares().size();
  if (s.members_added != 1 || held < secrets) {
    std::fprintf(stderr, "round_bench: member %zu was not added with every share (%zu of %zu held)\n", n + 1, held, secrets);
    std::exit(1);
  }
  std::printf("|   add %zu: recoveries %llu | wall %8.3f s (%.2f x refresh) | CPU %8.3f s (%.2f x refresh) | of which "
              "catch-up on the log %.3f s wall, %.3f s CPU; recovery and promotion %.2f x the refresh's CPU |\n",
              n + 1, static_cast<unsigned long long>(s.recoveries), wall, wall / refresh_wall, cpu, cpu / refresh_cpu,
              caught_up_wall, caught_up_cpu, (cpu - caught_up_cpu) / refresh_cpu);
  std::fflush(stdout);
}

// t rises to t+1 (docs/refresh.md §7.4) or falls to t-1 (§7.5) after the
// refresh: the admin's request and the round that deals for it, timed until
// every node's view has the new t and no change is recorded.
void change_threshold(cluster& c, std::size_t secrets, std::size_t n, std::size_t t, bool lower, double refresh_wall,
                      double refresh_cpu) {
  const double wall_start = wall_seconds();
  const double cpu_start = cpu_seconds();
  const auto raised = static_cast<std::uint32_t>(lower ? t - 1 : t + 1);
  c.client().change_committee(c.now(), secrets + 2,
                              committee_change{committee_change_kind::threshold, {}, std::nullopt, raised});
  c.collect(endpoint::of(client_id{1}));
  c.run_until([&] {
    for (std::uint64_t id = 1; id <= n; ++id)
      if (c.node(id).state().view().threshold != raised || c.node(id).state().committee()) return false;
    return true;
  });
  const double wall = wall_seconds() - wall_start;
  const double cpu = cpu_seconds() - cpu_start;
  const auto& stats = c.node(1).state().stats();
  if ((lower ? stats.thresholds_lowered : stats.thresholds_raised) != 1) {
    std::fprintf(stderr, "round_bench: t was not set to %u\n", raised);
    std::exit(1);
  }
  std::printf("|   %s t to %u | wall %8.3f s (%.2f x refresh) | CPU %8.3f s (%.2f x refresh) |\n",
              lower ? "lower" : "raise", raised, wall, wall / refresh_wall, cpu, cpu / refresh_cpu);
  std::fflush(stdout);
}

void bench(std::size_t secrets, std::size_t n, std::size_t t, const std::string& base, bool complain, bool add,
           bool raise, bool lower) {
  std::string templ = base + "/pss-round-bench-XXXXXX";
  const char* dir = mkdtemp(templ.data());
  if (dir == nullptr) {
    std::perror("round_bench: mkdtemp");
    std::exit(1);
  }
  {
    cluster c{n, t, dir, complain};
    const double setup_start = wall_seconds();
    const auto syncs_before = c.syncs();
    for (std::size_t i = 0; i < secrets; ++i) {
      std::string value = "bench value " + std::to_string(i);
      c.client().put(c.now(), i + 1, "secret-" + std::to_string(i), secure_bytes{as_bytes(value)});
      c.collect(endpoint::of(client_id{1}));
      c.run_until([&] { return c.client().pending_operations() == 0; });
      // Messages take no simulated time, so without this the whole setup
      // happens at one instant and no signed request ever expires: the
      // leader keeps every nonce of this one client key (a read, a store and
      // a propose per put) and refuses (busy) once it holds
      // replay_cache_entries_per_key_default = 2^16 of them, at put 21,846.
      // A client that puts once every put_interval keeps at most
      // 3 x 20 s / 2 ms = 30,000 of its nonces in the leader's cache.
      c.advance(put_interval);
      for (const auto& done : c.client().take_completions())
        if (done.outcome != operation_outcome::ok) {
          std::fprintf(stderr, "round_bench: setup put %zu of %zu failed: %s\n", i + 1, secrets, done.message.c_str());
          std::exit(1);
        }
    }
    const double setup = wall_seconds() - setup_start;
    const auto syncs_after = c.syncs();
    const double puts_nodes = static_cast<double>(secrets * n);

    const double wall_start = wall_seconds();
    const double cpu_start = cpu_seconds();
    c.node(1).request_refresh(c.now());
    c.collect(endpoint::of(node_id{1}));
    c.run_until([&] {
      const auto& s = c.node(1).state().stats();
      bool all = s.refresh_epochs_committed + s.rounds_aborted > 0;
      for (std::uint64_t id = 1; all && id <= n; ++id) all = !c.node(id).state().round();
      return all;
    });
    const double wall = wall_seconds() - wall_start;
    const double cpu = cpu_seconds() - cpu_start;
    const auto& s = c.node(1).state().stats();
    if (s.refresh_epochs_committed != 1 || (complain && s.complaints_resolved != n - 1)) {
      std::fprintf(stderr, "round_bench: the round did not commit (or its complaints were not decided)\n");
      std::exit(1);
    }
    std::printf("| %7zu | %d/%d | %zu | %8.2f | %8.3f | %8.3f | %9.1f | %5.2f + %4.2f |\n", secrets, static_cast<int>(t),
                static_cast<int>(n), static_cast<std::size_t>(s.complaints_resolved), setup, wall, cpu,
                cpu / static_cast<double>(secrets * n) * 1e6,
                static_cast<double>(syncs_after.files - syncs_before.files) / puts_nodes,
                static_cast<double>(syncs_after.directories - syncs_before.directories) / puts_nodes);
    std::fflush(stdout);
    if (add) add_member(c, secrets, n, wall, cpu);
    if (raise || lower) change_threshold(c, secrets, add ? n + 1 : n, t, lower, wall, cpu);
  }
  std::filesystem::remove_all(dir);
}

std::vector<std::size_t> parse_list(const std::string& text) {
  std::vector<std::size_t> out;
  std::stringstream ss{text};
  std::string item;
  while (std::getline(ss, item, ',')) out.push_back(std::stoul(item));
  return out;
}

} // namespace

int main(int argc, char** argv) {
  std::vector<std::size_t> sizes{1'000, 10'000};
  std::size_t n = 5;
  std::size_t t = 3;
  std::string base = "/tmp";
  bool complain = false;
  bool add = false;
  bool raise = false;
  bool lower = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--secrets" && i + 1 < argc) sizes = parse_list(argv[++i]);
    else if (a == "--nodes" && i + 1 < argc) n = std::stoul(argv[++i]);
    else if (a == "--threshold" && i + 1 < argc) t = std::stoul(argv[++i]);
    else if (a == "--dir" && i + 1 < argc) base = argv[++i];
    else if (a == "--complain") complain = true;
    else if (a == "--add") add = true;
    else if (a == "--raise") raise = true;
    else if (a == "--lower") lower = true;
    else if (a == "-h" || a == "--help") {
      std::puts("round_bench [--secrets M[,M...]] [--nodes N] [--threshold T] [--dir D] [--complain] [--add]\n"
                "            [--raise | --lower]\n"
                "One refresh round of M secrets through the real node engines, in one process,\n"
                "on real files under D (default /tmp). Prints wall and CPU time of the round\n"
                "and CPU per secret per node, and the syncs per sequential put per node while\n"
                "it puts the M secrets. --complain: the last node complains about every\n"
                "other dealer, which each answer with a reveal (n-1 complaints decided).\n"
                "--add: then member n+1 joins (recovery at a new index, promotion), timed\n"
                "against the refresh of the same secrets in the same run. --raise: then t rises\n"
                "to T+1 (one refresh round that deals for it; T+1 must be at most n-1), timed\n"
                "the same way. --lower: then t falls to T-1 (one reshare round, checked against\n"
                "every secret's C_0; T must be at least 3), timed the same way.");
      return 0;
    } else if (a.rfind("--benchmark", 0) == 0) {
      // ./scripts/bench may pass Google Benchmark flags to every program.
    } else {
      std::fprintf(stderr, "round_bench: unknown option '%s' (try --help)\n", a.c_str());
      return 2;
    }
  }
  if (!crypto::init().ok()) return 1;
  std::puts("| secrets | t/n | complaints | setup s | round wall s | round CPU s | CPU µs/secret/node | setup syncs/put/node (file + dir) |");
  std::puts("|---|---|---|---|---|---|---|---|");
  if (raise && t + 2 > (add ? n + 1 : n)) {
    std::fprintf(stderr, "round_bench: --raise needs T+1 <= n-1\n");
    return 2;
  }
  if (lower && (raise || t < 3)) {
    std::fprintf(stderr, "round_bench: --lower needs T >= 3, and not --raise\n");
    return 2;
  }
  for (auto m : sizes) bench(m, n, t, base, complain, add, raise, lower);
  return 0;
}
