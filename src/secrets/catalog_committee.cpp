// The catalog's side of committee changes (docs/refresh.md §7): recording an
// admin's change, and the steps of a removal (§7.3). Every step is driven
// from replicated state only, so a new leader carries on where the log
// shows the change stands:
//   excluding: every refresh leaves the member out, it recovers nothing, and
//              registers do not list it; the first such refresh that commits
//              with no readable version listing it moves the record on;
//   removing:  the leader removes it from the Raft configuration; when a
//              committed configuration no longer has it, the view drops it
//              and the record ends;
//   raising:   a new t (§7.4): the next refresh deals polynomials of degree
//              t'-1, registers wait, and its commit makes t' the view's.
// The order is what invariant 2 of §7.1 needs: the member leaves holding
// shares of an ended epoch only.
#include <algorithm>

#include "access/policy_change.hpp"
#include "core/planted.hpp"
#include "secrets/catalog.hpp"
#include "secrets/catalog_detail.hpp"

namespace pss::secrets {
namespace {

using detail::make;
using detail::name_of;

command_result refuse(result_code code, std::string message) {
  return make(code, "committee change refused: " + std::move(message));
}

} // namespace

node_id catalog::leaving() const noexcept {
  if (!committee_ || committee_->step == committee_step::joining) return no_node;
  const auto k = committee_->change.kind;
  return k == committee_change_kind::remove || k == committee_change_kind::replace ? committee_->change.old_member
                                                                                  : no_node;
}

std::uint32_t catalog::new_threshold() const noexcept {
  return committee_ && committee_->step == committee_step::raising ? committee_->change.threshold : 0;
}

std::string catalog::threshold_change() const {
  const std::uint32_t t = new_threshold();
  if (t == 0) return {};
  return (t > view_.threshold ? "raised to " : "lowered to ") + std::to_string(t);
}

std::size_t catalog::members_holding_all() const {
  std::size_t out = 0;
  for (const member& m : view_.members) {
    bool all = true;
    for (auto s = secrets_.begin(); all && s != secrets_.end(); ++s)
      if (!s->second.deleted)
        for (const auto& [v, rec] : s->second.versions) all = all && detail::contains(rec.holders, m.id);
    out += all ? 1 : 0;
  }
  return out;
}

bool catalog::threshold_round_running() const noexcept {
  return new_threshold() != 0 && round_ && round_->kind == round_kind::refresh && round_->threshold == new_threshold();
}

node_id catalog::joining() const noexcept {
  if (!committee_ || committee_->step != committee_step::joining || !committee_->change.new_member) return no_node;
  return committee_->change.new_member->id;
}

bool catalog::listed_anywhere(node_id n) const {
  for (const auto& [name, s] : secrets_)
    for (const auto& [v, rec] : s.versions)
      if (detail::contains(rec.holders, n)) return true;
  return false;
}

std::size_t catalog::versions_held_by_fewer(std::size_t holders) const {
  std::size_t out = 0;
  for (const auto& [name, s] : secrets_)
    if (!s.deleted)
      for (const auto& [v, rec] : s.versions) out += rec.holders.size() < holders ? 1 : 0;
  return out;
}

// The admin's envelope was checked already (signature, target, sequence);
// here: its window and nonce, the admin right as applied so far, and the
// rules of §7.6 against the replicated state.
command_result catalog::execute_committee(const committee_change& change, const access::signed_request& request,
                                          std::uint64_t stamp, apply_effects& fx) {
  auto admitted = access::admit_change(policy_, changes_, request, stamp);
  if (!admitted.ok())
    return refuse(admitted.err().code() == errc::conflict ? result_code::conflict : result_code::invalid,
                  admitted.err().message());
  if (!policy_.allows(request.client, access::right::admin, "", *admitted))
    return refuse(result_code::invalid, "the key that signed it holds no admin right");
  committee_context ctx;
  ctx.change_running = committee_.has_value();
  ctx.joining = joining();
  ctx.new_threshold = new_threshold();
  ctx.rejoin_running = std::any_of(rejoins_.begin(), rejoins_.end(), [](const auto& r) { return !r.second.done; });
  // Who is up is the leader's knowledge, checked before it proposed; the
  // replicated rules count every member.
  for (const member& m : view_.members) ctx.up.insert(m.id);
  ctx.retired = &retired_keys_;
  if (auto st = check_committee_change(view_, change, ctx); !st.ok())
    return refuse(result_code::invalid, st.err().message());
  if (change.kind == committee_change_kind::rotate) {
    PSS_CHECK(changes_.remember(request).ok()); // admit_change found room
    return rotate_member(*change.new_member, fx);
  }
  if (change.new_member && next_index_ > members_max)
    return refuse(result_code::invalid, "every share index up to " + std::to_string(members_max) + " was given once");
  if (change.kind == committee_change_kind::threshold && ctx.new_threshold == 0) {
    if (const std::size_t short_of = versions_held_by_fewer(change.threshold); short_of > 0)
      return refuse(result_code::invalid, std::to_string(short_of) + " versions have fewer than "
                                            + std::to_string(change.threshold)
                                            + " holders (their members must recover them first)");
    // A reshare's dealers each deal their share of every version.
    if (const std::size_t all = members_holding_all(); change.threshold < view_.threshold && all < view_.threshold)
      return refuse(result_code::invalid, std::to_string(all) + " members hold a share of every secret; lowering t "
                                            "needs t = " + std::to_string(view_.threshold)
                                            + " of them to reshare (the others must recover first)");
  }
  PSS_CHECK(changes_.remember(request).ok()); // admit_change found room
  committee_change recorded = change;
  if (recorded.new_member) return admit_member(recorded, fx);
  if (recorded.kind == committee_change_kind::threshold && ctx.new_threshold != 0) return call_off_raise(fx);
  if (recorded.kind == committee_change_kind::threshold) {
    committee_ = committee_record{recorded, committee_step::raising};
    fx.committee_changed = true;
    return make(result_code::ok, "recorded: " + describe(change) + "; the next "
                                   + (change.threshold < view_.threshold ? "round reshares" : "refresh deals")
                                   + " for it, and puts wait while it runs");
  }
  // A newcomer removed before its promotion: its add ends here, and it may
  // hold recovered shares, so it leaves like any member.
  const bool calls_off = ctx.joining == recorded.old_member;
  committee_ = committee_record{recorded, committee_step::excluding};
  start_removal(" is being removed", fx);
  return make(result_code::ok, "recorded: " + describe(change) + (calls_off ? ", which calls its add off" : "")
                                 + "; a refresh leaves it out, then Raft removes it");
}

// Setting t to the current t while a change of t is recorded calls it off
// (one that waits for versions no recovery can bring to t' holders would
// otherwise block every later change). A running refresh that deals for
// it aborts: its shares would need more than the view's t.
command_result catalog::call_off_raise(apply_effects& fx) {
  const std::uint32_t was = new_threshold();
  PSS_CHECK(was != 0);
  const std::string what = "the " + std::string{was > view_.threshold ? "raise" : "lowering"} + " of t to " + std::to_string(was);
  if (threshold_round_running()) (void)abort_round(abort_kind::committee_change, what + " was called off", fx);
  committee_.reset();
  fx.committee_changed = true;
  return make(result_code::ok, "recorded: " + what + " is called off; t stays "
                                 + std::to_string(view_.threshold));
}

// An add, or a replace's first half: the newcomer joins the view at the next
// index, never given before (a removed member's stale share can never be
// taken for a point of a new member's), as a member that holds nothing yet.
command_result catalog::admit_member(committee_change& change, apply_effects& fx) {
  member& m = *change.new_member;
  m.index = share_index{next_index_++};
  view_.members.push_back(m);
  std::sort(view_.members.begin(), view_.members.end(), [](const member& a, const member& b) { return a.id < b.id; });
  PSS_CHECK(view_.validate().ok());
  committee_ = committee_record{change, committee_step::joining};
  fx.committee_changed = true;
  return make(result_code::ok, "recorded: " + describe(change) + " at index " + std::to_string(m.index.value())
                                 + "; it recovers its shares as a learner, then becomes a voter");
}

// A rotation (docs/refresh.md §7.9), whole in this entry: the member keeps
// its id, index and address, and takes its new identity and signing keys.
// Its sealing-key record points at the new identity key with no signature
// (as a rejoin's does; the serial stays), so senders seal to that until it
// announces a new sealing key signed with its new signing key. A running
// round aborts: its dealings and responses were signed, and its chunks
// sealed, under the keys that end here.
command_result catalog::rotate_member(const member& next, apply_effects& fx) {
  auto self = std::find_if(view_.members.begin(), view_.members.end(), [&](const member& m) { return m.id == next.id; });
  PSS_CHECK(self != view_.members.end());
  PSS_CHECK(retired_keys_.size() < retired_keys_max); // check_rotation refused a full list
  retired_keys_.push_back(public_keys(*self));
  self->box_key = next.box_key;
  self->sign_key = next.sign_key;
  PSS_CHECK(view_.validate().ok());
  const bool keep = planted::armed(planted::bug::rotate_keeps_seal_record);
  if (auto s = seal_keys_.find(next.id); s != seal_keys_.end() && !keep) {
    s->second.key = next.box_key;
    s->second.signature = {};
  }
  fx.seal_key_recorded = true;
  fx.committee_changed = true;
  fx.keys_rotated = next.id;
  ++stats_.keys_rotated;
  const std::string what = "recorded: the keys of " + name_of(next.id) + " rotated";
  if (round_ && (round_->is_participant(next.id) || round_->target == next.id))
    (void)abort_round(abort_kind::keys_rotated, name_of(next.id) + " rotated its keys", fx);
  return make(result_code::ok, what + "; clients take the new keys in with pss cluster-file --update");
}

// A removal's first step: a refresh that leaves the member out (the planted
// bug skips it). A recovery that would hand the member shares of the live
// epoch ends here.
void catalog::start_removal(std::string_view why, apply_effects& fx) {
  PSS_CHECK(committee_ && committee_->change.old_member != no_node);
  const bool skip = planted::armed(planted::bug::remove_before_reshare);
  committee_->step = skip ? committee_step::removing : committee_step::excluding;
  fx.committee_changed = true;
  const node_id out = committee_->change.old_member;
  if (round_ && round_->kind == round_kind::recovery && round_->target == out)
    (void)abort_round(abort_kind::committee_change, name_of(out) + std::string{why}, fx);
}

// Each committed configuration moves a change on: a newcomer that is a
// voter ends an add (or starts a replace's removal); a leaving member that
// is gone ends a removal.
void catalog::follow_configuration(const raft::configuration& config, apply_effects& fx) {
  if (!committee_) return;
  if (committee_->step == committee_step::joining && config.is_voter(joining())) {
    ++stats_.members_added;
    fx.committee_changed = true;
    if (committee_->change.kind == committee_change_kind::replace) {
      start_removal(" is being replaced", fx);
    } else {
      committee_.reset();
    }
    return;
  }
  if (committee_->step == committee_step::removing && !config.contains(leaving())) drop_member(leaving(), fx);
}

// While a removal runs, a refresh must leave the member out and a recovery
// must not rebuild its shares (either would hand it shares of the live
// epoch), and it takes no part in a recovery either.
std::optional<std::string> catalog::refuse_round_for_committee(const round_begin& b) const {
  const node_id out = leaving();
  if (out == no_node) return std::nullopt;
  if (b.kind == round_kind::refresh && b.target != out)
    return name_of(out) + " is being removed: a refresh must leave it out";
  if (b.kind == round_kind::recovery && b.target == out) return name_of(out) + " is being removed: it recovers nothing";
  return std::nullopt;
}

void catalog::note_refresh_committed(const round_state& r, apply_effects& fx) {
  const bool skip_degree = planted::armed(planted::bug::raise_without_degree) && new_threshold() > view_.threshold;
  if (new_threshold() != 0 && (r.threshold == new_threshold() || skip_degree)) {
    // Every readable version was in the round (registers waited), so each
    // now lies on a polynomial of degree t'-1.
    ++(new_threshold() > view_.threshold ? stats_.thresholds_raised : stats_.thresholds_lowered);
    view_.threshold = new_threshold();
    committee_.reset();
    fx.committee_changed = true;
    return;
  }
  if (!committee_ || committee_->step != committee_step::excluding) return;
  if (r.kind != round_kind::refresh || r.target != leaving()) return;
  // A version registered before the record and missed by this round (none
  // should be: registers stop listing it) waits for the next refresh.
  if (listed_anywhere(r.target)) return;
  committee_->step = committee_step::removing;
  fx.committee_changed = true;
}

// A committed configuration without the member ends its removal: the view
// drops it, and with it every record that names it.
void catalog::drop_member(node_id n, apply_effects& fx) {
  PSS_CHECK(view_.find(n) != nullptr);
  std::erase_if(view_.members, [&](const member& m) { return m.id == n; });
  PSS_CHECK(view_.validate().ok());
  leave_holder_lists(n);
  rejoins_.erase(n);
  lost_nonces_.erase(n);
  seal_keys_.erase(n);
  if (round_ && (round_->is_participant(n) || round_->target == n)) {
    (void)abort_round(abort_kind::committee_change, name_of(n) + " left the committee", fx);
  }
  committee_.reset();
  ++stats_.members_removed;
  fx.committee_changed = true;
  fx.member_removed = n;
}

} // namespace pss::secrets
