// A rotation of a member's identity and signing keys under the membership
// profile (--membership-change rotate; docs/refresh.md §7.9). The operator
// gives the target its next keys (and restarts it, as with a next key file)
// when it first asks for the change; once the node switched, its host
// adopts them: later boots open it with the new keys and the old public
// ones retired, while its first view still names the old ones. The checker:
// a node whose catalog applied the rotation never seals to, nor fixes in a
// round, a key the member held before it (its old identity key and every
// sealing key seen on it until then), since those may be what leaked. The
// planted bug rotate-keeps-seal-record breaks it.
#include "sim/simulation_impl.hpp"

#include <algorithm>

namespace pss::sim {

// The target's next keys: node `target`'s keys of another seeded cluster.
void simulation::impl::start_rotation() {
  const node_id target = member_plan->target;
  const auto fresh = secrets::make_test_cluster(opts.nodes, opts.threshold, opts.seed ^ 0x7E7A7Eull);
  rotation_next = fresh.keys.at(target.value() - 1).clone();
  ++counters.faults["keys_rotation_asked"];
  auto& n = nodes.at(target);
  if (!n.up || n.wiped) return; // it takes the next keys at its next boot
  kill(n); // the operator's clean restart: nothing unsynced is lost
  boot(n, false);
}

std::pair<const secrets::node_keys*, std::vector<secrets::member_keys>>
simulation::impl::rotation_keys_of(node_id id) const {
  if (!member_plan || member_plan->kind != secrets::committee_change_kind::rotate || member_plan->target != id)
    return {nullptr, {}};
  return {rotation_next ? &*rotation_next : nullptr, rotation_adopted ? rotation_retired : std::vector<secrets::member_keys>{}};
}

secrets::committee_change simulation::impl::rotation_change() const {
  PSS_CHECK(rotation_next.has_value());
  secrets::member m = *cluster.view.find(member_plan->target);
  m.box_key = rotation_next->box.public_key;
  m.sign_key = rotation_next->sign.public_key;
  return secrets::committee_change{secrets::committee_change_kind::rotate, member_plan->target, m, 0};
}

// After each input of the target: the keys it holds before the rotation are
// noted; once it switched, its host's key file takes the next keys.
void simulation::impl::follow_rotation(node_slot& n) {
  if (!member_plan || member_plan->kind != secrets::committee_change_kind::rotate || n.id != member_plan->target
      || rotation_adopted)
    return;
  auto& host = static_cast<secrets_node_host&>(*n.engine);
  const auto note = [&](const crypto::box_public_key& k) {
    if (std::find(pre_rotation_keys.begin(), pre_rotation_keys.end(), k) == pre_rotation_keys.end())
      pre_rotation_keys.push_back(k);
  };
  note(cluster.keys.at(n.id.value() - 1).box.public_key);
  if (!host.take_keys_rotated()) {
    if (const auto* ring = host.engine().seal_keys())
      for (const auto& p : ring->pairs()) note(p.keys.public_key);
    return;
  }
  rotation_adopted = true;
  ++counters.faults["keys_rotated"];
  trace.add(0x7E7A);
  auto& keys = cluster.keys.at(n.id.value() - 1);
  rotation_retired.push_back(secrets::public_keys(keys));
  keys = std::move(*rotation_next);
  rotation_next.reset();
}

void simulation::impl::check_rotation(const secrets::node_engine& e, std::vector<std::string>& found) {
  if (!member_plan || member_plan->kind != secrets::committee_change_kind::rotate) return;
  const secrets::catalog& c = e.state();
  const node_id target = member_plan->target;
  if (c.stats().keys_rotated == 0 || c.view().find(target) == nullptr) return;
  const auto old = [&](const crypto::box_public_key& k) {
    return std::find(pre_rotation_keys.begin(), pre_rotation_keys.end(), k) != pre_rotation_keys.end();
  };
  ++counters.checks["rotation_seal_keys"];
  if (old(c.sealing_key(target)))
    found.push_back("rotation: n" + std::to_string(e.id().value()) + "'s catalog seals to a key n"
                    + std::to_string(target.value()) + " held before its keys rotated");
  if (const auto& r = c.round(); r && r->seal_keys.contains(target) && old(r->seal_keys.at(target)))
    found.push_back("rotation: n" + std::to_string(e.id().value()) + "'s round " + std::to_string(r->id)
                    + " fixes a key n" + std::to_string(target.value()) + " held before its keys rotated");
}

} // namespace pss::sim
