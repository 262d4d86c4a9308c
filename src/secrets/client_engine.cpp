#include "secrets/client_engine.hpp"
#include "secrets/client_operation.hpp"

#include <algorithm>

#include "core/planted.hpp"
#include "crypto/envelope.hpp"

namespace pss::secrets {

// Operations that need no catalog read first: they go straight to the leader.
bool proposes_at_once(operation_kind k) noexcept {
  return k == operation_kind::remove || k == operation_kind::grant || k == operation_kind::revoke
         || k == operation_kind::member;
}

completion make_completion(std::uint64_t id, operation_kind kind, operation_outcome outcome,
                           client_error error, std::string message) {
  completion c;
  c.operation_id = id;
  c.kind = kind;
  c.outcome = outcome;
  c.error = error;
  c.message = std::move(message);
  return c;
}

std::string_view to_string(client_error e) noexcept {
  switch (e) {
    case client_error::none: return "none";
    case client_error::unknown_secret: return "unknown_secret";
    case client_error::version_not_found: return "version_not_found";
    case client_error::too_few_nodes: return "too_few_nodes";
    case client_error::not_authorised: return "not_authorised";
    case client_error::verification_failed: return "verification_failed";
    case client_error::conflict: return "conflict";
    case client_error::timeout: return "timeout";
    case client_error::refused: return "refused";
    case client_error::invalid_argument: return "invalid_argument";
  }
  return "unknown";
}

client_engine::client_engine(client_options options, std::unique_ptr<crypto::random_source> random)
  : options_(std::move(options)), random_(std::move(random)) {
  PSS_CHECK(random_ != nullptr);
  PSS_CHECK(!options_.nodes.empty());
  PSS_CHECK(options_.id != client_id{});
}

client_engine::~client_engine() = default;

engine_output client_engine::take_output() {
  engine_output out = std::move(output_);
  output_ = {};
  return out;
}

std::vector<completion> client_engine::take_completions() {
  auto out = std::move(completions_);
  completions_.clear();
  return out;
}

void client_engine::event(std::string text) {
  output_.events.push_back("client " + std::to_string(options_.id.value()) + ": " + std::move(text));
}

// ---- starting operations ---------------------------------------------------

void client_engine::enqueue(millis now, std::unique_ptr<operation> op) {
  if (queue_.size() >= queued_operations_max) {
    completions_.push_back(make_completion(op->id, op->kind, operation_outcome::fail, client_error::refused,
                                      "too many queued operations (queued_operations_max)"));
    return;
  }
  queue_.push_back(std::move(op));
  if (queue_.size() == 1) start(now);
  on_tick(now);
}

void client_engine::put(millis now, std::uint64_t operation_id, std::string name, secure_bytes value) {
  auto op = std::make_unique<operation>();
  op->id = operation_id;
  op->kind = operation_kind::put;
  op->name = std::move(name);
  op->value = std::move(value);
  enqueue(now, std::move(op));
}

void client_engine::get(millis now, std::uint64_t operation_id, std::string name, secret_version version) {
  auto op = std::make_unique<operation>();
  op->id = operation_id;
  op->kind = operation_kind::get;
  op->name = std::move(name);
  op->requested = version;
  enqueue(now, std::move(op));
}

void client_engine::list(millis now, std::uint64_t operation_id) {
  auto op = std::make_unique<operation>();
  op->id = operation_id;
  op->kind = operation_kind::list;
  enqueue(now, std::move(op));
}

void client_engine::remove(millis now, std::uint64_t operation_id, std::string name) {
  auto op = std::make_unique<operation>();
  op->id = operation_id;
  op->kind = operation_kind::remove;
  op->name = std::move(name);
  enqueue(now, std::move(op));
}

void client_engine::refresh(millis now, std::uint64_t operation_id) {
  auto op = std::make_unique<operation>();
  op->id = operation_id;
  op->kind = operation_kind::refresh;
  enqueue(now, std::move(op));
}

void client_engine::start(millis now) {
  while (!queue_.empty() && !queue_.front()->started) {
    operation& op = *queue_.front();
    op.started = true;
    op.deadline = now + options_.operation_timeout;
    const bool needs_name = op.kind == operation_kind::put || op.kind == operation_kind::get
                            || op.kind == operation_kind::remove;
    if (needs_name && (op.name.empty() || op.name.size() > secret_name_bytes_max)) {
      fail(client_error::invalid_argument, "a secret name must be 1.." +
                                             std::to_string(secret_name_bytes_max) + " bytes");
      continue;
    }
    if (op.kind == operation_kind::put && op.value.size() > crypto::payload_bytes_max) {
      fail(client_error::invalid_argument, "the value is above payload_bytes_max");
      continue;
    }
    if (op.kind == operation_kind::refresh) {
      begin_refresh(now); // any node forwards it to the leader: no view needed
    } else if (op.kind == operation_kind::audit) {
      op.step = phase::audit; // op.target was chosen by the caller
      send_single(now);
    } else if (op.kind == operation_kind::view) {
      op.step = phase::view; // op.target was chosen by the caller
      send_single(now);
    } else if (!view_ || (options_.view_max_age > millis{0} && now >= view_learned_at_ + options_.view_max_age)) {
      begin_view(now);
    } else if (proposes_at_once(op.kind)) {
      begin_propose(now, true);
    } else if (op.kind == operation_kind::put) {
      begin_deal(now); // no read first: the catalog assigns the version
    } else {
      begin_read(now);
    }
  }
}

void client_engine::finish(completion c) {
  PSS_CHECK(!queue_.empty());
  c.served_by = queue_.front()->served_by;
  completions_.push_back(std::move(c));
  queue_.pop_front();
}

void client_engine::fail(client_error e, std::string message, operation_outcome o) {
  operation& op = *queue_.front();
  event("operation " + std::to_string(op.id) + " " + (o == operation_outcome::unknown ? "unknown" : "failed") +
        ": " + std::string{to_string(e)} + ": " + message);
  completion c = make_completion(op.id, op.kind, o, e, std::move(message));
  c.version = op.version;
  c.answered = op.kind == operation_kind::get ? op.good.size() : op.acked.size();
  c.bad_nodes.assign(op.bad.begin(), op.bad.end());
  finish(std::move(c));
}

// ---- single-target requests ------------------------------------------------

node_id client_engine::next_node() {
  const std::vector<node_id> nodes = view_ ? view_->node_ids() : options_.nodes;
  return nodes[round_robin_++ % nodes.size()];
}

millis client_engine::backoff() const {
  const operation& op = *queue_.front();
  millis b = retry_backoff_min;
  for (std::size_t i = 1; i < op.attempts && b < retry_backoff_max; ++i) b *= 2;
  return std::min(b, retry_backoff_max);
}

void client_engine::send_single(millis now) {
  operation& op = *queue_.front();
  op.request_id = next_request_id_++;
  op.resend_at = now + options_.request_timeout;
  wire_message m;
  switch (op.step) {
    case phase::view: m = get_view_request{op.request_id}; break;
    case phase::read: {
      read_request r;
      r.request_id = op.request_id;
      r.kind = op.kind == operation_kind::list     ? read_kind::list
               : op.kind == operation_kind::policy ? read_kind::policy
                                                   : read_kind::metadata;
      r.name = op.name;
      r.version = op.kind == operation_kind::get ? op.requested : secret_version{};
      m = std::move(r);
      break;
    }
    case phase::propose: {
      if (op.change) {
        m = access_request{op.request_id, sequence_, *op.change};
        break;
      }
      if (op.committee) {
        m = member_request{op.request_id, sequence_, *op.committee};
        break;
      }
      propose_request p;
      p.request_id = op.request_id;
      p.sequence = sequence_;
      if (op.kind == operation_kind::remove)
        p.body = delete_secret{op.name};
      else
        p.body = register_secret{op.name, op.commitments, op.ciphertext, op.dealt_epoch, op.holders};
      m = std::move(p);
      break;
    }
    case phase::refresh: m = refresh_request{op.request_id}; break;
    case phase::audit: m = audit_request{op.request_id, op.audit_after}; break;
    default: PSS_UNREACHABLE();
  }
  if (op.step == phase::view) output_.messages.push_back(outgoing{endpoint::of(op.target), encode(m)});
  else send_request(now, op.target, m);
}

void client_engine::send_request(millis now, node_id to, const wire_message& m) {
  bytes body = encode(m);
  if (!options_.identity) {
    output_.messages.push_back(outgoing{endpoint::of(to), std::move(body)});
    return;
  }
  // The cluster file's id when there is one; otherwise the view's (a node of
  // another cluster then refuses the signature, never serves it).
  const std::string& cluster = !options_.expected_cluster_id.empty() ? options_.expected_cluster_id
                               : view_                                ? view_->cluster_id
                                                                      : options_.expected_cluster_id;
  const auto wall = static_cast<access::unix_ms>(now.count()) + options_.wall_clock_offset;
  auto q = access::sign_request(*options_.identity, cluster, to, wall, options_.request_lifetime_ms, std::move(body),
                                *random_);
  PSS_CHECK_MSG(q.ok(), "signing a request the engine built itself cannot fail");
  output_.messages.push_back(outgoing{endpoint::of(to), access::encode_signed_request(*q)});
}

// Gives up on the outstanding request and sends again after a backoff, to
// the hinted leader, the next node, or the same one.
void client_engine::retry_single(millis now, bool move_on, node_id hint) {
  operation& op = *queue_.front();
  ++op.attempts;
  ++counters_.retries;
  const bool known_hint = hint != no_node && (!view_ || view_->find(hint) != nullptr);
  if (known_hint) {
    op.target = hint;
    leader_ = hint;
  } else if (move_on) {
    op.target = next_node();
    if (op.step != phase::view) leader_ = no_node;
  }
  op.request_id = 0;
  op.resend_at = now + backoff();
}

// A node refused the key. It may lag behind a grant the others applied, so
// the client asks the next node; it fails once every member has refused.
void client_engine::refused_single(millis now, const std::string& reason) {
  operation& op = *queue_.front();
  op.refused_by.insert(op.target);
  const std::size_t members = view_ ? view_->members.size() : options_.nodes.size();
  if (op.refused_by.size() >= members) return fail(client_error::not_authorised, reason);
  event(reason + "; asking another node");
  retry_single(now, true);
}

void client_engine::begin_read(millis now) {
  operation& op = *queue_.front();
  op.step = phase::read;
  op.attempts = 0;
  op.target = leader_ != no_node ? leader_ : next_node();
  send_single(now);
  if (op.kind == operation_kind::get) send_early_shares(now);
}

void client_engine::begin_propose(millis now, bool fresh_sequence) {
  operation& op = *queue_.front();
  if (fresh_sequence) sequence_ = sequence_.next();
  op.step = phase::propose;
  op.attempts = 0;
  op.proposed = true;
  op.target = leader_ != no_node ? leader_ : next_node();
  send_single(now);
}

void client_engine::begin_refresh(millis now) {
  operation& op = *queue_.front();
  op.step = phase::refresh;
  op.attempts = 0;
  op.target = leader_ != no_node ? leader_ : next_node();
  send_single(now);
}

// ---- what this client has seen ----------------------------------------------

void client_engine::saw_version(const std::string& name, secret_version v) {
  if (seen_versions_.size() >= seen_versions_max && !seen_versions_.contains(name))
    seen_versions_.erase(seen_versions_.begin());
  secret_version& seen = seen_versions_[name];
  seen = std::max(seen, v);
}

// Why a record must not be read: another version than the one asked for, or
// for the latest, older than a version this client saw acknowledged (a
// rollback only a lying node can serve: reads go through ReadIndex).
std::optional<std::string> client_engine::stale_record(const operation& op, const version_record& r) const {
  if (op.requested != secret_version{} && r.version != op.requested)
    return "served version " + std::to_string(r.version.value()) + " of " + op.name + ", not the version asked for ("
           + std::to_string(op.requested.value()) + ")";
  auto it = seen_versions_.find(op.name);
  if (op.requested == secret_version{} && it != seen_versions_.end() && r.version < it->second)
    return "served version " + std::to_string(r.version.value()) + " of " + op.name + " as the latest, but this client saw version "
           + std::to_string(it->second.value()) + " acknowledged";
  return std::nullopt;
}

// The catalog chose the version. The leader's word is all the client has
// for it (a lying leader can misnumber, never forge: a read verifies the
// value); one below a version this client saw of the name is refused.
void client_engine::finish_put(secret_version version, std::string message) {
  operation& op = *queue_.front();
  auto seen = seen_versions_.find(op.name);
  if (version == secret_version{} || (seen != seen_versions_.end() && version <= seen->second))
    return fail(client_error::verification_failed,
                node_name(op.target) + " acknowledged version " + std::to_string(version.value()) + " of " + op.name +
                  ", not above version " + std::to_string(seen == seen_versions_.end() ? 0 : seen->second.value()) +
                  " this client saw",
                operation_outcome::unknown);
  saw_version(op.name, version);
  op.version = version;
  op.served_by = op.target; // the leader whose word the version is
  completion c = make_completion(op.id, op.kind, operation_outcome::ok, client_error::none, std::move(message));
  c.version = version;
  c.answered = op.acked.size();
  finish(std::move(c));
}

// ---- inputs -------------------------------------------------------------------

void client_engine::on_message(millis now, endpoint from, byte_view payload) {
  auto decoded = decode_wire_message(payload);
  if (!decoded.ok()) {
    ++counters_.malformed;
    return;
  }
  if (!from.is_node()) {
    ++counters_.unexpected;
    return;
  }
  wire_message& m = *decoded;
  if (queue_.empty() || !queue_.front()->started) {
    ++counters_.stale_responses;
    return;
  }
  if (auto* v = std::get_if<get_view_response>(&m)) on_view(now, from, *v);
  else if (auto* r = std::get_if<read_response>(&m)) on_read_reply(now, from, std::move(*r));
  else if (auto* s = std::get_if<store_share_response>(&m)) on_store_reply(now, from.as_node(), *s);
  else if (auto* p = std::get_if<propose_response>(&m)) on_propose_reply(now, from, *p);
  else if (auto* g = std::get_if<get_share_response>(&m)) on_share_reply(now, from.as_node(), std::move(*g));
  else if (auto* f = std::get_if<refresh_response>(&m)) on_refresh_reply(now, from, *f);
  else if (auto* a = std::get_if<audit_response>(&m)) on_audit_reply(from, std::move(*a));
  else ++counters_.unexpected;
  start(now);
  on_tick(now);
}

void client_engine::on_read_reply(millis now, endpoint from, read_response&& m) {
  operation& op = *queue_.front();
  if (op.step != phase::read || m.request_id != op.request_id || from.as_node() != op.target) {
    ++counters_.stale_responses;
    return;
  }
  switch (m.code) {
    case reply_code::not_leader: return retry_single(now, true, m.leader_hint);
    case reply_code::unavailable: return retry_single(now, false);
    case reply_code::unauthorized: return refused_single(now, m.reason);
    case reply_code::ok:
    case reply_code::not_found: break;
    default: return fail(client_error::refused, m.reason);
  }
  leader_ = from.as_node();
  op.served_by = leader_;
  if (op.kind == operation_kind::list) {
    completion c = make_completion(op.id, op.kind, operation_outcome::ok, client_error::none, "listed");
    c.items = std::move(m.items);
    return finish(std::move(c));
  }
  if (op.kind == operation_kind::policy) {
    completion c = make_completion(op.id, op.kind, operation_outcome::ok, client_error::none, "the policy");
    c.grants = std::move(m.grants);
    return finish(std::move(c));
  }
  // get
  if (m.code == reply_code::not_found) {
    if (m.latest == secret_version{} || m.deleted)
      return fail(client_error::unknown_secret, m.deleted ? "the secret was deleted" : "no secret of this name");
    return fail(client_error::version_not_found, m.reason);
  }
  if (!m.record) return fail(client_error::refused, "a catalog answer without its record");
  if (auto bad = stale_record(op, *m.record)) return fail(client_error::verification_failed, node_name(op.target) + " " + *bad);
  // t comes from the cluster file (or the view checked against it), never
  // from the answer. An answer that names a larger t (an admin may have
  // raised it, docs/refresh.md §7.4) has the view learned again, once; if
  // the file (or the view) still says less, the read would fail: say why.
  const std::uint32_t t = options_.expected_members ? options_.expected_members->threshold : view_->threshold;
  if (m.threshold > t && !planted::armed(planted::bug::threshold_from_reply)) {
    if (!op.view_relearned) {
      op.view_relearned = true;
      event("the catalog's answer names t = " + std::to_string(m.threshold) + ", more than " + std::to_string(t)
            + "; learning the view again");
      return begin_view(now);
    }
    return fail(client_error::refused, node_name(from.as_node()) + " serves t = " + std::to_string(m.threshold) + ", "
                                         + (options_.expected_members ? "the cluster file says " : "the view says ")
                                         + std::to_string(t)
                                         + "; if an admin raised t, run: pss cluster-file --update");
  }
  op.record = std::move(m.record);
  op.version = op.record->version;
  op.threshold = options_.expected_members ? options_.expected_members->threshold : view_->threshold;
  if (planted::armed(planted::bug::threshold_from_reply) && m.threshold >= 2) op.threshold = m.threshold;
  begin_shares(now);
}


void client_engine::on_propose_reply(millis now, endpoint from, const propose_response& m) {
  operation& op = *queue_.front();
  if (op.step != phase::propose || m.request_id != op.request_id || from.as_node() != op.target) {
    ++counters_.stale_responses;
    return;
  }
  switch (m.code) {
    case reply_code::not_leader: return retry_single(now, true, m.leader_hint);
    case reply_code::unavailable: return retry_single(now, false);
    case reply_code::unauthorized: return refused_single(now, m.reason);
    case reply_code::ok: break;
    default: {
      // A committee change the leader refused before proposing it (its
      // rules, docs/refresh.md §7.6) was not applied; any other refusal may
      // come after a proposal.
      const bool before = m.code == reply_code::refused && op.kind == operation_kind::member;
      return fail(client_error::refused, m.reason, before ? operation_outcome::fail : operation_outcome::unknown);
    }
  }
  leader_ = from.as_node();
  switch (m.result.code) {
    case result_code::ok: {
      if (op.kind == operation_kind::put) return finish_put(m.result.version, m.result.message);
      completion c = make_completion(op.id, op.kind, operation_outcome::ok, client_error::none, m.result.message);
      c.version = m.result.version;
      return finish(std::move(c));
    }
    case result_code::conflict:
      // A put's register conflicts only with itself: an earlier attempt of
      // this dealing (a retry) was registered, under the version named.
      if (op.kind == operation_kind::put && m.result.version != secret_version{})
        return finish_put(m.result.version, "registered by an earlier attempt");
      return fail(client_error::conflict, m.result.message);
    case result_code::not_found: return fail(client_error::unknown_secret, m.result.message);
    case result_code::session_expired:
      // The session was expired by log time: it cannot have applied this
      // command, so start a new session at sequence 1 and propose again.
      sequence_ = sequence_number{};
      return begin_propose(now, true);
    case result_code::stale:
      return fail(client_error::refused, "the cluster saw a newer request of this session",
                  operation_outcome::unknown);
    case result_code::invalid: return fail(client_error::refused, m.result.message);
  }
}

void client_engine::on_refresh_reply(millis now, endpoint from, const refresh_response& m) {
  operation& op = *queue_.front();
  if (op.step != phase::refresh || m.request_id != op.request_id || from.as_node() != op.target) {
    ++counters_.stale_responses;
    return;
  }
  switch (m.code) {
    case reply_code::ok: break;
    case reply_code::unauthorized: return refused_single(now, m.reason);
    case reply_code::not_leader:
    case reply_code::unavailable: return retry_single(now, true);
    default: return fail(client_error::refused, m.reason);
  }
  finish(make_completion(op.id, op.kind, operation_outcome::ok, client_error::none, m.reason));
}

void client_engine::on_tick(millis now) {
  std::optional<millis> wake;
  auto want = [&](millis at) { wake = wake ? std::min(*wake, at) : at; };
  // A step may finish the operation (and the next one must start), so the
  // loop re-reads the front after anything that can complete it.
  for (;;) {
    start(now);
    if (queue_.empty()) break;
    operation* op = queue_.front().get();
    auto finished = [&] { return queue_.empty() || queue_.front().get() != op; };
    if (now >= op->deadline) {
      fail(client_error::timeout, "no answer within the operation timeout",
           op->proposed ? operation_outcome::unknown : operation_outcome::fail);
      continue;
    }
    if (op->step == phase::store) {
      decide_put(now);
      if (finished() || op->step != phase::store) continue;
      auto pending = [&](node_id n) { return !op->answers.contains(n) || op->answers[n] == reply_code::unauthorized; };
      for (auto& [node, at] : op->node_resend_at)
        if (pending(node) && now >= at) send_store(now, node);
      for (auto& [node, at] : op->node_resend_at)
        if (pending(node)) want(at);
      want(op->collect_deadline);
      if (op->grace_until != millis{0}) want(op->grace_until);
    } else if (op->step == phase::shares) {
      try_reconstruct(now);
      if (finished()) continue;
      ask_more_holders(now);
      for (auto h : op->record->holders) {
        if (!op->asked.contains(h)) {
          want(op->hedge_at); // asked at the hedge time, or sooner when an answer falls short
          continue;
        }
        const bool settled = op->good.contains(h) || op->bad.contains(h)
                             || (op->answers.contains(h) && !may_catch_up(op->answers[h]));
        if (settled) continue;
        if (now >= op->node_resend_at[h]) {
          op->answers.erase(h);
          send_get_share(now, h);
        }
        want(op->node_resend_at[h]);
      }
      want(op->collect_deadline);
    } else if (now >= op->resend_at) {
      if (op->request_id == 0) {
        send_single(now); // a backoff ended
      } else {
        // Timed out: another node after a backoff (an audit or a view: the same one).
        retry_single(now, op->step != phase::audit && op->kind != operation_kind::view);
        continue;
      }
      want(op->resend_at);
    } else {
      want(op->resend_at);
    }
    want(op->deadline);
    break;
  }
  if (wake) output_.next_wakeup = std::max(*wake, now + millis{1});
}

} // namespace pss::secrets
