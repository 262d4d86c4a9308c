// The commands the nodes agree on through Raft, and their results.
//
// A command is what a Raft entry's data holds: a session header (client id,
// sequence number, and the time the leader wrote into the entry, for
// exactly-once through raft::session_table, thesis §6.3) and one body.
// Commands carry only public, replicated state: names, versions,
// commitments, envelope ciphertexts, epochs and holders. Shares never appear
// in any command (DESIGN §4); the node engine builds the bytes, the client
// only names what it wants registered or deleted.
//
// Every decode is bounds-checked against the named limits below and refuses
// trailing bytes.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/bytes.hpp"
#include "core/fields.hpp"
#include "core/ids.hpp"
#include "core/result.hpp"
#include "crypto/seal.hpp"
#include "raft/types.hpp"

namespace pss::secrets {

using millis = std::chrono::milliseconds;

inline constexpr std::size_t secret_name_bytes_max = 256;       // = crypto limit
inline constexpr std::size_t ciphertext_bytes_max = 80 * 1024;   // payload + envelope overhead
inline constexpr std::size_t commitments_bytes_max = 2 + 255 * 32;
inline constexpr std::size_t holders_max = 255;
inline constexpr std::size_t result_message_bytes_max = 1024;
inline constexpr std::size_t command_bytes_max = 128 * 1024;
// A round_reveal carries one sealed chunk: the only command above command_bytes_max.
inline constexpr std::size_t reveal_command_bytes_max = 768 * 1024;
inline constexpr std::size_t round_reason_bytes_max = 512;
inline constexpr std::size_t round_signature_bytes = 64;

using digest = std::array<std::uint8_t, 32>;
// One 32-byte canonical scalar (or group element), as it travels in a command.
using scalar_bytes = std::array<std::uint8_t, 32>;

struct session_header {
  client_id client;
  sequence_number sequence;
  millis leader_time{0}; // written by the leader that proposed the entry

  bool operator==(const session_header&) const = default;
};

// Registers a dealing whose shares are already durable on `holders`. The
// catalog gives it the next version of the name when it applies it (the
// result's version); the dealing is named by its commitments' digest.
struct register_secret {
  std::string name;
  bytes commitments; // crypto::commitment::encode()
  bytes ciphertext;  // crypto::envelope::encode()
  epoch_id epoch;
  std::vector<node_id> holders;

  bool operator==(const register_secret&) const = default;
};

// Tombstones a name: every version becomes deleted.
struct delete_secret {
  std::string name;
  bool operator==(const delete_secret&) const = default;
};

// ---- refresh and recovery rounds (docs/refresh.md §3) ----------------------
// Proposed by nodes, never by clients, and carried without a client session:
// every round command names its round, and applying one for another round or
// in the wrong phase changes nothing, so a retried proposal is harmless.

enum class round_kind : std::uint8_t { refresh = 1, recovery = 2 };
[[nodiscard]] std::string_view to_string(round_kind k) noexcept;

// The leader starts round `round_id` (the catalog's last round id + 1). For a
// recovery, `target` is the node whose shares are rebuilt; for a refresh, if
// set, the member it leaves out (docs/refresh.md §7.3: removing a member).
struct round_begin {
  round_kind kind = round_kind::refresh;
  std::uint64_t round_id = 0;
  node_id target;
  bool operator==(const round_begin&) const = default;
};

// Dealer `dealer` commits to the sealed bundles it sent: one digest per
// receiver, in participant order, signed with its Ed25519 key.
struct round_dealing {
  std::uint64_t round_id = 0;
  node_id dealer;
  std::vector<digest> digests;
  std::array<std::uint8_t, round_signature_bytes> signature{};
  // A reshare's (lowering t, docs/refresh.md §7.5) A = a·G for its mask's
  // constant a, committed with the digests before the challenge; absent in
  // every other round. Encoded last, so older dealings still decode.
  std::optional<scalar_bytes> mask_commitment;
  bool operator==(const round_dealing&) const = default;
};

struct round_close {
  std::uint64_t round_id = 0;
  bool operator==(const round_close&) const = default;
};

enum class answer_status : std::uint8_t { ok = 0, missing = 1, bad = 2 };

// What one receiver says about one dealer: y = ρ(x) + Σ λ_m δ_m(x); or
// "missing": no bundle that matches the committed digest arrived (the
// receiver is simply not reached by that dealer); or "bad": the committed
// bytes arrived but do not open or decode, a complaint the dealer answers
// with a round_reveal.
struct dealer_answer {
  node_id dealer;
  answer_status status = answer_status::ok;
  std::array<std::uint8_t, 32> y{};
  bool operator==(const dealer_answer&) const = default;
};

// Its format (core/fields.hpp), in round_response commands and in snapshots.
void fields(auto& io, like<dealer_answer> auto& m) {
  io.id(m.dealer);
  io.enumeration(m.status, answer_status::ok, answer_status::bad, "unknown answer status");
  io.raw(m.y);
}

struct round_response {
  std::uint64_t round_id = 0;
  node_id receiver;
  std::vector<dealer_answer> answers; // one per dealer of the closed set, in order
  // A dealer's own response polynomial y(x) = (x - x0)·q(x), as q's t-1
  // coefficients (crypto::batch_dealing::response_polynomial); in a reshare
  // (lowering t), y(x) = c + x·q(x), as c then q's t-1 coefficients. Empty
  // for a participant that did not deal. Every other receiver's y must equal it.
  std::vector<scalar_bytes> polynomial;
  std::array<std::uint8_t, round_signature_bytes> signature{};
  bool operator==(const round_response&) const = default;
};

// A dealer answers a dispute (a complaint, or a y that is not its
// polynomial's) by revealing one chunk it sealed to `receiver`: the sealed
// bytes, the digest of every chunk (whose hash is the committed digest) and
// the chunk's ephemeral X25519 secret, so that every replica opens it and
// decides who lied (docs/refresh.md §3). Signed by the dealer, so a reveal
// that does not check convicts the dealer and nobody else.
inline constexpr std::size_t reveal_sealed_bytes_max = 640 * 1024; // one chunk of 16,384 values, sealed
inline constexpr std::size_t reveal_chunks_max = 1024;
struct round_reveal {
  std::uint64_t round_id = 0;
  node_id dealer;
  node_id receiver;
  std::uint32_t chunk = 0;
  std::vector<digest> chunk_digests; // BLAKE2b-256 of each sealed chunk, in order
  bytes sealed;
  scalar_bytes ephemeral{}; // the X25519 secret this chunk was sealed with
  std::array<std::uint8_t, round_signature_bytes> signature{};
  bool operator==(const round_reveal&) const = default;
};

struct round_qualify {
  std::uint64_t round_id = 0;
  bool operator==(const round_qualify&) const = default;
};

// Refresh: `node` holds its new shares pending and synced. Recovery: the
// target stored its recovered shares.
struct round_ready {
  std::uint64_t round_id = 0;
  node_id node;
  bool operator==(const round_ready&) const = default;
};

struct round_commit {
  std::uint64_t round_id = 0;
  bool operator==(const round_commit&) const = default;
};

struct round_abort {
  std::uint64_t round_id = 0;
  std::string reason;
  bool operator==(const round_abort&) const = default;
};

// A node restarted with its share journal gone (its Raft state intact): it
// no longer holds any share, so it leaves every holder list and is then
// recovered like a node that missed its shares. `nonce` is drawn once per
// declaration, so a replayed or duplicated one changes nothing.
struct shares_lost {
  node_id node;
  std::uint64_t nonce = 0;
  bool operator==(const shares_lost&) const = default;
};

// A node whose whole data directory was lost (its Raft term, vote and log
// with it) asks to be re-admitted under its old id; the leader proposes this
// for it (docs/refresh.md, "Rejoining a wiped node"). `nonce` is drawn once
// per rejoin, so a duplicated or stale request is recognised. Applying it
// records the nonce and takes the node off every holder list; the leader then
// removes it from the Raft configuration, adds it back as a learner and
// promotes it, and the node recovers its shares like any node that missed them.
struct member_rejoin {
  node_id node;
  std::uint64_t nonce = 0;
  bool operator==(const member_rejoin&) const = default;
};

// An admin's change to the access policy (docs/access.md, "Changing the
// policy"): the admin's signed envelope exactly as the leader admitted it,
// and the leader's wall clock when it proposed it. Every node checks the
// envelope again when it applies this; the body inside it is the
// access_request the admin signed.
inline constexpr std::size_t access_change_bytes_max = 8 * 1024;
struct access_change {
  std::uint64_t stamped_at = 0; // unix ms on the proposing leader's clock
  bytes request;                // access::encode_signed_request
  bool operator==(const access_change&) const = default;
};

// A member's sealing key for the view's epoch (docs/refresh.md §7.9): what
// clients seal its shares to and dealers its round chunks, from the next
// round that begins. Signed by the member (its signing key in the view)
// over ("pss seal key v1", cluster id, node, epoch, serial, key); `serial`
// rises with every announcement of the node, so a replayed older one is
// refused.
inline constexpr std::uint64_t seal_serial_max = std::uint64_t{1} << 62;
struct seal_announcement {
  node_id node;
  epoch_id epoch;
  std::uint64_t serial = 0;
  crypto::box_public_key key;
  std::array<std::uint8_t, round_signature_bytes> signature{};
  bool operator==(const seal_announcement&) const = default;
};

using command_body =
  std::variant<register_secret, delete_secret, access_change, round_begin, round_dealing, round_close,
               round_response, round_qualify, round_ready, round_commit, round_abort, shares_lost,
               member_rejoin, round_reveal, seal_announcement>;

// Its format, in commands, snapshots and served views.
void fields(auto& io, like<seal_announcement> auto& m) {
  io.id(m.node);
  io.id(m.epoch);
  io.u64(m.serial);
  io.convert(m.key, [](const crypto::box_public_key& k) { return k.bytes(); }, crypto::box_public_key::from_bytes);
  io.raw(m.signature);
}

// True for the commands nodes propose (rounds, shares_lost, member_rejoin, seal keys), which are
// applied without a client session. register, delete and access changes
// come from clients and carry their session.
[[nodiscard]] bool is_node_command(const command_body& body) noexcept;

struct command {
  session_header session;
  command_body body;
  bool operator==(const command&) const = default;
};

void encode(byte_writer& out, const command_body& body);
// Reads one body; a bad one marks the reader failed.
[[nodiscard]] command_body decode_command_body(byte_reader& in);

[[nodiscard]] bytes encode_command(const command& c);
[[nodiscard]] result<command> decode_command(byte_view data);

// What applying a command answered (also what the session table caches).
enum class result_code : std::uint8_t {
  ok = 0,
  conflict = 1,         // a register whose version is not latest+1
  not_found = 2,        // delete of an unknown or already deleted name
  stale = 3,            // an older sequence number of a session
  session_expired = 4,  // unknown session and not its first command
  invalid = 5,          // a command that fails validation (bad epoch, holders...)
};

[[nodiscard]] std::string_view to_string(result_code code) noexcept;

struct command_result {
  result_code code = result_code::ok;
  secret_version version; // register: the registered version; conflict: the latest
  std::string message;

  bool operator==(const command_result&) const = default;
};

void encode(byte_writer& out, const command_result& r);
[[nodiscard]] command_result decode_command_result(byte_reader& in);
[[nodiscard]] bytes to_bytes(const command_result& r);
[[nodiscard]] result<command_result> command_result_from_bytes(byte_view data);

} // namespace pss::secrets
