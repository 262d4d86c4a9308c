// The client engine's get path: ask the holders for their shares sealed to a
// fresh key, verify each against the version's epoch and commitments, and
// reconstruct from t good ones. See client_engine.hpp.
#include "secrets/client_operation.hpp"

#include <algorithm>

#include "core/planted.hpp"
#include "crypto/batch.hpp"
#include "crypto/decode.hpp"
#include "crypto/envelope.hpp"
#include "crypto/shamir.hpp"

namespace pss::secrets {

// ---- get: collect and verify shares ------------------------------------------


void client_engine::begin_shares(millis now) {
  operation& op = *queue_.front();
  op.step = phase::shares;
  auto parsed = version_commitments(*op.record, op.threshold);
  if (!parsed.ok()) return fail(client_error::verification_failed, "the catalog's commitments do not parse");
  op.parsed_commitments = std::move(*parsed);
  if (!op.reader) op.reader = crypto::box_key_pair::generate(*random_);
  op.collect_deadline = now + options_.share_collect_timeout;
  op.answers.clear();
  op.good.clear();
  op.bad.clear();
  op.bad_reasons.clear();
  op.newer_epoch_seen = false;
  op.hedge_at = now + share_hedge;
  // The answers to the requests sent with the read count now.
  auto early = std::exchange(op.early, {});
  for (auto h : op.record->holders)
    if (auto it = early.find(h); it != early.end()) take_share_answer(now, h, 0, std::move(it->second));
  const operation* self = &op;
  try_reconstruct(now);
  if (!queue_.empty() && queue_.front().get() == self && self->step == phase::shares) ask_more_holders(now);
}

// Holders not asked yet are asked while the good shares and the requests in
// flight are fewer than t, and all of them once the hedge time has passed.
void client_engine::ask_more_holders(millis now) {
  operation& op = *queue_.front();
  const bool hedge = now >= op.hedge_at;
  for (auto h : op.record->holders) {
    if (op.asked.contains(h)) continue;
    if (!hedge && op.good.size() + op.requests.size() >= op.threshold) break;
    send_get_share(now, h);
  }
}

// With the catalog read, every member is asked for its share of the version
// asked for (the latest, if none), sealed to a fresh reader key: the shares
// and the record travel at once, and the record then decides which count.
void client_engine::send_early_shares(millis now) {
  operation& op = *queue_.front();
  op.reader = crypto::box_key_pair::generate(*random_);
  op.requests.clear();
  op.early.clear();
  op.early_ids.clear();
  op.asked.clear();
  // t members, the leader last: it is busy confirming the read.
  std::vector<node_id> members = view_ ? view_->node_ids() : options_.nodes;
  std::stable_partition(members.begin(), members.end(), [&](node_id n) { return n != leader_; });
  const std::size_t t = options_.expected_members ? options_.expected_members->threshold
                        : view_                  ? view_->threshold
                                                 : members.size();
  members.resize(std::min(members.size(), t));
  for (node_id n : members) {
    send_get_share(now, n, op.requested);
    op.early_ids.insert(next_request_id_ - 1);
  }
}

void client_engine::send_get_share(millis now, node_id to, std::optional<secret_version> version) {
  operation& op = *queue_.front();
  get_share_request req;
  req.request_id = next_request_id_++;
  req.name = op.name;
  req.version = version ? *version : op.record->version;
  std::copy(op.reader->public_key.bytes().begin(), op.reader->public_key.bytes().end(), req.reader_key.begin());
  op.requests[req.request_id] = to;
  op.asked.insert(to);
  op.node_resend_at[to] = now + options_.request_timeout;
  send_request(now, to, wire_message{std::move(req)});
}

void client_engine::try_reconstruct(millis now) {
  operation& op = *queue_.front();
  if (op.good.size() < op.threshold) {
    const bool all_answered = op.answers.size() + op.bad.size() >= op.record->holders.size()
                              && std::all_of(op.answers.begin(), op.answers.end(), [](const auto& a) {
                                   return !may_catch_up(a.second);
                                 });
    if (all_answered || now >= op.collect_deadline) finish_get_shortfall(now);
    return;
  }
  std::vector<crypto::share> shares;
  for (const auto& [node, s] : op.good) shares.push_back(s);
  crypto::scalar key;
  if (op.record->epoch == op.record->dealt_epoch) {
    auto rebuilt = crypto::reconstruct(*op.parsed_commitments, shares);
    if (!rebuilt.ok()) return fail(client_error::verification_failed, rebuilt.err().message());
    key = rebuilt->secret;
  } else {
    // Refreshed shares: no per-share commitments (docs/refresh.md §2). Find
    // t shares that rebuild k with k·G = C_0 and name those that do not fit.
    auto rebuilt = crypto::reconstruct_with_constant(shares, op.threshold,
                                                     op.parsed_commitments->constant_term());
    if (!rebuilt.ok()) {
      const bool all_answered = op.answers.size() + op.bad.size() >= op.record->holders.size();
      if (!all_answered && now < op.collect_deadline) return; // more shares may settle it
      std::vector<node_id> used;
      for (const auto& [node, s] : op.good) used.push_back(node);
      if (reask_holders(now, used)) return;
      return fail(client_error::verification_failed,
                  std::to_string(shares.size()) + " shares of epoch " + std::to_string(op.record->epoch.value()) +
                    " do not rebuild the key: " + rebuilt.err().message());
    }
    for (auto index : rebuilt->misfits)
      for (const auto& [node, s] : op.good)
        if (s.index == index) {
          op.bad.insert(node);
          op.bad_reasons.push_back(node_name(node) + ": returned a share that does not fit the others");
          event(node_name(node) + " returned a share that does not fit the others; skipped");
        }
    key = rebuilt->secret;
  }
  auto envelope = crypto::envelope::decode(op.record->ciphertext);
  if (!envelope.ok()) return fail(client_error::verification_failed, "the catalog's envelope does not parse");
  // The dealing's digest, computed here from the commitments the shares
  // verified against (never taken from the answer).
  const digest dealing = op.parsed_commitments->digest();
  auto opened = crypto::envelope_open(
    key, *envelope, crypto::envelope_context{view_->cluster_id, op.name, secret_version{}, &dealing});
  if (!opened.ok()) return fail(client_error::verification_failed, "the envelope does not open: " + opened.err().message());
  saw_version(op.name, op.record->version);
  completion c = make_completion(op.id, op.kind, operation_outcome::ok, client_error::none, "read");
  c.version = op.record->version;
  c.value = std::move(*opened);
  c.answered = op.good.size();
  c.bad_nodes.assign(op.bad.begin(), op.bad.end());
  finish(std::move(c));
}

void client_engine::finish_get_shortfall(millis now) {
  operation& op = *queue_.front();
  // A refresh committed after the record was read: the holders now serve
  // the next epoch's shares. Read the record again rather than fail.
  if (op.newer_epoch_seen && op.epoch_rereads < epoch_rereads_max) {
    ++op.epoch_rereads;
    event("holders serve a later epoch than the record read; reading the record again");
    return begin_read(now);
  }
  if (!op.bad.empty() && reask_holders(now, std::vector<node_id>(op.bad.begin(), op.bad.end()))) return;
  std::size_t unauthorised = 0;
  for (const auto& [node, code] : op.answers) unauthorised += code == reply_code::unauthorized;
  if (unauthorised > 0 && op.good.empty() && op.bad.empty())
    return fail(client_error::not_authorised, "the nodes refused the request (not signed, or not allowed by the policy)");
  std::string msg = std::to_string(op.good.size()) + " valid shares from " +
                    std::to_string(op.record->holders.size()) + " holders, need " +
                    std::to_string(op.threshold);
  for (const auto& r : op.bad_reasons) msg += "; " + r;
  fail(op.bad.empty() ? client_error::too_few_nodes : client_error::verification_failed, msg);
}

// Forgets what `nodes` answered and asks them again (share_reasks_max).
bool client_engine::reask_holders(millis now, const std::vector<node_id>& nodes) {
  operation& op = *queue_.front();
  if (op.share_reasks >= share_reasks_max || nodes.empty()) return false;
  ++op.share_reasks;
  ++counters_.share_reasks;
  event("the shares do not give the key; asking " + std::to_string(nodes.size()) + " holders again");
  for (node_id n : nodes) {
    op.good.erase(n);
    op.bad.erase(n);
    op.answers.erase(n);
    send_get_share(now, n);
  }
  op.collect_deadline = std::max(op.collect_deadline, now + options_.request_timeout);
  return true;
}

void client_engine::on_share_reply(millis now, node_id from, get_share_response&& m) {
  operation& op = *queue_.front();
  auto it = op.requests.find(m.request_id);
  const bool expected = (op.step == phase::shares || (op.step == phase::read && op.kind == operation_kind::get))
                        && it != op.requests.end() && it->second == from;
  if (!expected) {
    ++counters_.stale_responses;
    return;
  }
  op.requests.erase(it);
  if (op.step == phase::read) { // before the record: kept until it comes
    op.early.insert_or_assign(from, std::move(m));
    return;
  }
  take_share_answer(now, from, m.request_id, std::move(m));
  const operation* self = &op;
  try_reconstruct(now);
  if (!queue_.empty() && queue_.front().get() == self && self->step == phase::shares) ask_more_holders(now);
}

// One holder's answer, once the record is known. `request_id` 0: an answer
// kept from before the record (to a request sent with the read).
void client_engine::take_share_answer(millis now, node_id from, std::uint64_t request_id, get_share_response&& m) {
  operation& op = *queue_.front();
  const bool early = request_id == 0 || op.early_ids.contains(request_id);
  const auto& holders = op.record->holders;
  if (std::find(holders.begin(), holders.end(), from) == holders.end()) return; // asked early, holds nothing here
  if (op.good.contains(from) || op.bad.contains(from)) return;
  // An answer to a request sent with the read may be of another version (the
  // holder is behind or ahead of the record), or none yet: ask again, now,
  // for the record's version.
  if (early && (m.code == reply_code::not_found || (m.code == reply_code::ok && m.version != op.record->version))) {
    send_get_share(now, from);
    return;
  }
  op.answers[from] = m.code;
  if (m.code == reply_code::ok) {
    auto reject = [&](const std::string& why) {
      op.bad.insert(from);
      op.answers.erase(from);
      op.bad_reasons.push_back(node_name(from) + ": " + why);
      event(node_name(from) + " " + why + "; skipped");
    };
    const member* m_member = view_->find(from);
    auto context = share_context_for_read(view_->cluster_id, m.epoch, op.name, op.record->version, from);
    if (m_member == nullptr || !context.ok()) {
      reject("is not a member");
    } else if (m.epoch < op.record->epoch) {
      // The holder has not applied the refresh yet (it lags behind the
      // leader that served the record): ask it again shortly, within the
      // collect window, as for a share it does not hold yet.
      op.answers[from] = reply_code::not_found;
      event(node_name(from) + " still serves epoch " + std::to_string(m.epoch.value()) + "; asking again");
    } else if (m.epoch > op.record->epoch) {
      op.newer_epoch_seen = true;
      reject("returned a share of epoch " + std::to_string(m.epoch.value()) + ", the catalog's is " +
             std::to_string(op.record->epoch.value()));
    } else if (auto plain = crypto::open_sealed_from(*op.reader, m_member->box_key, m.sealed_share, *context);
               !plain.ok()) {
      reject("returned a share that does not open as sealed by this member (not from it, or tampered)");
    } else if (auto s = crypto::decode_share(plain->view()); !s.ok()) {
      reject("returned a share that does not parse");
    } else if (s->index != m_member->index) {
      reject("returned the share of index " + std::to_string(s->index.value()));
    } else if (op.record->epoch == op.record->dealt_epoch && !planted::armed(planted::bug::client_skips_share_check)
               && !op.parsed_commitments->verify(*s).ok()) {
      reject("returned a share that does not verify against the commitments (verification failure)");
    } else {
      op.good.emplace(from, *s);
    }
  }
}

} // namespace pss::secrets
