#include "secrets/catalog.hpp"


#include <algorithm>
#include <set>

#include "crypto/envelope.hpp"
#include "crypto/feldman.hpp"

namespace pss::secrets {
namespace {

command_result make(result_code code, secret_version v, std::string message) {
  return command_result{code, v, std::move(message)};
}

} // namespace

std::size_t holders_min(const cluster_view& view) noexcept {
  return std::min<std::size_t>(view.members.size(), view.threshold + 1);
}

catalog::catalog(cluster_view view, const crypto::sign_public_key& admin, millis session_expiry)
  : view_(std::move(view)), policy_(access::policy::bootstrap(admin)), sessions_(session_expiry) {
  PSS_CHECK(view_.validate().ok());
  for (const member& m : view_.members) next_index_ = std::max(next_index_, m.index.value() + 1);
}

applied_command catalog::apply(const raft::entry& e) {
  PSS_CHECK(e.index > applied_);
  applied_ = e.index;
  applied_command out;
  if (e.kind == raft::entry_kind::config) apply_configuration(e, out.effects);
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

result<crypto::commitment> version_commitments(const version_record& rec, std::size_t threshold) {
  const bool dealt = rec.epoch == rec.dealt_epoch;
  // After a refresh only C_0 is used, and t may have been raised or lowered
  // since the version was dealt (docs/refresh.md §7.4, §7.5).
  return crypto::commitment::decode(rec.commitments, dealt ? threshold : crypto::threshold_min,
                                    dealt ? threshold : crypto::shares_max);
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
  // A member being removed is listed for nothing new (docs/refresh.md §7.3),
  // nor is a node the view no longer has (a client's view can be older):
  // the rest must still be enough. A copy only then: a register is large.
  const auto unlisted = [&](node_id h) { return h == leaving() || view_.find(h) == nullptr; };
  if (std::any_of(r.holders.begin(), r.holders.end(), unlisted)) {
    register_secret kept = r;
    std::erase_if(kept.holders, unlisted);
    return execute(kept, fx);
  }
  // While the round that changes t runs, a version dealt for the old t
  // would miss it and keep the old t (docs/refresh.md §7.4, §7.5).
  if (threshold_round_running())
    return make(result_code::invalid, {}, "t is being " + threshold_change()
                                         + ": put again once the round that changes it commits (pss status)");
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
  // A reshare's check needs the C_0 of every version it deals (§7.5).
  if (threshold_round_running() && round_->reshares(view_))
    return make(result_code::invalid, {}, "t is being " + threshold_change()
                                            + ": delete again once the round that changes it commits (pss status)");
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

} // namespace pss::secrets
