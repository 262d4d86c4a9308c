// Client operations as the client actor sees them, independent of CAF and
// of any particular protocol.
//
// A client actor hosts a `client_host_engine`: a secrets::engine (messages,
// ticks, outputs) that can also start one operation and report how it ended.
// The Raft-only engine of the simulator implements it directly; the
// secrets::client_engine plugs in through a small adapter. Completions follow
// the linearizability vocabulary: ok and fail are definite, info means the
// outcome is unknown (a timeout), never a failure.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/bytes.hpp"
#include "secrets/engine.hpp"

namespace pss::actors {

using millis = secrets::millis;

// refresh asks the cluster to start a refresh round; it has no key or value.
enum class op_kind : std::uint8_t { put = 1, get = 2, refresh = 3, remove = 4 };
enum class op_outcome : std::uint8_t { ok = 0, fail = 1, info = 2 };

[[nodiscard]] inline const char* to_string(op_kind k) noexcept {
  return k == op_kind::put ? "put" : k == op_kind::get ? "get" : k == op_kind::remove ? "delete" : "refresh";
}
[[nodiscard]] inline const char* to_string(op_outcome o) noexcept {
  return o == op_outcome::ok ? "ok" : o == op_outcome::fail ? "fail" : "info";
}

struct operation {
  op_kind kind = op_kind::put;
  std::string key;
  bytes value; // the value to put; empty for a get
};

struct completion {
  std::uint64_t op_id = 0;
  op_outcome outcome = op_outcome::info;
  bytes value;      // what a get read
  std::string note; // why it failed or is unknown; never secret material
};

class client_host_engine : public secrets::engine {
public:
  // Starts an operation; the engine runs at most one at a time, so the host
  // starts the next one only after the previous completed.
  virtual void start(millis now, std::uint64_t op_id, operation op) = 0;
  // Drains the operations that ended since the last call.
  [[nodiscard]] virtual std::vector<completion> take_completions() = 0;
};

} // namespace pss::actors
