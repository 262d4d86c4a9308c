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

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "core/bytes.hpp"
#include "core/ids.hpp"
#include "core/result.hpp"
#include "raft/types.hpp"

namespace pss::secrets {

using millis = std::chrono::milliseconds;

inline constexpr std::size_t secret_name_bytes_max = 256;       // = crypto limit
inline constexpr std::size_t ciphertext_bytes_max = 80 * 1024;   // payload + envelope overhead
inline constexpr std::size_t commitments_bytes_max = 2 + 255 * 32;
inline constexpr std::size_t holders_max = 255;
inline constexpr std::size_t result_message_bytes_max = 1024;
inline constexpr std::size_t command_bytes_max = 128 * 1024;

struct session_header {
  client_id client;
  sequence_number sequence;
  millis leader_time{0}; // written by the leader that proposed the entry

  bool operator==(const session_header&) const = default;
};

// Registers a dealt version whose shares are already durable on `holders`.
struct register_secret {
  std::string name;
  secret_version version;
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

using command_body = std::variant<register_secret, delete_secret>;

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
