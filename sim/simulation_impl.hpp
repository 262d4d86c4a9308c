// The simulator's state and the declarations of its parts, shared by the
// files that define them (private to sim/; the public face is simulator.hpp):
//   simulator.cpp      construction, the network actor, node boot / crash /
//                      restart, the host hooks (checkers), the event loop
//   sim_workload.cpp   client actors and the workload actor, the history
//   sim_nemesis.cpp    faults: partitions, crashes, wipes, transfers, rejoins
//   sim_final.cpp      healing, liveness, settling recoveries, probe reads and
//                      the end-of-run secrets checks
//   sim_byzantine.cpp  the Byzantine adversary's construction, moves and checker
#pragma once

#include "sim/simulator.hpp"

#include <array>
#include <algorithm>
#include <map>
#include <memory>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "caf/actor_system.hpp"
#include "caf/actor_system_config.hpp"
#include "caf/event_based_actor.hpp"
#include "caf/exit_reason.hpp"
#include "caf/scheduler/test_coordinator.hpp"
#include "caf/send.hpp"
#include "caf/stateful_actor.hpp"

#include "actors/engine_actor.hpp"
#include "actors/messages.hpp"
#include "actors/reply_sender.hpp"
#include "core/prng.hpp"
#include "raft/cluster_checker.hpp"
#include "checkers/runaway.hpp"
#include "sim/durability_checker.hpp"
#include "sim/fault_plan.hpp"
#include "sim/read_freshness.hpp"
#include "sim/raft_engine.hpp"
#include "sim/secrets_checkers.hpp"
#include "sim/seal_key_checker.hpp"
#include "sim/round_checker.hpp"
#include "sim/byzantine.hpp"
#include "sim/share_corruption.hpp"
#include "sim/secrets_engine.hpp"
#include "storage/data_dir.hpp"
#include "storage/sim_disk.hpp"

namespace pss::sim {

using actors::wire_message;
using secrets::endpoint;

// How often progress prints, and the shape of the workload.
inline constexpr millis progress_step{5000};
inline constexpr std::size_t keys_in_workload = 3;
inline constexpr std::size_t keys_in_refresh_workload = 16;
// The share stores of a run whose adversary fills them (fills_stores): room
// for the refresh workload's live shares twice over (16 names, 8 versions,
// old and new epoch) and the honest clients' pending ones, and small enough
// that the filler reaches every limit within a second of simulated time.
inline constexpr secrets::share_limits filled_store_limits{1024, 512, 96};
inline constexpr millis think_time_max{40};

inline std::uint64_t code_of(endpoint e) { return (static_cast<std::uint64_t>(e.kind) << 56) ^ e.id; }
inline endpoint endpoint_of_code(std::uint64_t code) {
  return endpoint{static_cast<secrets::endpoint_kind>(code >> 56), code & ((std::uint64_t{1} << 56) - 1)};
}

struct simulation::impl final : actors::host_hooks {
  // The actor system comes first so it is destroyed last.
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  caf::scheduler::test_coordinator* sched = nullptr;

  sim_options opts;
  std::ostream* progress = nullptr;
  prng master;
  prng chaos_rng;
  prng net_rng;
  prng sched_rng;
  prng disk_rng;
  prng workload_rng;
  fault_plan plan;
  raft::options raft_opts;
  raft::configuration initial;
  std::vector<node_id> node_ids;
  bool secrets_mode = false;
  secrets::test_cluster cluster; // secrets mode: keys and the public view

  struct node_slot {
    node_id id;
    storage::sim_disk disk;
    std::shared_ptr<sim_node_engine> engine;
    std::shared_ptr<actors::host_slot> slot;
    caf::actor actor;
    bool up = false;
    bool wiped = false;      // storage refused to start it: its disk was wiped
    bool disk_wiped = false; // the nemesis wiped its disk (restart will be refused)
    bool joining = false;    // a new incarnation that replaces a wiped node
    bool sync_failure_armed = false;
    // Bumped at every boot. A message carries its endpoints' incarnations,
    // and one whose sender or receiver has been reborn since is lost, as on
    // a TCP connection that closed with the old process.
    std::uint64_t incarnation = 0;
    // What the share checkers last saw: incarnation, share store mutations,
    // applied index. They look again only when it moved (they scan every
    // share, and ran after every input: a third of a calm run's time).
    std::optional<std::array<std::uint64_t, 3>> share_checks_at;
    std::uint64_t epochs_committed_seen = 0; // the most refresh commits it ever applied
  };
  std::map<node_id, node_slot> nodes;

  struct client_info {
    std::shared_ptr<actors::client_slot> slot;
    std::shared_ptr<actors::client_host_engine> engine;
    std::shared_ptr<raft_client_engine> raft_client;       // raft mode
    std::shared_ptr<secrets_client_host> secrets_client;   // secrets mode
    caf::actor actor;
    std::uint64_t seq = 0;
    bool busy = false;
  };
  std::vector<client_info> clients; // index 0 is client 1

  std::shared_ptr<actors::local_peer_directory> targets;
  std::shared_ptr<actors::relay_peer_directory> relay;
  caf::actor network;
  caf::actor workload;

  // A wiped node comes back as a new member: the operator removes the old
  // id, adds a fresh one as a learner, and promotes it once it caught up
  // (raft checklist item 27; thesis §4 single-server changes).
  struct rejoin {
    node_id old_id;
    node_id new_id; // no_node until the new incarnation boots
  };
  std::vector<rejoin> rejoins;
  std::uint64_t next_admin_op = 1;

  std::set<std::pair<node_id, node_id>> cuts; // directed: from, to
  std::set<std::pair<std::uint64_t, node_id>> client_cuts; // client id, node: both ways
  raft::cluster_checker checker;
  std::set<term_id> leader_terms;
  std::vector<std::string> violations;
  std::vector<node_id> halted;
  trace_hasher trace;
  sim_report counters;
  std::vector<history_event> history;
  std::map<std::uint64_t, actors::completion> completions;
  std::map<std::uint64_t, std::size_t> op_client; // op id -> client index
  std::map<std::string, std::set<bytes>> values_put;
  std::uint64_t next_op = 1;
  bool safety_phase = true;
  millis next_chaos{0};
  millis next_progress{0};
  millis refresh_interval{0};      // secrets mode, refresh profiles
  share_epoch_checker epochs;      // secrets mode
  holder_checker holders;          // secrets mode
  seal_key_checker seal_keys{sim_seal_key_grace}; // secrets mode
  durability_checker durability;
  read_freshness_checker freshness;
  runaway_guard runaway;
  std::unique_ptr<share_corruptor> corruptor; // secrets mode
  std::unique_ptr<adversary> byzantine;       // secrets mode, --byzantine K
  prng byzantine_rng{0};                      // drawn from the seed only with --byzantine
  // refresh-faults with crashes: a node that just applied a refresh commit
  // is crashed a little later, often before its next snapshot, so that it
  // restarts with a catalog behind its new epoch's live shares. Its own
  // stream, so that the other faults of a seed stay as they were.
  prng commit_crash_rng{opts.seed ^ 0xC0117C4A5Bull};
  std::vector<std::pair<millis, node_id>> commit_crashes; // when, whom
  std::unique_ptr<round_checker> rounds;      // secrets mode

  // ---- membership (--profile membership; sim_membership.cpp) ----------------
  // The operator makes one committee change at a drawn moment, with the
  // admin's signed request to every member until a catalog records it. Its
  // own streams, so that the other profiles' schedules stay as they were.
  struct member_change {
    millis at{0};
    secrets::committee_change_kind kind = secrets::committee_change_kind::remove;
    node_id target; // the member removed or replaced
    millis next_send{0};
    std::uint64_t sent = 0;
    bool recorded = false;
    // An add the operator calls off (removes the newcomer) once recorded.
    bool call_off = false;
    bool newcomer_down = false; // the called-off newcomer never starts
    bool call_off_recorded = false;
    bool lower = false;          // a change of t lowers it by one (else it raises it)
    bool degree_checked = false; // a change of t: the versions it dealt were checked once it committed
  };
  std::optional<member_change> member_plan;
  prng membership_rng{opts.seed ^ 0x3E3BE125ull};
  std::unique_ptr<crypto::seeded_random> membership_nonces;
  std::map<log_index, std::uint64_t> committee_at; // the committee checker's view digest per applied index
  // A rotation (--membership-change rotate; sim_rotation.cpp): the target's
  // next keys until its host adopts them, the public keys it retired, and
  // every identity and sealing key it held before the rotation (what a
  // thief of its old keys may hold).
  std::optional<secrets::node_keys> rotation_next;
  std::vector<secrets::member_keys> rotation_retired;
  std::vector<crypto::box_public_key> pre_rotation_keys;
  bool rotation_adopted = false;
  void start_rotation();
  // What node `id` boots with besides its keys: a rotation's target holds
  // its next keys, then its retired ones.
  [[nodiscard]] std::pair<const secrets::node_keys*, std::vector<secrets::member_keys>> rotation_keys_of(node_id id) const;
  void follow_rotation(node_slot& n);
  void check_rotation(const secrets::node_engine& e, std::vector<std::string>& found);
  [[nodiscard]] secrets::committee_change rotation_change() const;
  void plan_membership();
  void membership_step();
  [[nodiscard]] bool member_change_recorded() const;
  void call_off_step();
  // Whether `by` dropped m: a first member its view no longer has, or the
  // newcomer of an add called off once `by` removed it.
  [[nodiscard]] bool dropped(node_id m, const secrets::catalog& by) const;
  void send_member_request(const secrets::committee_change& change, sequence_number sequence);
  // The operator's client endpoint: after the adversary's filler.
  [[nodiscard]] std::size_t operator_client() const noexcept { return opts.clients + 5; }
  // Whether some live node's view dropped `id`, a member of the first view.
  [[nodiscard]] bool removed_member(node_id id) const;
  // The committee checkers (docs/refresh.md §7.7), after a node's input.
  void check_committee(const secrets::node_engine& e, std::vector<std::string>& found);
  void check_removed_shares(const secrets::node_engine& holder, const secrets::catalog& by, std::vector<std::string>& found) const;
  void check_changed_degree(const secrets::catalog& by, std::vector<std::string>& found);

  impl(sim_options o, std::ostream* out);
  ~impl() override { shutdown(); }


  void say(const std::string& line) {
    if (progress) *progress << line << '\n';
  }

  [[nodiscard]] millis now() const {
    return std::chrono::duration_cast<millis>(sched->clock().now().time_since_epoch());
  }

  void violation(std::string what) {
    if (std::find(violations.begin(), violations.end(), what) == violations.end())
      violations.push_back(std::move(what));
  }

  // ---- network actor -------------------------------------------------------
  void spawn_network();

  // The incarnation of a node endpoint (clients never restart: 0).
  [[nodiscard]] std::uint64_t incarnation_of(endpoint e) const {
    if (!e.is_node()) return 0;
    auto it = nodes.find(e.as_node());
    return it == nodes.end() ? 0 : it->second.incarnation;
  }

  // A node's message that reaches the network after its sender died (it was
  // still in the network's mailbox) belongs to a closed connection.
  [[nodiscard]] bool sent_by_dead_incarnation(caf::event_based_actor* self, endpoint from) const;

  // A message an actor sent: the sender check, then the Byzantine
  // adversary's view of it (--byzantine), then transmit.
  void route(caf::event_based_actor* self, wire_message m);

  // The network's faults (drop, corrupt, duplicate, delay), then deliver.
  // `link`: the connection the message travels over, which a client host
  // trusts instead of the message's claimed sender.
  void transmit(caf::event_based_actor* self, wire_message m, endpoint link, millis extra_delay);

  void deliver(caf::event_based_actor* self, wire_message m, std::uint64_t from_incarnation,
               std::uint64_t to_incarnation, endpoint link);

  // --byzantine: the adversary's moves at a nemesis step, and its checker.
  void make_adversary();
  // A Byzantine node's part in refresh rounds, by seed and id (refresh
  // profiles with --byzantine; none otherwise).
  [[nodiscard]] secrets::round_misbehaviour misbehaviour_of(node_id n) const;
  // Whether the adversary also runs its store filler (one seed in three of
  // those with round strategies); the stores are then small enough to fill.
  [[nodiscard]] bool fills_stores() const;
  [[nodiscard]] adversary::setup::filler make_filler();
  [[nodiscard]] bool is_byzantine(node_id n) const {
    return opts.byzantine > 0 && n.value() > opts.nodes - static_cast<std::size_t>(opts.byzantine);
  }
  // The epoch-age checker: once healed, with every node up and connected and
  // enough honest ones for a commit, some refresh commits within three
  // refresh intervals (at least two round phase timeouts each).
  void check_epoch_age();
  void describe_rounds(const secrets::node_engine& e, std::ostream& o) const;
  void byzantine_step();
  void check_adversary_shares();
  // The adversary's client endpoint: after the stranger.
  [[nodiscard]] std::size_t adversary_client() const noexcept { return opts.clients + 3; }
  // Its store filler's client endpoint.
  [[nodiscard]] std::size_t filler_client() const noexcept { return opts.clients + 4; }

  // ---- nodes ---------------------------------------------------------------
  raft_engine_config engine_config(node_id id);

  result<std::shared_ptr<sim_node_engine>> open_engine(node_slot& n, bool first);

  bool boot(node_slot& n, bool first);

  void kill(node_slot& n);

  void crash_node(node_slot& n, const char* kind);

  void restart_node(node_slot& n);

  // The checkers, after every input a node processed.
  void check_node(node_slot& n);

  void on_input(millis t, endpoint self, bool tick, endpoint from, byte_view payload) override;

  // "n1 <- n2 append_entries": an input as the runaway guard names it.
  [[nodiscard]] std::string describe_input(endpoint self, bool tick, endpoint from, byte_view payload) const;

  // Durability on send: what a node's message implies must be on its disk
  // now. A client's store request tells the checker what the ack will claim.
  void on_send(millis, endpoint self, endpoint to, byte_view payload) override;
  void check_grant(node_id node, endpoint to, byte_view payload);
  // The stranger (opts.stranger) comes after the workload clients and the
  // final checks' prober.
  [[nodiscard]] std::size_t stranger_client() const noexcept { return opts.clients + 2; }
  [[nodiscard]] bool is_workload_client(std::size_t c) const noexcept {
    return c <= opts.clients || (opts.stranger && secrets_mode && c == stranger_client());
  }

  void after_input(millis, endpoint self) override {
    if (!self.is_node()) return;
    auto it = nodes.find(self.as_node());
    if (it != nodes.end() && it->second.up) check_node(it->second);
  }

  // ---- clients and workload ------------------------------------------------
  void spawn_client(std::size_t c);

  void spawn_workload();

  std::uint64_t start_op(caf::event_based_actor* self, std::size_t c, actors::operation op);

  void issue_random(caf::event_based_actor* self, std::uint64_t c);

  void on_result(caf::event_based_actor* self, actors::client_operation_result& r);

  // The Figure 8 schedule proposes densely: it needs uncommitted entries of
  // old terms lying around when leaders change.
  [[nodiscard]] millis think_max() const { return plan.figure8 ? millis{5} : think_time_max; }

  // ---- the nemesis ---------------------------------------------------------
  std::vector<node_slot*> pick_nodes(bool up);

  std::size_t wiped_count() const {
    std::size_t w = 0;
    for (const auto& [id, n] : nodes) w += n.disk_wiped && !n.wiped && !readmitted(n) ? 1 : 0;
    return w + rejoins.size();
  }

  // Secrets mode: a wiped node is a voter again (its rejoin is done).
  [[nodiscard]] bool readmitted(const node_slot& n) const {
    if (!secrets_mode || !n.up) return false;
    const auto& e = static_cast<const secrets_node_host&>(*n.engine).engine();
    return !e.rejoining() && e.raft().config().is_voter(n.id);
  }

  // The leader is cut off from the other nodes, and some clients can talk
  // to it only, while the others cannot reach it: the stuck clients keep
  // asking a leader that may be deposed while the rest commit elsewhere (a
  // load balancer that never noticed).
  void stuck_leader_partition(node_id lone, bool deaf = false);

  void partition();

  void chaos();
  void watch_commits(node_slot& n, const secrets::node_engine& e);
  void crash_after_commits();

  // The Figure 8 schedule: a leader whose last entries are on a minority
  // often crashes before replicating them further, so that entries of old
  // terms lie on minorities when the next leaders are elected (Raft §5.4.2).
  void crash_leader_with_unreplicated_entries();

  // Let a few syncs pass, then fail one: the engine halts inside a flush and
  // the node crashes with that write unsynced or torn. The failure is aimed
  // at any file, at the Raft directory (the log and the hard state) or, in
  // secrets mode, at the share journal, so that crashes land between every
  // kind of write and the messages that depend on it.
  void arm_mid_flush_crash(node_slot& victim);

  // Secrets mode loses data once per run, so that every version keeps t
  // holders: either the share journal (the Raft state stays) or, half the
  // time, the whole disk, if a majority of the disks stays intact; the node
  // then restarts with --rejoin.
  void lose_data_once(node_slot& victim);

  [[nodiscard]] std::uint64_t fault_count(const std::string& kind) const {
    auto it = counters.faults.find(kind);
    return it == counters.faults.end() ? 0 : it->second;
  }

  void wipe_disk(node_slot& victim);

  // The operator asks the leader to hand leadership to another voter.
  void transfer_leadership();

  void send_admin(node_id to, raft::config_change change);

  // One operator step per nemesis step for the oldest pending rejoin.
  void drive_rejoins();

  // ---- the event loop ------------------------------------------------------
  void handle_halts();

  void drain();

  void print_progress();

  void run_until(millis end);

  [[nodiscard]] std::optional<node_id> leader() const;

  // ---- the phases ----------------------------------------------------------
  void heal_everything();

  void liveness();

  // The secrets node with the most applied entries (nullptr if none is up).
  [[nodiscard]] const secrets::node_engine* most_advanced() const;

  [[nodiscard]] std::size_t holders_of(const std::string& name, secret_version v) const;

  // After healing, every name reads back through a real client, with share
  // replies still corrupted on the wire when the plan draws it: each read
  // must succeed (t good answers always remain) and return the latest
  // version's value when that put was acknowledged. A read that fails here
  // is a client that gave up on good shares.
  void probe_reads(millis until);

  void probe_read(const std::string& key, const std::map<std::pair<std::string, secret_version>, bytes>& acked, millis until);

  // After lost liveness: each node's Raft state, to start the diagnosis.
  void describe_nodes();

  // Refresh profiles: after healing, every node must also get back every
  // share it missed (recovery is automatic) before the bound; else liveness
  // is lost. (Refresh rounds keep running meanwhile.)
  void settle_recoveries(millis until);

  // Each name an acknowledged delete hid, with the highest version it hid.
  [[nodiscard]] std::map<std::string, secret_version> acknowledged_deletes() const;

  // How many versions a node's own catalog lists it for without the share
  // (its journal was lost; it must leave those lists and be recovered).
  [[nodiscard]] static std::size_t listed_without_share(const secrets::node_engine& e);
  // --events: prints a node's events on stderr with the simulated time; else empty.
  [[nodiscard]] std::function<void(const std::string&)> event_printer();
  // The versions `id` misses that a recovery can rebuild here: not those
  // refreshed with at most t honest holders left while a holder lies about
  // its masked values (t+1 helpers must agree; docs/refresh.md, Recovery).
  [[nodiscard]] std::size_t rebuildable_missing(const secrets::catalog& c, node_id id) const;

  // The secrets checkers at the end of a secrets-mode run: acknowledged
  // puts read back from the share stores, no share material in Raft.
  void check_secrets();

  // Erased means gone: no disk still holds a share of an older epoch, and no
  // node holds, in memory or on disk, a share of a version whose delete was
  // acknowledged.
  void check_erased();

  [[nodiscard]] std::vector<const secrets::node_engine*> live_secrets_nodes() const;

  // Every acknowledged put reads back from the live holders' share stores.
  void check_read_back();

  // No share material in Raft storage. The scan must be able to see shares
  // where they belong, or it proves nothing: every durable live share must
  // show up in its journal.
  void check_share_scan();

  // The rounds' outcome, from the most advanced live node's catalog.
  void record_round_stats();

  sim_report report();

  void shutdown();
};

} // namespace pss::sim
