// `pss demo`: a whole cluster in one process, on CAF's real scheduler.
//
// Every node is the real secrets::node_engine in a node actor, with its Raft
// log and share journal on real files (posix_file_system) in a fresh
// temporary directory, so crashing a node and restarting it is a real
// restart from disk. One client actor hosts the real secrets::client_engine.
// The demo narrates what happens with elapsed wall-clock timestamps: the
// election, puts and reads, two refresh epochs that change every share, a
// crashed leader and the re-election, a read with a node down, the restart
// and catch-up, a node that loses its share journal and is recovered, then a
// summary with measured latencies.
//
// This is a shell, not a core: it reads the steady clock and sleeps on a
// condition variable. It prints the demo's own made-up payloads and public
// share fingerprints (computed inside each node actor), never a share, a
// sub-share, a key or an envelope.
#include <boost/program_options.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <iostream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "caf/actor_system.hpp"
#include "caf/actor_system_config.hpp"
#include "caf/exit_reason.hpp"
#include "caf/scoped_actor.hpp"
#include "caf/send.hpp"

#include "actors/engine_actor.hpp"
#include "actors/messages.hpp"
#include "actors/demo_watch.hpp"
#include "actors/wall_clock.hpp"
#include "commands.hpp"
#include "crypto/random_source.hpp"
#include "secrets/cluster.hpp"
#include "secrets/node_engine.hpp"
#include "actors/client_host.hpp"
#include "storage/posix_file_system.hpp"

namespace po = boost::program_options;

namespace pss::cli {

namespace {

constexpr const char* description =
  "Runs a whole pss cluster inside this one process on CAF's real, threaded scheduler:\n"
  "every node is the real secrets node engine in its own actor, with its Raft log and\n"
  "share journal on real files in a fresh temporary directory (removed at exit), and one\n"
  "client actor runs the real client engine. It narrates, with elapsed seconds:\n"
  "  1. the nodes start and elect a leader;\n"
  "  2. a secret is put (split into one verified share per node) and read back;\n"
  "  3. two refresh epochs: each node's share changes (a fingerprint of it is shown\n"
  "     before and after), the secret does not, and it is read back;\n"
  "  4. a few more secrets are put and read;\n"
  "  5. the leader is crashed (its actor killed): a new leader is elected, the secrets\n"
  "     are still read from the remaining nodes, and one more secret is put;\n"
  "  6. the crashed node restarts from its disk and catches up with the leader;\n"
  "  7. a follower loses its share journal and restarts: a recovery round rebuilds\n"
  "     exactly the shares it had (same fingerprint), and the secret is read back;\n"
  "  8. a summary: leaders elected, operations, median put/get latency, refresh\n"
  "     epochs, recoveries, total time.\n"
  "The payloads are made-up demo values and are printed; shares and keys never are.\n"
  "A fingerprint is 4 bytes of a hash of a node's share, computed inside the node.\n"
  "The cluster's node keys are derived from --seed (NOT secure: a demo only).\n\n"
  "exit codes: 0 every step worked, 1 a step failed (the message says which), 2 bad usage.";

// Bounds of the demo's waits: generous next to Raft's 150-300 ms election
// timeout and the client's 1 s ack timeout, small enough to fail promptly.
constexpr std::chrono::milliseconds leader_wait_max{5'000};
constexpr std::chrono::milliseconds catch_up_wait_max{5'000};
constexpr std::chrono::milliseconds operation_wait_max{15'000};
constexpr std::chrono::milliseconds actor_exit_wait_max{3'000};
// A refresh round is a handful of Raft entries; a recovery waits for the
// node's periodic holder check (4 round resend intervals, 1.6 s) twice.
constexpr std::chrono::milliseconds refresh_wait_max{5'000};
constexpr std::chrono::milliseconds recovery_wait_max{8'000};
constexpr std::chrono::milliseconds status_wait_max{2'000};
constexpr std::chrono::milliseconds status_poll_interval{10};
constexpr std::size_t refresh_epochs_shown = 2;
constexpr std::size_t demo_nodes_max = 9;

using clock_type = std::chrono::steady_clock;


struct demo_options {
  std::size_t nodes = 5;
  std::size_t threshold = 3;
  std::uint64_t seed = 1;
};

class demo {
public:
  explicit demo(demo_options o)
    : options_(o), cluster_(secrets::make_test_cluster(o.nodes, o.threshold, o.seed)),
      watch_(o.nodes), nodes_(o.nodes), began_(clock_type::now()) {
    actors::register_message_types(cfg_);
    cfg_.set("logger.verbosity", caf::atom("quiet"));
    cfg_.set("logger.console", caf::atom("none"));
    // Idle workers otherwise sleep between steal attempts, which dominates
    // the latency of a sequential request/response chain.
    cfg_.set("work-stealing.moderate-sleep-duration", caf::timespan{0});
    system_.emplace(cfg_);
    directory_ = std::make_shared<actors::local_peer_directory>();
  }

  ~demo() { shutdown(); }

  void run() {
    const std::string every_node = "each node verified and stored its own sealed share; no node holds the secret";
    say("starting " + std::to_string(options_.nodes) + " nodes (threshold t = " + std::to_string(options_.threshold)
        + ": any " + std::to_string(options_.threshold) + " shares rebuild a secret, "
        + std::to_string(options_.threshold - 1) + " reveal nothing)");
    say("each node keeps its Raft log and share journal on disk under " + dir_.path() + "/node-<i>");
    const auto booting = clock_type::now();
    for (std::size_t i = 1; i <= options_.nodes; ++i) boot(i, true);
    say("the " + std::to_string(options_.nodes) + " node actors are running (creating and syncing their "
        "directories took " + std::to_string(ms_since(booting)) + " ms); they hold an election");
    const std::size_t first_leader = await_leader(0, "the first election", booting);

    spawn_client();
    const std::string greeting_name = "demo/greeting";
    const std::string greeting = "hello from the pss demo";
    put(greeting_name, greeting, every_node);
    get(greeting_name, greeting, "");
    // The put completed when the leader applied it; the followers apply it
    // and promote their shares a moment later.
    std::vector<actors::node_status> epoch0;
    if (!poll(greeting_name, catch_up_wait_max, every_node_holds, epoch0))
      throw demo_failure{"not every node holds a live share of " + greeting_name + " within "
                         + std::to_string(catch_up_wait_max.count()) + " ms (" + fingerprints(epoch0) + ")"};
    say("each node's share of " + greeting_name + " in epoch " + std::to_string(epoch0.front().epoch)
        + " (fingerprint: 4 bytes of a hash of the share, computed inside the node; the share never leaves it): "
        + fingerprints(epoch0));
    for (std::size_t e = 0; e < refresh_epochs_shown; ++e) refresh_epoch(greeting_name, greeting);

    const std::vector<std::pair<std::string, std::string>> more = {
      {"demo/db-password", "not-a-real-password-42"},
      {"demo/api-key", "demo-api-key-0123456789"},
      {"demo/root-key", "made-up root key for the demo"},
    };
    for (const auto& [name, value] : more) put(name, value, every_node);
    for (const auto& [name, value] : more) get(name, value, "");

    const std::uint64_t old_term = watch_.views().at(first_leader - 1).term;
    const auto crashed_at = clock_type::now();
    crash(first_leader);
    await_leader(old_term, "the re-election", crashed_at);
    get(greeting_name, greeting, " with node " + std::to_string(first_leader) + " down");
    put("demo/while-down", "written while a node was down",
        "the " + std::to_string(options_.nodes - 1) + " live nodes each stored a share (the client waited up to "
        "1 s for the crashed node's ack, then registered the secret with the nodes that stored one)");

    restart(first_leader);
    get("demo/while-down", "written while a node was down", "");
    for (const auto& [name, value] : more) get(name, value, " after the restart");
    lose_shares(greeting_name, greeting);
    summary();
  }

  void shutdown() {
    if (!system_) return;
    directory_->clear();
    for (auto& n : nodes_)
      if (n.actor) caf::anon_send_exit(n.actor, caf::exit_reason::user_shutdown);
    if (client_) caf::anon_send_exit(client_, caf::exit_reason::user_shutdown);
    for (auto& n : nodes_) n.actor = caf::actor{};
    client_ = caf::actor{};
    system_.reset(); // waits for every actor to finish
    observers_.clear();
  }

private:
  struct node_record {
    caf::actor actor;
    std::string data_dir;
  };

  void say(const std::string& line) {
    std::printf("[%6.3fs] %s\n", elapsed_seconds(), line.c_str());
    std::fflush(stdout);
  }
  [[nodiscard]] double elapsed_seconds() const {
    return std::chrono::duration<double>(clock_type::now() - began_).count();
  }
  [[nodiscard]] actors::millis now() {
    return std::chrono::duration_cast<actors::millis>(system_->clock().now().time_since_epoch());
  }

  void boot(std::size_t i, bool first) {
    node_record& n = nodes_.at(i - 1);
    if (first) {
      n.data_dir = dir_.path() + "/node-" + std::to_string(i);
      std::error_code ec;
      std::filesystem::create_directory(n.data_dir, ec);
      if (ec) throw demo_failure{"cannot create " + n.data_dir + ": " + ec.message()};
    }
    secrets::node_options o;
    o.cluster = cluster_.view;
    o.data_dir = n.data_dir;
    o.first_start = first;
    o.admin_key = identity_->public_key;
    o.wall_clock_offset = wall_offset_;
    o.prng_seed = options_.seed * 1'000 + i + (first ? 0 : 500);
    auto opened = secrets::node_engine::open(std::move(o), cluster_.keys.at(i - 1).clone(), fs_,
                                             std::make_unique<crypto::system_random>(), now());
    if (!opened.ok())
      throw demo_failure{"node " + std::to_string(i) + " could not open its storage in " + n.data_dir + ": "
                         + opened.err().describe()};
    std::shared_ptr<secrets::node_engine> engine{std::move(*opened)};
    watch_.update(i - 1, engine->raft());

    auto observer = std::make_unique<node_observer>(watch_, i - 1, *engine);
    auto slot = std::make_shared<actors::host_slot>();
    slot->self = secrets::endpoint::of(node_id{i});
    slot->engine = engine;
    slot->directory = directory_;
    slot->hooks = observer.get();
    const secrets::node_engine* raw = engine.get(); // the slot owns both the engine and this function
    slot->status = [raw](const std::string& name) { return public_status(*raw, name); };
    observers_.push_back(std::move(observer)); // outlives the actor (freed at shutdown)
    n.actor = actors::spawn_node_actor(*system_, slot);
    directory_->set(slot->self, n.actor);
  }

  // Waits for a leader of a term above term_above; `since` is when the
  // election became necessary.
  std::size_t await_leader(std::uint64_t term_above, const std::string& what, clock_type::time_point since) {
    std::size_t leader = 0;
    const bool elected = watch_.wait(leader_wait_max, [&](const std::vector<node_view>& v) {
      leader = current_leader(v, term_above);
      return leader != 0;
    });
    if (!elected)
      throw demo_failure{"no leader was elected within " + std::to_string(leader_wait_max.count()) + " ms ("
                         + what + ")"};
    const auto v = watch_.views();
    say("node " + std::to_string(leader) + " was elected leader for term " + std::to_string(v.at(leader - 1).term)
        + " (" + what + ", " + std::to_string(ms_since(since)) + " ms after " + (term_above == 0 ? "the start" : "the crash") + ")");
    return leader;
  }

  void spawn_client() {
    secrets::client_options co;
    co.id = client_id{1};
    co.identity = identity_;
    co.wall_clock_offset = wall_offset_;
    co.nodes = cluster_.view.node_ids();
    co.expected_cluster_id = cluster_.view.cluster_id;
    auto slot = std::make_shared<actors::client_slot>();
    slot->self = secrets::endpoint::of(client_id{1});
    slot->engine = std::make_shared<actors::secrets_client_host>(co, std::make_unique<crypto::system_random>());
    slot->directory = directory_;
    client_ = actors::spawn_client_actor(*system_, slot);
    directory_->set(slot->self, client_);
  }

  [[nodiscard]] static long ms_since(clock_type::time_point t) {
    return static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now() - t).count());
  }

  // Runs one client operation and returns its result and wall latency in ms.
  std::pair<actors::client_operation_result, double> operate(actors::op_kind kind, const std::string& name,
                                                              const std::string& value) {
    const std::uint64_t id = next_op_++;
    std::optional<actors::client_operation_result> got;
    caf::scoped_actor self{*system_};
    const auto started = clock_type::now();
    self->send(client_, actors::client_operation_request{id, static_cast<std::uint8_t>(kind), name,
                                                         std::vector<std::uint8_t>(value.begin(), value.end())});
    self->receive([&](actors::client_operation_result& r) { got = std::move(r); },
                  caf::after(operation_wait_max) >> [] {});
    const double ms = std::chrono::duration<double, std::milli>(clock_type::now() - started).count();
    if (!got)
      throw demo_failure{std::string{actors::to_string(kind)} + " " + name + ": the client did not answer within "
                         + std::to_string(operation_wait_max.count()) + " ms"};
    if (got->op_id != id) throw demo_failure{"the client answered another operation than " + name};
    return {std::move(*got), ms};
  }

  void put(const std::string& name, const std::string& value, const std::string& remark) {
    auto [r, ms] = operate(actors::op_kind::put, name, value);
    if (r.outcome != static_cast<std::uint8_t>(actors::op_outcome::ok))
      throw demo_failure{"put " + name + " failed (" + actors::to_string(static_cast<actors::op_outcome>(r.outcome))
                         + "): " + r.note};
    put_ms_.push_back(ms);
    say("put " + name + " = \"" + value + "\" in " + format_ms(ms) + " ms: " + remark);
  }

  void get(const std::string& name, const std::string& expected, const std::string& remark) {
    auto [r, ms] = operate(actors::op_kind::get, name, "");
    if (r.outcome != static_cast<std::uint8_t>(actors::op_outcome::ok))
      throw demo_failure{"get " + name + " failed (" + actors::to_string(static_cast<actors::op_outcome>(r.outcome))
                         + "): " + r.note};
    const std::string read(r.value.begin(), r.value.end());
    if (read != expected)
      throw demo_failure{"get " + name + " read back a different value than was put"};
    get_ms_.push_back(ms);
    say("get " + name + " in " + format_ms(ms) + " ms: rebuilt from " + std::to_string(options_.threshold)
        + " verified shares, equal to what was put" + remark);
  }

  static std::string format_ms(double ms) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", ms);
    return buf;
  }

  void crash(std::size_t i) {
    say("crashing node " + std::to_string(i) + ", the leader (its actor is killed; its files stay on disk)");
    stop(i);
    ++crashes_;
  }

  void stop(std::size_t i) {
    node_record& n = nodes_.at(i - 1);
    directory_->erase(secrets::endpoint::of(node_id{i}));
    caf::scoped_actor self{*system_};
    self->monitor(n.actor);
    caf::anon_send_exit(n.actor, caf::exit_reason::kill);
    bool gone = false;
    self->receive([&](caf::down_msg&) { gone = true; }, caf::after(actor_exit_wait_max) >> [] {});
    if (!gone) throw demo_failure{"node " + std::to_string(i) + "'s actor did not stop when killed"};
    n.actor = caf::actor{};
    watch_.mark_down(i - 1);
  }

  // Node i's public status for secret `name`, asked of its actor.
  actors::node_status status(std::size_t i, const std::string& name) {
    std::optional<actors::node_status> got;
    caf::scoped_actor self{*system_};
    self->request(nodes_.at(i - 1).actor, status_wait_max, actors::node_status_request{name})
      .receive([&](actors::node_status& s) { got = std::move(s); }, [](caf::error&) {});
    if (!got || !got->answered)
      throw demo_failure{"node " + std::to_string(i) + " did not report its status within "
                         + std::to_string(status_wait_max.count()) + " ms"};
    return *got;
  }

  std::vector<actors::node_status> statuses(const std::string& name) {
    std::vector<actors::node_status> out;
    for (std::size_t i = 1; i <= options_.nodes; ++i) out.push_back(status(i, name));
    return out;
  }

  static std::string fingerprints(const std::vector<actors::node_status>& s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i)
      out += (i ? ", " : "") + std::string{"node "} + std::to_string(i + 1) + " "
             + (s[i].fingerprint.empty() ? "none" : s[i].fingerprint);
    return out;
  }

  static bool every_node_holds(const std::vector<actors::node_status>& v) {
    return std::all_of(v.begin(), v.end(), [](const actors::node_status& s) { return !s.fingerprint.empty(); });
  }

  // Polls every node's status until done(statuses) holds; false at the deadline.
  bool poll(const std::string& name, std::chrono::milliseconds within,
            const std::function<bool(const std::vector<actors::node_status>&)>& done,
            std::vector<actors::node_status>& last) {
    const auto deadline = clock_type::now() + within;
    for (;;) {
      last = statuses(name);
      if (done(last)) return true;
      if (clock_type::now() >= deadline) return false;
      std::this_thread::sleep_for(status_poll_interval);
    }
  }

  // One refresh epoch: request it, wait for every node to apply its commit,
  // check that every share changed, and read the secret back.
  void refresh_epoch(const std::string& name, const std::string& value) {
    const auto before = statuses(name);
    const std::uint64_t epoch = before.front().epoch;
    const auto started = clock_type::now();
    auto [r, ms] = operate(actors::op_kind::refresh, "", "");
    if (r.outcome != static_cast<std::uint8_t>(actors::op_outcome::ok))
      throw demo_failure{"the refresh request failed ("
                         + std::string{actors::to_string(static_cast<actors::op_outcome>(r.outcome))} + "): " + r.note};
    say("requested refresh epoch " + std::to_string(epoch + 1) + " (accepted in " + format_ms(ms)
        + " ms): every node deals to every other a random polynomial that is zero at 0, so each share "
        "changes and the secret does not");
    std::vector<actors::node_status> after;
    const bool committed = poll(name, refresh_wait_max, [&](const std::vector<actors::node_status>& v) {
      return std::all_of(v.begin(), v.end(), [&](const actors::node_status& s) {
        return s.epoch > epoch && !s.round_running && !s.fingerprint.empty();
      });
    }, after);
    if (!committed)
      throw demo_failure{"refresh epoch " + std::to_string(epoch + 1) + " did not commit on every node within "
                         + std::to_string(refresh_wait_max.count()) + " ms (" + fingerprints(after) + ")"};
    const double epoch_ms = std::chrono::duration<double, std::milli>(clock_type::now() - started).count();
    std::string changes;
    for (std::size_t i = 0; i < after.size(); ++i) {
      if (after[i].fingerprint == before[i].fingerprint)
        throw demo_failure{"node " + std::to_string(i + 1) + "'s share did not change in refresh epoch "
                           + std::to_string(after[i].epoch) + " (fingerprint " + after[i].fingerprint + " both times)"};
      changes += (i ? ", " : "") + std::string{"node "} + std::to_string(i + 1) + " " + before[i].fingerprint
                 + " -> " + after[i].fingerprint;
    }
    epoch_ms_.push_back(epoch_ms);
    say("refresh epoch " + std::to_string(after.front().epoch) + " committed on every node " + format_ms(epoch_ms)
        + " ms after the request; fingerprints changed on every node: " + changes);
    get(name, value, " (from epoch " + std::to_string(after.front().epoch) + " shares)");
  }

  // A follower loses its share journal (its Raft state stays) and restarts;
  // the cluster recovers exactly its shares (docs/refresh.md §3, HJKY).
  void lose_shares(const std::string& name, const std::string& value) {
    const auto views = watch_.views();
    const std::size_t leader = current_leader(views);
    std::size_t victim = 0;
    // The highest-numbered live follower: not the node just restarted, so
    // the loss is the only thing it has to recover from.
    for (std::size_t i = options_.nodes; i >= 1 && victim == 0; --i)
      if (i != leader && views.at(i - 1).up) victim = i;
    if (victim == 0) throw demo_failure{"no live follower to take the shares of"};
    const std::string who = "node " + std::to_string(victim);
    const auto before = status(victim, name);
    if (before.fingerprint.empty()) throw demo_failure{who + " holds no share of " + name + " before the loss"};
    say(who + " loses its shares: its actor is stopped and its share journal (shares/journal, shares/identity) "
        "is deleted; its Raft log under raft/ stays. Its share of " + name + " had fingerprint " + before.fingerprint);
    stop(victim);
    const std::string shares_dir = nodes_.at(victim - 1).data_dir + "/shares";
    for (const char* file : {"journal", "identity"}) {
      std::error_code ec;
      if (!std::filesystem::remove(shares_dir + "/" + file, ec))
        throw demo_failure{"cannot delete " + shares_dir + "/" + file + ": "
                           + (ec ? ec.message() : std::string{"it does not exist"})};
    }
    const auto restarted = clock_type::now();
    boot(victim, false);
    say("restarted " + who + " with an empty share journal; waiting for recovery: it finds itself listed as a "
        "holder of shares it lacks, leaves the holder lists (shares_lost), and a recovery round (HJKY) has the "
        "others rebuild its shares without revealing them");
    actors::node_status now_status;
    const auto deadline = clock_type::now() + recovery_wait_max;
    for (;;) {
      now_status = status(victim, name);
      if (!now_status.fingerprint.empty() && !now_status.round_running) break;
      if (clock_type::now() >= deadline)
        throw demo_failure{who + " did not recover its share of " + name + " within "
                           + std::to_string(recovery_wait_max.count()) + " ms of its restart"};
      std::this_thread::sleep_for(status_poll_interval);
    }
    recovery_ms_ = std::chrono::duration<double, std::milli>(clock_type::now() - restarted).count();
    if (now_status.fingerprint != before.fingerprint)
      throw demo_failure{who + " recovered a different share of " + name + " (fingerprint " + now_status.fingerprint
                         + ", before the loss " + before.fingerprint + ")"};
    say(who + " recovered " + format_ms(recovery_ms_) + " ms after its restart: its share of " + name
        + " has fingerprint " + now_status.fingerprint + " again, equal to before the loss (recovery rebuilds "
        "the exact current share)");
    get(name, value, " after " + who + "'s recovery");
  }

  void restart(std::size_t i) {
    const auto started = clock_type::now();
    boot(i, false);
    const auto boot_view = watch_.views().at(i - 1);
    say("restarted node " + std::to_string(i) + " from its disk: it reopened its log at applied index "
        + std::to_string(boot_view.applied) + ", term " + std::to_string(boot_view.term));
    std::uint64_t leader_commit = 0, applied = 0;
    std::size_t leader = 0;
    const bool caught_up = watch_.wait(catch_up_wait_max, [&](const std::vector<node_view>& v) {
      leader = current_leader(v);
      if (leader == 0 || leader == i) return false;
      leader_commit = v.at(leader - 1).commit;
      applied = v.at(i - 1).applied;
      return applied >= leader_commit && applied > boot_view.applied;
    });
    if (!caught_up)
      throw demo_failure{"node " + std::to_string(i) + " did not catch up within "
                         + std::to_string(catch_up_wait_max.count()) + " ms (applied " + std::to_string(applied)
                         + ", leader's commit " + std::to_string(leader_commit) + ")"};
    say("node " + std::to_string(i) + " caught up: its applied index " + std::to_string(applied)
        + " reached leader node " + std::to_string(leader) + "'s commit index " + std::to_string(leader_commit)
        + " (" + std::to_string(ms_since(started)) + " ms after the restart)");
  }

  static double median(std::vector<double> v) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    const std::size_t m = v.size() / 2;
    return v.size() % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
  }

  void summary() {
    const auto leaders = watch_.leaders();
    std::string who;
    for (const auto& e : leaders)
      who += (who.empty() ? "" : ", ") + std::string{"node "} + std::to_string(e.node) + " (term "
             + std::to_string(e.term) + ")";
    say("summary: " + std::to_string(options_.nodes) + " nodes, t = " + std::to_string(options_.threshold) + ", "
        + std::to_string(leaders.size()) + " leaders elected [" + who + "], " + std::to_string(crashes_)
        + " crash and restart");
    say("summary: " + std::to_string(put_ms_.size()) + " puts, median " + format_ms(median(put_ms_)) + " ms; "
        + std::to_string(get_ms_.size()) + " gets, median " + format_ms(median(get_ms_)) + " ms (real scheduler)");
    const std::size_t leader = current_leader(watch_.views());
    const auto stats = status(leader != 0 ? leader : 1, "");
    say("summary: " + std::to_string(stats.refresh_epochs_committed) + " refresh epochs committed (median "
        + format_ms(median(epoch_ms_)) + " ms from request to commit on every node), "
        + std::to_string(stats.recoveries) + (stats.recoveries == 1 ? " recovery" : " recoveries") + " (the lost shares were rebuilt " + format_ms(recovery_ms_)
        + " ms after the restart)");
    char total[64];
    std::snprintf(total, sizeof total, "%.2f", elapsed_seconds());
    say(std::string{"demo complete in "} + total + " s: every step worked");
  }

  demo_options options_;
  secrets::test_cluster cluster_;
  cluster_watch watch_;
  std::vector<node_record> nodes_;
  clock_type::time_point began_;
  temp_dir dir_;
  storage::posix_file_system fs_;
  // The demo's one client is the cluster's admin; its key lives in memory only.
  std::shared_ptr<const crypto::sign_key_pair> identity_ = [] {
    crypto::system_random r;
    return std::make_shared<const crypto::sign_key_pair>(crypto::sign_key_pair::generate(r));
  }();
  access::unix_ms wall_offset_ = actors::wall_clock_offset();
  caf::actor_system_config cfg_;
  std::optional<caf::actor_system> system_;
  std::shared_ptr<actors::local_peer_directory> directory_;
  std::vector<std::unique_ptr<node_observer>> observers_;
  caf::actor client_;
  std::uint64_t next_op_ = 1;
  std::size_t crashes_ = 0;
  std::vector<double> put_ms_, get_ms_, epoch_ms_;
  double recovery_ms_ = 0;
};

} // namespace

int run_demo(int argc, char** argv) {
  po::options_description options{"options"};
  options.add_options()
    ("help,h", "show this help")
    ("nodes", po::value<std::size_t>()->default_value(5), "cluster size (4..9)")
    ("threshold", po::value<std::size_t>()->default_value(3), "shares needed to rebuild a secret (2..nodes-2)")
    ("seed", po::value<std::uint64_t>()->default_value(1), "derives the cluster's node keys (demo only, not secure)");
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(options).run(), vm);
    if (vm.count("help")) {
      std::cout << "usage: pss demo [options]\n\n" << description << "\n\n" << options;
      return exit_code::ok;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "pss demo: " << e.what() << " (try --help)\n";
    return exit_code::usage;
  }
  demo_options o;
  o.nodes = vm["nodes"].as<std::size_t>();
  o.threshold = vm["threshold"].as<std::size_t>();
  o.seed = vm["seed"].as<std::uint64_t>();
  // One node is crashed, and a put made meanwhile needs t+1 nodes to store
  // a share (holders_min), so t + 2 <= nodes.
  if (o.nodes < 4 || o.nodes > demo_nodes_max) {
    std::cerr << "pss demo: --nodes must be between 4 and " << demo_nodes_max << " (try --help)\n";
    return exit_code::usage;
  }
  if (o.threshold < 2 || o.threshold + 2 > o.nodes) {
    std::cerr << "pss demo: --threshold must be between 2 and --nodes minus 2: with one node crashed, a put "
                 "still needs t+1 nodes to store a share (try --help)\n";
    return exit_code::usage;
  }
  try {
    demo d{o};
    d.run();
    d.shutdown();
  } catch (const std::exception& e) { // demo_failure, or CAF or the library failing
    std::cerr << "pss demo: FAILED: " << e.what() << "\n";
    return exit_code::failed;
  }
  return exit_code::ok;
}

} // namespace pss::cli
