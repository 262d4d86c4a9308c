// The node engine's side of committee changes (docs/refresh.md §7; the
// catalog keeps the record, catalog_committee.cpp): the admin's signed
// request, which the leader checks for a clear answer and proposes as it
// came; the leader's steps from the record alone (every refresh leaves the
// member out; once the record says so, its Raft removal); and the member's
// own side: it takes no new share while it is removed, keeps only what it is
// still listed for, once the view drops it holds nothing, and it serves no
// view while it leaves (or before its catalog names it).
#include <algorithm>

#include "secrets/node_engine.hpp"

namespace pss::secrets {

// Members the leader heard from lately (itself included): a removal must
// leave a Raft majority of the rest up (§7.6).
std::set<node_id> node_engine::members_up() const {
  std::set<node_id> up{keys_.id};
  for (const auto& [id, pr] : core().progresses())
    if (pr.recent_active || pr.match >= core().commit_index()) up.insert(id);
  return up;
}

void node_engine::on_member_request(millis now, endpoint from, const member_request& m, byte_view envelope,
                                    const requester& who) {
  pending_proposal p{from, m.request_id, {}, who, audit::action::committee, describe(m.change)};
  if (core().role() == raft::role::leader) {
    committee_context ctx;
    ctx.change_running = catalog_.committee().has_value();
    ctx.joining = catalog_.joining();
    ctx.new_threshold = catalog_.new_threshold();
    ctx.rejoin_running = std::any_of(catalog_.rejoins().begin(), catalog_.rejoins().end(),
                                     [](const auto& r) { return !r.second.done; });
    ctx.up = members_up();
    ctx.retired = &catalog_.retired_keys();
    if (auto st = check_committee_change(catalog_.view(), m.change, ctx); !st.ok()) {
      propose_response reply;
      reply.request_id = m.request_id;
      decline(reply, reply_code::refused, "committee change refused: " + st.err().message());
      event("refused " + describe(m.change) + ": " + st.err().message());
      (void)record(now, audit::action::committee, who, p.name, 0, audit::outcome::refused);
      return send(from, reply);
    }
  }
  access_change change{wall(now), bytes(envelope.begin(), envelope.end())};
  propose(now, from, command{session_header{from.as_client(), m.sequence, now}, std::move(change)}, std::move(p));
}

// The leader's steps, from the record alone: while a removal is recorded
// every refresh leaves the member out, and one is asked for at once until
// the record moves on; then the member's Raft removal. A raise of t asks
// for a refresh until one deals for it and commits.
void node_engine::lead_committee(millis now) {
  if (core().role() != raft::role::leader) return;
  if (catalog_.new_threshold() != 0) {
    // The next refresh deals for the new t (docs/refresh.md §7.4); if the
    // last round began dealt for the old t (a version short of holders),
    // the next one waits for the schedule or a round in between.
    if (raise_waited_round_ != catalog_.last_round_id()) queue_.refresh_requested = true;
    return;
  }
  if (catalog_.joining() != no_node) return lead_joining(now);
  const node_id out = catalog_.leaving();
  if (out == no_node) return;
  queue_.leave_out = out;
  if (catalog_.committee()->step == committee_step::excluding) {
    queue_.refresh_requested = true;
    return;
  }
  if (!core().config().contains(out)) return;
  if (!member_informed(now, out)) return;
  auto proposed = core().propose_config_change(now, raft::config_change{raft::config_change_kind::remove, out});
  if (proposed.ok())
    event("removal of " + node_name(out) + ": its shares are of an ended epoch; proposed its Raft removal at index "
          + std::to_string(proposed->index.value()));
}

// A new member joins Raft as a learner, catches up on the log, recovers the
// shares it misses (it asks, as any member that misses shares), and is
// promoted once it has recovered what it missed (learner_caught_up; Raft
// refuses a learner still behind; the leader asks again at the next drain).
void node_engine::lead_joining(millis now) {
  const node_id in = catalog_.joining();
  const raft::configuration& config = core().config();
  if (config.is_voter(in)) return; // the promotion is appended, not committed yet
  const bool learner = config.is_learner(in);
  // What it can still recover is a scan of every version: asked between
  // rounds only, and at most once per resend interval.
  if (learner && (catalog_.round() || now < promotion_check_next_)) return;
  if (learner) promotion_check_next_ = now + options_.round_resend_interval;
  if (learner && !learner_caught_up(in)) return;
  const auto kind = learner ? raft::config_change_kind::promote_learner : raft::config_change_kind::add_learner;
  auto proposed = core().propose_config_change(now, raft::config_change{kind, in});
  if (proposed.ok())
    event((learner ? "new member " + node_name(in) + " holds its shares: proposed its promotion at index "
                   : "new member " + node_name(in) + ": proposed it as a learner at index ")
          + std::to_string(proposed->index.value()));
}

// Caught up: the learner misses nothing it already missed at the leader's
// previous look. What it misses now was registered since, by clients whose
// cluster file does not name it yet; it recovers that as a voter, as any
// member that misses shares. Waiting until it misses nothing at all waited
// for as long as puts kept coming (a real cluster at three puts a second
// promoted its newcomer only after half a minute).
bool node_engine::learner_caught_up(node_id in) {
  const auto now_missing = catalog_.recoverable_for(in);
  std::set<round_secret> missing(now_missing.begin(), now_missing.end());
  const bool looked = promotion_missing_ && promotion_missing_->first == in;
  const bool still = !looked || std::any_of(missing.begin(), missing.end(), [&](const round_secret& s) {
    return promotion_missing_->second.contains(s);
  });
  promotion_missing_.emplace(in, std::move(missing));
  return promotion_missing_->second.empty() || !still;
}

// Once Raft removes it, the leader sends the member nothing more, so it
// would never apply the refresh that left it out and erase its shares of the
// ended epoch. The leader waits until the member's log holds everything
// committed when the record reached this step, and a resend interval more
// (the commit index reaches it with the next heartbeat); a member that does
// not answer within removal_notice_max (it may be down for good) is
// removed all the same: its shares are of an ended epoch either way.
bool node_engine::member_informed(millis now, node_id out) {
  if (out == keys_.id) return true; // the leader removes itself: it applied the step
  if (!removal_notice_ || removal_notice_->member != out)
    removal_notice_ = removal_notice{out, core().commit_index(), now + options_.round_resend_interval * 10, {}};
  auto pr = core().progresses().find(out);
  if (!removal_notice_->reached && pr != core().progresses().end() && pr->second.match >= removal_notice_->index)
    removal_notice_->reached = now;
  if (removal_notice_->reached && now >= *removal_notice_->reached + options_.round_resend_interval) return true;
  return now >= removal_notice_->deadline;
}

// An entry moved the committee change on: every share is reconciled (holder
// lists or the view changed), and the event says where the change stands.
void node_engine::note_committee(const applied_command& a) {
  catalog_changed_ = true;
  if (a.effects.member_removed) return event("committee: " + node_name(*a.effects.member_removed) + " left the view");
  if (!catalog_.committee()) return event("committee: " + a.result.message);
  event("committee: " + describe(catalog_.committee()->change) + ", step "
        + std::string{to_string(catalog_.committee()->step)});
}

// This node's own side, after each applied batch: while it is being removed
// it keeps only the shares it is still listed for; once the view dropped it,
// none.
void node_engine::follow_committee() {
  const member* self = catalog_.view().find(keys_.id);
  if (self != nullptr && !follow_own_keys(public_keys(*self))) return;
  if (self != nullptr) admitted_ = true;
  if (!admitted_) return; // a new member its catalog does not name yet
  const bool removed = self == nullptr;
  if (!removed && catalog_.leaving() != keys_.id) return;
  const std::size_t erased = shares_->erase_unlisted(catalog_, keys_.id);
  if (removed && !removal_noted_) {
    removal_noted_ = true;
    event("removed from the committee: this node holds no share and serves no request now");
  } else if (erased > 0) {
    event("being removed: erased " + std::to_string(erased) + " shares it is no longer listed for");
  }
}

// The first view names this node's keys, or keys it held before a rotation
// (docs/refresh.md §7.9). Next keys that are its keys already (the host's
// rewrite of the key file is done) are no rotation to wait for.
status node_engine::check_own_keys(node_options& options, const member* self, const node_keys& keys) {
  const auto& retired = options.retired_keys;
  if (self != nullptr && public_keys(*self) != public_keys(keys)
      && std::find(retired.begin(), retired.end(), public_keys(*self)) == retired.end())
    return error{errc::mismatch, node_name(keys.id) + ": private keys do not match the cluster's public keys"};
  if (options.next_keys && (options.next_keys->id != keys.id || public_keys(*options.next_keys) == public_keys(keys)))
    options.next_keys.reset();
  return ok_status();
}

// The keys the catalog names this node with (docs/refresh.md §7.9): its
// own; its next ones, once an admin's rotation applied (it switches, and the
// host rewrites its key file); or ones it held before a rotation, while it
// replays entries from before it (it signs nothing for those: their rounds
// are over). Any other keys stop it with a message that says what to do.
bool node_engine::follow_own_keys(const member_keys& named) {
  if (named == public_keys(keys_)) return true;
  const auto& retired = options_.retired_keys;
  if (std::find(retired.begin(), retired.end(), named) != retired.end()) return true;
  if (options_.next_keys && named == public_keys(*options_.next_keys)) {
    options_.retired_keys.push_back(public_keys(keys_));
    keys_ = std::move(*options_.next_keys); // in place: the round member points at keys_
    options_.next_keys.reset();
    seal_.after_rotation = true;
    event("keys rotated: this node now uses its new identity and signing keys (the old ones are retired)");
    return true;
  }
  const auto fingerprint = named.box.bytes();
  fail(error{errc::mismatch, node_name(keys_.id) + ": the catalog names this node with keys it does not hold (identity "
                             "key " + to_hex(byte_view{fingerprint.data(), 8}) + "...). If an admin rotated its keys "
                             "(pss member rotate-keys), put the key file with those keys beside its key file as "
                             "<key_file>.next and start it again"});
  return false;
}

// After a switch of keys, once caught up (a replay may still record a pair
// drawn after an earlier switch that a crash interrupted): the sealing
// pairs drawn and not recorded were on the disk the old keys may have
// leaked from, and the catalog refuses their announcements (signed with
// the old key), so they are erased and the node draws a new one. The
// recorded pair stays for the grace, for stores in flight. Only then does
// the host adopt the new keys (take_keys_rotated).
void node_engine::finish_rotation() {
  if (!seal_.after_rotation) return;
  const auto it = catalog_.seal_keys().find(keys_.id);
  const std::uint64_t recorded = it == catalog_.seal_keys().end() ? 0 : it->second.serial;
  const std::size_t held = seals_->pairs().size();
  if (auto st = seals_->keep_only([&](const seal_pair& p) { return p.serial <= recorded; }); !st.ok())
    return fail(st.err());
  counters_.seal_keys_erased += held - seals_->pairs().size();
  seal_.after_rotation = false;
  keys_rotated_ = true;
}

// A node that is leaving the committee, was dropped, or is new and not
// named yet holds a view that is out of date (it may never apply what came
// after): it says so, and the client asks another node.
void node_engine::on_get_view(endpoint from, const get_view_request& m) {
  get_view_response r{m.request_id, catalog_.view(), {}, {}};
  for (const auto& [n, a] : catalog_.seal_keys()) r.seal_keys.push_back(a);
  if (!admitted_) r.not_serving = node_name(keys_.id) + " is new and not named by its catalog yet";
  else if (catalog_.view().find(keys_.id) == nullptr) r.not_serving = node_name(keys_.id) + " was removed from the cluster";
  else if (catalog_.leaving() == keys_.id) r.not_serving = node_name(keys_.id) + " is being removed from the cluster";
  send(from, std::move(r));
}

} // namespace pss::secrets
