// The node's audit trail (docs/access.md, "Audit"): a record for every share
// released or stored and every write, delete, policy change and refresh
// request this node carried out, and the group commit that holds the replies
// until one sync of the share journal and one of the audit log cover them
// all. No share leaves this node before the record of its release is
// durable, and no store is acknowledged before the share is.
#include "secrets/node_engine.hpp"

#include "core/planted.hpp"

#include <algorithm>

namespace pss::secrets {

status node_engine::record(millis now, audit::action what, const requester& who, const std::string& name,
                           std::uint64_t version, audit::outcome result) {
  audit::record r;
  r.at_ms = wall(now);
  r.what = what;
  r.result = result;
  std::copy(who.key.bytes().begin(), who.key.bytes().end(), r.client.begin());
  r.name = name;
  r.version = version;
  r.request = who.request;
  auto appended = audit_->append(std::move(r));
  if (!appended.ok()) {
    event("audit log: cannot append (" + appended.err().message() + ")");
    return appended.err();
  }
  return ok_status();
}

void node_engine::send_audited(endpoint to, const wire_message& m) {
  PSS_CHECK(audit_->has_unsynced());
  held_.push_back(outgoing{to, encode(m)});
  output_.flush_requested = true;
}

void node_engine::release_audited() {
  if (failed_ || !audit_->has_unsynced()) {
    PSS_CHECK(held_.empty() || failed_);
    return;
  }
  // The shares stored since the last flush first (the planted bug leaves
  // them to the next Raft batch's flush), then the audit records.
  if (!planted::armed(planted::bug::share_ack_before_sync))
    if (auto st = flush_shares(); !st.ok()) {
      held_.clear();
      return fail(st.err());
    }
  if (auto st = audit_->sync(); !st.ok()) {
    held_.clear();
    return fail(st.err());
  }
  for (auto& m : held_) output_.messages.push_back(std::move(m));
  held_.clear();
}

void node_engine::on_flush(millis) {
  if (failed_) return;
  release_audited();
}

void node_engine::on_audit_request(endpoint from, const audit_request& m) {
  audit_response reply;
  reply.request_id = m.request_id;
  reply.head_seq = audit_->synced_seq();
  auto records = audit_->read(m.after_seq, audit_records_per_response_max);
  if (!records.ok()) {
    reply.code = reply_code::unavailable;
    reply.reason = node_name(keys_.id) + ": cannot read the audit log: " + records.err().message();
  } else {
    reply.records = std::move(*records);
  }
  send(from, reply);
}

} // namespace pss::secrets
