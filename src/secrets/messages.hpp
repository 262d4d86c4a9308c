// The wire messages of the secrets protocol: one struct per message.
//
// Every payload an engine sends starts with a one-byte type tag. Node-to-node
// traffic is only `raft_message` (a raft::envelope). Client-to-node traffic
// is request/response; every request carries a request id the client chose,
// echoed in its response. Every client request but get_view travels inside a
// signed envelope (access/signed_request.hpp, tag 30): who asks is the key
// that signed it, checked by the node it was signed for, never a field here. Every decode is bounds-checked against the named
// limits, requires every byte consumed, and is hostile until the receiving
// engine has checked it against its own state.
//
// Shares travel only inside `sealed` fields (crypto::seal to the recipient's
// X25519 key with a crypto::encode_context associated data; see
// share_context_for_store and share_context_for_read). No struct here holds
// a plaintext share, so none can be printed by accident.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "access/policy_change.hpp"
#include "audit/audit_log.hpp"
#include "core/bytes.hpp"
#include "core/ids.hpp"
#include "core/result.hpp"
#include "crypto/context.hpp"
#include "raft/messages.hpp"
#include "secrets/catalog.hpp"
#include "secrets/cluster.hpp"
#include "secrets/commands.hpp"
#include "secrets/committee.hpp"

namespace pss::secrets {

inline constexpr std::size_t sealed_share_bytes_max = 256;
inline constexpr std::size_t reason_bytes_max = 1024;
inline constexpr std::size_t list_items_max = 1 << 16;
inline constexpr std::size_t wire_message_bytes_max = raft::message_bytes_max;

enum class message_type : std::uint8_t {
  raft_message = 1,
  get_view_request = 10,
  get_view_response = 11,
  store_share_request = 12,
  store_share_response = 13,
  propose_request = 14,
  propose_response = 15,
  read_request = 16,
  read_response = 17,
  get_share_request = 18,
  get_share_response = 19,
  node_proposal = 20,
  round_chunk = 21,
  refresh_request = 22,
  refresh_response = 23,
  rejoin_request = 24,
  access_request = 25,
  audit_request = 26,
  audit_response = 27,
  member_request = 28,
};

// Why a node refused a request, or that it did not.
enum class reply_code : std::uint8_t {
  ok = 0,
  not_leader = 1,    // leader_hint names the leader if known
  unauthorized = 2,  // unsigned, or refused by the node's request guard or its policy; `reason` names the check
  refused = 3,       // the request is invalid here; `reason` says why
  not_found = 4,     // unknown secret, version, or not yet applied here
  conflict = 5,      // a stale version (register) or another dealing held
  unavailable = 6,   // the node cannot serve now (no quorum, storage failed)
  verification_failed = 7, // the share did not verify against the commitments
};
[[nodiscard]] std::string_view to_string(reply_code c) noexcept;

struct raft_message {
  raft::envelope envelope;
};

struct get_view_request {
  std::uint64_t request_id = 0;
};
struct get_view_response {
  std::uint64_t request_id = 0;
  cluster_view view;
  // Non-empty: this node serves no view (it is leaving, was removed, or is
  // new and not named yet: its own is out of date), and says why.
  std::string not_serving;
  // The members' sealing keys the catalog records (docs/refresh.md §7.9),
  // each signed by its member: the client checks them under the signing
  // keys its cluster file vouches for.
  std::vector<seal_announcement> seal_keys;
};

// A client's dealt share for this node, sealed to the node's box key. It
// carries no version: the catalog assigns one when it applies the register
// of this dealing (named by the digest of its commitments).
struct store_share_request {
  std::uint64_t request_id = 0;
  std::string name;
  epoch_id epoch;
  bytes commitments;
  bytes sealed_share;
};
struct store_share_response {
  std::uint64_t request_id = 0;
  reply_code code = reply_code::ok;
  std::string reason; // names the node; never share material
  epoch_id epoch;     // the node's epoch (0: not said): a newer one makes the client deal again
};

struct propose_request {
  std::uint64_t request_id = 0;
  sequence_number sequence; // the client's session sequence number
  command_body body;
};
struct propose_response {
  std::uint64_t request_id = 0;
  reply_code code = reply_code::ok;
  node_id leader_hint;
  command_result result; // when code is ok: what applying the command answered
  std::string reason;
};

// policy: the grants of the access policy (admin only).
enum class read_kind : std::uint8_t { metadata = 1, list = 2, policy = 3 };
// A linearizable catalog read (ReadIndex, thesis §6.4); version 0 = latest.
struct read_request {
  std::uint64_t request_id = 0;
  read_kind kind = read_kind::metadata;
  std::string name;
  secret_version version;
};
struct read_response {
  std::uint64_t request_id = 0;
  reply_code code = reply_code::ok;
  node_id leader_hint;
  std::string reason;
  // metadata: found (code ok) or why not (code not_found, reason); latest is
  // the name's latest version even when deleted, so a put can deal latest+1.
  secret_version latest;
  bool deleted = false;
  std::uint32_t threshold = 0;
  std::optional<version_record> record;
  // list
  std::vector<list_item> items;
  // policy
  std::vector<access::grant> grants;
};

// A reader's request for this node's share, sealed to `reader_key`.
struct get_share_request {
  std::uint64_t request_id = 0;
  std::string name;
  secret_version version;
  std::array<std::uint8_t, crypto::box_key_bytes> reader_key{};
};
struct get_share_response {
  std::uint64_t request_id = 0;
  reply_code code = reply_code::ok;
  std::string reason;
  epoch_id epoch;
  secret_version version; // the version served (a request for the latest names none)
  bytes sealed_share;
};

// Node to node: a round command for the leader to propose (docs/refresh.md).
struct node_proposal {
  command_body body;
};

// Node to node: one sealed chunk of round data. A `bundle` is a dealer's
// sub-shares for one receiver; `masked` is a recovery helper's masked shares
// for the target. Sealed to the receiver with round_chunk_context.
enum class chunk_kind : std::uint8_t { bundle = 1, masked = 2 };
struct round_chunk {
  chunk_kind kind = chunk_kind::bundle;
  std::uint64_t round_id = 0;
  node_id sender;
  node_id receiver;
  std::uint32_t chunk = 0;
  std::uint32_t chunks = 1;
  bytes sealed;
};

// Client to node: start a refresh round now (`pss refresh`).
struct refresh_request {
  std::uint64_t request_id = 0;
};
struct refresh_response {
  std::uint64_t request_id = 0;
  reply_code code = reply_code::ok;
  std::string reason;
};

// Node to node: a node whose data directory was wiped asks the leader to
// re-admit it under its old id (docs/refresh.md, "Rejoining a wiped node").
// It sends this to every member now and then until its own catalog shows the
// rejoin recorded; `nonce` is drawn once per rejoin and persisted with it.
struct rejoin_request {
  node_id node;
  std::uint64_t nonce = 0;
};

// Client to leader: an admin's change to the access policy (`pss access
// grant|revoke`). The leader proposes the whole signed envelope this came in
// (an access_change command), so every node checks the admin's signature
// itself when it applies it. `sequence` is the client's session sequence
// number, signed with the change. Answered with a propose_response whose
// result.version is the grant id (the new grant, or the revoked one).
struct access_request {
  std::uint64_t request_id = 0;
  sequence_number sequence;
  access::policy_change change;
};

// Client to leader: an admin's change to the committee (`pss member
// remove`; docs/refresh.md §7). Like an access_request, the leader proposes
// the whole signed envelope (an access_change command), every node checks
// the admin's signature and right again when it applies it, and the catalog
// records the change and drives it from then on. Answered with a
// propose_response whose result message says what was recorded.
struct member_request {
  std::uint64_t request_id = 0;
  sequence_number sequence;
  committee_change change;
};

// Client to one node: that node's audit records after `after_seq` (admin
// only; `pss audit`). The client checks the chain itself.
inline constexpr std::size_t audit_records_per_response_max = 512;
struct audit_request {
  std::uint64_t request_id = 0;
  std::uint64_t after_seq = 0;
};
struct audit_response {
  std::uint64_t request_id = 0;
  reply_code code = reply_code::ok;
  std::string reason;
  std::uint64_t head_seq = 0; // the node's last durable record
  std::vector<audit::record> records;
};

inline constexpr std::size_t round_chunk_bytes_max = 2 * 1024 * 1024;
inline constexpr std::uint32_t round_chunks_max = 1024;

using wire_message =
  std::variant<raft_message, get_view_request, get_view_response, store_share_request,
               store_share_response, propose_request, propose_response, read_request,
               read_response, get_share_request, get_share_response, node_proposal,
               round_chunk, refresh_request, refresh_response, rejoin_request, access_request,
               audit_request, audit_response, member_request>;

[[nodiscard]] bytes encode(const wire_message& m);
[[nodiscard]] result<wire_message> decode_wire_message(byte_view data);

// The associated data of a round chunk.
[[nodiscard]] result<bytes> round_chunk_context(const std::string& cluster_id, const round_chunk& c,
                                                epoch_id epoch);

// The associated data of a share sealed by a client to node `recipient`: it
// binds the dealing (the digest of its commitments), since the version is
// assigned only when the catalog applies the register.
[[nodiscard]] result<bytes> share_context_for_store(const std::string& cluster_id, epoch_id epoch,
                                                    const std::string& name, const digest& dealing,
                                                    node_id recipient);
// The associated data of a share a node seals to a reader's ephemeral key.
[[nodiscard]] result<bytes> share_context_for_read(const std::string& cluster_id, epoch_id epoch,
                                                   const std::string& name, secret_version version,
                                                   node_id dealer);

} // namespace pss::secrets
