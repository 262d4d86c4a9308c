// The node's checks on a signed request, before it looks at what the request
// asks (docs/access.md, "The node's checks", steps 1 to 6): bounds, target,
// validity window, start of this process, a key the policy knows, signature,
// and replay. The right for the request's name (step 7) needs the decoded
// body, so the node engine checks it with `policy::allows` and counts its
// refusal here too. Only a known key's request enters the replay cache, so
// neither unsigned junk nor a stranger's own key can fill it.
//
// A node never authorises on another node's behalf: it admits only requests
// addressed to itself. The replay cache lives in memory and is bounded; when
// it is full the guard refuses (busy) rather than forgets, so a flood can
// deny service but never open a replay. Pure: the wall time is an input.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>

#include "access/policy.hpp"
#include "access/signed_request.hpp"

namespace pss::access {

enum class refusal : std::uint8_t {
  malformed,
  wrong_target,
  expired,
  not_yet_valid,
  lifetime_too_long,
  issued_before_start,
  bad_signature,
  replayed,
  busy,
  not_allowed,
};
inline constexpr std::size_t refusal_kinds = 10;
inline constexpr std::array<refusal, refusal_kinds> every_refusal{
  refusal::malformed,           refusal::wrong_target, refusal::expired,       refusal::not_yet_valid,
  refusal::lifetime_too_long,   refusal::issued_before_start, refusal::bad_signature, refusal::replayed,
  refusal::busy,                refusal::not_allowed};
[[nodiscard]] std::string_view to_string(refusal r) noexcept;

inline constexpr unix_ms clock_skew_ms_default = 30'000;
// The cache holds every admitted nonce until its request expires, so it
// must hold (requests per second) x (lifetime): with the clients' default
// 20 s lifetime, 2^17 entries (about 25 MiB) admit 6,500 requests a second
// per node.
inline constexpr std::size_t replay_cache_entries_max = 1 << 17;
// One key may hold at most half of it, so a single granted client that
// floods cannot make the node refuse every other key (one busy application
// key still gets 3,200 requests a second).
inline constexpr std::size_t replay_cache_entries_per_key_default = replay_cache_entries_max / 2;

struct guard_options {
  unix_ms clock_skew_ms = clock_skew_ms_default; // how far a client's clock may run ahead or behind
  std::size_t replay_cache_entries = replay_cache_entries_max;
  std::size_t replay_cache_entries_per_key = replay_cache_entries_per_key_default;
};

// A request that passed steps 1 to 6, or why it did not.
struct admission {
  std::optional<signed_request> request;
  refusal why = refusal::malformed; // when !request
  std::string reason;               // for the client: names the node and the check
};

class request_guard {
public:
  // `started_at`: this process's start on the wall clock; requests issued
  // before it (minus the skew) are refused, as the replay cache of an earlier
  // process is gone.
  request_guard(std::string cluster_id, node_id self, unix_ms started_at, guard_options options = {});

  [[nodiscard]] admission admit(byte_view envelope, unix_ms now, const policy& applied);
  // Step 7 refused: counted with the others.
  void count_not_allowed() noexcept { ++refused_[static_cast<std::size_t>(refusal::not_allowed)]; }

  [[nodiscard]] std::uint64_t refused(refusal r) const noexcept { return refused_[static_cast<std::size_t>(r)]; }
  [[nodiscard]] std::uint64_t admitted() const noexcept { return admitted_; }
  [[nodiscard]] std::size_t replay_cache_size() const noexcept { return seen_.size(); }

  // A credential this node keeps that a client could present: none. Only
  // under the planted bug node-holds-token does the guard keep one (a shared
  // bearer token, as the old design's token file was), and the simulator's
  // adversary reads it from a Byzantine node's memory here.
  [[nodiscard]] const std::optional<crypto::signature>& held_credential() const noexcept { return bearer_; }

private:
  using seen_key = std::pair<std::array<std::uint8_t, crypto::sign_public_key_bytes>, request_nonce>;

  [[nodiscard]] std::optional<refusal> check_window(const signed_request_wire& q, unix_ms now) const;
  // Remembers the nonce until the request expires; busy when full.
  [[nodiscard]] std::optional<refusal> remember(const signed_request& q, unix_ms now);
  admission refuse(refusal r, std::string detail);
  void check_invariants() const;

  std::string cluster_id_;
  node_id self_;
  unix_ms started_at_;
  guard_options options_;
  std::map<seen_key, unix_ms> seen_;          // -> expires_at
  std::set<std::pair<unix_ms, seen_key>> by_expiry_;
  std::map<std::array<std::uint8_t, crypto::sign_public_key_bytes>, std::size_t> per_key_; // entries held by each key
  std::optional<crypto::signature> bearer_; // only under planted::bug::node_holds_token
  unix_ms clock_floor_ = 0; // the wall clock as seen so far: a step back cannot reopen a replay
  std::array<std::uint64_t, refusal_kinds> refused_{};
  std::uint64_t admitted_ = 0;
};

} // namespace pss::access
