// The catalog's side of sealing keys that rotate (docs/refresh.md §7.9):
// a member's signed announcement of the key it will be sealed to, and what
// shares and round chunks for a member are sealed to.
#include <algorithm>

#include "crypto/sign.hpp"
#include "secrets/catalog.hpp"
#include "secrets/catalog_detail.hpp"

namespace pss::secrets {

using detail::make;
using detail::name_of;

bytes signed_part(const std::string& cluster_id, const seal_announcement& a) {
  byte_writer w;
  w.str(cluster_id);
  w.str("pss seal key v1");
  w.u64(a.node.value());
  w.u64(a.epoch.value());
  w.u64(a.serial);
  w.raw(a.key.bytes());
  return w.take();
}

bool announcement_signed(const cluster_view& view, const seal_announcement& a) {
  const member* m = view.find(a.node);
  if (m == nullptr) return false;
  auto sig = crypto::signature::from_bytes({a.signature.data(), a.signature.size()});
  return sig.ok()
         && crypto::verify_signature(m->sign_key, round_signature_context(view.cluster_id),
                                     signed_part(view.cluster_id, a), *sig)
              .ok();
}

crypto::box_public_key catalog::sealing_key(node_id n) const {
  if (auto it = seal_keys_.find(n); it != seal_keys_.end()) return it->second.key;
  const member* m = view_.find(n);
  PSS_CHECK(m != nullptr);
  return m->box_key;
}

crypto::box_public_key round_state::sealing_key(const cluster_view& view, node_id n) const {
  if (auto it = seal_keys.find(n); it != seal_keys.end()) return it->second;
  const member* m = view.find(n);
  PSS_CHECK(m != nullptr);
  return m->box_key;
}

// Recorded only for the view's epoch (a late one is refused: the member
// draws another), above the member's last serial (a replayed older one
// would point senders back at a key it may have erased) and below
// seal_serial_max (a member draws above the recorded serial, which must not
// wrap), and signed by the member. Another member's key is not refused: a
// key announced by a member that does not hold its secret opens nothing for
// it (every seal binds its receiver), while refusing it would let a lying
// leader block an honest member's announcement by front-running its key.
// Small-order keys never decode (crypto::box_public_key::from_bytes).
command_result catalog::execute(const seal_announcement& a, apply_effects& fx) {
  if (view_.find(a.node) == nullptr) return make(result_code::invalid, name_of(a.node) + " is not a member");
  if (a.epoch != view_.epoch)
    return make(result_code::invalid, "a sealing key for epoch " + std::to_string(a.epoch.value())
                                        + "; the view is in epoch " + std::to_string(view_.epoch.value()));
  const auto last = seal_keys_.find(a.node);
  if (last != seal_keys_.end() && a.serial <= last->second.serial)
    return make(result_code::invalid, "a sealing key announcement no newer than " + name_of(a.node) + "'s last");
  if (a.serial == 0 || a.serial > seal_serial_max) return make(result_code::invalid, "a sealing key serial out of range");
  if (!announcement_signed(view_, a))
    return make(result_code::invalid, "the sealing key is not signed by " + name_of(a.node));
  seal_keys_[a.node] = a;
  ++stats_.seal_keys_recorded;
  fx.seal_key_recorded = true;
  return make(result_code::ok, "sealing key recorded");
}

} // namespace pss::secrets
