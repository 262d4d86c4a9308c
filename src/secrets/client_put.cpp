// The client engine's put path: deal the shares of a fresh envelope key,
// seal one to each node, collect durable acks until the write quorum, then
// propose the register; the catalog gives it its version. See
// client_engine.hpp.
#include "secrets/client_operation.hpp"

#include "crypto/envelope.hpp"
#include "crypto/shamir.hpp"

namespace pss::secrets {

// ---- put: deal and store ---------------------------------------------------

void client_engine::begin_deal(millis now) {
  operation& op = *queue_.front();
  const cluster_view& view = *view_;
  op.step = phase::store;
  op.stores.clear();
  op.requests.clear();
  op.answers.clear();
  op.store_refused.clear();
  op.node_resend_at.clear();
  op.acked.clear();
  const crypto::scalar k = crypto::scalar::random_nonzero(*random_);
  std::vector<share_index> indices;
  for (const auto& m : view.members) indices.push_back(m.index);
  auto dealt = crypto::deal(k, view.threshold, indices, *random_);
  if (!dealt.ok()) return fail(client_error::refused, "cannot deal: " + dealt.err().message());
  // The dealing is named by its commitments' digest: the catalog gives it a
  // version only when it applies the register, so the envelope and every
  // sealed share bind the dealing instead.
  op.dealing = dealt->commitments.digest();
  const crypto::envelope_context ctx{view.cluster_id, op.name, secret_version{}, &op.dealing};
  auto sealed = crypto::envelope_seal(k, op.value.view(), ctx, *random_);
  if (!sealed.ok()) return fail(client_error::invalid_argument, sealed.err().message());
  op.ciphertext = sealed->encode();
  op.commitments = dealt->commitments.encode();
  op.dealt_epoch = view.epoch;
  // One ephemeral X25519 key for the put's n seals, not one per share.
  const crypto::box_key_pair ephemeral = crypto::box_key_pair::generate(*random_);
  for (const auto& m : view.members) {
    const crypto::share* s = nullptr;
    for (const auto& candidate : dealt->shares)
      if (candidate.index == m.index) s = &candidate;
    PSS_CHECK(s != nullptr);
    auto context = share_context_for_store(view.cluster_id, view.epoch, op.name, op.dealing, m.id);
    if (!context.ok()) return fail(client_error::invalid_argument, context.err().message());
    secure_bytes plain = crypto::encode_share(*s);
    const auto sealing = seal_to_.find(m.id);
    auto box = crypto::seal_with(ephemeral, sealing != seal_to_.end() ? sealing->second.key : m.box_key, plain.view(),
                                 *context, *random_);
    if (!box.ok()) return fail(client_error::refused, "cannot seal to " + node_name(m.id));
    store_share_request req;
    req.name = op.name;
    req.epoch = view.epoch;
    req.commitments = op.commitments;
    req.sealed_share = std::move(*box);
    op.stores.emplace(m.id, std::move(req));
  }
  for (auto& d : dealt->shares) d.value = crypto::scalar::zero();
  op.collect_deadline = now + options_.put_ack_timeout;
  op.stores_sent_at = now;
  op.grace_until = millis{0};
  op.store_epoch_newer = false;
  for (const auto& m : view.members) send_store(now, m.id);
}

void client_engine::send_store(millis now, node_id to) {
  operation& op = *queue_.front();
  store_share_request& req = op.stores.at(to);
  req.request_id = next_request_id_++;
  op.requests[req.request_id] = to;
  op.node_resend_at[to] = now + options_.request_timeout;
  send_request(now, to, wire_message{req}); // a copy: a resend signs it again
}

// Once `need` nodes acknowledged, the others get as long again as the
// quorum took (at least store_grace_min) to join the holder list; a node
// that has not by then (down, slow, partitioned) gets its share by recovery,
// so no put waits for a dead node. Short of the quorum, the client waits
// until every member answered or put_ack_timeout passed.
void client_engine::decide_put(millis now) {
  operation& op = *queue_.front();
  const cluster_view& view = *view_;
  std::size_t need = holders_min(view);
  if (options_.write_quorum) need = std::max(need, std::min(*options_.write_quorum, view.members.size()));
  if (op.store_epoch_newer && op.redeals < redeal_attempts_max) {
    // A member is in a newer epoch (a refresh committed there): dealing
    // again for it keeps every member on the holder list, which recovery
    // alone could not always restore (docs/protocol.md, Create step 4).
    ++op.redeals;
    ++counters_.redeals;
    return begin_view(now);
  }
  if (op.acked.size() >= need) {
    if (op.answers.size() < view.members.size()) {
      if (op.grace_until == millis{0})
        op.grace_until = std::min(op.collect_deadline, now + std::max(store_grace_min, now - op.stores_sent_at));
      if (now < op.grace_until) return;
    }
    op.holders.assign(op.acked.begin(), op.acked.end());
    op.stores.clear();   // the sealed shares are no longer needed
    op.requests.clear(); // later acks are stale: their nodes are not listed
    return begin_propose(now, true);
  }
  // A node that refused the key may not have applied its grant yet: it is
  // asked again until the deadline (may_catch_up).
  const bool all_answered = op.answers.size() == view.members.size()
                            && std::none_of(op.answers.begin(), op.answers.end(),
                                            [](const auto& a) { return a.second == reply_code::unauthorized; });
  if (!all_answered && now < op.collect_deadline) return;
  for (const auto& [node, code] : op.answers) {
    if (code == reply_code::conflict) {
      // A refresh moved the cluster to a new epoch (the nodes refuse shares
      // of another): learn the view again, and deal again.
      if (op.redeals >= redeal_attempts_max) return fail(client_error::conflict, "epoch changes persist");
      ++op.redeals;
      ++counters_.redeals;
      return begin_view(now);
    }
  }
  std::size_t unauthorised = 0;
  for (const auto& [node, code] : op.answers) unauthorised += code == reply_code::unauthorized;
  if (unauthorised > 0 && op.acked.empty())
    return fail(client_error::not_authorised, "the nodes refused the request (not signed, or not allowed by the policy)");
  return fail(client_error::too_few_nodes,
              std::to_string(op.acked.size()) + " of " + std::to_string(view.members.size()) +
                " nodes acknowledged their share (" + std::to_string(op.answers.size()) +
                " answered), need " + std::to_string(need)
                + (op.store_refused.empty() ? std::string{} : "; refused by " + op.store_refused));
}

void client_engine::on_store_reply(millis now, node_id from, const store_share_response& m) {
  operation& op = *queue_.front();
  auto it = op.requests.find(m.request_id);
  if (op.step != phase::store || it == op.requests.end() || it->second != from) {
    ++counters_.stale_responses;
    return;
  }
  op.requests.erase(it);
  if (op.answers.contains(from) && op.answers[from] == reply_code::ok) return;
  op.answers[from] = m.code;
  if (m.code == reply_code::ok) op.acked.insert(from);
  else event("store refused: " + m.reason);
  if (m.code != reply_code::ok && op.store_refused.empty()) op.store_refused = node_name(from) + ": " + m.reason;
  if (m.code == reply_code::conflict && m.epoch > op.dealt_epoch) op.store_epoch_newer = true;
  decide_put(now);
}

} // namespace pss::secrets
