// The node's audit trail (docs/access.md, "Audit"): a record for every share
// released or stored and every write, delete, policy change and refresh
// request this node carried out, and the group commit that holds the replies
// until one sync covers them all. No share leaves this node before the record
// of its release is durable, and no store is acknowledged before the share is
// (the share journal's sync). The other records (stores, writes, refreshes)
// answer nothing a crash could take back, so they ride the next sync of the
// log: a release's, or at most audit_sync_lag_max after they were written.
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
  const bool was_synced = !audit_->has_unsynced();
  auto appended = audit_->append(std::move(r));
  if (!appended.ok()) {
    event("audit log: cannot append (" + appended.err().message() + ")");
    return appended.err();
  }
  if (was_synced) audit_sync_due_ = now + audit_sync_lag_max;
  return ok_status();
}

void node_engine::send_held(endpoint to, const wire_message& m, hold until) {
  if (until == hold::release) {
    PSS_CHECK(audit_->has_unsynced());
    held_releases_.push_back(outgoing{to, encode(m)});
  } else {
    held_acks_.push_back(outgoing{to, encode(m)});
  }
  output_.flush_requested = true;
}

// The group commit: the shares stored since the last flush (the planted bug
// leaves them to the next Raft batch's flush), then their acks; the audit
// log when a release waits for it or its oldest unsynced record is due, then
// the releases.
void node_engine::release_held(millis now) {
  if (failed_) return;
  if (!held_acks_.empty()) {
    if (!planted::armed(planted::bug::share_ack_before_sync))
      if (auto st = flush_shares(); !st.ok()) return drop_held(st.err());
    for (auto& m : held_acks_) output_.messages.push_back(std::move(m));
    held_acks_.clear();
  }
  if (!audit_->has_unsynced()) {
    PSS_CHECK(held_releases_.empty());
    return;
  }
  if (held_releases_.empty() && now < audit_sync_due_) {
    // Woken when it is due, also after a flush that computed no wake-up.
    const millis due = std::max(audit_sync_due_, now + millis{1});
    output_.next_wakeup = output_.next_wakeup ? std::min(*output_.next_wakeup, due) : due;
    return;
  }
  if (auto st = audit_->sync(); !st.ok()) return drop_held(st.err());
  for (auto& m : held_releases_) output_.messages.push_back(std::move(m));
  held_releases_.clear();
}

void node_engine::drop_held(const error& e) {
  held_acks_.clear();
  held_releases_.clear();
  fail(e);
}

void node_engine::on_flush(millis now) {
  if (failed_) return;
  release_held(now);
}

// A clean stop keeps the audit records that were waiting for the log's next
// sync (a crash loses at most audit_sync_lag_max of them, never a release's).
void node_engine::on_stop(millis now) {
  if (failed_) return;
  audit_sync_due_ = now;
  release_held(now);
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
