#include "checkers/history.hpp"

#include <map>
#include <sstream>

namespace pss::sim {

operation operation::put(std::string name, value_id value) {
  return {op_kind::put, std::move(name), value, std::nullopt};
}
operation operation::get(std::string name) {
  return {op_kind::get, std::move(name), value_id{}, std::nullopt};
}
operation operation::get_version(std::string name, secret_version version) {
  return {op_kind::get, std::move(name), value_id{}, version};
}
operation operation::remove(std::string name) {
  return {op_kind::remove, std::move(name), value_id{}, std::nullopt};
}

response response::put_ok(std::optional<secret_version> version) {
  return {std::nullopt, version, std::nullopt};
}
response response::read(value_id value, std::optional<secret_version> version) {
  return {value, version, std::nullopt};
}
response response::not_found() { return {}; }
response response::removed(std::optional<bool> existed) {
  return {std::nullopt, std::nullopt, existed};
}

void history::invoke(std::uint64_t time_us, client_id client, operation op) {
  events_.push_back(event{event_type::invoke, time_us, client, std::move(op),
                          outcome::ok, response{}});
}

void history::complete(std::uint64_t time_us, client_id client, outcome result,
                       response reply) {
  events_.push_back(event{event_type::complete, time_us, client, operation{},
                          result, std::move(reply)});
}

namespace {

error malformed_at(std::size_t index, const event& e, const std::string& what) {
  std::ostringstream os;
  os << "event " << index << " (" << e.client << " at "
     << e.time_us << "us): " << what
     << "; record one invoke and one completion per operation, one operation "
        "per client at a time";
  return error{errc::malformed, os.str()};
}

// A response that cannot belong to its operation is a recording bug, not a
// store bug, so it is reported as malformed rather than as a violation.
const char* response_mismatch(const operation& op, const response& reply) {
  switch (op.kind) {
  case op_kind::put:
    if (reply.value || reply.existed) return "a put's ok carries a read value or an existed flag";
    break;
  case op_kind::get:
    if (reply.existed) return "a get's ok carries an existed flag";
    if (!reply.value && reply.version) return "a get answered not found with a version";
    break;
  case op_kind::remove:
    if (reply.value || reply.version) return "a delete's ok carries a value or a version";
    break;
  }
  if (reply.version && reply.version->value() == 0) return "version 0 in a response (the first version is 1)";
  return nullptr;
}

} // namespace

result<std::vector<op_record>> collect_operations(const history& h) {
  std::vector<op_record> records;
  std::map<client_id, std::size_t> in_flight;       // client -> record index
  std::map<client_id, std::uint64_t> last_done_us;  // client -> last completion
  const auto& events = h.events();
  for (std::size_t i = 0; i < events.size(); ++i) {
    const event& e = events[i];
    if (e.type == event_type::invoke) {
      if (auto it = in_flight.find(e.client); it != in_flight.end()) {
        std::ostringstream os;
        os << "invoked " << e.op << " while its " << records[it->second].op
           << " (event " << records[it->second].invoke_event << ") had not completed";
        return malformed_at(i, e, os.str());
      }
      if (e.op.version && e.op.version->value() == 0)
        return malformed_at(i, e, "a get of version 0 (the first version is 1)");
      if (auto it = last_done_us.find(e.client); it != last_done_us.end() && e.time_us < it->second)
        return malformed_at(i, e, "invoked before its previous operation completed (time runs backwards)");
      in_flight.emplace(e.client, records.size());
      records.push_back(op_record{i, e.client, e.op, e.time_us, std::nullopt, outcome::info, {}});
      continue;
    }
    auto it = in_flight.find(e.client);
    if (it == in_flight.end()) return malformed_at(i, e, "a completion without an invoke");
    op_record& record = records[it->second];
    if (e.time_us < record.invoke_us)
      return malformed_at(i, e, "completed before it was invoked (time runs backwards)");
    if (e.result == outcome::ok) {
      if (const char* why = response_mismatch(record.op, e.reply)) return malformed_at(i, e, why);
      record.reply = e.reply;
    }
    record.complete_us = e.time_us;
    record.result = e.result;
    last_done_us[e.client] = e.time_us;
    in_flight.erase(it);
  }
  return records;
}

std::ostream& operator<<(std::ostream& os, op_kind kind) {
  switch (kind) {
  case op_kind::put: return os << "put";
  case op_kind::get: return os << "get";
  case op_kind::remove: return os << "delete";
  }
  PSS_UNREACHABLE();
}

std::ostream& operator<<(std::ostream& os, outcome result) {
  switch (result) {
  case outcome::ok: return os << "ok";
  case outcome::fail: return os << "fail";
  case outcome::info: return os << "info";
  }
  PSS_UNREACHABLE();
}

std::ostream& operator<<(std::ostream& os, const operation& op) {
  os << op.kind << "(\"" << op.name << '"';
  if (op.kind == op_kind::put) os << ", " << op.value;
  if (op.version) os << ", " << *op.version;
  return os << ')';
}

std::ostream& operator<<(std::ostream& os, const op_record& record) {
  os << record.client << ' ' << record.op << " -> " << record.result;
  if (record.result == outcome::ok) {
    const response& r = record.reply;
    if (record.op.kind == op_kind::get) os << ' ' << (r.value ? "" : "not found");
    if (r.value) os << *r.value;
    if (r.version) os << ' ' << *r.version;
    if (r.existed) os << (*r.existed ? " existed" : " did not exist");
  }
  os << " [" << record.invoke_us << "us, ";
  if (record.complete_us) os << *record.complete_us << "us]";
  else os << "never completed]";
  return os;
}

} // namespace pss::sim
