// The membership profile (docs/refresh.md §7.7): an operator removes a
// member, adds one, replaces one, or raises or lowers t, at a drawn moment, under the
// swarm faults with refresh running, and the committee checkers watch every
// node:
// - no removed member holds a share of a version at the epoch the catalog
//   of a node that dropped it gives that version (a removed member's shares
//   are of an ended epoch; the planted bug remove-before-reshare breaks it);
// - every node that applied the same index has the same committee: members,
//   threshold, and the removal's step.
// Every acknowledged secret reading back from the members that remain, and
// no t-1 of its shares rebuilding it (a raise that did not raise the
// degree), is the read-back check's, which runs on every live node at the
// end.
#include "sim/simulation_impl.hpp"

#include <algorithm>
#include <array>
#include <string_view>

#include "access/signed_request.hpp"
#include "crypto/decode.hpp"
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
  for (const auto& m : c.view().members) {
    mix(m.id.value() * 1000003u + m.index.value());
    std::uint64_t key = 0; // a rotation changes these (sim_rotation.cpp)
    for (std::size_t i = 0; i < 8; ++i) key = key << 8 | (m.box_key.bytes()[i] ^ m.sign_key.bytes()[i]);
    mix(key);
  }
  if (const auto& r = c.committee()) {
    mix(static_cast<std::uint64_t>(r->change.kind) << 8 | static_cast<std::uint64_t>(r->step));
    mix(r->change.old_member.value());
    mix(r->change.threshold);
  }
  return h;
}

} // namespace

// One change per run, drawn from the seed (or named by --membership-change)
// at 20..60 % of the safety phase: removing a member (only when t+1 would
// remain; else an add), adding node n+1, replacing a member by node n+1,
// adding node n+1 and calling the add off (removing it) as soon as a catalog
// recorded the add (half of those newcomers never start: the operator's
// reason to call an add off), raising t by one (only when t+1 <= n-1; else
// an add), or lowering it by one (only when t >= 3 and at most t-2 nodes are
// Byzantine, so that they stay below the new t; else a raise).
void simulation::impl::plan_membership() {
  if (!secrets_mode || opts.profile != "membership") return;
  using kind = secrets::committee_change_kind;
  member_change r;
  const auto span = static_cast<std::uint64_t>(opts.seconds * 1000);
  r.at = millis{static_cast<millis::rep>(span / 5 + membership_rng.below(span * 2 / 5 + 1))};
  static constexpr std::array<std::string_view, 7> named{"add",   "remove", "replace", "call-off",
                                                         "raise", "lower",  "rotate"};
  auto draw = membership_rng.below(named.size());
  if (opts.membership_change != "any")
    draw = static_cast<std::uint64_t>(std::find(named.begin(), named.end(), opts.membership_change) - named.begin());
  r.kind = draw == 6 ? kind::rotate : draw == 3 ? kind::add : draw >= 4 ? kind::threshold : static_cast<kind>(1 + draw);
  r.call_off = draw == 3;
  r.newcomer_down = r.call_off && membership_rng.below(2) == 0;
  r.lower = draw == 5 && opts.threshold >= 3 && opts.byzantine <= static_cast<int>(opts.threshold) - 2;
  if ((r.kind == kind::remove || (r.kind == kind::threshold && !r.lower)) && opts.nodes < opts.threshold + 2)
    r.kind = kind::add;
  r.target = node_id{1 + membership_rng.below(opts.nodes)};
  r.next_send = r.at;
  member_plan = r;
  membership_nonces = std::make_unique<crypto::seeded_random>(membership_rng.next_u64());
}

bool simulation::impl::member_change_recorded() const {
  using kind = secrets::committee_change_kind;
  const node_id newcomer{opts.nodes + 1};
  for (const auto& [id, n] : nodes) {
    if (!n.up) continue;
    const auto& c = static_cast<const secrets_node_host&>(*n.engine).engine().state();
    switch (member_plan->kind) {
      case kind::remove:
        if (c.leaving() == member_plan->target || c.view().find(member_plan->target) == nullptr) return true;
        break;
      case kind::threshold:
        if (c.new_threshold() != 0 || c.view().threshold != opts.threshold) return true;
        break;
      case kind::rotate:
        if (c.stats().keys_rotated > 0) return true;
        break;
      default:
        if (c.view().find(newcomer) != nullptr) return true;
    }
  }
  return false;
}

// The operator starts the new member's node (with the joining option) as it
// first asks for the change, then signs the admin's request to every member
// until a catalog records it.
void simulation::impl::membership_step() {
  if (!member_plan || now() < member_plan->next_send) return;
  if (member_plan->recorded) return call_off_step();
  member_plan->recorded = member_change_recorded();
  if (member_plan->recorded) return call_off_step();
  if (member_plan->sent >= removal_sends_max) return;
  using kind = secrets::committee_change_kind;
  const node_id newcomer{opts.nodes + 1};
  if (member_plan->sent == 0) {
    if (member_plan->kind == kind::rotate) start_rotation();
    else ++counters.faults[member_plan->kind == kind::remove      ? "member_removal_asked"
                      : member_plan->kind == kind::threshold ? (member_plan->lower ? "threshold_lower_asked"
                                                                                   : "threshold_raise_asked")
                                                             : "member_add_asked"];
    trace.add(0x3E3B);
    trace.add(member_plan->target.value());
    if (member_plan->kind != kind::remove && member_plan->kind != kind::threshold && member_plan->kind != kind::rotate
        && !member_plan->newcomer_down) {
      node_ids.push_back(newcomer);
      auto& fresh = nodes[newcomer];
      fresh.id = newcomer;
      boot(fresh, true);
    }
  }
  ++member_plan->sent;
  member_plan->next_send = now() + removal_resend;
  secrets::committee_change change{member_plan->kind, member_plan->target, std::nullopt, 0};
  if (member_plan->kind == kind::rotate) {
    change = rotation_change();
  } else if (member_plan->kind == kind::threshold) {
    change.old_member = no_node;
    change.threshold = static_cast<std::uint32_t>(member_plan->lower ? opts.threshold - 1 : opts.threshold + 1);
  } else if (member_plan->kind != kind::remove) {
    const auto& k = cluster.keys.at(newcomer.value() - 1);
    change.new_member = secrets::member{newcomer, share_index{}, "node-" + std::to_string(newcomer.value()),
                                        k.box.public_key, k.sign.public_key};
  }
  if (member_plan->kind == kind::add) change.old_member = no_node;
  send_member_request(change, sequence_number{1});
}

// The operator removes the newcomer it added: before its promotion that
// calls the add off; after, it is a removal like any other.
void simulation::impl::call_off_step() {
  if (!member_plan->call_off || member_plan->call_off_recorded || member_plan->sent >= 2 * removal_sends_max) return;
  const node_id newcomer{opts.nodes + 1};
  for (const auto& [id, n] : nodes) {
    if (!n.up) continue;
    const auto& c = static_cast<const secrets_node_host&>(*n.engine).engine().state();
    if (c.leaving() == newcomer || c.stats().members_removed > 0) {
      member_plan->call_off_recorded = true;
      return;
    }
  }
  if (!counters.faults.contains("member_add_called_off")) {
    counters.faults["member_add_called_off"] = 1;
    trace.add(0x3E3C);
  }
  ++member_plan->sent;
  member_plan->next_send = now() + removal_resend;
  // The next command of the operator's session: the add was its first.
  send_member_request(secrets::committee_change{secrets::committee_change_kind::remove, newcomer, std::nullopt, 0},
                      sequence_number{2});
}

bool simulation::impl::dropped(node_id m, const secrets::catalog& by) const {
  if (by.view().find(m) != nullptr) return false;
  if (cluster.view.find(m) != nullptr) return true;
  return member_plan && member_plan->call_off && m == node_id{opts.nodes + 1} && by.stats().members_removed > 0;
}

void simulation::impl::send_member_request(const secrets::committee_change& change, sequence_number sequence) {
  const endpoint self = endpoint::of(client_id{operator_client()});
  for (node_id to : node_ids) {
    // A fresh session each time: the operator's earlier attempt may have
    // been applied (then the catalog refuses this one) or lost.
    bytes body = secrets::encode(secrets::wire_message{secrets::member_request{member_plan->sent, sequence, change}});
    const access::unix_ms wall = sim_wall_clock_offset + static_cast<access::unix_ms>(now().count());
    auto signed_request = access::sign_request(*sim_admin_identity(), cluster.view.cluster_id, to, wall,
                                               access::request_lifetime_ms_default, std::move(body), *membership_nonces);
    PSS_CHECK_MSG(signed_request.ok(), "signing the operator's change cannot fail");
    caf::anon_send(network, wire_message::make(self, endpoint::of(to), access::encode_signed_request(*signed_request)));
  }
}

// A member of the first view some node dropped, or a called-off newcomer: a
// newcomer some lagging node does not know yet is not a removed member.
bool simulation::impl::removed_member(node_id id) const {
  for (const auto& [other, n] : nodes)
    if (n.up && dropped(id, static_cast<const secrets_node_host&>(*n.engine).engine().state())) return true;
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

// The first node that applies the commit of a change of t: every version
// the round dealt lies on a polynomial of degree t'-1. After a raise t'-1 of
// its new shares, from the stores of the live honest nodes (ready receivers
// hold them), must not rebuild its key; after a lowering t' of them must.
// (Later refreshes deal for t' and would hide a raise that did not raise the
// degree, and the read-back is long after a lowering: the check runs at once.)
void simulation::impl::check_changed_degree(const secrets::catalog& by, std::vector<std::string>& found) {
  const bool raised = by.view().threshold > opts.threshold;
  const std::size_t fewer = by.view().threshold - (raised ? 1 : 0);
  for (const auto& [name, s] : by.secrets()) {
    if (s.deleted) continue;
    for (const auto& [v, rec] : s.versions) {
      if (rec.epoch != by.view().epoch) continue;
      const secrets::share_key key{name, v, rec.epoch, rec.commitments_digest};
      std::vector<crypto::share> shares;
      for (const auto& [id, n] : nodes) {
        if (!n.up || shares.size() == fewer || is_byzantine(id)) continue;
        if (auto x = static_cast<const secrets_node_host&>(*n.engine).engine().shares().share_value(key)) shares.push_back(*x);
      }
      auto commitments = secrets::version_commitments(rec, by.view().threshold);
      if (shares.size() < fewer || !commitments.ok()) continue;
      ++counters.checks[raised ? "raised_versions" : "lowered_versions"];
      if (crypto::reconstruct_with_constant(shares, fewer, commitments->constant_term()).ok() == raised)
        found.push_back("committee: " + std::to_string(fewer) + " shares of " + name + " v" + std::to_string(v.value())
                        + (raised ? " rebuild its key after t was raised to " : " do not rebuild its key after t was lowered to ")
                        + std::to_string(by.view().threshold));
    }
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
  if (member_plan && member_plan->kind == secrets::committee_change_kind::threshold && !member_plan->degree_checked
      && c.view().threshold != opts.threshold) {
    member_plan->degree_checked = true;
    check_changed_degree(c, found);
  }
  for (const auto& [id, n] : nodes) {
    if (!n.up || id == e.id()) continue;
    const auto& other = static_cast<const secrets_node_host&>(*n.engine).engine();
    if (dropped(id, c)) check_removed_shares(other, c, found);
    if (dropped(e.id(), other.state())) check_removed_shares(e, other.state(), found);
  }
}

} // namespace pss::sim
