// A member's sealing keys (docs/refresh.md §7.9): drawn when the view's
// epoch moves on and kept durably in the seal file before they are
// announced, announced (signed) until the catalog records them, and erased
// once nothing may still be sealed to them: the key recorded now, a newer
// one not recorded yet, the one the running round fixed for this node, and
// for seal_key_grace after a newer key was recorded the one before it.
#include <algorithm>

#include "core/planted.hpp"
#include "crypto/sign.hpp"
#include "secrets/node_engine.hpp"

namespace pss::secrets {

const crypto::box_key_pair* node_engine::sealing_pair(const crypto::box_public_key& key) const {
  if (key == keys_.box.public_key) return &keys_.box;
  const seal_pair* p = seals_ ? seals_->find(key) : nullptr;
  return p != nullptr ? &p->keys : nullptr;
}

std::vector<const crypto::box_key_pair*> node_engine::store_keys(millis now) const {
  std::vector<const crypto::box_key_pair*> out;
  const auto add = [&](const crypto::box_public_key& k) {
    const crypto::box_key_pair* p = sealing_pair(k);
    if (p != nullptr && std::find(out.begin(), out.end(), p) == out.end()) out.push_back(p);
  };
  add(seal_.current.value_or(keys_.box.public_key));
  // Announced and recorded by a replica this node is behind of: a client
  // that learned the view there seals to it.
  if (const seal_pair* newest = seals_ ? seals_->newest() : nullptr; newest != nullptr) add(newest->keys.public_key);
  if (seal_.previous && now < seal_.recorded_at + options_.seal_key_grace) add(*seal_.previous);
  return out;
}

// Notes when the catalog's record of this node's key changed: the key
// recorded before stays usable for the grace (the identity key, at the
// first record). A record replayed after a start (before this node was
// caught up once) gives no grace: the grace ran from the record's first
// apply, which a restart does not know; a store sealed to that key is
// refused as a conflict and the client deals again.
void node_engine::follow_seal_record(millis now) {
  const auto it = catalog_.seal_keys().find(keys_.id);
  const std::optional<std::uint64_t> serial =
    it == catalog_.seal_keys().end() ? std::nullopt : std::optional{it->second.serial};
  const std::optional<crypto::box_public_key> key = serial ? std::optional{it->second.key} : std::nullopt;
  if (serial == seal_.serial && key == seal_.current && seal_.followed) return;
  seal_.followed = true;
  seal_.previous = seal_.current.value_or(keys_.box.public_key);
  if (!seal_.live) seal_.previous.reset();
  seal_.current = key;
  seal_.serial = serial;
  seal_.recorded_at = now;
}

// Caught up, the catalog records a key for this node that it does not
// hold (a replayed old record would be no alarm: hence not at the apply).
void node_engine::warn_foreign_seal_key() {
  if (!seal_.current || sealing_pair(*seal_.current) != nullptr || seal_.foreign_warned == seal_.serial) return;
  seal_.foreign_warned = seal_.serial;
  ++counters_.seal_keys_foreign;
  event("ALARM: the catalog records a sealing key for this node that it does not hold (its seal file was "
        "lost, or someone else holds its signing key): announcing a new one; if this repeats, rotate this "
        "node's signing key");
}

status node_engine::erase_seal_keys(millis now, bool drawing) {
  const auto& pairs = seals_->pairs();
  if (pairs.empty()) return ok_status();
  const seal_pair* newest = seals_->newest();
  const bool in_grace = now < seal_.recorded_at + options_.seal_key_grace;
  const auto& r = catalog_.round();
  const auto fixed = r ? r->seal_keys.find(keys_.id) : std::map<node_id, crypto::box_public_key>::const_iterator{};
  const bool round_fixes = r && fixed != r->seal_keys.end();
  const std::uint64_t oldest = pairs.front().serial;
  const bool full = pairs.size() + 1 >= seal_pairs_max;
  const auto keep = [&](const seal_pair& p) {
    const crypto::box_public_key& k = p.keys.public_key;
    if (planted::armed(planted::bug::keep_seal_key)) return !(drawing && full && p.serial == oldest);
    return (seal_.current && k == *seal_.current) || (!drawing && &p == newest)
           || (in_grace && seal_.previous && k == *seal_.previous) || (round_fixes && k == fixed->second);
  };
  const std::size_t before = pairs.size();
  PSS_TRY(seals_->keep_only(keep));
  counters_.seal_keys_erased += before - seals_->pairs().size();
  return ok_status();
}

void node_engine::announce_seal_key(millis now, const seal_pair& p) {
  seal_announcement a{keys_.id, p.epoch, p.serial, p.keys.public_key, {}};
  const std::string& cluster = catalog_.view().cluster_id;
  auto sig = crypto::sign(keys_.sign, round_signature_context(cluster), signed_part(cluster, a));
  PSS_CHECK(sig.ok());
  std::copy(sig->bytes().begin(), sig->bytes().end(), a.signature.begin());
  seal_.announce_next = now + options_.round_resend_interval;
  forward(now, std::move(a));
}

// Draws a pair when the epoch moved on past the newest (or there is none,
// or the catalog recorded a key this node did not draw), and announces the
// newest until the catalog records it. A round never waits for this.
//
// Only once caught up: a catalog that is behind (a restart, a partition)
// may not show the record of a key or the round that fixed one, and would
// erase what is still needed. A member being removed erases every pair.
void node_engine::drive_seal_keys(millis now) {
  if (!seals_ || failed_ || !admitted_) return;
  const cluster_view& view = catalog_.view();
  // Leaving (no round takes it in, no store is taken) or dropped (ids are
  // never given again): nothing is sealed to it any more.
  if (removal_noted_ || view.find(keys_.id) == nullptr || catalog_.leaving() == keys_.id) {
    const std::size_t held = seals_->pairs().size();
    if (auto st = seals_->keep_only([](const seal_pair&) { return false; }); !st.ok()) return fail(st.err());
    counters_.seal_keys_erased += held;
    keys_rotated_ = keys_rotated_ || std::exchange(seal_.after_rotation, false); // nothing left to erase
    return;
  }
  // A rejoining node (wiped disk) waits until it is a voter again: the
  // catalog's member_rejoin points senders at its identity key meanwhile,
  // and an announcement recorded before that would be undone by it.
  if (!caught_up() || rejoining()) return;
  finish_rotation();
  if (failed_) return;
  seal_.live = true;
  follow_seal_record(now);
  warn_foreign_seal_key();
  if (auto st = erase_seal_keys(now, false); !st.ok()) return fail(st.err());
  const seal_pair* newest = seals_->newest();
  const std::uint64_t recorded = seal_.serial.value_or(0);
  const bool behind = newest != nullptr && newest->serial <= recorded
                      && !(seal_.current && *seal_.current == newest->keys.public_key);
  if (recorded >= seal_serial_max) {
    // Only a holder of this node's signing key could have put it there.
    if (seal_.foreign_warned != seal_.serial) event("ALARM: the catalog records a sealing key serial at its limit");
    seal_.foreign_warned = seal_.serial;
    return;
  }
  if (newest == nullptr || newest->epoch < view.epoch || behind) {
    if (auto st = erase_seal_keys(now, true); !st.ok()) return fail(st.err());
    const std::uint64_t serial = std::max(newest != nullptr ? newest->serial : 0, recorded) + 1;
    auto drawn = seals_->draw(view.epoch, serial, *random_);
    if (!drawn.ok()) return fail(drawn.err());
    ++counters_.seal_keys_drawn;
    newest = *drawn;
    seal_.announce_next = now;
  }
  if (seal_.current && *seal_.current == newest->keys.public_key) return;
  if (newest->epoch == view.epoch && now >= seal_.announce_next) announce_seal_key(now, *newest);
}

} // namespace pss::secrets
