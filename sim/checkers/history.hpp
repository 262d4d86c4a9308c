// The client history that the linearizability checker reads.
//
// The simulator records every client operation on the secret store as two
// events on the simulated clock: an invoke, and later a completion that is
// ok (with the result), fail (the operation definitely did not take effect)
// or info (the outcome is unknown, as after a timeout). A timeout is always
// info, never fail. Each client runs one operation at a time, so a
// completion belongs to its client's one outstanding invoke.
//
// Values are opaque value ids chosen by the workload, never the secret bytes:
// a history must never hold or print secret material.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "core/ids.hpp"
#include "core/result.hpp"

namespace pss::sim {

struct value_tag { static constexpr const char* prefix = "val"; };
// What a put stores: an id the workload maps to the secret it wrote. Two
// puts should write different ids, or a read cannot tell them apart.
using value_id = strong_id<value_tag>;

// `remove` is the delete operation (delete is a C++ keyword).
enum class op_kind : std::uint8_t { put, get, remove };

enum class outcome : std::uint8_t {
  ok,   // completed, with a result
  fail, // definitely did not take effect
  info, // unknown: it may take effect at any time after its invoke, or never
};

// What a client asked for.
struct operation {
  op_kind kind = op_kind::get;
  std::string name;
  // put only: the value written.
  value_id value{};
  // get only: read this version instead of the latest one.
  std::optional<secret_version> version;

  [[nodiscard]] static operation put(std::string name, value_id value);
  [[nodiscard]] static operation get(std::string name);
  [[nodiscard]] static operation get_version(std::string name, secret_version version);
  [[nodiscard]] static operation remove(std::string name);
};

// What an ok completion reported. Which fields mean something depends on
// the operation; the factories below build the valid combinations.
struct response {
  // get: the value read, or nullopt for "not found".
  std::optional<value_id> value;
  // put: the version the store assigned; get: the version it returned.
  // nullopt when the client did not learn it.
  std::optional<secret_version> version;
  // delete: whether the store said the name existed; nullopt when the store
  // does not say (an idempotent delete).
  std::optional<bool> existed;

  [[nodiscard]] static response put_ok(std::optional<secret_version> version = std::nullopt);
  [[nodiscard]] static response read(value_id value,
                                     std::optional<secret_version> version = std::nullopt);
  [[nodiscard]] static response not_found();
  [[nodiscard]] static response removed(std::optional<bool> existed = std::nullopt);
};

enum class event_type : std::uint8_t { invoke, complete };

struct event {
  event_type type = event_type::invoke;
  std::uint64_t time_us = 0;
  client_id client{};
  operation op;                  // invoke only
  outcome result = outcome::ok;  // complete only
  response reply;                // complete with ok only
};

// The events in the order the simulator saw them. Recording never fails; a
// malformed history (a client with two operations in flight, a completion
// without an invoke) is reported by the checker, not by the recorder.
class history {
public:
  void invoke(std::uint64_t time_us, client_id client, operation op);
  void complete(std::uint64_t time_us, client_id client, outcome result,
                response reply = {});
  void ok(std::uint64_t time_us, client_id client, response reply = {}) {
    complete(time_us, client, outcome::ok, std::move(reply));
  }
  void fail(std::uint64_t time_us, client_id client) {
    complete(time_us, client, outcome::fail);
  }
  void info(std::uint64_t time_us, client_id client) {
    complete(time_us, client, outcome::info);
  }

  [[nodiscard]] const std::vector<event>& events() const noexcept { return events_; }

private:
  std::vector<event> events_;
};

// One operation with its invoke and completion joined. An invoke that never
// completed is recorded as info with no completion time.
struct op_record {
  std::size_t invoke_event = 0; // position of the invoke in the history
  client_id client{};
  operation op;
  std::uint64_t invoke_us = 0;
  std::optional<std::uint64_t> complete_us;
  outcome result = outcome::info;
  response reply;
};

// Joins invokes with completions and validates the history. Fails with
// errc::malformed and a message naming the event when a client has two
// operations in flight, a completion has no invoke, time runs backwards for
// a client, or a response does not fit its operation.
[[nodiscard]] result<std::vector<op_record>> collect_operations(const history& h);

std::ostream& operator<<(std::ostream& os, op_kind kind);
std::ostream& operator<<(std::ostream& os, outcome result);
std::ostream& operator<<(std::ostream& os, const operation& op);
// One line, e.g. `c2 put("db", val7) -> ok v3 [120us, 480us]`.
std::ostream& operator<<(std::ostream& os, const op_record& record);

} // namespace pss::sim
