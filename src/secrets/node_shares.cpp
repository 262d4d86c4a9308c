// A node's side of a client's shares: storing the share a dealer sealed to
// it (verified, durable before the ack), and releasing its share of a
// version sealed to a reader's fresh key (audited before it leaves). See
// node_engine.hpp.
#include "secrets/node_engine.hpp"

#include "core/planted.hpp"
#include "crypto/feldman.hpp"
#include "crypto/shamir.hpp"

namespace pss::secrets {

void node_engine::on_store_share(millis now, endpoint from, const store_share_request& m, const requester& who) {
  auto refuse = [&](reply_code code, std::string why) {
    ++counters_.shares_refused;
    send(from, store_share_response{m.request_id, code, node_name(keys_.id) + ": " + why, catalog_.view().epoch});
  };
  if (rejoin_unrecorded()) {
    // Until the catalog has taken this node off every holder list, a share
    // it stored could be listed and then dropped from the lists again.
    ++counters_.shares_refused_rejoining;
    return refuse(reply_code::unavailable, "rejoining after a wiped disk; retry without this node");
  }
  const cluster_view& view = catalog_.view();
  if (view.find(keys_.id) == nullptr) return refuse(reply_code::refused, "not a member of the cluster (removed)");
  if (catalog_.leaving() == keys_.id)
    return refuse(reply_code::refused, "being removed from the cluster; it takes no new share");
  if (m.name.empty()) return refuse(reply_code::refused, "an empty secret name");
  if (m.epoch != view.epoch)
    return refuse(reply_code::conflict, "the share is for epoch " + std::to_string(m.epoch.value()) +
                                          " but this node is in epoch " + std::to_string(view.epoch.value()));
  if (catalog_.threshold_round_running())
    return refuse(reply_code::refused, "t is being " + catalog_.threshold_change()
                                         + ": put again once the round that changes it commits (pss status)");
  auto commitments = crypto::commitment::decode(m.commitments, view.threshold);
  if (!commitments.ok() && commitments.err().code() == errc::mismatch)
    return refuse(reply_code::refused, "dealt for another t than this cluster's t = " + std::to_string(view.threshold)
                                         + " (if an admin changed t, run: pss cluster-file --update)");
  if (!commitments.ok()) return refuse(reply_code::refused, "commitments: " + commitments.err().message());
  const digest d = commitments->digest();
  if (catalog_.dealing_retired(m.name, d))
    return refuse(reply_code::refused, "this dealing was registered and has since been deleted or dropped; its shares are not taken back");
  auto context = share_context_for_store(view.cluster_id, m.epoch, m.name, d, keys_.id);
  if (!context.ok()) return refuse(reply_code::refused, context.err().message());
  // Sealed to this node's recorded sealing key, or within the grace to the
  // one before it (docs/refresh.md §7.9).
  result<secure_bytes> opened = error{errc::verification_failed, "no key"};
  for (const crypto::box_key_pair* key : store_keys(now)) {
    opened = crypto::open_sealed(*key, m.sealed_share, *context);
    if (opened.ok()) break;
  }
  // A conflict, as for a share of another epoch: the client learns the
  // view again (with the sealing keys recorded now) and deals again.
  if (!opened.ok())
    return refuse(reply_code::conflict, "the sealed share does not open with this node's sealing key (sealed to a key "
                                        "the node has renewed since? learn the view again and deal again)");
  auto share = crypto::decode_share(opened->view());
  if (!share.ok()) return refuse(reply_code::refused, "the sealed share does not parse");
  const share_index own = view.find(keys_.id)->index; // a member: checked above
  if (share->index != own)
    return refuse(reply_code::refused, "the share has index " + std::to_string(share->index.value()) +
                                         ", this node's is " + std::to_string(own.value()));
  if (!commitments->verify(*share).ok())
    return refuse(reply_code::verification_failed, "the share does not verify against the commitments");
  // Version 0 until the catalog applies the register of this dealing and
  // gives it one (share_store::reconcile moves it there).
  const share_key key{m.name, secret_version{}, m.epoch, d};
  if (planted::armed(planted::bug::wrong_share)) share->value += crypto::scalar::one();
  // Not synced here: the ack is held (send_held) until the group commit
  // (release_held) syncs the share journal, once for every store since the
  // last flush; the audit record rides the log's next sync.
  share_owner owner{};
  std::copy(who.key.bytes().begin(), who.key.bytes().end(), owner.begin());
  if (auto st = shares_->store_pending(key, *share, now, false, owner); !st.ok()) {
    if (st.err().code() != errc::too_large) fail(st.err());
    return refuse(reply_code::unavailable, "cannot store the share: " + st.err().message());
  }
  shares_->reconcile(catalog_, &m.name); // already registered: promote at once
  holder_check_names_.insert(m.name);
  if (!record(now, audit::action::share_stored, who, m.name, 0, audit::outcome::ok).ok())
    return refuse(reply_code::unavailable, "the audit log cannot record this store; not acknowledged");
  ++counters_.shares_stored;
  event("stored a pending share of " + m.name);
  send_held(from, store_share_response{m.request_id, reply_code::ok, node_name(keys_.id) + ": stored", m.epoch},
            hold::store);
}

void node_engine::on_get_share(millis now, endpoint from, const get_share_request& m, const requester& who) {
  get_share_response reply;
  reply.request_id = m.request_id;
  auto refuse = [&](reply_code code, std::string why) {
    reply.code = code;
    reply.reason = node_name(keys_.id) + ": " + why;
    send(from, reply);
  };
  auto rec = catalog_.lookup(m.name, m.version);
  if (!rec.ok()) return refuse(reply_code::not_found, rec.err().message() + " (as applied here)");
  const held_share* held = shares_->find_live(m.name, rec->version, rec->epoch, rec->commitments_digest);
  if (held == nullptr) return refuse(reply_code::not_found, "holds no live share of this version");
  auto reader = crypto::box_public_key::from_bytes(m.reader_key);
  if (!reader.ok()) return refuse(reply_code::refused, "the reader key is invalid");
  const epoch_id epoch = options_.test_only.claim_next_epoch ? rec->epoch.next() : rec->epoch;
  auto context = share_context_for_read(catalog_.view().cluster_id, epoch, m.name, rec->version, keys_.id);
  if (!context.ok()) return refuse(reply_code::refused, context.err().message());
  crypto::share value = held->value;
  if (options_.test_only.corrupt_read_shares) value.value += crypto::scalar::one();
  secure_bytes plain = crypto::encode_share(value);
  auto sealed = crypto::seal_from(keys_.box, *reader, plain.view(), *context, *random_); // proves this node
  if (!sealed.ok()) return refuse(reply_code::refused, "cannot seal to the reader key");
  ++counters_.shares_served;
  reply.epoch = epoch;
  reply.version = rec->version;
  // No share leaves before the record of its release is durable: the reply
  // waits for the audit log's next sync (group commit).
  if (!record(now, audit::action::share_released, who, m.name, rec->version.value(), audit::outcome::ok).ok())
    return refuse(reply_code::unavailable, "the audit log cannot record this release; no share released");
  reply.sealed_share = std::move(*sealed);
  send_held(from, reply, hold::release);
}

} // namespace pss::secrets
