#include "actors/client_host.hpp"

#include <utility>

namespace pss::actors {

secrets_client_host::secrets_client_host(secrets::client_options options, std::uint64_t random_seed)
  : engine_(std::move(options), std::make_unique<crypto::seeded_random>(random_seed)) {}

secrets_client_host::secrets_client_host(secrets::client_options options,
                                         std::unique_ptr<crypto::random_source> random)
  : engine_(std::move(options), std::move(random)) {}

secrets_client_host::~secrets_client_host() = default;

void secrets_client_host::on_message(millis now, secrets::endpoint from, byte_view payload) {
  engine_.on_message(now, from, payload);
}
void secrets_client_host::on_tick(millis now) { engine_.on_tick(now); }
secrets::engine_output secrets_client_host::take_output() { return engine_.take_output(); }

void secrets_client_host::start(millis now, std::uint64_t op_id, operation op) {
  const auto kind = op.kind == op_kind::put      ? secrets::operation_kind::put
                    : op.kind == op_kind::remove ? secrets::operation_kind::remove
                    : op.kind == op_kind::refresh ? secrets::operation_kind::refresh
                                                  : secrets::operation_kind::get;
  client_request r = client_request::of(kind, std::move(op.key));
  if (kind == secrets::operation_kind::put) r.value = secure_bytes{byte_view{op.value}};
  start_request(now, op_id, std::move(r));
}

void secrets_client_host::start_request(millis now, std::uint64_t op_id, client_request r) {
  switch (r.kind) {
  case secrets::operation_kind::put: engine_.put(now, op_id, std::move(r.name), std::move(r.value)); break;
  case secrets::operation_kind::get: engine_.get(now, op_id, std::move(r.name), r.version); break;
  case secrets::operation_kind::list: engine_.list(now, op_id); break;
  case secrets::operation_kind::remove: engine_.remove(now, op_id, std::move(r.name)); break;
  case secrets::operation_kind::refresh: engine_.refresh(now, op_id); break;
  case secrets::operation_kind::grant: engine_.grant(now, op_id, std::move(r.grant)); break;
  case secrets::operation_kind::revoke: engine_.revoke(now, op_id, r.grant_id); break;
  case secrets::operation_kind::policy: engine_.read_policy(now, op_id); break;
  case secrets::operation_kind::audit: engine_.read_audit(now, op_id, r.node, r.audit_after); break;
  case secrets::operation_kind::member: engine_.change_committee(now, op_id, std::move(r.committee)); break;
  case secrets::operation_kind::view: engine_.read_view(now, op_id, r.node); break;
  }
}

std::vector<secrets::completion> secrets_client_host::take_engine_completions() {
  return engine_.take_completions();
}

op_outcome history_outcome(secrets::operation_outcome o) noexcept {
  switch (o) {
    case secrets::operation_outcome::ok: return op_outcome::ok;
    case secrets::operation_outcome::fail: return op_outcome::fail;
    case secrets::operation_outcome::unknown: return op_outcome::info;
  }
  return op_outcome::info;
}

std::vector<completion> secrets_client_host::take_completions() {
  std::vector<completion> out;
  for (auto& c : engine_.take_completions()) {
    completion d;
    d.op_id = c.operation_id;
    d.outcome = history_outcome(c.outcome);
    // A get of a name that does not exist (never put, or deleted) read
    // "nothing": a linearizable answer (a ReadIndex read of the catalog).
    if (c.kind == secrets::operation_kind::get && c.error == secrets::client_error::unknown_secret)
      d.outcome = op_outcome::ok;
    if (c.value) d.value.assign(c.value->view().begin(), c.value->view().end());
    d.note = c.error == secrets::client_error::none ? c.message
                                                    : std::string{secrets::to_string(c.error)} + ": " + c.message;
    if (d.outcome == op_outcome::ok && c.kind == secrets::operation_kind::put)
      put_versions_[c.operation_id] = c.version;
    const bool answered_by_one = c.kind == secrets::operation_kind::get || c.kind == secrets::operation_kind::put;
    if (answered_by_one && c.served_by != node_id{}) served_by_[c.operation_id] = c.served_by;
    if (d.outcome == op_outcome::ok && c.kind == secrets::operation_kind::remove)
      removed_versions_[c.operation_id] = c.version;
    out.push_back(std::move(d));
  }
  return out;
}

} // namespace pss::actors
