// Client sessions for exactly-once commands (Raft thesis §6.3).
//
// A state machine keeps one session_table as part of its replicated state.
// Each command carries (client id, sequence number) and the time the leader
// recorded in the log entry. A retried command finds its cached response and
// is not executed again; a sequence number below the last one is stale.
// Sessions expire by the log's recorded time, never by a local clock, so
// every replica expires the same sessions at the same index. The table is
// serialized into snapshots so exactly-once survives log compaction.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "core/bytes.hpp"
#include "core/ids.hpp"
#include "core/result.hpp"

namespace pss::raft {

inline constexpr std::size_t session_response_bytes_max = 64 * 1024;
inline constexpr std::size_t sessions_max_decode = 1 << 20;

// One client's session, and a session table as encode writes it (declared
// outside the class so that they are complete where the visitor needs them).
struct client_session {
  sequence_number last;
  bytes response;
  std::chrono::milliseconds last_active{0};
  friend bool operator==(const client_session&, const client_session&) = default;
};
struct session_table_image {
  std::chrono::milliseconds expiry{0};
  std::vector<std::pair<client_id, client_session>> sessions;
};

class session_table {
public:
  using millis = std::chrono::milliseconds;

  enum class verdict : std::uint8_t {
    fresh,     // execute it, then record()
    duplicate, // already executed: answer with the cached response
    stale,     // older than the last executed command: the client moved on
    expired,   // the session is unknown (expired or never opened) and this is
               // not a first command: the client must open a new session
  };
  struct lookup {
    verdict kind = verdict::fresh;
    const bytes* cached = nullptr;
  };

  explicit session_table(millis expiry = millis{60'000}) : expiry_(expiry) {}

  // Sequence numbers start at 1; a session opens with its first command.
  [[nodiscard]] lookup check(client_id client, sequence_number seq) const;
  // Records the response of a fresh command applied at log time `at`.
  void record(client_id client, sequence_number seq, bytes response, millis at);
  // Drops sessions idle for longer than the expiry as of log time `at`.
  void expire(millis at);

  [[nodiscard]] std::size_t size() const noexcept { return sessions_.size(); }

  void encode(byte_writer& out) const;
  [[nodiscard]] static result<session_table> decode(byte_reader& in);

  friend bool operator==(const session_table&, const session_table&) = default;

  // What encode writes and decode reads (session_table.cpp's visitor).
  using session = client_session;
  using image = session_table_image;

private:
  millis expiry_;
  std::map<client_id, session> sessions_;
};

} // namespace pss::raft
