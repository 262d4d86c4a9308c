#include "secrets/committee.hpp"

#include <algorithm>
#include <string>

#include "core/fields.hpp"

namespace pss::secrets {
namespace {

status refuse(const std::string& why) { return error{errc::invalid_argument, why}; }

status check_new_member(const cluster_view& view, const member& m) {
  if (m.id == node_id{}) return refuse("the new member needs a node id");
  if (view.find(m.id) != nullptr) return refuse(node_name(m.id) + " is a member already");
  for (const member& o : view.members) {
    if (o.box_key == m.box_key) return refuse("the new member's box key is " + node_name(o.id) + "'s");
    if (o.sign_key == m.sign_key) return refuse("the new member's signing key is " + node_name(o.id) + "'s");
  }
  if (view.members.size() + 1 > members_max)
    return refuse("a cluster has at most " + std::to_string(members_max) + " members");
  return {};
}

// A rotation keeps the member's id, index and address, and changes both its
// identity (box) key and its signing key to keys no member has: the old ones
// may be known (that is why they rotate).
status check_rotation(const cluster_view& view, node_id id, const member& m, const committee_context& ctx) {
  const member* self = view.find(id);
  if (self == nullptr) return refuse(node_name(id) + " is not a member");
  if (m.id != id) return refuse("the key file is " + node_name(m.id) + "'s, not " + node_name(id) + "'s");
  if (m.address != self->address)
    return refuse("the key file gives " + node_name(id) + " another address (" + m.address
                  + "); rotating keys does not move a node (use pss member replace)");
  for (const member& o : view.members) {
    if (o.box_key == m.box_key) return refuse("the new box key is " + node_name(o.id) + "'s");
    if (o.sign_key == m.sign_key) return refuse("the new signing key is " + node_name(o.id) + "'s");
  }
  if (ctx.retired == nullptr) return {};
  for (const member_keys& r : *ctx.retired)
    if (r.box == m.box_key || r.sign == m.sign_key)
      return refuse("a key of the rotation was retired by an earlier one (retired keys may be known); make new keys");
  if (ctx.retired->size() >= retired_keys_max)
    return refuse("the cluster has retired " + std::to_string(retired_keys_max) + " key pairs, the most it keeps");
  return {};
}

// After the removal: t+1 members for a refresh, and a Raft majority of them up.
status check_removal(const cluster_view& view, node_id old, std::size_t after, const committee_context& ctx) {
  if (view.find(old) == nullptr) return refuse(node_name(old) + " is not a member");
  if (after < static_cast<std::size_t>(view.threshold) + 1)
    return refuse("removing " + node_name(old) + " would leave " + std::to_string(after) + " members, fewer than t+1 = "
                  + std::to_string(view.threshold + 1) + " (a refresh needs t+1)");
  const auto up = static_cast<std::size_t>(
    std::count_if(ctx.up.begin(), ctx.up.end(), [&](node_id n) { return n != old && view.find(n) != nullptr; }));
  if (up < after / 2 + 1)
    return refuse("only " + std::to_string(up) + " of the " + std::to_string(after)
                  + " members that would remain are up, fewer than a Raft majority");
  return {};
}

// The round that changes t keeps min(n, t'+1) holders of every version; a
// reshare needs the old t dealers, each confirmed by t'+1 others (t'+2
// members that answer): that many members must be up, or every attempt aborts.
status check_threshold_up(const cluster_view& view, std::uint32_t t, const committee_context& ctx) {
  const std::size_t n = view.members.size();
  const bool lower = t < view.threshold;
  const std::size_t need = std::max<std::size_t>(std::min<std::size_t>(n, std::size_t{t} + (lower ? 2 : 1)),
                                                 lower ? view.threshold : 0);
  const auto up = static_cast<std::size_t>(
    std::count_if(ctx.up.begin(), ctx.up.end(), [&](node_id n) { return view.find(n) != nullptr; }));
  if (up < need)
    return refuse("only " + std::to_string(up) + " members are up; the round that sets t to " + std::to_string(t)
                  + " needs " + std::to_string(need));
  return {};
}

} // namespace

// The format of a committee change (core/fields.hpp).
void fields(auto& io, like<committee_change> auto& m) {
  io.enumeration(m.kind, committee_change_kind::add, committee_change_kind::rotate, "unknown committee change");
  io.id(m.old_member);
  io.optional(m.new_member, [&](auto& x) {
    io.nested(x, [](byte_writer& w, const member& v) { encode(w, v); }, decode_member);
  });
  io.u32(m.threshold);
}

void encode(byte_writer& out, const committee_change& c) { write_fields(out, c); }

result<committee_change> decode_committee_change(byte_reader& in) {
  auto c = read_fields<committee_change>(in);
  if (!in.ok()) return in.finish("committee change").err();
  return c;
}

std::string describe(const committee_change& c) {
  switch (c.kind) {
    case committee_change_kind::add: return "add " + (c.new_member ? node_name(c.new_member->id) : std::string{"?"});
    case committee_change_kind::remove: return "remove " + node_name(c.old_member);
    case committee_change_kind::replace:
      return "replace " + node_name(c.old_member) + " by " + (c.new_member ? node_name(c.new_member->id) : std::string{"?"});
    case committee_change_kind::threshold: return "set t to " + std::to_string(c.threshold);
    case committee_change_kind::rotate: return "rotate the keys of " + node_name(c.old_member);
  }
  return "an unknown change";
}

std::string_view to_string(committee_step s) noexcept {
  switch (s) {
    case committee_step::excluding: return "excluding";
    case committee_step::removing: return "removing";
    case committee_step::joining: return "joining";
    case committee_step::raising: return "changing t"; // a raise or a lowering (the enum keeps its first name)
  }
  return "unknown";
}

status check_committee_change(const cluster_view& view, const committee_change& c, const committee_context& ctx) {
  // Removing a newcomer that is not a voter yet calls its add off (an add
  // whose node never comes up would otherwise block every later change).
  const bool calls_off = (c.kind == committee_change_kind::remove && ctx.joining != node_id{} && c.old_member == ctx.joining)
                         || (c.kind == committee_change_kind::threshold && ctx.new_threshold != 0 && c.threshold == view.threshold);
  if (calls_off && c.kind == committee_change_kind::threshold) return {};
  if (ctx.change_running && !calls_off)
    return refuse("another committee change is running; wait for it to finish"
                  + (ctx.joining != node_id{} ? " (or call the add off: pss member remove --id "
                                                  + std::to_string(ctx.joining.value()) + ")"
                                              : ctx.new_threshold != 0 ? " (or call the change of t off: pss threshold set "
                                                                     + std::to_string(view.threshold) + ")"
                                                                 : std::string{}));
  if (ctx.rejoin_running) return refuse("a wiped node is rejoining; wait for it to finish");
  const std::size_t n = view.members.size();
  switch (c.kind) {
    case committee_change_kind::add:
      if (!c.new_member) return refuse("an add needs the new member");
      return check_new_member(view, *c.new_member);
    case committee_change_kind::remove: return check_removal(view, c.old_member, n - 1, ctx);
    case committee_change_kind::replace:
      if (!c.new_member) return refuse("a replace needs the new member");
      PSS_TRY(check_new_member(view, *c.new_member));
      return check_removal(view, c.old_member, n, ctx);
    case committee_change_kind::threshold:
      if (c.threshold == view.threshold) return refuse("t is " + std::to_string(c.threshold) + " already");
      if (c.threshold < 2 || c.threshold + 1 > n)
        return refuse("t must be 2.." + std::to_string(n - 1) + " for " + std::to_string(n)
                      + " members (a refresh needs t+1), not " + std::to_string(c.threshold));
      return check_threshold_up(view, c.threshold, ctx);
    case committee_change_kind::rotate:
      if (!c.new_member) return refuse("a rotation needs the member's new keys");
      return check_rotation(view, c.old_member, *c.new_member, ctx);
  }
  return refuse("unknown committee change");
}

} // namespace pss::secrets
