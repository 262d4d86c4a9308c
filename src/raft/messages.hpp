// The Raft wire messages: one struct per RPC, each with strong ID types, and a
// bounds-checked byte encoding for the actors to send over the network.
//
// Every decoded message is hostile until the core has checked it against its
// own state: decode() only guarantees that the bytes parse within the named
// limits below, never that the content is true. A message that fails to
// decode is dropped by the caller; the core itself ignores stale, duplicated
// or unknown-sender messages. Entries carry replicated, public commands only;
// no message ever carries share material.
#pragma once

#include <cstdint>
#include <string_view>
#include <variant>
#include <vector>

#include "core/bytes.hpp"
#include "core/ids.hpp"
#include "core/result.hpp"
#include "raft/types.hpp"

namespace pss::raft {

// Named limits for decoding hostile bytes.
inline constexpr std::size_t append_entries_count_max = 4096;
inline constexpr std::size_t snapshot_chunk_bytes_max = 4 * 1024 * 1024;
inline constexpr std::uint64_t snapshot_total_bytes_max = 1ull << 32;
inline constexpr std::size_t message_bytes_max = 64 * 1024 * 1024;

// PreVote (Raft thesis §9.6): asks whether the receiver would vote for the
// sender in `term` (the sender's current term + 1) without anyone changing
// term.
struct pre_vote_request {
  term_id term;
  log_index last_log_index;
  term_id last_log_term;
  friend bool operator==(const pre_vote_request&, const pre_vote_request&) = default;
};

struct pre_vote_response {
  term_id term;          // the responder's current term
  term_id request_term;  // the term the pre-vote asked about
  bool granted = false;
  friend bool operator==(const pre_vote_response&, const pre_vote_response&) = default;
};

// RequestVote (Raft §5.2, §5.4.1). `leadership_transfer` marks a campaign
// started by timeout_now, which voters honour even inside a leader lease
// (thesis §3.10, §4.2.3).
struct vote_request {
  term_id term;
  log_index last_log_index;
  term_id last_log_term;
  bool leadership_transfer = false;
  friend bool operator==(const vote_request&, const vote_request&) = default;
};

struct vote_response {
  term_id term;
  bool granted = false;
  friend bool operator==(const vote_response&, const vote_response&) = default;
};

// AppendEntries (Raft §5.3).
struct append_entries {
  term_id term;
  log_index prev_log_index;
  term_id prev_log_term;
  log_index leader_commit;
  std::vector<entry> entries;
  friend bool operator==(const append_entries&, const append_entries&) = default;
};

// On success, match_index is the last index the request covered (never the
// follower's own last index, which may hold unverified entries). On
// rejection, rejected_prev_index names the request, and conflict_index /
// conflict_term let the leader skip a whole term at a time (thesis §5.3's
// "fast backtracking" optimisation).
struct append_entries_response {
  term_id term;
  bool success = false;
  log_index match_index;
  log_index rejected_prev_index;
  log_index conflict_index;
  term_id conflict_term;
  log_index last_log_index;
  friend bool operator==(const append_entries_response&, const append_entries_response&) = default;
};

// A leader's heartbeat. `commit` is min(leader commit, the follower's
// match), so a follower never commits an entry the leader has not verified in
// its log. `read_context` confirms leadership for ReadIndex (thesis §6.4).
struct heartbeat {
  term_id term;
  log_index commit;
  std::uint64_t read_context = 0;
  friend bool operator==(const heartbeat&, const heartbeat&) = default;
};

struct heartbeat_response {
  term_id term;
  std::uint64_t read_context = 0;
  friend bool operator==(const heartbeat_response&, const heartbeat_response&) = default;
};

// One chunk of InstallSnapshot (Raft §7, Figure 13).
struct install_snapshot {
  term_id term;
  snapshot_meta meta;
  std::uint64_t total_bytes = 0;
  std::uint64_t offset = 0;
  bytes data;
  bool done = false;
  friend bool operator==(const install_snapshot&, const install_snapshot&) = default;
};

// next_offset is the byte the follower wants next; done means the snapshot
// at snapshot_index is durably installed (or already covered by the log).
struct install_snapshot_response {
  term_id term;
  log_index snapshot_index;
  std::uint64_t next_offset = 0;
  bool done = false;
  friend bool operator==(const install_snapshot_response&, const install_snapshot_response&) = default;
};

// Leadership transfer (thesis §3.10): start an election now.
struct timeout_now {
  term_id term;
  friend bool operator==(const timeout_now&, const timeout_now&) = default;
};

using message = std::variant<pre_vote_request, pre_vote_response, vote_request,
                             vote_response, append_entries, append_entries_response,
                             heartbeat, heartbeat_response, install_snapshot,
                             install_snapshot_response, timeout_now>;

// A message with its addresses. `from` is what the transport authenticated.
struct envelope {
  node_id from;
  node_id to;
  message body;
  friend bool operator==(const envelope&, const envelope&) = default;
};

[[nodiscard]] term_id term_of(const message& m) noexcept;
[[nodiscard]] std::string_view name_of(const message& m) noexcept;

// The content checks decode_envelope applies, for messages that arrive as
// structs by another path (for example CAF's own serialization): addresses,
// entry order and terms, snapshot chunk bounds. node::step ignores a message
// that fails them.
[[nodiscard]] status validate(const envelope& e);

[[nodiscard]] bytes encode(const envelope& e);
[[nodiscard]] result<envelope> decode_envelope(byte_view data);

} // namespace pss::raft
