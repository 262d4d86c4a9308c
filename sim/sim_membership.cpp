// The membership profile (docs/refresh.md §7.7): an operator removes one
// member at a drawn moment, under the swarm faults with refresh running, and
// the committee checkers watch every node:
// - no removed member holds a share of a version at the epoch the catalog
//   of a node that dropped it gives that version (a removed member's shares
//   are of an ended epoch; the planted bug remove-before-reshare breaks it);
// - every node that applied the same index has the same committee: members,
//   threshold, and the removal's step.
// Every acknowledged secret reading back from the members that remain is
// the read-back check's, which runs on every live node at the end.
#include "sim/simulation_impl.hpp"

#include "access/signed_request.hpp"
#include "crypto/random_source.hpp"

namespace pss::sim {
namespace {

// How often the operator signs and sends its request again, and how often
// at most, until a catalog records the removal.
constexpr millis removal_resend{500};
constexpr std::uint64_t removal_sends_max = 40;
constexpr std::size_t committee_indices_kept = 1 << 16;

std::uint64_t committee_digest(const secrets::catalog& c) {
  std::uint64_t h = 0x9E3779B97F4A7C15ull ^ c.view().threshold;
  auto mix = [&](std::uint64_t v) {
    h ^= v + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
  };
  for (const auto& m : c.view().members) mix(m.id.value() * 1000003u + m.index.value());
  if (const auto& r = c.committee()) {
    mix(static_cast<std::uint64_t>(r->change.kind) << 8 | static_cast<std::uint64_t>(r->step));
    mix(r->change.old_member.value());
  }
  return h;
}

} // namespace

// The removal is drawn only when t+1 members would remain (else the
// catalog refuses it, which the unit tests cover), at 20..60 % of the run.
void simulation::impl::plan_membership() {
  if (!secrets_mode || opts.profile != "membership" || opts.nodes < opts.threshold + 2) return;
  member_removal r;
  const auto span = static_cast<std::uint64_t>(opts.seconds * 1000);
  r.at = millis{static_cast<millis::rep>(span / 5 + membership_rng.below(span * 2 / 5 + 1))};
  r.target = node_id{1 + membership_rng.below(opts.nodes)};
  r.next_send = r.at;
  removal = r;
  membership_nonces = std::make_unique<crypto::seeded_random>(membership_rng.next_u64());
}

void simulation::impl::membership_step() {
  if (!removal || removal->recorded || now() < removal->next_send) return;
  for (const auto& [id, n] : nodes) {
    if (!n.up) continue;
    const auto& c = static_cast<const secrets_node_host&>(*n.engine).engine().state();
    if (c.leaving() == removal->target || c.view().find(removal->target) == nullptr) removal->recorded = true;
  }
  if (removal->recorded || removal->sent >= removal_sends_max) return;
  if (removal->sent == 0) {
    ++counters.faults["member_removal_asked"];
    trace.add(0x3E3B);
    trace.add(removal->target.value());
  }
  ++removal->sent;
  removal->next_send = now() + removal_resend;
  const secrets::committee_change change{secrets::committee_change_kind::remove, removal->target, std::nullopt, 0};
  const endpoint self = endpoint::of(client_id{operator_client()});
  for (node_id to : node_ids) {
    // A fresh session each time: the operator's earlier attempt may have
    // been applied (then the catalog refuses this one) or lost.
    bytes body = secrets::encode(secrets::wire_message{secrets::member_request{removal->sent, sequence_number{1}, change}});
    const access::unix_ms wall = sim_wall_clock_offset + static_cast<access::unix_ms>(now().count());
    auto signed_request = access::sign_request(*sim_admin_identity(), cluster.view.cluster_id, to, wall,
                                               access::request_lifetime_ms_default, std::move(body), *membership_nonces);
    PSS_CHECK_MSG(signed_request.ok(), "signing the operator's removal cannot fail");
    caf::anon_send(network, wire_message::make(self, endpoint::of(to), access::encode_signed_request(*signed_request)));
  }
}

bool simulation::impl::removed_member(node_id id) const {
  for (const auto& [other, n] : nodes)
    if (n.up && static_cast<const secrets_node_host&>(*n.engine).engine().state().view().find(id) == nullptr)
      return true;
  return false;
}

void simulation::impl::check_removed_shares(const secrets::node_engine& holder, const secrets::catalog& by,
                                            std::vector<std::string>& found) const {
  for (const auto& info : holder.shares().inventory()) {
    const auto& k = info.key;
    if (k.version == secret_version{}) continue; // a client's share no register lists it for
    auto rec = by.lookup(k.name, k.version);
    if (!rec.ok() || rec->commitments_digest != k.commitments_digest || rec->epoch != k.epoch) continue;
    found.push_back("committee: removed n" + std::to_string(holder.id().value()) + " holds its epoch-"
                    + std::to_string(k.epoch.value()) + " share of " + k.name + " v" + std::to_string(k.version.value())
                    + ", the version's current epoch");
  }
}

// After node e's input: the committee it applied at its index must be the
// one every other node applied there; and any member its view dropped, or
// any node that dropped e, is held to the removed member's rule.
void simulation::impl::check_committee(const secrets::node_engine& e, std::vector<std::string>& found) {
  const secrets::catalog& c = e.state();
  const auto [it, fresh] = committee_at.emplace(c.applied_index(), committee_digest(c));
  if (!fresh && it->second != committee_digest(c))
    found.push_back("committee: n" + std::to_string(e.id().value()) + " applied index "
                    + std::to_string(c.applied_index().value()) + " with another committee than a node before it");
  if (committee_at.size() > committee_indices_kept) committee_at.erase(committee_at.begin());
  for (const auto& [id, n] : nodes) {
    if (!n.up || id == e.id()) continue;
    const auto& other = static_cast<const secrets_node_host&>(*n.engine).engine();
    if (c.view().find(id) == nullptr) check_removed_shares(other, c, found);
    if (other.state().view().find(e.id()) == nullptr) check_removed_shares(e, other.state(), found);
  }
}

} // namespace pss::sim
