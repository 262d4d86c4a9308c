#include "core/planted.hpp"

#include <array>
#include <atomic>
#include <utility>

namespace pss::planted {
namespace {

// Written once by a harness before any engine runs; read everywhere.
std::atomic<bug> armed_bug{bug::none};

struct entry {
  bug b;
  std::string_view name;
  std::string_view summary;
};

constexpr std::array<entry, 27> names{{
  {bug::none, "none", "no bug"},
  {bug::figure8, "figure8", "raft commits an earlier term's entry by counting replicas; the Raft checker"},
  {bug::vote_ignores_log, "vote-ignores-log", "raft grants votes without the log check; the Raft checker"},
  {bug::stale_read, "stale-read", "a leader serves reads without confirming it leads; the read-freshness checker"},
  {bug::lease_through_transfer, "lease-through-transfer",
   "a leader reads from its lease after a timeout_now; the read-freshness checker"},
  {bug::duplicate_apply, "duplicate-apply", "a retried command is applied twice; the linearizability checker"},
  {bug::send_before_persist, "send-before-persist", "votes and acks leave before they are durable; durability on send"},
  {bug::share_ack_before_sync, "share-ack-before-sync", "a share is acked before its journal sync; durability on send"},
  {bug::wrong_share, "wrong-share", "nodes store another share than the verified one; probe reads, the read-back check"},
  {bug::skip_erasure, "skip-erasure", "old shares stay after a refresh commits; the epoch checker"},
  {bug::share_leak, "share-leak", "node hosts dump shares into the Raft directory; the share scan"},
  {bug::delete_keeps_shares, "delete-keeps-shares", "nodes keep the shares of a deleted name; deleted means erased"},
  {bug::erase_newer_epoch, "erase-newer-epoch", "a catalog behind the store erases new shares; every holder keeps its share"},
  {bug::client_skips_share_check, "client-skips-share-check", "the client combines unchecked shares; probe reads under corruption"},
  {bug::keep_lost_match, "keep-lost-match", "raft probes a wiped follower at its old match for ever; the runaway guard"},
  {bug::skip_policy, "skip-policy", "nodes admit any signed key for any right; the unauthorised-grants checker"},
  {bug::unbound_sender, "unbound-sender", "the client trusts a reply's claimed sender; linearizability under --byzantine"},
  {bug::node_holds_token, "node-holds-token", "nodes hold a replayable bearer credential; the adversary-shares checker"},
  {bug::threshold_from_reply, "threshold-from-reply", "the client takes t from the catalog's answer; forgeries under --byzantine"},
  {bug::trust_complaints, "trust-complaints", "a complaint alone excludes a dealer; honest-excluded under --byzantine"},
  {bug::self_response, "self-response", "a dealer's own response counts in its check; qualified-dealers under --byzantine"},
  {bug::unbounded_pending, "unbounded-pending",
   "clients' pending shares may fill the whole share store; epoch age under --byzantine's store filler"},
  {bug::remove_before_reshare, "remove-before-reshare",
   "a removed member leaves before a refresh leaves it out; the committee checker under --profile membership"},
  {bug::raise_without_degree, "raise-without-degree",
   "a raise of t refreshes for the old t; the read-back's degree test under --profile membership"},
  {bug::keep_seal_key, "keep-seal-key",
   "members keep superseded sealing keys on disk; the sealing-key checker under a refresh profile"},
  {bug::reshare_without_check, "reshare-without-check",
   "a lowering of t skips the dealers' check against C_0; the read-back check with a Byzantine dealer"},
  {bug::rotate_keeps_seal_record, "rotate-keeps-seal-record",
   "a key rotation keeps the member's old sealing key in use; the committee checker under --profile membership"},
}};

} // namespace

const std::vector<bug>& all() {
  static const std::vector<bug> every = [] {
    std::vector<bug> out;
    for (const auto& e : names)
      if (e.b != bug::none) out.push_back(e.b);
    return out;
  }();
  return every;
}

std::string_view name(bug b) noexcept {
  for (const auto& e : names)
    if (e.b == b) return e.name;
  return "unknown";
}

std::string_view summary(bug b) noexcept {
  for (const auto& e : names)
    if (e.b == b) return e.summary;
  return "unknown";
}

std::optional<bug> from_name(std::string_view text) noexcept {
  for (const auto& e : names)
    if (e.name == text) return e.b;
  return std::nullopt;
}

void arm(bug b) noexcept { armed_bug.store(b, std::memory_order_relaxed); }
bug current() noexcept { return armed_bug.load(std::memory_order_relaxed); }

} // namespace pss::planted
