// The node engine: one cluster member's pure secrets protocol.
//
// It owns the Raft core (src/raft) with its durable storage, the replicated
// catalog and the node's private share store, and speaks the wire messages
// of messages.hpp. A host (the CAF node_actor, the simulator, a unit test)
// feeds it messages and ticks with the current time and sends what
// take_output() returns. On every input it drains Raft in the shell-contract
// order: persist snapshot, entries and hard state and sync them, then queue
// Raft's messages, then apply committed entries to the catalog and bring the
// share store in line (promote, erase; durable before the next step), answer
// linearizable reads, then advance. Everything it emits depends only on
// state that is already durable.
//
// Storage lives under options.data_dir on an injected file_system:
// `<data_dir>/raft` (segmented Raft log, hard state, catalog snapshots) and
// `<data_dir>/shares` (the share journal), both with identity (cluster id,
// node id). A brand-new member opens with first_start = true. A restart
// reopens both; an empty directory on restart means a wiped disk, and open()
// refuses with an error that says so (the node has lost its term, vote and
// log, so it must not vote again) unless options.rejoin is set. Then the node
// starts *rejoining* (persisted in `<data_dir>/rejoining` before any Raft
// state exists): it never votes nor campaigns, asks the leader to re-admit it
// (rejoin_request), is removed, added back as a learner and promoted, and
// recovers its shares (docs/refresh.md, "Rejoining a wiped node").
//
// Never trusts a message: anything malformed, forged, unexpected or
// unauthorised is dropped or refused and counted, never a crash. Never logs,
// prints or replicates share material.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "access/request_guard.hpp"
#include "audit/audit_log.hpp"
#include "core/prng.hpp"
#include "crypto/batch.hpp"
#include "crypto/random_source.hpp"
#include "crypto/seal.hpp"
#include "raft/cluster_checker.hpp"
#include "raft/host.hpp"
#include "raft/node.hpp"
#include "secrets/catalog.hpp"
#include "secrets/round_bundle.hpp"
#include "secrets/cluster.hpp"
#include "secrets/engine.hpp"
#include "secrets/messages.hpp"
#include "secrets/rejoin.hpp"
#include "secrets/round_leader.hpp"
#include "secrets/round_member.hpp"
#include "secrets/request_desk.hpp"
#include "secrets/seal_keyring.hpp"
#include "secrets/share_store.hpp"
#include "storage/file_system.hpp"
#include "storage/raft_storage.hpp"
#include "storage/segmented_raft_storage.hpp"

namespace pss::secrets {

// How long an audit record that holds no reply (a store, a write, a refresh)
// may wait for the next sync of the log; a release's record never waits.
inline constexpr millis audit_sync_lag_max{20};
// A snapshot serialises the whole catalog, writes and syncs it: every 64
// entries it cost a node 5 % of its CPU under puts (a catalog of a few
// thousand secrets), and the cost grows with the catalog. The simulator
// draws its own interval (8..256) so installs and compactions stay frequent.
inline constexpr std::uint64_t snapshot_every_entries_default = 1024;
// How often pending shares are checked against their lifetime.
inline constexpr millis share_gc_interval{1'000};

struct node_test_only_options {
  // Serve get_share with a share that does not verify (a faulty node), so
  // tests can show the reader names and skips it.
  bool corrupt_read_shares = false;
  // Serve get_share claiming the next epoch (a share of another epoch must
  // never be combined with this one's).
  bool claim_next_epoch = false;
  // A faulty dealer (issue 5): deal one sub-share that is off its
  // polynomial, or send a receiver bytes other than those it committed to.
  bool deal_inconsistent = false;
  bool deal_equivocating = false;
  round_misbehaviour misbehave = round_misbehaviour::none;
  // A smaller share store, so that tests can fill it.
  std::optional<share_limits> store_limits;
};

// Rounds (docs/refresh.md). The leader's phase timeout and the interval at
// which a node resends what the log does not show yet.
inline constexpr millis round_phase_timeout_default{3'000};
inline constexpr millis round_resend_interval_default{400};

// How many versions of a reshare's K (docs/refresh.md §7.5) a node sums per
// input ahead of the qualify: about 64 µs each, so about 16 ms.
inline constexpr std::size_t reshare_anchor_slice = 256;

// How often a rejoining node repeats its rejoin_request until its catalog
// shows the rejoin recorded.
inline constexpr millis rejoin_request_interval{300};
// How many qualified rounds a node keeps for observers (qualified_rounds()).
inline constexpr std::size_t qualified_rounds_kept = 8;
// The marker of a rejoin in progress, in the data directory.
inline constexpr std::string_view rejoin_marker_name = "rejoining";

struct node_options {
  cluster_view cluster;     // the initial public description (bootstrap)
  std::string data_dir;     // holds `raft` and `shares`
  bool first_start = false; // initialise empty directories (a new cluster only)
  // The operator says this node's data directory was wiped (`--rejoin`): an
  // empty directory starts a rejoin under the same id instead of being
  // refused. Harmless on a directory that holds state: it opens normally.
  bool rejoin = false;
  // A new member that `pss member add` brings in (docs/refresh.md §7.3): it
  // is not in `cluster` (the cluster's first view), starts with an empty
  // Raft configuration, and is a member once its catalog names it.
  bool joining = false;
  // A rotation of this node's keys (docs/refresh.md §7.9): the keys it
  // switches to once its catalog names them (`<key_file>.next`), and the
  // public keys it held before earlier rotations (a log replayed from
  // before one, and the first view, name those).
  std::optional<node_keys> next_keys;
  std::vector<member_keys> retired_keys;
  // The admin named at cluster creation: the policy's first grant
  // (docs/access.md). A node holds client public keys only, never a client
  // secret or a bearer credential.
  crypto::sign_public_key admin_key;
  // The wall clock in unix ms is `now + wall_clock_offset` (the shell
  // measures it, the simulator fixes it): signed requests are dated by it.
  access::unix_ms wall_clock_offset = 0;
  raft::options raft;       // raft.id is set from the node's keys
  std::uint64_t prng_seed = 1; // Raft's election timeouts
  std::uint64_t snapshot_every_entries = snapshot_every_entries_default;
  storage::log_options log;    // the Raft log's segments (the simulator uses small ones)
  millis session_expiry = session_expiry_default;
  millis pending_share_lifetime = secrets::pending_share_lifetime;
  // A caught-up member that misses shares asks for its own recovery.
  bool auto_recover = true;
  // The leader starts a refresh round this often; zero: only on request.
  millis refresh_interval{0};
  millis round_phase_timeout = round_phase_timeout_default;
  millis round_resend_interval = round_resend_interval_default;
  // How long a superseded sealing key still opens what was sealed to it
  // (docs/refresh.md §7.9): puts that learned the view before the newer
  // key was recorded. Then it is erased.
  millis seal_key_grace{5'000};
  // Keep a queue of apply events for a raft::cluster_checker (take_apply_events).
  bool record_apply_events = false;
  node_test_only_options test_only;
};

// Everything dropped or refused is counted here.
struct node_counters {
  std::uint64_t malformed = 0;          // did not decode
  std::uint64_t unknown_sender = 0;     // Raft traffic from a non-member or with forged addresses
  std::uint64_t unexpected = 0;         // a message this node never accepts (a response, a client's Raft)
  std::uint64_t unauthorized = 0;       // a client request refused by the guard or the policy, or unsigned
  std::uint64_t dropped_after_failure = 0; // inputs after the storage failed
  std::uint64_t shares_stored = 0;
  std::uint64_t shares_refused = 0;     // bad seal, bad index, failed verification, conflict
  std::uint64_t shares_served = 0;
  std::uint64_t proposals = 0;
  std::uint64_t reads_served = 0;
  std::uint64_t snapshots_taken = 0;
  std::uint64_t round_chunks_refused = 0; // stale, unexpected or not opening
  std::uint64_t rounds_dealt = 0;
  std::uint64_t reveals_sent = 0;       // chunks revealed to answer disputes (resends counted)
  std::uint64_t rejoin_requests_sent = 0;
  std::uint64_t rejoin_requests_ignored = 0; // not the leader, recorded already, or just proposed
  std::uint64_t shares_refused_rejoining = 0; // store_share while the rejoin is not recorded
  std::uint64_t rounds_sat_out = 0;     // the share store could not take a round's shares
  std::uint64_t recovery_misfits = 0;   // recovered shares decoded around a helper's wrong value
  std::uint64_t shares_lost_throttled = 0; // the leader: a node's second shares_lost within a refresh interval
  std::uint64_t seal_keys_drawn = 0;    // sealing key pairs drawn (docs/refresh.md §7.9)
  std::uint64_t seal_keys_erased = 0;   // sealing key pairs erased from the seal file
  std::uint64_t seal_keys_foreign = 0;  // the catalog recorded a sealing key for this node it does not hold

  bool operator==(const node_counters&) const = default;
};

// How proactive refresh is going, as this node sees it (`pss status`): the
// current epoch, since when this node has had it (its apply, or its start),
// and the rounds aborted since (docs/refresh.md).
struct proactivity {
  epoch_id epoch;
  millis since{0};
  millis age{0}; // at the node's last input
  std::uint64_t aborted_since_commit = 0;
  std::string last_abort; // why the last round aborted
  std::map<abort_kind, std::uint64_t> aborted_by_kind; // since this node started
};

// What the node has durably stored, mirrored for raft::cluster_checker.
using persisted_view = raft::persisted_view;

// For raft::cluster_checker::on_applied / on_snapshot_installed.
struct apply_event {
  bool snapshot = false; // true: the state machine was replaced up to index
  log_index index;
  raft::entry entry;     // when !snapshot
};

class node_engine final : public engine, private raft::host_client {
public:
  // Opens (or on first start initialises) the node's storage and builds its
  // cores. Errors: the wiped-disk refusal (storage::is_empty_data_dir),
  // another node's directory, damage, or invalid options.
  [[nodiscard]] static result<std::unique_ptr<node_engine>>
  open(node_options options, node_keys keys, storage::file_system& fs,
       std::unique_ptr<crypto::random_source> random, millis now);

  void on_message(millis now, endpoint from, byte_view payload) override;
  void on_tick(millis now) override;
  // Group commit (node_audit.cpp): syncs the audit log once for every reply
  // held since the last flush, then releases them.
  void on_flush(millis now) override;
  [[nodiscard]] engine_output take_output() override;

  // Starts an election now (ops and tests).
  void campaign(millis now);

  // Observers for checkers and tests. Read-only.
  [[nodiscard]] node_id id() const noexcept { return keys_.id; }
  [[nodiscard]] const raft::node& raft() const noexcept { return host_->core(); }
  [[nodiscard]] const catalog& state() const noexcept { return catalog_; }
  [[nodiscard]] const share_store& shares() const noexcept { return *shares_; }
  [[nodiscard]] const node_counters& counters() const noexcept { return counters_; }
  [[nodiscard]] const proactivity& refresh_health() const noexcept { return proactive_; }
  // What the door for clients admitted and refused, by reason.
  [[nodiscard]] const access::request_guard& requests() const noexcept { return guard_; }
  // The node's audit log (docs/access.md, "Audit").
  [[nodiscard]] const audit::log& audit_log() const noexcept { return *audit_; }
  [[nodiscard]] const persisted_view& persisted() const noexcept { return host_->persisted(); }
  // The reads Raft accepted and released since the last call (when
  // options.raft.trace_reads is set), for the read-freshness checker.
  [[nodiscard]] std::vector<raft::read_trace> take_read_traces() { return host_->core().take_read_traces(); }
  // Where each entry lies on disk, for the simulator's durability checker.
  [[nodiscard]] const storage::raft_storage& storage() const noexcept { return host_->storage(); }
  // raft::observe() plus the persisted fields; settled, since every ready is
  // drained before an input returns.
  [[nodiscard]] raft::node_observation observe() const;
  [[nodiscard]] std::vector<apply_event> take_apply_events();
  // The last rounds this node applied the qualification of, oldest first,
  // as they stood then (verdicts, QUAL, R): for the simulator's round checker.
  [[nodiscard]] const std::deque<std::shared_ptr<const round_state>>& qualified_rounds() const noexcept {
    return qualified_rounds_;
  }
  // The storage error that stopped the node, if any: it drops all input and
  // must be restarted from its disk.
  [[nodiscard]] const std::optional<error>& failure() const noexcept { return failed_; }
  // It has applied everything it knows committed, and knows a leader.
  [[nodiscard]] bool caught_up() const;
  // This node's sealing key pairs (docs/refresh.md §7.9), for observers;
  // null before the node opened them.
  [[nodiscard]] const seal_keyring* seal_keys() const noexcept { return seals_.get(); }
  // When this node last saw the catalog's record of its own sealing key
  // change (or its start), and the key recorded before that change.
  [[nodiscard]] millis seal_recorded_at() const noexcept { return seal_.recorded_at; }
  [[nodiscard]] const std::optional<crypto::box_public_key>& seal_superseded() const noexcept { return seal_.previous; }

  // Aborts (PSS_CHECK) if the engine's own state is inconsistent; called at
  // the end of every input.
  void check_invariants() const;

  // True until this node, rejoining after a wipe, is a voter again (its
  // applied catalog shows its rejoin done); it never votes meanwhile.
  [[nodiscard]] bool rejoining() const noexcept { return rejoin_.rejoining(); }
  // True once after this node switched to options.next_keys (its catalog
  // applied an admin's rotation, docs/refresh.md §7.9) and, caught up, erased
  // the sealing pairs drawn before it: the host then makes them its key
  // file's keys, the old public keys retired, and erases the old private
  // keys and the next file. Until then a crash leaves the next file, and the
  // replay switches again.
  [[nodiscard]] bool take_keys_rotated() noexcept { return std::exchange(keys_rotated_, false); }
  // Whether a rotation's next keys are still waiting (for `pss status`).
  [[nodiscard]] bool holds_next_keys() const noexcept { return options_.next_keys.has_value(); }

  // True while this node still holds round material (sub-shares, masked
  // values, its dealing and the ephemeral keys of its chunks) in memory; the
  // simulator checks it is gone after each round.
  [[nodiscard]] bool holds_round_material() const noexcept;
  // Asks the cluster to start a refresh round now (forwarded to the leader).
  void request_refresh(millis now);
  // The leader only: the next refresh leaves `member` out, and starts now
  // (docs/refresh.md §7.3; the committee change will drive it). False on a
  // follower, which cannot ask this of the leader.
  bool request_refresh_leaving_out(millis now, node_id member);
  // If this node leads, hands leadership to `target` (Raft thesis §3.10);
  // otherwise, or if the target cannot take it, nothing happens.
  void transfer_leadership(millis now, node_id target);

  node_engine(node_options options, node_keys keys, storage::file_system& fs,
              storage::opened_raft_storage raft_storage, std::unique_ptr<share_store> shares,
              catalog initial, std::unique_ptr<crypto::random_source> random, bytes snapshot_data,
              std::optional<std::uint64_t> rejoin_nonce, std::unique_ptr<seal_keyring> seals, millis now);
  ~node_engine() override;
  void on_stop(millis now) override;

private:
  // The round's clock on this node: when it saw the phase begin, its next
  // resend tick, and (the leader) the phase end it last proposed.
  struct round_clock {
    std::uint64_t id = 0;
    round_phase seen_phase = round_phase::dealing;
    millis phase_since{0};
    millis next_send{0};
    std::uint64_t led_round = 0;
    round_phase led_phase = round_phase::dealing;
    millis next_lead{0};
  };

  void drive_rounds(millis now);
  void lead_round(millis now);
  void take_part(millis now);
  void perform_round_effects(millis now, std::vector<round_effect> effects);
  void take_member_counters();
  void sit_out(const round_state& r, const error& e);
  // After every input: the epoch's age, the aborts since its commit, and a
  // warning event once per refresh interval while it is older than two.
  void watch_proactivity(millis now);
  void ask_for_recovery(millis now);
  std::uint64_t lost_nonce();
  void spam_recovery(millis now);
  [[nodiscard]] bool admit_shares_lost(millis now, const shares_lost& l);
  void forward(millis now, command_body body);
  void propose_round(millis now, command_body body);
  void on_node_proposal(millis now, endpoint from, node_proposal&& m);
  void on_round_chunk(endpoint from, round_chunk&& m);
  void on_refresh_request(millis now, endpoint from, const refresh_request& m, const requester& who);
  void start_round_work(std::uint64_t id);
  [[nodiscard]] bool holds_less_than_listed();
  [[nodiscard]] bool name_short(const std::string& name, const secret_record& s) const;
  void note_holder_changes(const raft::entry& e, const apply_effects& fx);

  // node_seal_keys.cpp: sealing keys that rotate (docs/refresh.md §7.9).
  void drive_seal_keys(millis now);
  void follow_seal_record(millis now);
  void warn_foreign_seal_key();
  [[nodiscard]] status erase_seal_keys(millis now, bool drawing);
  void announce_seal_key(millis now, const seal_pair& p);
  [[nodiscard]] const crypto::box_key_pair* sealing_pair(const crypto::box_public_key& key) const;
  // The pairs a client's share may be sealed to now, most likely first.
  [[nodiscard]] std::vector<const crypto::box_key_pair*> store_keys(millis now) const;

  // Rejoining after a wipe (node_rejoin.cpp).
  void drive_rejoin(millis now);
  void lead_rejoins(millis now);
  void on_rejoin_request(millis now, endpoint from, const rejoin_request& m);
  [[nodiscard]] bool rejoin_unrecorded() const { return rejoin_.unrecorded(catalog_); }

  void drain(millis now);
  [[nodiscard]] millis rounds_wakeup(millis now) const;
  void maybe_collect_garbage(millis now);

  [[nodiscard]] status flush_shares();
  // raft::host_client: the Raft shell's calls for each ready.
  void send(const raft::envelope& m) override;
  [[nodiscard]] status install(millis now, const raft::snapshot& s) override;
  void apply(millis now, const raft::entry& e) override;
  [[nodiscard]] status applied(millis now) override;
  void reads(std::span<const raft::read_state> ready, std::span<const std::uint64_t> failed) override;
  [[nodiscard]] raft::node& core() noexcept { return host_->core(); }
  // A reply to a request this node cannot serve here (not the leader, or
  // unavailable): the code, the leader hint, and a reason naming this node.
  template <class Reply>
  void decline(Reply& reply, reply_code code, const std::string& why) const {
    reply.code = code;
    reply.leader_hint = raft().leader_hint();
    reply.reason = node_name(keys_.id) + ": " + why;
  }
  [[nodiscard]] const raft::node& core() const noexcept { return host_->core(); }
  void apply_committed(millis now, const raft::entry& e);
  void install_snapshot(const raft::snapshot& s);
  void maybe_compact();
  void serve_reads();
  void fail(const error& e);
  void send(endpoint to, const wire_message& m);
  void event(std::string text);
  [[nodiscard]] access::unix_ms wall(millis now) const;

  // node_access.cpp: the door for clients.
  void on_signed_request(millis now, endpoint from, byte_view payload);
  void on_unsigned_request(endpoint from, const wire_message& m);
  void dispatch_client_request(millis now, endpoint from, wire_message&& m, const crypto::sign_public_key& client,
                               byte_view envelope);
  void refuse_client(endpoint to, const wire_message& request, reply_code code, const std::string& reason);
  // The names this key may list, judged at `now`.
  [[nodiscard]] std::vector<list_item> listable(const crypto::sign_public_key& client, access::unix_ms now) const;

  void on_raft(millis now, endpoint from, raft_message&& m);
  void on_get_view(endpoint from, const get_view_request& m);
  void on_store_share(millis now, endpoint from, const store_share_request& m, const requester& who);
  void on_propose(millis now, endpoint from, propose_request&& m, const requester& who);
  void on_access_request(millis now, endpoint from, const access_request& m, byte_view envelope, const requester& who);
  // node_committee.cpp: committee changes (docs/refresh.md §7).
  void on_member_request(millis now, endpoint from, const member_request& m, byte_view envelope, const requester& who);
  void lead_committee(millis now);
  [[nodiscard]] bool member_informed(millis now, node_id out);
  void lead_joining(millis now);
  [[nodiscard]] bool learner_caught_up(node_id in);
  void follow_committee();
  [[nodiscard]] bool follow_own_keys(const member_keys& named);
  [[nodiscard]] static status check_own_keys(node_options& options, const member* self, const node_keys& keys);
  void finish_rotation();
  void note_committee(const applied_command& a);
  [[nodiscard]] std::set<node_id> members_up() const;
  [[nodiscard]] std::set<node_id> quiet_participants(const round_state& r, millis now) const;
  void note_raise_waits(const round_state& r);
  void propose(millis now, endpoint from, const command& c, pending_proposal p);
  void answer_unknown(const pending_proposal& p);
  void on_read(millis now, endpoint from, read_request&& m, const crypto::sign_public_key& client);
  void on_get_share(millis now, endpoint from, const get_share_request& m, const requester& who);

  // node_audit.cpp: the audit trail and the replies held for its sync.
  [[nodiscard]] status record(millis now, audit::action what, const requester& who, const std::string& name,
                              std::uint64_t version, audit::outcome result);
  // What a held reply waits for: a store's ack for the share journal's sync,
  // a share's release for its audit record's sync (group commit).
  enum class hold : std::uint8_t { store, release };
  void send_held(endpoint to, const wire_message& m, hold until);
  void release_held(millis now);
  void drop_held(const error& e);
  void on_audit_request(endpoint from, const audit_request& m);
  [[nodiscard]] read_response answer(const pending_read& r) const;

  node_options options_;
  node_keys keys_;
  storage::file_system* fs_;
  std::unique_ptr<share_store> shares_;
  catalog catalog_;
  access::request_guard guard_;
  std::unique_ptr<audit::log> audit_;
  std::vector<outgoing> held_acks_;     // store acks waiting for the share journal's sync
  std::vector<outgoing> held_releases_; // shares waiting for the audit log's sync
  millis audit_sync_due_{0};            // when the oldest unsynced audit record must be synced
  std::unique_ptr<crypto::random_source> random_;
  prng prng_;
  std::unique_ptr<raft::host> host_; // the Raft core, its storage and the shell loop

  request_desk desk_; // client proposals and reads waiting on Raft
  log_index applied_;
  log_index last_snapshot_;
  bool catalog_changed_ = false;          // reconcile every share
  std::set<std::string> changed_names_;   // reconcile only these names' shares
  // holds_less_than_listed, kept up to date without scanning every version
  // each time: the names it holds fewer shares of than listed, and what
  // changed since it last looked (every name, or only these).
  std::set<std::string> short_names_;
  bool holder_check_all_ = true;
  std::set<std::string> holder_check_names_;

  std::vector<apply_event> apply_events_;
  std::deque<std::shared_ptr<const round_state>> qualified_rounds_; // the last qualified_rounds_kept
  node_counters counters_;
  proactivity proactive_;
  std::optional<std::uint64_t> aborts_seen_; // the catalog's count at the last watch
  millis warned_at_{0};
  std::optional<error> failed_;
  engine_output output_;
  millis next_share_gc_{0};
  raft::role last_role_ = raft::role::follower;
  round_clock clock_;
  round_member member_; // this node's private work in the round (round_member.hpp)
  round_queue queue_; // the leader: the rounds waiting to begin (round_leader.hpp)
  std::optional<millis> unrecoverable_warned_at_; // ask_for_recovery's last warning
  std::optional<std::uint64_t> lost_nonce_; // the shares_lost being declared
  bool removal_noted_ = false; // the view dropped this node, and it said so
  bool keys_rotated_ = false;  // switched to options_.next_keys; the host has not taken it yet
  bool admitted_ = !options_.joining; // a new member: once its catalog named it
  // The leader: the member it waits to have applied its exclusion before
  // its Raft removal (member_informed).
  struct removal_notice {
    node_id member;
    log_index index;
    millis deadline{0};
    std::optional<millis> reached;
  };
  std::optional<removal_notice> removal_notice_;
  millis promotion_check_next_{0}; // the leader: when it may look at a learner's shares again
  // What the learner missed at the leader's last look (learner_caught_up).
  std::optional<std::pair<node_id, std::set<round_secret>>> promotion_missing_;
  // When each member last sent this node a Raft message (the round leader's
  // quiet participants); members only, so bounded by members_max.
  std::map<node_id, millis> heard_;
  // The last refresh that dealt for the old t while a raise was recorded:
  // the leader does not ask for another at once (note_raise_waits).
  std::optional<std::uint64_t> raise_waited_round_;
  struct lost_admission {
    millis at;
    std::uint64_t nonce = 0;
  };
  std::map<node_id, lost_admission> lost_admitted_; // the leader: admit_shares_lost
  millis spam_next_{0};                           // round_misbehaviour::spam_recovery
  std::optional<std::uint64_t> spam_first_nonce_; // round_misbehaviour::spam_recovery
  millis next_round_request_{0};
  rejoin_machine rejoin_; // node_rejoin.cpp performs its decisions
  std::unique_ptr<seal_keyring> seals_; // node_seal_keys.cpp
  struct seal_follow {
    std::optional<std::uint64_t> serial;           // the catalog's record of this node, at the last look
    std::optional<crypto::box_public_key> current; // its key
    std::optional<crypto::box_public_key> previous; // the key recorded before (the identity key at first)
    millis recorded_at{0};                         // when the record last changed here (or the start)
    bool followed = false;                         // recorded_at was set since the start
    bool live = false;                             // caught up once since the start
    millis announce_next{0};
    std::optional<std::uint64_t> foreign_warned;   // the serial last warned about
    bool after_rotation = false; // switched keys; the unrecorded pairs go once caught up
  };
  seal_follow seal_;
};

} // namespace pss::secrets
