// The pure Raft core: one node's consensus state machine.
//
// A shell (a CAF actor, the simulator, a unit test) feeds it inputs - a
// message, a tick, a proposal - each with the current time `now`, and then
// drains one `ready` bundle: persist its hard state, snapshot and entries
// (in that order: snapshot, entries, hard state), then send its messages,
// then apply its committed entries, then call advance(). The core never
// reads a clock, never draws randomness it was not handed, never does I/O,
// and never sends a message that depends on state the shell has not yet
// persisted (Raft §5.1 "persist before responding").
//
// Implementation is split by concern: election.cpp (§5.2, §9.6 PreVote,
// §6.2 CheckQuorum), replication.cpp (§5.3, §5.4), snapshot.cpp (§7),
// membership.cpp (thesis §4), transfer.cpp (thesis §3.10), read_index.cpp
// (thesis §6.4), node.cpp (the façade, ready and invariants).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <utility>
#include <set>
#include <vector>

#include "core/bytes.hpp"
#include "core/ids.hpp"
#include "core/prng.hpp"
#include "core/result.hpp"
#include "raft/log.hpp"
#include "raft/messages.hpp"
#include "raft/progress.hpp"
#include "raft/types.hpp"

namespace pss::raft {

// Time is an injected number of milliseconds since an arbitrary origin.
using millis = std::chrono::milliseconds;

struct options {
  node_id id;
  // The election timeout is drawn uniformly from [min, 2*min) (Raft §5.2).
  millis election_timeout_min{150};
  millis heartbeat_interval{30};
  bool pre_vote = true;
  bool check_quorum = true;
  // Leader lease (thesis §6.4.1, read_index.cpp): a leader serves a read at
  // once while the heartbeats a quorum acknowledged vouch that no voter of
  // that quorum will vote for another leader yet. Needs check_quorum, and
  // clocks that run at nearly the same rate: the lease ends a quarter of an
  // election timeout early to cover their drift.
  bool lease_reads = true;
  std::size_t append_batch_entries_max = 64;
  std::size_t append_batch_bytes_max = 256 * 1024;
  std::size_t inflight_appends_max = 8;
  std::size_t snapshot_chunk_bytes_max = 64 * 1024;
  // A learner may be promoted once it is within this many entries of the
  // leader's last index (thesis §4.2.1).
  std::uint64_t learner_catch_up_entries_max = 16;
  std::size_t proposal_bytes_max = entry_data_bytes_max;
  // Record every read accepted and released (take_read_traces), for a
  // checker; off in production.
  bool trace_reads = false;
};

// What the shell has durably stored, handed back at construction. A brand
// new cluster member starts with snapshot.config = the initial configuration;
// a node that will be added later starts with an empty configuration.
struct persisted_state {
  hard_state hard;
  snapshot_meta snapshot;
  bytes snapshot_data;
  std::vector<entry> entries; // the log after snapshot.last_index
};

enum class role : std::uint8_t { follower, pre_candidate, candidate, leader };

// A linearizable read may be served once the state machine has applied
// `index` (thesis §6.4).
struct read_state {
  std::uint64_t request_id = 0;
  log_index index;
  friend bool operator==(const read_state&, const read_state&) = default;
};

// A read the leader accepted (served = false) or released at `index`
// (served = true), for the simulator's read-freshness checker.
struct read_trace {
  std::uint64_t request_id = 0;
  bool served = false;
  log_index index;
};

struct snapshot {
  snapshot_meta meta;
  bytes data;
};

// Everything the shell must do after an input, in order.
struct ready {
  // 1. Persist: a received snapshot (replaces the whole log and the state
  //    machine), then entries (first drop every stored entry at index
  //    >= truncate_from), then the hard state.
  std::optional<snapshot> install_snapshot;
  std::optional<log_index> truncate_from;
  std::vector<entry> entries;
  std::optional<hard_state> hard;
  // 2. Send, only after step 1 is durable.
  std::vector<envelope> messages;
  // 3. Apply in order, then answer reads whose index has been applied.
  std::vector<entry> committed;
  std::vector<read_state> reads;
  std::vector<std::uint64_t> failed_reads; // leadership lost; retry elsewhere
  // 4. Call tick() no later than this.
  millis next_wakeup{0};
};

struct proposal {
  log_index index;
  term_id term;
};

enum class config_change_kind : std::uint8_t { add_learner, promote_learner, remove };
struct config_change {
  config_change_kind kind = config_change_kind::add_learner;
  node_id node;
};

class node {
public:
  // `state` is exactly what the shell has on disk; `random` (which must
  // outlive the node) draws the election timeouts, so a seed replays them.
  node(options opts, persisted_state state, prng& random, millis now);

  // Inputs. Each may queue outputs for the next ready.
  void step(millis now, const envelope& message);
  void tick(millis now);
  // Starts an election now, as if the election timeout had fired.
  void campaign(millis now);
  // A node that lost its disk and rejoins under its old id has forgotten
  // the votes it cast. While its voting is suspended it never campaigns and
  // never grants a vote or pre-vote, whatever its configuration says; it
  // still accepts entries and snapshots from the leader, like a learner. The
  // shell lifts the suspension once the node was re-admitted as a voter
  // after a committed removal (docs/refresh.md, "Rejoining a wiped node").
  void suspend_voting(bool suspended) noexcept { voting_suspended_ = suspended; }
  [[nodiscard]] bool voting_suspended() const noexcept { return voting_suspended_; }
  // A proposal is only appended: the client learns its fate when the entry
  // at (index, term) is applied (success) or that index is applied with
  // another term (failure). errc::not_leader names the leader hint in its
  // message ("leader=n3") and in leader_hint(); errc::unavailable means a
  // leadership transfer is running.
  [[nodiscard]] result<proposal> propose(millis now, bytes data);
  // One single-server change at a time (thesis §4.1); errc::unavailable
  // while the leader's no-op or a previous change is uncommitted, or while a
  // learner is still catching up.
  [[nodiscard]] result<proposal> propose_config_change(millis now, config_change change);
  // Refuses self, non-voters and non-leaders; times out after
  // election_timeout_min.
  [[nodiscard]] status transfer_leadership(millis now, node_id target);
  // The answer comes back in ready.reads (or ready.failed_reads).
  [[nodiscard]] status read_index(millis now, std::uint64_t request_id);
  // The shell has durably stored a snapshot of the state machine at
  // `index` (<= applied); the core drops the log up to it and keeps the data
  // to stream to lagging followers.
  [[nodiscard]] status compact(log_index index, bytes data);

  // Output.
  [[nodiscard]] bool has_ready() const;
  [[nodiscard]] ready take_ready(millis now);
  // Everything in the last ready is durable, sent and applied.
  void advance(millis now);
  // When the core next needs a tick (an election, heartbeat, CheckQuorum or
  // transfer deadline). Always current, with or without a ready: a tick that
  // moves a deadline without producing output (a CheckQuorum round that
  // passes) changes it too.
  [[nodiscard]] millis next_wakeup() const;

  // Observers.
  [[nodiscard]] node_id id() const noexcept { return opts_.id; }
  [[nodiscard]] term_id term() const noexcept { return term_; }
  [[nodiscard]] node_id vote() const noexcept { return vote_; }
  [[nodiscard]] enum role role() const noexcept { return role_; }
  [[nodiscard]] node_id leader_hint() const noexcept { return leader_; }
  [[nodiscard]] log_index commit_index() const noexcept { return commit_; }
  [[nodiscard]] log_index applied_index() const noexcept { return applied_; }
  // Elections this node started (it became a candidate), and won, since it
  // started: for the node's metrics.
  [[nodiscard]] std::uint64_t elections_started() const noexcept { return elections_started_; }
  [[nodiscard]] std::uint64_t elections_won() const noexcept { return elections_won_; }
  [[nodiscard]] const raft_log& log() const noexcept { return log_; }
  [[nodiscard]] const configuration& config() const noexcept;
  // The metadata of the latest snapshot (local or installed), for storage.
  [[nodiscard]] snapshot_meta snapshot_metadata() const {
    return {log_.snapshot_index(), log_.snapshot_term(), snapshot_config_};
  }
  [[nodiscard]] hard_state current_hard_state() const noexcept { return {term_, vote_, commit_}; }
  [[nodiscard]] const std::map<node_id, progress>& progresses() const noexcept { return progress_; }
  // The reads accepted and released since the last call (options::trace_reads).
  [[nodiscard]] std::vector<read_trace> take_read_traces() { return std::exchange(read_traces_, {}); }
  [[nodiscard]] std::optional<node_id> transfer_target() const noexcept { return transfer_target_; }

  // Aborts (PSS_CHECK) if the node's own state is inconsistent.
  void check_invariants() const;

private:
  std::uint64_t elections_started_ = 0;
  std::uint64_t elections_won_ = 0;
  // node.cpp
  [[nodiscard]] error not_leader_error() const;
  void send(node_id to, message body);
  void reset_election_timer(millis now);
  [[nodiscard]] std::size_t quorum() const;
  [[nodiscard]] bool is_voter() const { return config().is_voter(opts_.id); }
  // Whether this node may campaign: a voter in its own latest configuration
  // whose voting is not suspended.
  [[nodiscard]] bool may_campaign() const { return is_voter() && !voting_suspended_; }
  // Whether it may grant a vote or a pre-vote: unless its voting is
  // suspended (a wiped node rejoining has forgotten the votes it cast), any
  // node may, learners included. A learner can be a voter in a candidate's
  // configuration before it has seen its own promotion (election.cpp).
  [[nodiscard]] bool may_grant_vote() const { return !voting_suspended_; }
  void handle_term(millis now, const envelope& m, bool& drop);
  void dispatch(millis now, const envelope& m);
  void reply_to_stale_leader(const envelope& m);

  // election.cpp
  void start_campaign(millis now, bool leadership_transfer);
  void become_follower(millis now, term_id term, node_id leader);
  void become_pre_candidate(millis now);
  void become_candidate(millis now, bool leadership_transfer);
  void become_leader(millis now);
  [[nodiscard]] bool in_lease(millis now) const;
  [[nodiscard]] bool vote_quorum_reached(const std::map<node_id, bool>& votes) const;
  void on_pre_vote_request(millis now, node_id from, const pre_vote_request& m);
  void on_pre_vote_response(millis now, node_id from, const pre_vote_response& m);
  void on_vote_request(millis now, node_id from, const vote_request& m);
  void on_vote_response(millis now, node_id from, const vote_response& m);
  void tick_election(millis now);
  void tick_leader(millis now);
  void check_quorum_round(millis now);

  // replication.cpp
  void append_own(millis now, entry_kind kind, bytes data);
  void broadcast_append();
  void send_append(node_id to, progress& pr, bool allow_empty);
  void broadcast_heartbeat(millis now);
  void note_heartbeat_context(millis now);
  void send_heartbeat(node_id to, const progress& pr);
  void on_append_entries(millis now, node_id from, const append_entries& m);
  [[nodiscard]] append_entries_response append_conflict(log_index rejected_prev,
                                                        log_index checked) const;
  void merge_entries(const std::vector<entry>& entries, std::size_t skip);
  void on_append_entries_response(millis now, node_id from, const append_entries_response& m);
  void on_heartbeat(millis now, node_id from, const heartbeat& m);
  void on_heartbeat_response(millis now, node_id from, const heartbeat_response& m);
  void handle_append_rejection(progress& pr, const append_entries_response& m);
  bool maybe_commit(millis now);
  void advance_commit(millis now, log_index to);
  [[nodiscard]] log_index quorum_match() const;

  // snapshot.cpp
  void send_snapshot_chunk(node_id to, progress& pr);
  void on_install_snapshot(millis now, node_id from, const install_snapshot& m);
  void on_install_snapshot_response(millis now, node_id from, const install_snapshot_response& m);
  void install_received_snapshot(millis now, snapshot_meta meta, bytes data);

  // membership.cpp
  void rebuild_configs_after_truncation();
  void note_appended(const entry& e);
  [[nodiscard]] configuration config_at(log_index index) const;
  void sync_progress_with_config();
  [[nodiscard]] bool has_uncommitted_config() const;
  void on_config_committed(millis now);
  [[nodiscard]] status validate_change(const config_change& change) const;

  // transfer.cpp
  void on_timeout_now(millis now, node_id from, const timeout_now& m);
  void maybe_send_timeout_now(node_id to);
  void abort_transfer();

  // read_index.cpp
  void on_read_confirmation(node_id from, std::uint64_t context);
  void fail_pending_reads();
  [[nodiscard]] bool in_own_lease(millis now) const;
  void credit_lease(node_id from, std::uint64_t context);
  void release_read(read_state r);
  [[nodiscard]] bool committed_in_current_term() const;

  options opts_;
  prng& random_;

  // Persistent state (Raft Figure 2).
  term_id term_;
  node_id vote_;
  raft_log log_;

  // Volatile state.
  enum role role_ = role::follower;
  node_id leader_;
  log_index commit_;
  log_index applied_;
  millis election_deadline_{0};
  millis leader_contact_{-1'000'000'000};

  // Candidate state: who answered and whether they granted.
  std::map<node_id, bool> votes_;
  bool campaign_is_transfer_ = false;

  bool voting_suspended_ = false;

  // Leader state.
  std::map<node_id, progress> progress_;
  millis heartbeat_deadline_{0};
  millis check_quorum_deadline_{0};

  // Membership: config entries in the log after the snapshot (thesis §4.1:
  // a configuration takes effect as soon as it is appended).
  configuration snapshot_config_;
  std::vector<std::pair<log_index, configuration>> config_entries_;

  // Snapshots: the latest local snapshot's data, and a received one being
  // assembled from chunks.
  bytes snapshot_data_;
  struct incoming_snapshot {
    term_id term;
    snapshot_meta meta;
    std::uint64_t total_bytes = 0;
    bytes data;
  };
  std::optional<incoming_snapshot> incoming_;
  std::optional<snapshot> pending_install_;

  // Leadership transfer.
  std::optional<node_id> transfer_target_;
  millis transfer_deadline_{0};

  // ReadIndex.
  struct pending_read {
    std::uint64_t request_id = 0;
    log_index index;
    std::uint64_t context = 0;
    std::set<node_id> acks;
  };
  std::vector<pending_read> pending_reads_;
  std::uint64_t read_context_ = 0;
  // The leader lease: when each recent heartbeat context went out, the newest
  // such send time each voter acknowledged, and whether a timeout_now went
  // out this term (its target may win votes inside anyone's lease).
  std::deque<std::pair<std::uint64_t, millis>> heartbeats_sent_;
  std::map<node_id, millis> lease_acks_;
  bool lease_broken_ = false;
  millis started_at_{0};
  bool restarted_ = false; // started with a term on disk

  // Outputs waiting for the next ready, and what the shell last persisted.
  std::vector<envelope> outbox_;
  std::vector<read_state> reads_ready_;
  std::vector<read_trace> read_traces_;
  std::vector<std::uint64_t> reads_failed_;
  hard_state persisted_hard_;
  bool ready_outstanding_ = false;
  log_index ready_persist_to_;
  log_index ready_applied_to_;
};

} // namespace pss::raft
