// The secret catalog: the replicated state machine every node applies.
//
// It holds only public, replicated state (DESIGN §4): the cluster view
// (membership, t, epoch), every secret's versions (commitments, envelope
// ciphertext, holders, epoch, state), tombstones of deleted names, and the
// client-session table that makes retried commands exactly-once (Raft thesis
// §6.3). apply() is a pure function of the catalog and the entry, so every
// replica that applies the same log reaches the same state. It never sees a
// share: snapshot() serialises exactly what is replicated, and a node that
// installs a snapshot receives no other node's shares.
//
// Versions. A client deals version = latest+1 (latest counts tombstoned
// versions too, so a number is never reused) and the envelope's associated
// data binds the name and that version. A register of any other version is a
// conflict answered with the latest version, and the client re-deals. A
// delete tombstones the name: later reads say "deleted", and a later put
// starts at the tombstone's latest+1. At most versions_kept_max versions of a
// name stay readable; registering one more drops the oldest (its shares are
// erased by every node when it applies that entry).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <set>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "access/policy.hpp"
#include "access/policy_change.hpp"
#include "core/bytes.hpp"
#include "core/fields.hpp"
#include "core/ids.hpp"
#include "core/result.hpp"
#include "crypto/feldman.hpp"
#include "crypto/point.hpp"
#include "raft/session_table.hpp"
#include "raft/types.hpp"
#include "secrets/cluster.hpp"
#include "secrets/commands.hpp"
#include "secrets/committee.hpp"

namespace pss::secrets {

inline constexpr std::size_t versions_kept_max = 8;
// How many dealings that left the catalog (deleted or dropped) it still
// names, so that a late store of one is refused (about 300 KiB at most).
inline constexpr std::size_t retired_dealings_max = 4096;
inline constexpr std::size_t secrets_max_decode = 1 << 20;
inline constexpr millis session_expiry_default{10 * 60 * 1000};

// pending is reserved for refresh rounds; a version is live when registered
// (its shares were durable on its holders before the register was proposed).
enum class version_state : std::uint8_t { pending = 0, live = 1, deleted = 2 };

struct version_record {
  secret_version version;
  epoch_id epoch;       // the epoch of the shares its holders hold now
  epoch_id dealt_epoch; // the epoch `commitments` describe (docs/refresh.md §2)
  bytes commitments;
  bytes ciphertext;
  std::vector<node_id> holders;
  version_state state = version_state::live;
  digest commitments_digest{};

  bool operator==(const version_record&) const = default;
};

// A version's fields after its number (core/fields.hpp): read replies
// write the number first and the digest last, snapshots the number as the
// key of their map and no digest (restore recomputes it).
void version_fields(auto& io, auto& m) {
  io.id(m.epoch);
  io.id(m.dealt_epoch);
  io.blob(m.commitments, commitments_bytes_max);
  io.blob(m.ciphertext, ciphertext_bytes_max);
  io.list(m.holders, holders_max, "too many holders", [&](auto& h) { io.id(h); });
  io.enumeration(m.state, version_state::pending, version_state::deleted, "unknown version state");
}

// A version's Feldman commitments, for a cluster whose t is `threshold`:
// exactly t entries while the version is in the epoch it was dealt in; after
// a refresh 2..t, since a raise keeps what the version was dealt with
// (docs/refresh.md §7.4), and only C_0 is used then.
[[nodiscard]] result<crypto::commitment> version_commitments(const version_record& rec, std::size_t threshold);

struct secret_record {
  secret_version latest;  // the highest version ever registered, deleted or not
  bool deleted = false;   // a tombstone: no version is readable
  std::map<secret_version, version_record> versions; // readable versions

  bool operator==(const secret_record&) const = default;
};

// What a node must do to its private share store after applying an entry.
struct round_state;

struct apply_effects {
  struct registered_version {
    std::string name;
    secret_version version;
    epoch_id epoch;
    digest commitments_digest{};
  };
  std::optional<registered_version> registered;
  std::vector<std::pair<std::string, secret_version>> dropped_versions;
  std::optional<std::string> deleted_name;
  bool round_changed = false;     // a round command moved the round on
  bool round_finished = false;    // committed, recovered or aborted: shares to reconcile
  bool policy_changed = false;    // an admin's grant or revoke applied
  bool committee_changed = false; // a committee change was recorded, moved on a step, or ended
  bool seal_key_recorded = false; // a member's sealing key announcement applied
  std::optional<node_id> member_removed; // the view dropped this member (docs/refresh.md §7.3)
  std::optional<node_id> keys_rotated;   // this member's keys rotated (docs/refresh.md §7.9)
  // A round as it stood when qualified (or aborted at its qualify), with its
  // verdicts: for observers such as the simulator's round checker.
  std::shared_ptr<const round_state> qualified_round;
};

// ---- rounds (docs/refresh.md §3) -------------------------------------------

// disputing comes between responding and finishing, and only when some
// receiver's answer disputes a dealer (its value 4 keeps older snapshots'
// phases readable).
enum class round_phase : std::uint8_t { dealing = 1, responding = 2, finishing = 3, disputing = 4 };

// A dispute between a dealer and one receiver: the receiver complained
// ("bad") or its y is not the dealer's polynomial at its index. The dealer
// answers by revealing every chunk it sealed to the receiver; each reveal is
// judged when applied (docs/refresh.md §3, "Disputes").
enum class dispute_verdict : std::uint8_t { open = 0, dealer_lied = 1, receiver_lied = 2 };
struct round_dispute {
  node_id dealer;
  node_id receiver;
  dispute_verdict verdict = dispute_verdict::open;
  std::vector<std::uint8_t> revealed; // per chunk, 1 once revealed and checked
  scalar_bytes sum{};                 // Σ λ_m δ_m(x) over the revealed chunks
  scalar_bytes mask{};                // ρ(x), from the first revealed chunk
  bool operator==(const round_dispute&) const = default;
};

struct round_secret {
  std::string name;
  secret_version version;
  auto operator<=>(const round_secret&) const = default;
  bool operator==(const round_secret&) const = default;
};

// The one round in progress, as every replica sees it.
struct round_state {
  round_kind kind = round_kind::refresh;
  std::uint64_t id = 0;
  node_id target;            // recovery: the node whose shares are rebuilt; refresh: the member left out, if any
  epoch_id epoch;            // refresh: the epoch being created; recovery: current
  // The dealt polynomials' degree + 1: the view's t, or a raise's new t
  // (docs/refresh.md §7.4), which the commit makes the view's.
  std::uint32_t threshold = 0;
  round_phase phase = round_phase::dealing;
  std::vector<node_id> participants; // dealers and receivers, sorted
  std::vector<round_secret> secrets; // sorted; fixed at begin
  std::map<node_id, std::vector<digest>> dealings; // per participant order
  std::vector<node_id> dealers;   // D, fixed at close
  digest challenge{};             // c, fixed at close
  std::map<node_id, std::vector<dealer_answer>> responses;
  std::map<node_id, std::vector<scalar_bytes>> polynomials; // each dealer's q (a reshare's: c, then q), from its response
  std::map<node_id, scalar_bytes> mask_commitments;          // a reshare's A = a·G per dealer, from its dealing
  std::vector<round_dispute> disputes;  // opened at the first qualify
  std::vector<node_id> convicted; // dealers a reveal proved wrong, sorted
  std::vector<node_id> liars;     // receivers a reveal proved wrong, sorted
  std::vector<node_id> qualified; // QUAL, fixed at qualify
  std::vector<node_id> receivers; // R, fixed at qualify
  std::vector<node_id> ready;     // sorted
  // Each participant's (and a recovery's target's) sealing key when the
  // round began (docs/refresh.md §7.9): what its chunks are sealed to, so
  // an announcement applied mid-round changes nothing for this round.
  std::map<node_id, crypto::box_public_key> seal_keys;

  // The key chunks to `n` are sealed to: the one fixed at begin, or (a
  // round of an older snapshot) n's identity key. n must be a member.
  [[nodiscard]] crypto::box_public_key sealing_key(const cluster_view& view, node_id n) const;
  // x0: 0 for a refresh, the target's share index for a recovery.
  [[nodiscard]] std::uint32_t zero_point(const cluster_view& view) const;
  [[nodiscard]] bool is_participant(node_id n) const;
  [[nodiscard]] std::size_t dealers_min(const cluster_view& view) const;
  // A refresh that lowers t (docs/refresh.md §7.5): its dealers deal their
  // own shares on polynomials of degree threshold-1, under the view's t.
  [[nodiscard]] bool reshares(const cluster_view& view) const {
    return kind == round_kind::refresh && threshold < view.threshold;
  }
  // The fewest receivers the round may finish with.
  [[nodiscard]] std::size_t receivers_min(std::size_t threshold, bool refreshed) const;
  [[nodiscard]] std::size_t position(node_id n) const; // in participants; n must be one
  [[nodiscard]] round_dispute* dispute(node_id dealer, node_id receiver);
  bool operator==(const round_state&) const = default;
};

// The most dealer sets a reshare's qualification tries against C_0
// (docs/refresh.md §7.5): all its candidates, then those leaving out one,
// two, ... Each try costs about t group multiplications on every node.
inline constexpr std::size_t reshare_sets_max = 64;

// Why a round aborted, by kind: the label of the nodes' metric of aborted
// rounds (the text of last_abort_reason() names members and counts).
enum class abort_kind : std::uint8_t {
  too_few_dealings,   // fewer dealings than t by the deadline
  too_few_qualified,  // fewer qualified dealers than t after the disputes
  too_few_receivers,  // fewer receivers than the round needs
  reshare_unchecked,  // a reshare whose dealers' constants did not check against C_0
  holder_floor,       // a version would keep fewer than t holders
  member_lost_shares, // a participant reported its shares lost
  member_rejoining,   // a participant lost its disk and is rejoining
  committee_change,   // a member left, was excluded, or a change of t was called off
  keys_rotated,       // a participant's keys rotated
  recovery_timeout,   // the target did not recover in time (the leader's abort)
};
inline constexpr std::array every_abort_kind{
  abort_kind::too_few_dealings, abort_kind::too_few_qualified, abort_kind::too_few_receivers,
  abort_kind::reshare_unchecked, abort_kind::holder_floor, abort_kind::member_lost_shares,
  abort_kind::member_rejoining, abort_kind::committee_change, abort_kind::keys_rotated,
  abort_kind::recovery_timeout};
[[nodiscard]] std::string_view to_string(abort_kind k) noexcept;

// Replicated counters of how rounds ended (the simulator reports them).
struct round_stats {
  std::uint64_t refresh_epochs_committed = 0;
  std::uint64_t rounds_aborted = 0;
  std::uint64_t recoveries = 0;
  std::uint64_t dealers_excluded = 0;
  std::uint64_t rejoins = 0; // wiped nodes re-admitted as voters
  std::uint64_t complaints_resolved = 0; // disputes a reveal decided
  std::uint64_t dealers_convicted = 0;   // dealers a reveal proved wrong
  std::uint64_t liars_excluded = 0;      // receivers a reveal proved wrong
  std::uint64_t disputes_unanswered = 0; // disputes whose dealer revealed nothing in time
  std::uint64_t shares_lost_replayed = 0; // shares_lost refused: its nonce was recorded already
  std::uint64_t holder_floor_refusals = 0; // shares_lost refused: a version would fall below t holders
  std::uint64_t members_removed = 0;       // removals whose view dropped the member
  std::uint64_t members_added = 0;         // new members that became voters
  std::uint64_t thresholds_raised = 0;     // refreshes that raised t
  std::uint64_t thresholds_lowered = 0;    // reshares that lowered t
  std::uint64_t seal_keys_recorded = 0;    // members' sealing key announcements applied
  std::uint64_t keys_rotated = 0;          // members' identity and signing keys rotated (§7.9)
  bool operator==(const round_stats&) const = default;
};

// A wiped node's rejoin (member_rejoin), as every replica sees it. The Raft
// configuration entries the catalog applies move it on: `removed` once a
// committed configuration no longer has the node as a voter, `done` once a
// later committed configuration has it as a voter again.
inline constexpr std::size_t rejoin_nonces_kept_max = 8;
struct rejoin_record {
  std::vector<std::uint64_t> nonces; // recorded, oldest first; the last is the current rejoin
  bool removed = false;
  bool done = false;
  bool operator==(const rejoin_record&) const = default;
};

// The message a dealer signs for its round_dealing, and a receiver for its
// round_response (the signature field left out).
[[nodiscard]] bytes signed_part(const std::string& cluster_id, const round_dealing& d);
[[nodiscard]] bytes signed_part(const std::string& cluster_id, const round_response& r);
[[nodiscard]] bytes signed_part(const std::string& cluster_id, const round_reveal& r);
[[nodiscard]] bytes signed_part(const std::string& cluster_id, const seal_announcement& a);
[[nodiscard]] bytes round_signature_context(const std::string& cluster_id);
// Whether a member of `view` signed this announcement of its sealing key
// (not whether the catalog would record it: see catalog::execute).
[[nodiscard]] bool announcement_signed(const cluster_view& view, const seal_announcement& a);

struct applied_command {
  command_result result;
  apply_effects effects;
  std::optional<session_header> session; // nothing for an entry that did not decode
};

struct list_item {
  std::string name;
  secret_version latest;
  bool deleted = false;
  bool operator==(const list_item&) const = default;
};

class catalog {
public:
  // `admin`: the key named at cluster creation, the policy's first grant.
  catalog(cluster_view view, const crypto::sign_public_key& admin, millis session_expiry = session_expiry_default);

  // Applies one committed entry; noop and config entries change nothing.
  [[nodiscard]] applied_command apply(const raft::entry& e);

  // Replicated state only: view, secrets, sessions.
  [[nodiscard]] bytes snapshot() const;
  [[nodiscard]] static result<catalog> restore(byte_view data);

  [[nodiscard]] const cluster_view& view() const noexcept { return view_; }
  // The access policy as applied so far (docs/access.md).
  [[nodiscard]] const access::policy& policy() const noexcept { return policy_; }
  [[nodiscard]] const access::change_ledger& policy_changes() const noexcept { return changes_; }
  [[nodiscard]] const secret_record* find(const std::string& name) const;
  // Whether this dealing of `name` was registered and has left the catalog
  // since (deleted, or dropped past versions_kept_max), among the last
  // retired_dealings_max to leave: its shares must not come back through a
  // late store. An older one is collected as an unregistered pending share.
  [[nodiscard]] bool dealing_retired(const std::string& name, const digest& d) const;
  // The readable version (latest when version is 0), or not_found naming why.
  [[nodiscard]] result<version_record> lookup(const std::string& name, secret_version version) const;
  [[nodiscard]] std::vector<list_item> list() const;
  [[nodiscard]] const std::map<std::string, secret_record>& secrets() const noexcept { return secrets_; }
  [[nodiscard]] const raft::session_table& sessions() const noexcept { return sessions_; }
  [[nodiscard]] log_index applied_index() const noexcept { return applied_; }
  [[nodiscard]] const std::optional<round_state>& round() const noexcept { return round_; }
  [[nodiscard]] std::uint64_t last_round_id() const noexcept { return last_round_id_; }
  [[nodiscard]] const round_stats& stats() const noexcept { return stats_; }
  // Why the last round this replica applied the abort of was aborted (empty
  // before any; not in snapshots: a restarted node knows from then on).
  [[nodiscard]] const std::string& last_abort_reason() const noexcept { return last_abort_reason_; }
  [[nodiscard]] abort_kind last_abort_kind() const noexcept { return last_abort_kind_; }
  // Whether `n` holds every one of these versions that is still readable.
  [[nodiscard]] bool holds_all(node_id n, const std::vector<round_secret>& versions) const;
  // Some of these versions were refreshed since they were dealt.
  [[nodiscard]] bool refreshed_any(const std::vector<round_secret>& versions) const;
  // Readable versions that `n` does not hold (what a recovery would rebuild).
  [[nodiscard]] std::vector<round_secret> missing_for(node_id n) const;
  // The versions `n` misses that a recovery can rebuild (see receivers_min).
  [[nodiscard]] std::vector<round_secret> recoverable_for(node_id n) const;
  // Rejoins of wiped nodes (member_rejoin), by node.
  [[nodiscard]] const std::map<node_id, rejoin_record>& rejoins() const noexcept { return rejoins_; }
  // Whether `n`'s shares_lost with this nonce is recorded.
  [[nodiscard]] bool shares_lost_recorded(node_id n, std::uint64_t nonce) const;
  [[nodiscard]] bool rejoin_recorded(node_id n, std::uint64_t nonce) const;
  // The rejoin with this nonce is the node's latest and it is a voter again.
  [[nodiscard]] bool rejoin_done(node_id n, std::uint64_t nonce) const;
  // The committee change that runs, if any (docs/refresh.md §7).
  [[nodiscard]] const std::optional<committee_record>& committee() const noexcept { return committee_; }
  // The member a recorded removal takes out (none when no removal runs):
  // every refresh leaves it out, it recovers nothing, and registers do not
  // list it.
  [[nodiscard]] node_id leaving() const noexcept;
  // The member a recorded add or replace brings in while it is not a voter
  // yet (none otherwise): it is in the view, recovers its shares, and the
  // leader promotes it once it holds every share it can recover.
  [[nodiscard]] node_id joining() const noexcept;
  // The new t a recorded change of t deals for (0 when none runs). A raise:
  // the next refresh that can (every version held by t' members) deals
  // polynomials of its degree. A lowering: the next refresh that can (t
  // members hold every version) reshares (docs/refresh.md §7.5). One that
  // cannot deals for the old t and the change waits.
  [[nodiscard]] std::uint32_t new_threshold() const noexcept;
  // "raised to T" or "lowered to T", for messages; empty when none runs.
  [[nodiscard]] std::string threshold_change() const;
  // The round that deals for a recorded change of t is running: registers
  // and stores wait for its commit (a version dealt for the old t would miss it).
  [[nodiscard]] bool threshold_round_running() const noexcept;
  // How many members hold a share of every readable version: a reshare's
  // possible dealers.
  [[nodiscard]] std::size_t members_holding_all() const;
  // Once a reshare's dealings closed: sums up to `budget` (0: all) more
  // versions of K = Σ_m λ_m·C_{0,m}, which its qualify needs (about 64 µs a
  // version), so that a node spreads the work over the responding phase
  // instead of stalling one apply. True once K is complete (or unusable).
  bool advance_reshare_anchor(std::size_t budget) const;
  // The share index the next new member gets: never one given before.
  [[nodiscard]] std::uint32_t next_index() const noexcept { return next_index_; }
  // How many readable versions list fewer holders than `holders`.
  [[nodiscard]] std::size_t versions_held_by_fewer(std::size_t holders) const;
  // Whether any readable version lists `n` as a holder.
  [[nodiscard]] bool listed_anywhere(node_id n) const;
  // Each member's last recorded sealing key announcement (docs/refresh.md
  // §7.9); a member with none is sealed to with its identity (box) key.
  [[nodiscard]] const std::map<node_id, seal_announcement>& seal_keys() const noexcept { return seal_keys_; }
  [[nodiscard]] const std::vector<member_keys>& retired_keys() const noexcept { return retired_keys_; }
  // What shares and chunks for member `n` are sealed to now.
  [[nodiscard]] crypto::box_public_key sealing_key(node_id n) const;

  bool operator==(const catalog&) const = default;

private:
  // The snapshot's format (catalog_snapshot.cpp), read into an empty catalog.
  friend void snapshot_fields(auto& io, like<catalog> auto& m, std::uint32_t& format);
  catalog() = default;
  [[nodiscard]] status derive_after_restore();
  [[nodiscard]] command_result execute(const register_secret& r, apply_effects& fx);
  [[nodiscard]] command_result execute(const delete_secret& d, apply_effects& fx);
  // catalog_access.cpp: checks the admin's envelope again, then applies it.
  [[nodiscard]] command_result execute(const access_change& c, const session_header& session, apply_effects& fx);
  [[nodiscard]] status validate(const register_secret& r, digest& out) const;
  [[nodiscard]] command_result execute(const round_begin& b, apply_effects& fx);
  [[nodiscard]] command_result execute(const round_dealing& d, apply_effects& fx);
  [[nodiscard]] command_result execute(const round_close& c, apply_effects& fx);
  [[nodiscard]] command_result execute(const round_response& r, apply_effects& fx);
  [[nodiscard]] command_result execute(const round_qualify& q, apply_effects& fx);
  // catalog_disputes.cpp: disputes, reveals and the final qualification.
  [[nodiscard]] command_result execute(const round_reveal& v, apply_effects& fx);
  [[nodiscard]] std::size_t open_disputes(round_state& r);
  [[nodiscard]] command_result qualify(round_state& r, apply_effects& fx);
  // A reshare's QUAL: the first set of candidates whose dealt shares agree
  // with the versions' C_0 (catalog_reshare.cpp), or why none does.
  [[nodiscard]] result<std::vector<node_id>> reshare_dealers(const round_state& r,
                                                             const std::vector<node_id>& candidates) const;
  void judge(round_state& r, round_dispute& d, const round_reveal& v);
  [[nodiscard]] command_result execute(const round_ready& r, apply_effects& fx);
  [[nodiscard]] command_result execute(const round_commit& c, apply_effects& fx);
  [[nodiscard]] command_result execute(const round_abort& a, apply_effects& fx);
  [[nodiscard]] command_result execute(const shares_lost& l, apply_effects& fx);
  [[nodiscard]] command_result execute(const member_rejoin& j, apply_effects& fx);
  // catalog_seal_keys.cpp: a member's sealing key announcement.
  [[nodiscard]] command_result execute(const seal_announcement& a, apply_effects& fx);
  void leave_holder_lists(node_id n);
  void apply_configuration(const raft::entry& e, apply_effects& fx);
  // catalog_committee.cpp: recording a committee change and its steps.
  [[nodiscard]] command_result execute_committee(const committee_change& change, const access::signed_request& request,
                                                 std::uint64_t stamp, apply_effects& fx);
  [[nodiscard]] std::optional<std::string> refuse_round_for_committee(const round_begin& b) const;
  void note_refresh_committed(const round_state& r, apply_effects& fx);
  void drop_member(node_id n, apply_effects& fx);
  [[nodiscard]] command_result admit_member(committee_change& change, apply_effects& fx);
  [[nodiscard]] command_result rotate_member(const member& next, apply_effects& fx);
  [[nodiscard]] command_result call_off_raise(apply_effects& fx);
  void start_removal(std::string_view why, apply_effects& fx);
  // recoverable_for with each version's record (valid until the next apply).
  [[nodiscard]] std::vector<std::pair<round_secret, const version_record*>> recoverable_records(node_id n) const;
  void follow_configuration(const raft::configuration& config, apply_effects& fx);
  [[nodiscard]] command_result abort_round(abort_kind kind, std::string reason, apply_effects& fx);
  [[nodiscard]] round_state* round_for(std::uint64_t id, round_phase phase);
  void retire(const std::string& name, const digest& d);

  cluster_view view_;
  access::policy policy_;
  access::change_ledger changes_;
  std::map<std::string, secret_record> secrets_;
  // The dealings that left the catalog last, oldest first (dealing_retired).
  std::deque<std::pair<std::string, digest>> retired_;
  std::multiset<std::pair<digest, std::string>> retired_index_; // the same pairs, to look up
  raft::session_table sessions_;
  log_index applied_;
  std::optional<round_state> round_;
  std::uint64_t last_round_id_ = 0;
  round_stats stats_;
  std::string last_abort_reason_;
  abort_kind last_abort_kind_ = abort_kind::too_few_dealings;
  std::map<node_id, rejoin_record> rejoins_;
  std::map<node_id, std::vector<std::uint64_t>> lost_nonces_; // per node, oldest first, rejoin_nonces_kept_max
  std::optional<committee_record> committee_;
  std::uint32_t next_index_ = 0; // one above the highest share index ever given
  // The last reshare aborted: the next refresh deals for the old t, so that
  // liars who make every reshare abort cannot stop refresh; a refresh's
  // commit clears it, and the reshare is tried again (docs/refresh.md §7.5).
  bool reshare_backoff_ = false;
  std::map<node_id, seal_announcement> seal_keys_; // members only
  // Every member's keys a rotation retired (docs/refresh.md §7.9): a later
  // rotation never takes one back (they may be what leaked).
  std::vector<member_keys> retired_keys_;
  // K of the running reshare, computed ahead in slices: a cache of a pure
  // function of the replicated state, so no snapshot carries it and it
  // never makes two catalogs differ.
  struct reshare_anchor {
    std::uint64_t round = 0;
    digest challenge{};
    std::size_t next = 0; // versions summed so far
    crypto::point sum = crypto::point::identity();
    std::optional<std::string> failure;
    bool operator==(const reshare_anchor&) const { return true; }
  };
  mutable reshare_anchor anchor_;
};

// The number of acknowledged holders a register needs: t+1, or n when the
// cluster has no more than t members (DESIGN §5 write_quorum floor).
[[nodiscard]] std::size_t holders_min(const cluster_view& view) noexcept;

} // namespace pss::secrets
