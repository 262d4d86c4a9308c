// An admin's change to the replicated policy, and how every node applies it
// (docs/access.md, "Changing the policy").
//
// A change travels as the admin's signed request envelope itself, exactly as
// the leader admitted it, inside a Raft command. Every node, when it applies
// the command, checks that envelope again on its own: the signature for this
// cluster, the window against the leader's stamp, the nonce against the
// changes already applied, and the admin right against the policy as applied
// so far. So a leader, even a lying one, can delay or drop a change but never
// make one no admin signed, and never apply one twice.
//
// Deterministic: the only time used is the stamp in the entry, judged no
// earlier than the policy's clock floor.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <variant>

#include "access/policy.hpp"
#include "access/signed_request.hpp"
#include "core/bytes.hpp"
#include "core/result.hpp"

namespace pss::access {

struct revoke_request {
  std::uint64_t grant_id = 0;
  bool operator==(const revoke_request&) const = default;
};

using policy_change = std::variant<grant_request, revoke_request>;

void encode(byte_writer& w, const policy_change& c);
// Refuses an unknown kind, a bad key or rights mask, and fields over their
// bounds (the policy checks the rest when it applies the change).
[[nodiscard]] result<policy_change> decode_policy_change(byte_reader& r);

// How far the stamp may lie before a change's issued_at (clients' clocks
// run ahead of the leader's by at most this).
inline constexpr unix_ms change_clock_skew_ms = 30'000;
// Changes remembered at once; with a 5-minute lifetime at most, that is
// more than three changes a second, sustained.
inline constexpr std::size_t change_ledger_entries_max = 1024;

// The nonces of applied changes, each kept until its request expired (by
// the stamp): a change is applied once, however often a leader proposes its
// envelope. Part of the replicated catalog, so it travels in snapshots.
class change_ledger {
public:
  [[nodiscard]] bool contains(const signed_request& q) const;
  // Forgets every change expired at `now`.
  void prune(unix_ms now);
  // conflict when full (after pruning).
  [[nodiscard]] status remember(const signed_request& q);
  [[nodiscard]] std::size_t size() const noexcept { return seen_.size(); }

  void encode(byte_writer& w) const;
  [[nodiscard]] static result<change_ledger> decode(byte_reader& r);
  friend bool operator==(const change_ledger&, const change_ledger&) = default;
  // The ledger's format (policy_change.cpp).
  friend void fields(auto& io, like<change_ledger> auto& m);

private:
  using key = std::pair<std::array<std::uint8_t, crypto::sign_public_key_bytes>, request_nonce>;
  std::map<key, unix_ms> seen_; // -> expires_at
};

// What applying a change did: the new grant's id, or the revoked one.
struct change_outcome {
  std::uint64_t grant_id = 0;
  std::string message;
};

// What every admin change signed in `request` passes before it applies, at
// the leader's stamp: a window of at most 5 minutes (invalid_argument) that
// contains the stamp (timeout), a nonce not applied yet (duplicate), and
// room in the ledger (conflict). Prunes the ledger; returns the time the
// change is judged at. The caller remembers the request once it applied it.
[[nodiscard]] result<unix_ms> admit_change(const policy& p, change_ledger& ledger, const signed_request& request,
                                           unix_ms stamp);

// Applies `change`, signed in `request` (its signature already verified for
// this cluster), at the leader's stamp. Refuses, changing nothing: a stamp
// outside the request's window (timeout), a nonce already applied
// (duplicate), a full ledger (conflict), a window over 5 minutes
// (invalid_argument), and whatever the policy refuses
// (unauthorized: the key is not an admin; conflict: the last admin).
[[nodiscard]] result<change_outcome> apply_change(policy& p, change_ledger& ledger, const signed_request& request,
                                                  const policy_change& change, unix_ms stamp);

} // namespace pss::access
