#include "secrets/catalog.hpp"


#include <algorithm>
#include <set>

#include "crypto/envelope.hpp"
#include "crypto/feldman.hpp"

namespace pss::secrets {
namespace {

// 3: rejoins; 4: the access policy; 5: round disputes; 6: shares_lost nonces;
// 7: the retired dealings
constexpr std::uint32_t snapshot_format = 7;
constexpr std::uint32_t snapshot_format_oldest = 4;

command_result make(result_code code, secret_version v, std::string message) {
  return command_result{code, v, std::move(message)};
}

void encode_ids(byte_writer& w, const std::vector<node_id>& ids) {
  w.u32(static_cast<std::uint32_t>(ids.size()));
  for (auto n : ids) w.u64(n.value());
}

std::vector<node_id> decode_ids(byte_reader& r) {
  std::vector<node_id> out;
  const auto n = r.u32();
  if (n > members_max) {
    r.fail("more ids than members_max");
    return out;
  }
  for (std::uint32_t i = 0; i < n && r.ok(); ++i) out.push_back(node_id{r.u64()});
  return out;
}

void encode_round(byte_writer& w, const round_state& s) {
  w.u8(static_cast<std::uint8_t>(s.kind));
  w.u64(s.id);
  w.u64(s.target.value());
  w.u64(s.epoch.value());
  w.u8(static_cast<std::uint8_t>(s.phase));
  encode_ids(w, s.participants);
  w.u32(static_cast<std::uint32_t>(s.secrets.size()));
  for (const auto& x : s.secrets) {
    w.str(x.name);
    w.u64(x.version.value());
  }
  w.u32(static_cast<std::uint32_t>(s.dealings.size()));
  for (const auto& [dealer, digests] : s.dealings) {
    w.u64(dealer.value());
    w.u32(static_cast<std::uint32_t>(digests.size()));
    for (const auto& d : digests) w.raw({d.data(), d.size()});
  }
  encode_ids(w, s.dealers);
  w.raw({s.challenge.data(), s.challenge.size()});
  w.u32(static_cast<std::uint32_t>(s.responses.size()));
  for (const auto& [receiver, answers] : s.responses) {
    w.u64(receiver.value());
    w.u32(static_cast<std::uint32_t>(answers.size()));
    for (const auto& a : answers) {
      w.u64(a.dealer.value());
      w.u8(static_cast<std::uint8_t>(a.status));
      w.raw({a.y.data(), a.y.size()});
    }
  }
  encode_ids(w, s.qualified);
  encode_ids(w, s.receivers);
  encode_ids(w, s.ready);
  w.u32(static_cast<std::uint32_t>(s.polynomials.size()));
  for (const auto& [dealer, q] : s.polynomials) {
    w.u64(dealer.value());
    w.u32(static_cast<std::uint32_t>(q.size()));
    for (const auto& c : q) w.raw({c.data(), c.size()});
  }
  w.u32(static_cast<std::uint32_t>(s.disputes.size()));
  for (const auto& d : s.disputes) {
    w.u64(d.dealer.value());
    w.u64(d.receiver.value());
    w.u8(static_cast<std::uint8_t>(d.verdict));
    w.blob({d.revealed.data(), d.revealed.size()});
    w.raw({d.sum.data(), d.sum.size()});
    w.raw({d.mask.data(), d.mask.size()});
  }
  encode_ids(w, s.convicted);
  encode_ids(w, s.liars);
}

// Format 5's additions to a round: polynomials, disputes and verdicts.
void decode_round_disputes(byte_reader& r, round_state& s) {
  const auto polynomials = r.u32();
  if (polynomials > members_max) return r.fail("too many polynomials");
  for (std::uint32_t i = 0; i < polynomials && r.ok(); ++i) {
    const node_id dealer{r.u64()};
    const auto n = r.u32();
    if (n > members_max) return r.fail("too many coefficients");
    std::vector<scalar_bytes> q(n);
    for (auto& c : q) r.raw_into(c);
    s.polynomials.emplace(dealer, std::move(q));
  }
  const auto disputes = r.u32();
  if (disputes > members_max * members_max) return r.fail("too many disputes");
  for (std::uint32_t i = 0; i < disputes && r.ok(); ++i) {
    round_dispute& d = s.disputes.emplace_back();
    d.dealer = node_id{r.u64()};
    d.receiver = node_id{r.u64()};
    const auto verdict = r.u8();
    if (verdict > static_cast<std::uint8_t>(dispute_verdict::receiver_lied)) return r.fail("unknown verdict");
    d.verdict = static_cast<dispute_verdict>(verdict);
    auto revealed = r.blob(reveal_chunks_max);
    d.revealed.assign(revealed.begin(), revealed.end());
    r.raw_into(d.sum);
    r.raw_into(d.mask);
  }
  s.convicted = decode_ids(r);
  s.liars = decode_ids(r);
}

result<round_state> decode_round(byte_reader& r, const cluster_view& view, std::uint32_t format) {
  round_state s;
  const auto kind = r.u8();
  if (kind != 1 && kind != 2) return error{errc::malformed, "a snapshot's round has an unknown kind"};
  s.kind = static_cast<round_kind>(kind);
  s.id = r.u64();
  s.target = node_id{r.u64()};
  s.epoch = epoch_id{r.u64()};
  const auto phase = r.u8();
  if (phase < 1 || phase > 4) return error{errc::malformed, "a snapshot's round has an unknown phase"};
  s.phase = static_cast<round_phase>(phase);
  s.participants = decode_ids(r);
  const auto secrets = r.u32();
  if (secrets > secrets_max_decode * versions_kept_max) return error{errc::too_large, "a round with too many secrets"};
  for (std::uint32_t i = 0; i < secrets && r.ok(); ++i) {
    round_secret x;
    x.name = r.str(secret_name_bytes_max);
    x.version = secret_version{r.u64()};
    s.secrets.push_back(std::move(x));
  }
  const auto dealings = r.u32();
  if (dealings > members_max) return error{errc::malformed, "too many dealings"};
  for (std::uint32_t i = 0; i < dealings && r.ok(); ++i) {
    const node_id dealer{r.u64()};
    const auto n = r.u32();
    if (n > members_max) return error{errc::malformed, "too many digests"};
    std::vector<digest> ds(n);
    for (auto& d : ds) r.raw_into(d);
    s.dealings.emplace(dealer, std::move(ds));
  }
  s.dealers = decode_ids(r);
  r.raw_into(s.challenge);
  const auto responses = r.u32();
  if (responses > members_max) return error{errc::malformed, "too many responses"};
  for (std::uint32_t i = 0; i < responses && r.ok(); ++i) {
    const node_id receiver{r.u64()};
    const auto n = r.u32();
    if (n > members_max) return error{errc::malformed, "too many answers"};
    std::vector<dealer_answer> answers(n);
    for (auto& a : answers) {
      a.dealer = node_id{r.u64()};
      const auto st = r.u8();
      if (st > 2) r.fail("unknown answer status");
      a.status = static_cast<answer_status>(st);
      r.raw_into(a.y);
    }
    s.responses.emplace(receiver, std::move(answers));
  }
  s.qualified = decode_ids(r);
  s.receivers = decode_ids(r);
  s.ready = decode_ids(r);
  if (format >= 5) decode_round_disputes(r, s);
  if (!r.ok()) return error{errc::malformed, "a snapshot's round does not decode"};
  for (node_id n : s.participants)
    if (view.find(n) == nullptr) return error{errc::malformed, "a snapshot's round names a non-member"};
  return s;
}

} // namespace

std::size_t holders_min(const cluster_view& view) noexcept {
  return std::min<std::size_t>(view.members.size(), view.threshold + 1);
}

catalog::catalog(cluster_view view, const crypto::sign_public_key& admin, millis session_expiry)
  : view_(std::move(view)), policy_(access::policy::bootstrap(admin)), sessions_(session_expiry) {
  PSS_CHECK(view_.validate().ok());
}

applied_command catalog::apply(const raft::entry& e) {
  PSS_CHECK(e.index > applied_);
  applied_ = e.index;
  applied_command out;
  if (e.kind == raft::entry_kind::config) apply_configuration(e);
  if (e.kind != raft::entry_kind::command) return out;
  auto decoded = decode_command(e.data);
  if (!decoded.ok()) {
    out.result = make(result_code::invalid, {}, "the entry does not decode: " + decoded.err().message());
    return out;
  }
  command& c = *decoded;
  if (is_node_command(c.body)) {
    // Rounds are named by id and phase, so a duplicate is refused by them.
    out.result = std::visit(
      [&](const auto& body) {
        if constexpr (std::is_same_v<std::decay_t<decltype(body)>, access_change>) {
          PSS_UNREACHABLE(); // a client command, never a node's
          return command_result{};
        } else {
          return execute(body, out.effects);
        }
      },
      c.body);
    return out;
  }
  out.session = c.session;
  sessions_.expire(c.session.leader_time);
  const auto look = sessions_.check(c.session.client, c.session.sequence);
  switch (look.kind) {
    case raft::session_table::verdict::duplicate: {
      auto cached = command_result_from_bytes(*look.cached);
      PSS_CHECK(cached.ok());
      out.result = *cached;
      return out;
    }
    case raft::session_table::verdict::stale:
      out.result = make(result_code::stale, {}, "an older request of this session");
      return out;
    case raft::session_table::verdict::expired:
      out.result = make(result_code::session_expired, {},
                        "the session is unknown or expired; start again at sequence 1");
      return out;
    case raft::session_table::verdict::fresh: break;
  }
  out.result = std::visit(
    [&](const auto& body) {
      if constexpr (std::is_same_v<std::decay_t<decltype(body)>, access_change>)
        return execute(body, c.session, out.effects);
      else
        return execute(body, out.effects);
    },
    c.body);
  sessions_.record(c.session.client, c.session.sequence, to_bytes(out.result), c.session.leader_time);
  return out;
}

status catalog::validate(const register_secret& r, digest& out) const {
  if (r.name.empty() || r.name.size() > secret_name_bytes_max)
    return error{errc::invalid_argument, "a secret name must be 1.." +
                 std::to_string(secret_name_bytes_max) + " bytes"};
  // A put dealt just before a refresh committed keeps its epoch and joins
  // the next round; anything older is refused.
  if (r.epoch != view_.epoch && r.epoch.next() != view_.epoch)
    return error{errc::mismatch, "dealt for epoch " + std::to_string(r.epoch.value()) +
                 " but the cluster is in epoch " + std::to_string(view_.epoch.value())};
  auto c = crypto::commitment::decode(r.commitments, view_.threshold);
  if (!c.ok()) return error{errc::malformed, "commitments: " + c.err().message()};
  if (!crypto::envelope::decode(r.ciphertext).ok())
    return error{errc::malformed, "the envelope does not parse"};
  std::set<node_id> seen;
  for (auto h : r.holders) {
    if (view_.find(h) == nullptr)
      return error{errc::invalid_argument, "holder " + std::to_string(h.value()) + " is not a member"};
    if (!seen.insert(h).second) return error{errc::duplicate, "a holder listed twice"};
  }
  if (seen.size() < holders_min(view_))
    return error{errc::insufficient, std::to_string(seen.size()) + " holders, need " +
                 std::to_string(holders_min(view_))};
  out = c->digest();
  return ok_status();
}

command_result catalog::execute(const register_secret& r, apply_effects& fx) {
  digest d{};
  if (auto v = validate(r, d); !v.ok()) return make(result_code::invalid, {}, v.err().message());
  secret_record& s = secrets_[r.name];
  // One dealing, one version: the shares on the holders are keyed by its
  // digest until this entry names their version.
  for (const auto& [number, kept] : s.versions)
    if (kept.commitments_digest == d)
      return make(result_code::conflict, number,
                  "this dealing is already registered as version " + std::to_string(number.value()));
  if (dealing_retired(r.name, d))
    return make(result_code::invalid, {}, "this dealing was registered and has since been deleted or dropped; deal again");
  const secret_version version = s.latest.next();
  s.latest = version;
  s.deleted = false;
  std::vector<node_id> holders = r.holders;
  std::sort(holders.begin(), holders.end());
  s.versions[version] = version_record{version, r.epoch, r.epoch, r.commitments, r.ciphertext,
                                       std::move(holders), version_state::live, d};
  while (s.versions.size() > versions_kept_max) {
    fx.dropped_versions.emplace_back(r.name, s.versions.begin()->first);
    retire(r.name, s.versions.begin()->second.commitments_digest);
    s.versions.erase(s.versions.begin());
  }
  fx.registered = apply_effects::registered_version{r.name, version, r.epoch, d};
  return make(result_code::ok, version, "registered");
}

command_result catalog::execute(const delete_secret& d, apply_effects& fx) {
  auto it = secrets_.find(d.name);
  if (it == secrets_.end() || it->second.deleted)
    return make(result_code::not_found, {}, "no secret named this");
  it->second.deleted = true;
  for (const auto& [number, kept] : it->second.versions) retire(d.name, kept.commitments_digest);
  it->second.versions.clear();
  fx.deleted_name = d.name;
  return make(result_code::ok, it->second.latest, "deleted");
}

const secret_record* catalog::find(const std::string& name) const {
  auto it = secrets_.find(name);
  return it == secrets_.end() ? nullptr : &it->second;
}

result<version_record> catalog::lookup(const std::string& name, secret_version version) const {
  const secret_record* s = find(name);
  if (s == nullptr) return error{errc::not_found, "unknown secret"};
  if (s->deleted) return error{errc::not_found, "deleted secret"};
  const secret_version want = version == secret_version{} ? s->latest : version;
  auto it = s->versions.find(want);
  if (it == s->versions.end())
    return error{errc::not_found, "version " + std::to_string(want.value()) + " not found"};
  return it->second;
}

// Every register asks, on every node: an index, not a scan of the 4,096
// (a scan was 3 % of a calm simulation and about as much of a node's put).
bool catalog::dealing_retired(const std::string& name, const digest& d) const {
  return retired_index_.contains(std::pair{d, name});
}

void catalog::retire(const std::string& name, const digest& d) {
  if (retired_.size() >= retired_dealings_max) {
    const auto& [old_name, old_d] = retired_.front();
    retired_index_.erase(retired_index_.find(std::pair{old_d, old_name}));
    retired_.pop_front();
  }
  retired_.emplace_back(name, d);
  retired_index_.emplace(d, name);
  PSS_CHECK(retired_.size() <= retired_dealings_max);
  PSS_CHECK(retired_index_.size() == retired_.size());
}

std::vector<list_item> catalog::list() const {
  std::vector<list_item> out;
  for (const auto& [name, s] : secrets_) out.push_back(list_item{name, s.latest, s.deleted});
  return out;
}

bytes catalog::snapshot() const {
  byte_writer w;
  w.u32(snapshot_format);
  w.u64(applied_.value());
  encode(w, view_);
  policy_.encode(w);
  changes_.encode(w);
  w.u32(static_cast<std::uint32_t>(secrets_.size()));
  for (const auto& [name, s] : secrets_) {
    w.str(name);
    w.u64(s.latest.value());
    w.u8(s.deleted ? 1 : 0);
    w.u32(static_cast<std::uint32_t>(s.versions.size()));
    for (const auto& [v, rec] : s.versions) {
      w.u64(v.value());
      w.u64(rec.epoch.value());
      w.u64(rec.dealt_epoch.value());
      w.blob(rec.commitments);
      w.blob(rec.ciphertext);
      w.u32(static_cast<std::uint32_t>(rec.holders.size()));
      for (auto h : rec.holders) w.u64(h.value());
      w.u8(static_cast<std::uint8_t>(rec.state));
    }
  }
  sessions_.encode(w);
  w.u64(last_round_id_);
  w.u64(stats_.refresh_epochs_committed);
  w.u64(stats_.rounds_aborted);
  w.u64(stats_.recoveries);
  w.u64(stats_.dealers_excluded);
  w.u64(stats_.rejoins);
  w.u64(stats_.complaints_resolved);
  w.u64(stats_.dealers_convicted);
  w.u64(stats_.liars_excluded);
  w.u64(stats_.disputes_unanswered);
  w.u32(static_cast<std::uint32_t>(rejoins_.size()));
  for (const auto& [n, r] : rejoins_) {
    w.u64(n.value());
    w.u32(static_cast<std::uint32_t>(r.nonces.size()));
    for (auto x : r.nonces) w.u64(x);
    w.u8(static_cast<std::uint8_t>((r.removed ? 1 : 0) | (r.done ? 2 : 0)));
  }
  w.u64(stats_.shares_lost_replayed);
  w.u64(stats_.holder_floor_refusals);
  w.u32(static_cast<std::uint32_t>(lost_nonces_.size()));
  for (const auto& [n, nonces] : lost_nonces_) {
    w.u64(n.value());
    w.u32(static_cast<std::uint32_t>(nonces.size()));
    for (auto x : nonces) w.u64(x);
  }
  w.u32(static_cast<std::uint32_t>(retired_.size()));
  for (const auto& [name, d] : retired_) {
    w.str(name);
    w.raw(d);
  }
  w.u8(round_ ? 1 : 0);
  if (round_) encode_round(w, *round_);
  return w.take();
}

status catalog::restore_lost_nonces(byte_reader& r, catalog& out) {
  out.stats_.shares_lost_replayed = r.u64();
  out.stats_.holder_floor_refusals = r.u64();
  const auto nodes = r.u32();
  if (nodes > members_max) return error{errc::malformed, "a snapshot with shares_lost nonces of more nodes than members"};
  for (std::uint32_t i = 0; i < nodes && r.ok(); ++i) {
    const node_id n{r.u64()};
    const auto count = r.u32();
    if (count > rejoin_nonces_kept_max) return error{errc::malformed, "a snapshot keeps too many shares_lost nonces"};
    std::vector<std::uint64_t> nonces;
    for (std::uint32_t k = 0; k < count && r.ok(); ++k) nonces.push_back(r.u64());
    if (r.ok() && out.view_.find(n) == nullptr) return error{errc::malformed, "a snapshot's shares_lost names a non-member"};
    out.lost_nonces_.emplace(n, std::move(nonces));
  }
  return {};
}

result<catalog> catalog::restore(byte_view data) {
  byte_reader r{data};
  const auto format = r.u32();
  if (format < snapshot_format_oldest || format > snapshot_format)
    return error{errc::malformed, "unknown catalog snapshot format " + std::to_string(format)};
  const log_index applied{r.u64()};
  auto view = decode_cluster_view(r);
  if (!view.ok()) return view.err();
  auto policy = access::policy::decode(r);
  if (!policy.ok()) return policy.err();
  auto changes = access::change_ledger::decode(r);
  if (!changes.ok()) return changes.err();
  catalog out{std::move(*view), policy->grants().front().key}; // any key: replaced below
  out.policy_ = std::move(*policy);
  out.changes_ = std::move(*changes);
  out.applied_ = applied;
  const auto count = r.u32();
  if (count > secrets_max_decode) return error{errc::too_large, "a catalog with too many secrets"};
  for (std::uint32_t i = 0; i < count && r.ok(); ++i) {
    std::string name = r.str(secret_name_bytes_max);
    secret_record s;
    s.latest = secret_version{r.u64()};
    s.deleted = r.u8() != 0;
    const auto versions = r.u32();
    if (versions > versions_kept_max) return error{errc::malformed, "too many versions of a secret"};
    for (std::uint32_t j = 0; j < versions && r.ok(); ++j) {
      version_record rec;
      rec.version = secret_version{r.u64()};
      rec.epoch = epoch_id{r.u64()};
      rec.dealt_epoch = epoch_id{r.u64()};
      auto c = r.blob(commitments_bytes_max);
      rec.commitments.assign(c.begin(), c.end());
      auto e = r.blob(ciphertext_bytes_max);
      rec.ciphertext.assign(e.begin(), e.end());
      const auto holders = r.u32();
      if (holders > holders_max) return error{errc::malformed, "too many holders"};
      for (std::uint32_t k = 0; k < holders && r.ok(); ++k) rec.holders.push_back(node_id{r.u64()});
      const auto state = r.u8();
      if (state > static_cast<std::uint8_t>(version_state::deleted)) r.fail("unknown version state");
      rec.state = static_cast<version_state>(state);
      if (!r.ok()) break;
      auto decoded = crypto::commitment::decode(rec.commitments, out.view_.threshold);
      if (!decoded.ok()) return error{errc::malformed, "a snapshot's commitments: " + decoded.err().message()};
      rec.commitments_digest = decoded->digest();
      s.versions.emplace(rec.version, std::move(rec));
    }
    out.secrets_.emplace(std::move(name), std::move(s));
  }
  auto sessions = raft::session_table::decode(r);
  if (!sessions.ok()) return sessions.err();
  out.sessions_ = std::move(*sessions);
  out.last_round_id_ = r.u64();
  out.stats_.refresh_epochs_committed = r.u64();
  out.stats_.rounds_aborted = r.u64();
  out.stats_.recoveries = r.u64();
  out.stats_.dealers_excluded = r.u64();
  out.stats_.rejoins = r.u64();
  if (format >= 5) {
    out.stats_.complaints_resolved = r.u64();
    out.stats_.dealers_convicted = r.u64();
    out.stats_.liars_excluded = r.u64();
    out.stats_.disputes_unanswered = r.u64();
  }
  const auto rejoins = r.u32();
  if (rejoins > members_max) return error{errc::malformed, "a snapshot with more rejoins than members"};
  for (std::uint32_t i = 0; i < rejoins && r.ok(); ++i) {
    const node_id n{r.u64()};
    rejoin_record rec;
    const auto nonces = r.u32();
    if (nonces > rejoin_nonces_kept_max) return error{errc::malformed, "a snapshot's rejoin keeps too many nonces"};
    for (std::uint32_t k = 0; k < nonces && r.ok(); ++k) rec.nonces.push_back(r.u64());
    const auto flags = r.u8();
    if (flags > 3) r.fail("unknown rejoin flags");
    rec.removed = (flags & 1) != 0;
    rec.done = (flags & 2) != 0;
    if (r.ok() && out.view_.find(n) == nullptr) return error{errc::malformed, "a snapshot's rejoin names a non-member"};
    out.rejoins_.emplace(n, std::move(rec));
  }
  if (format >= 6) PSS_TRY(restore_lost_nonces(r, out));
  if (format >= 7) {
    const auto retired = r.u32();
    if (retired > retired_dealings_max) return error{errc::malformed, "a snapshot with too many retired dealings"};
    for (std::uint32_t i = 0; i < retired && r.ok(); ++i) {
      auto& [name, d] = out.retired_.emplace_back();
      name = r.str(secret_name_bytes_max);
      r.raw_into(d);
      out.retired_index_.emplace(d, name);
    }
  }
  if (r.u8() != 0) {
    auto round = decode_round(r, out.view_, format);
    if (!round.ok()) return round.err();
    out.round_ = std::move(*round);
  }
  PSS_TRY(r.finish("catalog snapshot"));
  return out;
}

} // namespace pss::secrets
