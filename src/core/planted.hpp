// Planted bugs: named fault points that prove a checker can fail.
//
// Each bug below is a plausible mistake, planted at one place in the code
// behind `planted::armed(bug::x)`. The simulator arms at most one per run
// (`pss sim --planted-bug NAME`), and a test that proves a checker arms one
// for its scope (`planted::scoped_arm`). Nothing in production arms one: the
// switch starts at `none`, and the only cost of a fault point is one relaxed
// load. A bug is never a flag in a production option struct, so an operator
// cannot set one by accident and a new one needs no plumbing.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace pss::planted {

enum class bug : std::uint8_t {
  none = 0,
  // raft: commit an entry of an earlier term by counting replicas (Raft
  // §5.4.2, Figure 8). Caught by the Raft checker under the Figure 8 plan.
  figure8,
  // raft: grant a vote without the election restriction (§5.4.1). Caught by
  // the Raft checker once PreVote is off and leadership moves.
  vote_ignores_log,
  // raft: a leader answers ReadIndex from its own commit index without
  // confirming its leadership (thesis §6.4). Caught by the read-freshness
  // checker with clients stuck on a cut-off leader.
  stale_read,
  // raft: the leader keeps serving reads from its lease after it sent
  // timeout_now, whose target wins votes inside any lease (thesis §3.10).
  // Caught by the read-freshness checker under leadership transfers.
  lease_through_transfer,
  // raft: a retried command is applied again instead of being answered from
  // the session table. Caught by the linearizability checker.
  duplicate_apply,
  // node: send a ready's messages (votes, append acks) before persisting it.
  // Caught by the durability-on-send checker when a sync fails.
  send_before_persist,
  // node: acknowledge a stored share before the journal is synced (it is
  // synced with the next Raft batch). Caught by the durability-on-send checker.
  share_ack_before_sync,
  // node: store a different share than the one that verified. Caught by the
  // probe reads after healing and by the read-back check.
  wrong_share,
  // node: keep the old share after a refresh commits. Caught by the epoch
  // checker.
  skip_erasure,
  // sim host: dump every share into a file in the Raft directory. Caught by
  // the share scan.
  share_leak,
  // share store: the shares of a deleted (tombstoned) name are kept.
  // Caught by the deleted-means-erased check.
  delete_keeps_shares,
  // share store: erase a live share of an epoch newer than the catalog's
  // (the rule that lost secrets in refresh-faults seed 5242539). Caught by
  // the every-holder-keeps-its-share checker.
  erase_newer_epoch,
  // client: combine the first t shares that open without checking each one
  // against the commitments. Caught by the probe reads under share
  // corruption.
  client_skips_share_check,
  // raft: a leader keeps a follower's match index when the follower's log
  // is now shorter (a wiped disk rejoining under its id), so it probes at
  // match + 1 for ever (refresh-faults seed 469965483). Caught by the
  // runaway guard: simulated time stops passing.
  keep_lost_match,
  // node: admit a request whatever the policy says (any validly signed
  // key, any right). Caught by the unauthorised-grants checker with a
  // stranger client (`pss sim --stranger`).
  skip_policy,
  // client host: attribute a reply to the `from` it claims instead of the
  // connection it came over. Caught with Byzantine nodes (`pss sim
  // --byzantine K`) that answer as other members: the linearizability
  // checker or the read-back check.
  unbound_sender,
  // node: every node holds a bearer credential that admits a request as the
  // key it names without checking the signature (the old shared token). A
  // Byzantine node's adversary reads it from the node's memory and asks the
  // others for their shares: the adversary-shares checker.
  node_holds_token,
  // client: take t from the catalog's answer instead of the cluster file.
  // Caught with Byzantine nodes that fabricate a record of a lower
  // threshold, dealt to their own shares: the forgeries checker.
  threshold_from_reply,
  // catalog: a complaint alone excludes the dealer, without a reveal (the
  // rule before issue 13). Caught with Byzantine nodes that complain about
  // honest dealers: the honest-excluded checker.
  trust_complaints,
  // catalog: a dealer's own response counts towards the t responders its
  // polynomial must fit, so t-1 others suffice. Caught with Byzantine
  // dealers that deal garbage to t-1 receivers and publish a polynomial
  // through it: the qualified-dealers checker.
  self_response,
  // share store: a client's pending shares are bounded by the whole store,
  // with no per-client quota and no room kept for rounds. Caught with the
  // Byzantine adversary's store filler (refresh profiles, --byzantine): the
  // rounds sit out, and the epoch-age checker sees no refresh commit.
  unbounded_pending,
  // catalog: a recorded removal skips the refresh that leaves the member
  // out and goes straight to the Raft removal, so the member leaves holding
  // shares of the live epoch (docs/refresh.md §7.3). Caught by the
  // committee checker under the membership profile.
  remove_before_reshare,
  // catalog: a raise of t deals its refresh for the old t, and the commit
  // makes the new t the view's all the same (docs/refresh.md §7.4): t'-1
  // shares still rebuild every secret. Caught by the read-back check's
  // degree test under the membership profile.
  raise_without_degree,
  // node: a member keeps its superseded sealing key pairs (docs/refresh.md
  // §7.9), so a later read of its disk opens chunks and shares sealed to it
  // earlier. Caught by the sealing-key checker (any refresh profile).
  keep_seal_key,
  // catalog: a reshare (lowering t) takes its dealers without checking their
  // shares against C_0. Caught by the read-back check under --profile
  // membership --membership-change lower with a Byzantine dealer.
  reshare_without_check,
  // catalog: a rotation of a member's keys (docs/refresh.md §7.9) leaves
  // its sealing-key record as it was, so senders keep sealing to a key from
  // the disk the old keys may have leaked from. Caught by the committee
  // checker under --profile membership --membership-change rotate.
  rotate_keeps_seal_record,
};

// Every bug but none, in declaration order.
[[nodiscard]] const std::vector<bug>& all();
[[nodiscard]] std::string_view name(bug b) noexcept;
// What the bug does and which checker catches it, in one line.
[[nodiscard]] std::string_view summary(bug b) noexcept;
[[nodiscard]] std::optional<bug> from_name(std::string_view text) noexcept;

void arm(bug b) noexcept;
[[nodiscard]] bug current() noexcept;
[[nodiscard]] inline bool armed(bug b) noexcept { return b != bug::none && current() == b; }

// Arms a bug for a test's scope and disarms it after.
class scoped_arm {
public:
  explicit scoped_arm(bug b) noexcept { arm(b); }
  ~scoped_arm() { arm(bug::none); }
  scoped_arm(const scoped_arm&) = delete;
  scoped_arm& operator=(const scoped_arm&) = delete;
};

} // namespace pss::planted
