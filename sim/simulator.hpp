// The deterministic simulator: real engine actors on CAF's test_coordinator,
// simulated time, a network actor that injects faults, per-node sim_disks
// with crashes, torn writes and wipes, a client workload with a recorded
// history, and checkers after every delivered message and timer.
//
// Everything is derived from one seed: the fault plan (swarm testing: every
// probability is drawn from the seed), the schedule of ready actors, the
// network's choices, the disks' crash damage and the engines' randomness. The
// same seed and options give the same trace hash in any process. No wall
// clock, pointer value or unordered iteration reaches the simulated path.
//
// This header is free of CAF so the CLI and tests stay cheap to compile.
#pragma once

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "actors/operations.hpp"
#include "core/ids.hpp"
#include "core/planted.hpp"

namespace pss::sim {

using millis = actors::millis;

inline constexpr const char* profile_names[] = {"calm",  "faults",  "partitions",
                                                "crashes", "swarm", "refresh", "refresh-faults",
                                                "byzantine", "membership"};
// The profiles that run refresh rounds; they need --engine secrets.
[[nodiscard]] bool is_refresh_profile(const std::string& name);

// One operation event of the client history, on the simulated clock. Every
// invoke has at most one completion; a timeout completes as info.
struct history_event {
  millis time{0};
  std::uint64_t client = 0;
  std::uint64_t op_id = 0;
  bool invoke = true;
  actors::op_kind kind = actors::op_kind::put;
  std::string key;
  bytes value; // put: the value written; get completion: the value read
  actors::op_outcome outcome = actors::op_outcome::info; // completions only
};

// A history checker (for example a linearizability checker) plugs in here:
// it returns a violation, or nothing.
using history_checker =
  std::function<std::optional<std::string>(const std::vector<history_event>&)>;

// The pure linearizability checker (sim/checkers) as a history_checker:
// one register per key; a search that hits its bound is not a violation.
// Secrets mode uses it unless the caller sets check_history.
[[nodiscard]] history_checker linearizability_checker();

struct sim_options {
  std::uint64_t seed = 1;
  std::size_t nodes = 5;
  std::size_t threshold = 3; // the secrets engine's t; only reported by the Raft-only engine
  std::size_t clients = 3;
  double seconds = 20;          // the safety phase, simulated
  double liveness_seconds = 20; // bound for electing and committing after healing
  std::string profile = "swarm";
  // The bug planted at its fault point for this run (core/planted.hpp), so
  // that a checker must fail; none in every ordinary run.
  planted::bug planted = planted::bug::none;
  // Secrets mode: how many nodes deal faulty refresh bundles (the highest
  // ids; alternately off their polynomial and equivocating). -1: by profile
  // (refresh-faults: min(2, nodes - threshold)).
  int faulty_dealers = -1;
  // "raft": the Raft-only engines (sim/raft_engine.hpp); "secrets": the real
  // secrets::node_engine / client_engine (sim/secrets_engine.hpp). In secrets
  // mode only the refresh-faults profile loses data (one share journal or one
  // whole disk per run), and a wiped node restarts with the rejoin option.
  std::string engine = "raft";
  bool shuffle = true;  // explore interleavings of ready actors
  bool events = false;  // print every node's events on stderr (never secret material)
  bool workload = true; // random client operations during the safety phase
  // Secrets mode: one more workload client whose key the policy never
  // granted anything (an outsider that signs validly). A node that releases
  // it a share, or acknowledges its store, is an unauthorised grant.
  bool stranger = false;
  // Secrets mode: how many nodes are Byzantine (the highest ids), run by
  // the adversary of sim/byzantine.hpp; at most t - 1 (a sweep's draw of a
  // smaller t lowers it). -1: by profile (byzantine: t - 1, else none).
  int byzantine = -1;
  // The membership profile's change: "any" (drawn from the seed), or one of
  // add, remove, replace, call-off, raise, lower (which fall back to an add
  // when the cluster cannot take them; a lowering also needs t >= 3 and at
  // most t-2 Byzantine nodes, else it is a raise).
  std::string membership_change = "any";
  history_checker check_history;
};

[[nodiscard]] bool is_profile(const std::string& name);
// The values --membership-change takes.
[[nodiscard]] bool is_membership_change(const std::string& name);

// An inclusive range a sweep draws a value from, per seed.
struct size_range {
  std::size_t min = 0;
  std::size_t max = 0;
};

// What varies from seed to seed in a sweep (`pss sim --seeds A..B --nodes
// 3..7 --clients 1..16`, and the CI sweeps). The draw depends on the seed
// only, so a failing seed's reproduce line names the values it ran with.
struct sweep_draw {
  std::optional<size_range> nodes;
  std::optional<size_range> clients;
  // With a range of nodes and no threshold given: t is a majority of the
  // drawn nodes (at least 2 with the secrets engines).
  bool threshold_from_nodes = false;
};

// The options one seed of a sweep runs with.
[[nodiscard]] sim_options options_for_seed(sim_options base, const sweep_draw& draw, std::uint64_t seed);

struct sim_report {
  sim_options options;
  bool ok = true;
  bool live = true;
  std::vector<std::string> violations;
  std::string fault_plan; // the drawn probabilities, one line
  std::uint64_t leaders_elected = 0;
  std::uint64_t entries_committed = 0;
  std::uint64_t puts_acked = 0;
  std::uint64_t gets_ok = 0;
  std::uint64_t secrets_verified = 0;
  std::uint64_t refresh_epochs_committed = 0;
  std::uint64_t refresh_rounds_aborted = 0;
  std::uint64_t recoveries = 0;
  std::uint64_t rejoins = 0; // wiped nodes re-admitted under their id (secrets mode)
  std::uint64_t dealers_excluded = 0;
  std::uint64_t complaints_resolved = 0; // disputes a reveal decided
  std::uint64_t liars_excluded = 0;      // receivers a reveal proved wrong
  std::uint64_t dealers_convicted = 0;   // dealers a reveal proved wrong
  std::uint64_t honest_excluded = 0;     // honest nodes convicted: must be 0
  std::uint64_t shares_lost_refused = 0;   // replayed declarations and ones under the t-holder floor
  std::uint64_t shares_lost_throttled = 0; // declarations the leader held back (one per refresh interval)
  std::uint64_t max_epoch_age_ms = 0;    // the oldest epoch an honest node saw, faults included
  std::uint64_t share_epochs_checked = 0; // distinct (node, share, epoch) values the epoch checker saw
  std::uint64_t unauthorised_grants = 0;  // shares released (or stores acked) to a key the policy did not allow
  std::uint64_t adversary_shares_max = 0; // --byzantine: most shares of one dealing and epoch it held together
  std::uint64_t forgeries_accepted = 0;   // a get returned a value no client put for that name
  std::map<std::string, std::uint64_t> adversary; // --byzantine: what it tried
  std::uint64_t ops_info = 0;
  std::uint64_t ops_failed = 0;
  std::uint64_t messages_delivered = 0;
  std::uint64_t timer_firings = 0;
  std::uint64_t inputs_per_instant_max = 0; // the runaway guard trips far above this
  std::map<std::string, std::uint64_t> faults;
  // How many times each checker looked (a checker that never looks cannot
  // fail): durable sends, served reads, listed holders, and so on.
  std::map<std::string, std::uint64_t> checks;
  std::uint64_t trace_hash = 0;
  double liveness_ms = -1; // from healing to the probe's commit
  std::vector<history_event> history;
};

class simulation {
public:
  // progress, if given, receives human-readable progress lines.
  explicit simulation(sim_options options, std::ostream* progress = nullptr);
  ~simulation();
  simulation(const simulation&) = delete;
  simulation& operator=(const simulation&) = delete;

  // The whole run: safety phase with faults, then heal and require
  // liveness, then the end-of-run checks.
  [[nodiscard]] sim_report run();

  // Fine-grained control, for tests.
  void run_until(millis t);
  [[nodiscard]] millis now() const;
  [[nodiscard]] std::optional<node_id> leader() const;
  [[nodiscard]] bool is_up(node_id n) const;
  [[nodiscard]] log_index commit_index(node_id n) const;
  [[nodiscard]] log_index applied_index(node_id n) const;
  void crash(node_id n);
  // A crash that also loses the whole disk. Raft mode: storage refuses to
  // restart the node, and the simulator's operator replaces it with a new
  // member. Secrets mode: the node restarts with the rejoin option and is
  // re-admitted under its id.
  void crash_and_wipe(node_id n);
  void restart(node_id n);
  // The voters in the leader's configuration (empty without a leader).
  [[nodiscard]] std::vector<node_id> voters() const;
  // Starts an operation on client `client` (1-based); returns its op id.
  std::uint64_t submit(std::size_t client, actors::operation op);
  [[nodiscard]] std::optional<actors::completion> completion_of(std::uint64_t op_id) const;
  [[nodiscard]] std::optional<std::string> violation() const;
  [[nodiscard]] std::uint64_t trace_hash() const;
  [[nodiscard]] sim_report report() const;

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

// `reproduce: pss sim --seed N ...` with exactly the options that matter.
[[nodiscard]] std::string reproduce_command(const sim_options& o);
// The one-line JSON summary (no JSON library; strings escaped by hand).
[[nodiscard]] std::string to_json(const sim_report& r);
// 0 ok, 1 safety violation, 3 lost liveness.
[[nodiscard]] int exit_code_of(const sim_report& r);

} // namespace pss::sim
