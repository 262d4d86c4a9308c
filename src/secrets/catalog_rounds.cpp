// The catalog's side of refresh and recovery rounds (docs/refresh.md §3):
// the replicated, deterministic bookkeeping every node applies. The bulk
// data (sub-shares) never comes here; only digests, masked responses and
// the decisions derived from them.
#include <algorithm>
#include <set>

#include "crypto/batch.hpp"
#include "crypto/hash.hpp"
#include "crypto/point.hpp"
#include "crypto/scalar.hpp"
#include "crypto/sign.hpp"
#include "core/planted.hpp"
#include "secrets/catalog.hpp"
#include "secrets/catalog_detail.hpp"

namespace pss::secrets {
namespace {

using detail::contains;
using detail::make;
using detail::name_of;

// Whether `signer` (a member) signed `part` with its Ed25519 key.
bool signed_by(const cluster_view& view, node_id signer, const bytes& part,
               const std::array<std::uint8_t, round_signature_bytes>& raw) {
  auto sig = crypto::signature::from_bytes({raw.data(), raw.size()});
  return sig.ok() && crypto::verify_signature(view.find(signer)->sign_key, round_signature_context(view.cluster_id),
                                              part, *sig).ok();
}

void encode_header(byte_writer& w, const std::string& cluster_id, std::string_view what,
                   std::uint64_t round_id, node_id who) {
  w.str(cluster_id);
  w.str(what);
  w.u64(round_id);
  w.u64(who.value());
}

} // namespace

bytes round_signature_context(const std::string& cluster_id) {
  byte_writer w;
  w.str("pss round v1");
  w.str(cluster_id);
  return w.take();
}

bytes signed_part(const std::string& cluster_id, const round_dealing& d) {
  byte_writer w;
  encode_header(w, cluster_id, "dealing", d.round_id, d.dealer);
  w.u32(static_cast<std::uint32_t>(d.digests.size()));
  for (const auto& x : d.digests) w.raw({x.data(), x.size()});
  if (d.mask_commitment) w.raw({d.mask_commitment->data(), d.mask_commitment->size()});
  return w.take();
}

bytes signed_part(const std::string& cluster_id, const round_response& r) {
  byte_writer w;
  encode_header(w, cluster_id, "response", r.round_id, r.receiver);
  w.u32(static_cast<std::uint32_t>(r.answers.size()));
  for (const auto& a : r.answers) {
    w.u64(a.dealer.value());
    w.u8(static_cast<std::uint8_t>(a.status));
    w.raw({a.y.data(), a.y.size()});
  }
  w.u32(static_cast<std::uint32_t>(r.polynomial.size()));
  for (const auto& c : r.polynomial) w.raw({c.data(), c.size()});
  return w.take();
}

bytes signed_part(const std::string& cluster_id, const round_reveal& r) {
  byte_writer w;
  encode_header(w, cluster_id, "reveal", r.round_id, r.dealer);
  w.u64(r.receiver.value());
  w.u32(r.chunk);
  w.u32(static_cast<std::uint32_t>(r.chunk_digests.size()));
  for (const auto& d : r.chunk_digests) w.raw({d.data(), d.size()});
  w.blob(r.sealed);
  w.raw({r.ephemeral.data(), r.ephemeral.size()});
  return w.take();
}

round_dispute* round_state::dispute(node_id dealer, node_id receiver) {
  auto it = std::find_if(disputes.begin(), disputes.end(),
                         [&](const round_dispute& d) { return d.dealer == dealer && d.receiver == receiver; });
  return it == disputes.end() ? nullptr : &*it;
}

std::uint32_t round_state::zero_point(const cluster_view& view) const {
  if (kind == round_kind::refresh) return 0;
  const member* m = view.find(target);
  PSS_CHECK(m != nullptr);
  return m->index.value();
}

// A refresh needs t qualified dealers, so that one of them is honest (the
// adversary holds at most t-1 nodes). A recovery needs t-1: the target is
// one of the adversary's t-1 at worst, so t-1 helpers include an honest one,
// whose mask hides every other share from the target. A reshare needs the
// view's (old) t: their shares determine each secret (docs/refresh.md §7.5).
std::size_t round_state::dealers_min(const cluster_view& view) const {
  if (reshares(view)) return view.threshold;
  return kind == round_kind::refresh ? threshold : std::max<std::size_t>(1, threshold - 1);
}

// A refresh's receivers each get a new share: t of them keep every secret
// readable. A recovery's receivers are its helpers: while a version is in
// the epoch it was dealt in, the target checks its rebuilt share against
// the Feldman commitments, so t suffice; after a refresh no public value
// checks one share, so t+1 must agree (docs/refresh.md, "Recovery").
std::size_t round_state::receivers_min(std::size_t t, bool refreshed) const {
  return kind == round_kind::recovery && refreshed ? t + 1 : t;
}

bool round_state::is_participant(node_id n) const { return contains(participants, n); }

std::size_t round_state::position(node_id n) const {
  auto it = std::find(participants.begin(), participants.end(), n);
  PSS_CHECK(it != participants.end());
  return static_cast<std::size_t>(it - participants.begin());
}

std::vector<round_secret> catalog::missing_for(node_id n) const {
  std::vector<round_secret> out;
  for (const auto& [name, s] : secrets_) {
    if (s.deleted) continue;
    for (const auto& [v, rec] : s.versions)
      if (!contains(rec.holders, n)) out.push_back(round_secret{name, v});
  }
  return out;
}

bool catalog::refreshed_any(const std::vector<round_secret>& versions) const {
  for (const auto& v : versions) {
    auto s = secrets_.find(v.name);
    if (s == secrets_.end()) continue;
    auto rec = s->second.versions.find(v.version);
    if (rec != s->second.versions.end() && rec->second.epoch != rec->second.dealt_epoch) return true;
  }
  return false;
}

// A refreshed version has no public value that checks one rebuilt share, so
// its recovery needs t+1 helpers that agree (receivers_min): with only t
// holders left it stays missing, readable from those t, until the
// membership grows.
std::vector<round_secret> catalog::recoverable_for(node_id n) const {
  std::vector<round_secret> out;
  for (const auto& [m, rec] : recoverable_records(n)) out.push_back(m);
  return out;
}

// One pass over the catalog (an add's first recovery looks at every version).
std::vector<std::pair<round_secret, const version_record*>> catalog::recoverable_records(node_id n) const {
  std::vector<std::pair<round_secret, const version_record*>> out;
  for (const auto& [name, s] : secrets_) {
    if (s.deleted) continue;
    for (const auto& [v, rec] : s.versions) {
      if (contains(rec.holders, n)) continue;
      if (rec.epoch != rec.dealt_epoch && rec.holders.size() < view_.threshold + 1) continue;
      out.emplace_back(round_secret{name, v}, &rec);
    }
  }
  return out;
}

bool catalog::holds_all(node_id n, const std::vector<round_secret>& versions) const {
  for (const auto& v : versions) {
    auto s = secrets_.find(v.name);
    if (s == secrets_.end()) continue; // deleted since: nothing to rebuild
    auto rec = s->second.versions.find(v.version);
    if (rec != s->second.versions.end() && !contains(rec->second.holders, n)) return false;
  }
  return true;
}

void catalog::leave_holder_lists(node_id n) {
  for (auto& [name, s] : secrets_)
    for (auto& [v, rec] : s.versions) std::erase(rec.holders, n);
}

bool catalog::shares_lost_recorded(node_id n, std::uint64_t nonce) const {
  auto it = lost_nonces_.find(n);
  return it != lost_nonces_.end() && std::find(it->second.begin(), it->second.end(), nonce) != it->second.end();
}

// A replayed declaration (its nonce recorded) changes nothing, and none
// takes a version below t holders (it would stop being readable from its
// list; the node stays listed, sits refreshes out, and a refresh commit
// drops it); both are refused and counted.
command_result catalog::execute(const shares_lost& l, apply_effects& fx) {
  if (view_.find(l.node) == nullptr) return make(result_code::invalid, "not a member");
  if (l.nonce != 0 && shares_lost_recorded(l.node, l.nonce)) {
    ++stats_.shares_lost_replayed;
    return make(result_code::invalid, "this shares_lost is recorded already");
  }
  for (const auto& [name, s] : secrets_)
    for (const auto& [v, rec] : s.versions)
      if (contains(rec.holders, l.node) && rec.holders.size() <= view_.threshold) {
        ++stats_.holder_floor_refusals;
        return make(result_code::invalid, "it would leave " + name + " version " + std::to_string(v.value()) +
                                            " with fewer than t holders");
      }
  if (l.nonce != 0) {
    auto& nonces = lost_nonces_[l.node];
    nonces.push_back(l.nonce);
    if (nonces.size() > rejoin_nonces_kept_max) nonces.erase(nonces.begin());
  }
  leave_holder_lists(l.node);
  // A round that counted on this node's shares cannot rely on them.
  if (round_ && round_->is_participant(l.node) && round_->kind == round_kind::recovery)
    return abort_round(abort_kind::member_lost_shares, name_of(l.node) + " lost its shares", fx);
  return make(result_code::ok, name_of(l.node) + " holds no share now");
}

bool catalog::rejoin_recorded(node_id n, std::uint64_t nonce) const {
  auto it = rejoins_.find(n);
  return it != rejoins_.end()
         && std::find(it->second.nonces.begin(), it->second.nonces.end(), nonce) != it->second.nonces.end();
}

bool catalog::rejoin_done(node_id n, std::uint64_t nonce) const {
  auto it = rejoins_.find(n);
  return it != rejoins_.end() && it->second.done && !it->second.nonces.empty()
         && it->second.nonces.back() == nonce;
}

// A wiped node lost every share and every round's private material: it
// leaves the holder lists, and a recovery that counts on it, or rebuilds it,
// cannot finish. A nonce already recorded (a duplicated or stale request)
// changes nothing.
command_result catalog::execute(const member_rejoin& j, apply_effects& fx) {
  if (view_.find(j.node) == nullptr) return make(result_code::invalid, "not a member");
  if (rejoin_recorded(j.node, j.nonce)) return make(result_code::invalid, "this rejoin is recorded already");
  if (j.node == leaving()) return make(result_code::invalid, name_of(j.node) + " is being removed: it does not rejoin");
  rejoin_record& r = rejoins_[j.node];
  r.nonces.push_back(j.nonce);
  if (r.nonces.size() > rejoin_nonces_kept_max) r.nonces.erase(r.nonces.begin());
  r.removed = false;
  r.done = false;
  leave_holder_lists(j.node);
  // Its disk lost the sealing key recorded for it: rounds and clients seal
  // to its identity key until it announces a new one (docs/refresh.md §7.9).
  // The serial stays, so no older announcement of it is taken again; the
  // signature no longer covers the key, and clients ignore it.
  if (auto s = seal_keys_.find(j.node); s != seal_keys_.end()) {
    s->second.key = view_.find(j.node)->box_key;
    s->second.signature = {};
    fx.seal_key_recorded = true;
  }
  if (round_ && round_->kind == round_kind::recovery && (round_->is_participant(j.node) || round_->target == j.node))
    return abort_round(abort_kind::member_rejoining, name_of(j.node) + " lost its disk and is rejoining", fx);
  return make(result_code::ok, name_of(j.node) + " is rejoining and holds no share now");
}

// Raft §4 single-server changes, as the catalog sees them once committed:
// a rejoining node is first removed (or demoted to a learner), and only a
// configuration committed after that which has it as a voter again
// completes its rejoin.
void catalog::apply_configuration(const raft::entry& e, apply_effects& fx) {
  auto config = raft::configuration_from_bytes(e.data);
  if (!config.ok()) return; // never obeyed by Raft either
  follow_configuration(*config, fx);
  for (auto& [n, r] : rejoins_) {
    if (r.done) continue;
    if (!config->is_voter(n)) {
      r.removed = true;
    } else if (r.removed) {
      r.done = true;
      ++stats_.rejoins;
    }
  }
}

round_state* catalog::round_for(std::uint64_t id, round_phase phase) {
  if (!round_ || round_->id != id || round_->phase != phase) return nullptr;
  return &*round_;
}

std::string_view to_string(abort_kind k) noexcept {
  switch (k) {
  case abort_kind::too_few_dealings: return "too_few_dealings";
  case abort_kind::too_few_qualified: return "too_few_qualified";
  case abort_kind::too_few_receivers: return "too_few_receivers";
  case abort_kind::reshare_unchecked: return "reshare_unchecked";
  case abort_kind::holder_floor: return "holder_floor";
  case abort_kind::member_lost_shares: return "member_lost_shares";
  case abort_kind::member_rejoining: return "member_rejoining";
  case abort_kind::committee_change: return "committee_change";
  case abort_kind::keys_rotated: return "keys_rotated";
  case abort_kind::recovery_timeout: return "recovery_timeout";
  }
  return "unknown";
}

command_result catalog::abort_round(abort_kind kind, std::string reason, apply_effects& fx) {
  PSS_CHECK(round_.has_value());
  ++stats_.rounds_aborted;
  if (round_->reshares(view_)) reshare_backoff_ = true;
  last_abort_reason_ = reason;
  last_abort_kind_ = kind;
  round_.reset();
  fx.round_changed = true;
  fx.round_finished = true;
  return make(result_code::ok, "aborted: " + reason);
}

command_result catalog::execute(const round_begin& b, apply_effects& fx) {
  if (round_) return make(result_code::invalid, "a round is already running");
  if (b.round_id != last_round_id_ + 1)
    return make(result_code::invalid, "round " + std::to_string(b.round_id) + " is not the next round");
  if (auto why = refuse_round_for_committee(b)) return make(result_code::invalid, *why);
  round_state r;
  r.kind = b.kind;
  r.id = b.round_id;
  r.phase = round_phase::dealing;
  if (b.kind == round_kind::refresh) {
    // A refresh with a target leaves that member out (docs/refresh.md §7.3,
    // the first step of removing it): it deals and receives nothing, and the
    // commit takes it off every holder list. The rest must still be t+1.
    if (b.target != node_id{} && view_.find(b.target) == nullptr)
      return make(result_code::invalid, "the member to leave out is not a member");
    if (b.target != node_id{} && view_.members.size() < view_.threshold + 2)
      return make(result_code::invalid, "leaving " + name_of(b.target) + " out would leave fewer than t+1 members");
    r.target = b.target;
    r.epoch = view_.epoch.next();
    for (node_id n : view_.node_ids())
      if (n != b.target) r.participants.push_back(n);
    std::size_t short_of_raise = 0;
    for (const auto& [name, s] : secrets_) {
      if (s.deleted) continue;
      for (const auto& [v, rec] : s.versions) {
        short_of_raise += rec.holders.size() < new_threshold() ? 1 : 0;
        r.secrets.push_back(round_secret{name, v});
      }
    }
    // A recorded raise deals for the new t (docs/refresh.md §7.4) once every
    // version can keep t' holders through it; a lowering reshares (§7.5)
    // once t members hold every version. Until then refreshes deal for the
    // old t (epochs move on) and the change waits for recoveries.
    const bool old_degree = planted::armed(planted::bug::raise_without_degree);
    const bool can = new_threshold() > view_.threshold ? short_of_raise == 0 && !old_degree
                                                       : !reshare_backoff_ && members_holding_all() >= view_.threshold;
    r.threshold = new_threshold() != 0 && can ? new_threshold() : view_.threshold;
  } else {
    if (view_.find(b.target) == nullptr) return make(result_code::invalid, "the target is not a member");
    r.target = b.target;
    r.epoch = view_.epoch;
    r.threshold = view_.threshold;
    // The versions to rebuild: every missing version held by all holders of
    // the first one (the others wait for the next round), so that those
    // holders can answer with masked shares. Every member but the target
    // deals a mask: dealing needs no share, and a mask from any honest node
    // hides the helpers' shares from the target.
    auto missing = recoverable_records(b.target);
    if (missing.empty()) return make(result_code::invalid, name_of(b.target) + " misses no share it can recover");
    const auto core = missing.front().second->holders;
    if (core.size() < view_.threshold)
      return make(result_code::invalid, "fewer than t nodes hold the shares " + name_of(b.target) + " misses");
    for (auto& [m, rec] : missing) {
      const auto& holders = rec->holders;
      if (std::all_of(core.begin(), core.end(), [&](node_id h) { return contains(holders, h); }))
        r.secrets.push_back(std::move(m));
    }
    for (node_id n : view_.node_ids())
      if (n != b.target && n != leaving()) r.participants.push_back(n);
  }
  for (node_id n : r.participants) r.seal_keys.emplace(n, sealing_key(n));
  if (r.kind == round_kind::recovery) r.seal_keys.emplace(r.target, sealing_key(r.target));
  last_round_id_ = b.round_id;
  round_ = std::move(r);
  fx.round_changed = true;
  return make(result_code::ok, "round begun");
}

command_result catalog::execute(const round_dealing& d, apply_effects& fx) {
  round_state* r = round_for(d.round_id, round_phase::dealing);
  if (r == nullptr) return make(result_code::invalid, "no such round in its dealing phase");
  if (!r->is_participant(d.dealer)) return make(result_code::invalid, "the dealer is not a participant");
  if (r->dealings.contains(d.dealer)) return make(result_code::invalid, "the dealer has dealt already");
  if (d.digests.size() != r->participants.size())
    return make(result_code::invalid, "one digest per participant is required");
  // A reshare's dealer deals its own shares (it must hold every version) and
  // commits to its mask's constant (a group element, not the identity);
  // nobody else commits to one.
  if (r->reshares(view_)) {
    if (!d.mask_commitment
        || !crypto::point::from_bytes({d.mask_commitment->data(), d.mask_commitment->size()},
                                     crypto::identity_policy::reject).ok())
      return make(result_code::invalid, "a reshare's dealing needs its mask commitment, a group element");
    if (!holds_all(d.dealer, r->secrets))
      return make(result_code::invalid, "the dealer does not hold every version: it cannot reshare");
  } else if (d.mask_commitment) {
    return make(result_code::invalid, "a mask commitment in a round that does not reshare");
  }
  if (!signed_by(view_, d.dealer, signed_part(view_.cluster_id, d), d.signature))
    return make(result_code::invalid, "the dealing's signature does not verify");
  r->dealings.emplace(d.dealer, d.digests);
  if (d.mask_commitment) r->mask_commitments.emplace(d.dealer, *d.mask_commitment);
  fx.round_changed = true;
  return make(result_code::ok, "dealing recorded");
}

command_result catalog::execute(const round_close& c, apply_effects& fx) {
  round_state* r = round_for(c.round_id, round_phase::dealing);
  if (r == nullptr) return make(result_code::invalid, "no such round in its dealing phase");
  const std::size_t dealers_min = r->dealers_min(view_);
  if (r->dealings.size() < dealers_min)
    return abort_round(abort_kind::too_few_dealings, std::to_string(r->dealings.size()) + " dealings, fewer than " + std::to_string(dealers_min), fx);
  byte_writer w;
  w.str("pss round challenge v1");
  w.str(view_.cluster_id);
  w.u8(static_cast<std::uint8_t>(r->kind));
  w.u64(r->id);
  w.u64(r->epoch.value());
  w.u64(r->target.value());
  w.u32(static_cast<std::uint32_t>(r->secrets.size()));
  for (const auto& [dealer, digests] : r->dealings) {
    r->dealers.push_back(dealer);
    w.u64(dealer.value());
    for (const auto& x : digests) w.raw({x.data(), x.size()});
    // A reshare's dealer is bound to its mask's constant before λ too.
    if (auto a = r->mask_commitments.find(dealer); a != r->mask_commitments.end())
      w.raw({a->second.data(), a->second.size()});
  }
  r->challenge = crypto::blake2b_256(w.data());
  r->phase = round_phase::responding;
  fx.round_changed = true;
  return make(result_code::ok, "dealings closed");
}

command_result catalog::execute(const round_response& resp, apply_effects& fx) {
  round_state* r = round_for(resp.round_id, round_phase::responding);
  if (r == nullptr) return make(result_code::invalid, "no such round in its responding phase");
  if (!r->is_participant(resp.receiver)) return make(result_code::invalid, "the receiver is not a participant");
  if (r->responses.contains(resp.receiver)) return make(result_code::invalid, "the receiver has responded already");
  if (resp.answers.size() != r->dealers.size())
    return make(result_code::invalid, "one answer per dealer is required");
  for (std::size_t i = 0; i < resp.answers.size(); ++i) {
    if (resp.answers[i].dealer != r->dealers[i]) return make(result_code::invalid, "answers out of dealer order");
    if (resp.answers[i].status == answer_status::ok
        && !crypto::scalar::from_bytes({resp.answers[i].y.data(), resp.answers[i].y.size()}).ok())
      return make(result_code::invalid, "an answer is not a canonical scalar");
  }
  // A dealer publishes its response polynomial (t-1 coefficients, the
  // round's t; a reshare's has its constant first, t in all) or nothing (it
  // lost its dealing and is left out); nobody else publishes one.
  const bool dealer = contains(r->dealers, resp.receiver);
  const std::size_t size = r->threshold - (r->reshares(view_) ? 0 : 1);
  if (!resp.polynomial.empty() && (!dealer || resp.polynomial.size() != size))
    return make(result_code::invalid, "a response polynomial of the wrong size, or from a non-dealer");
  for (const auto& c : resp.polynomial)
    if (!crypto::scalar::from_bytes({c.data(), c.size()}).ok())
      return make(result_code::invalid, "a polynomial coefficient is not a canonical scalar");
  if (!signed_by(view_, resp.receiver, signed_part(view_.cluster_id, resp), resp.signature))
    return make(result_code::invalid, "the response's signature does not verify");
  r->responses.emplace(resp.receiver, resp.answers);
  if (!resp.polynomial.empty()) r->polynomials.emplace(resp.receiver, resp.polynomial);
  fx.round_changed = true;
  return make(result_code::ok, "response recorded");
}

// The first qualify opens the disputes the responses raise; while any is
// open the round waits for reveals (phase disputing), and the leader's next
// qualify, once every dispute is decided or the phase timed out, decides.
command_result catalog::execute(const round_qualify& q, apply_effects& fx) {
  round_state* r = round_for(q.round_id, round_phase::responding);
  if (r == nullptr) r = round_for(q.round_id, round_phase::disputing);
  if (r == nullptr) return make(result_code::invalid, "no such round in its responding or disputing phase");
  if (r->phase == round_phase::responding) {
    if (const std::size_t open = open_disputes(*r); open > 0) {
      r->phase = round_phase::disputing;
      fx.round_changed = true;
      return make(result_code::ok, std::to_string(open) + " disputes: waiting for the dealers' reveals");
    }
  }
  return qualify(*r, fx);
}

command_result catalog::execute(const round_ready& rd, apply_effects& fx) {
  round_state* r = round_for(rd.round_id, round_phase::finishing);
  if (r == nullptr) return make(result_code::invalid, "no such round in its finishing phase");
  if (r->kind == round_kind::recovery) {
    if (rd.node != r->target) return make(result_code::invalid, "only the target completes a recovery");
    for (const auto& s : r->secrets) {
      auto it = secrets_.find(s.name);
      if (it == secrets_.end() || it->second.deleted) continue;
      auto v = it->second.versions.find(s.version);
      if (v == it->second.versions.end() || contains(v->second.holders, r->target)) continue;
      v->second.holders.push_back(r->target);
      std::sort(v->second.holders.begin(), v->second.holders.end());
    }
    ++stats_.recoveries;
    round_.reset();
    fx.round_changed = true;
    fx.round_finished = true;
    return make(result_code::ok, "recovered");
  }
  if (!contains(r->receivers, rd.node)) return make(result_code::invalid, "not a receiver of this round");
  if (contains(r->ready, rd.node)) return make(result_code::invalid, "ready already");
  r->ready.push_back(rd.node);
  std::sort(r->ready.begin(), r->ready.end());
  fx.round_changed = true;
  return make(result_code::ok, "ready recorded");
}

command_result catalog::execute(const round_commit& c, apply_effects& fx) {
  round_state* r = round_for(c.round_id, round_phase::finishing);
  if (r == nullptr || r->kind != round_kind::refresh)
    return make(result_code::invalid, "no such refresh round in its finishing phase");
  // Every version must keep enough ready holders, or the round aborts whole.
  for (const auto& s : r->secrets) {
    auto it = secrets_.find(s.name);
    if (it == secrets_.end() || it->second.deleted) continue;
    auto v = it->second.versions.find(s.version);
    if (v == it->second.versions.end()) continue;
    // As at creation, never leave a version one failure away from loss:
    // it keeps min(t+1, n) holders, or as many as it had if fewer. A holder
    // a reveal proved to be lying is faulty: its share never counted.
    // A member the round leaves out was asked to leave: not a failure.
    std::size_t kept = 0;
    std::size_t listed = 0;
    for (node_id h : v->second.holders) {
      if (contains(r->liars, h) || h == r->target) continue;
      ++listed;
      kept += contains(r->ready, h) ? 1 : 0;
    }
    const std::size_t floor = std::min<std::size_t>(view_.members.size(), r->threshold + std::size_t{1});
    std::size_t need = std::max<std::size_t>(r->threshold, std::min(floor, listed));
    // A reshare deals every ready receiver a share of every version, listed
    // before or not (docs/refresh.md §7.5).
    if (r->reshares(view_)) {
      kept = r->ready.size();
      need = std::max<std::size_t>(r->threshold, floor);
    }
    if (kept < need)
      return abort_round(abort_kind::holder_floor, s.name + " v" + std::to_string(s.version.value()) + " would keep " +
                           std::to_string(kept) + " holders, fewer than " + std::to_string(need), fx);
  }
  for (const auto& s : r->secrets) {
    auto it = secrets_.find(s.name);
    if (it == secrets_.end() || it->second.deleted) continue;
    auto v = it->second.versions.find(s.version);
    if (v == it->second.versions.end()) continue;
    if (r->reshares(view_)) v->second.holders = r->ready;
    else std::erase_if(v->second.holders, [&](node_id h) { return !contains(r->ready, h); });
    v->second.epoch = r->epoch;
  }
  view_.epoch = r->epoch;
  ++stats_.refresh_epochs_committed;
  reshare_backoff_ = false;
  note_refresh_committed(*r, fx);
  round_.reset();
  fx.round_changed = true;
  fx.round_finished = true;
  return make(result_code::ok, "committed");
}

command_result catalog::execute(const round_abort& a, apply_effects& fx) {
  if (!round_ || round_->id != a.round_id) return make(result_code::invalid, "no such round");
  return abort_round(abort_kind::recovery_timeout, a.reason, fx);
}

} // namespace pss::secrets
