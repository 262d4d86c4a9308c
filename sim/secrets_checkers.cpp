#include "sim/secrets_checkers.hpp"

#include <algorithm>

#include "crypto/batch.hpp"
#include "crypto/decode.hpp"
#include "crypto/envelope.hpp"
#include "crypto/feldman.hpp"
#include "sim/needle_scan.hpp"
#include "storage/sim_disk.hpp"

namespace pss::sim {

namespace {

std::string label(const std::string& name, secret_version v) {
  return name + "@v" + std::to_string(v.value());
}

} // namespace

namespace {

// The current-epoch shares of every live node the catalog lists as a holder
// of (name, version). Each listed live holder must hold its share, and
// before any refresh it must verify against the Feldman commitments on its
// own: a listed holder without a good share is a violation even when t
// others remain (an ack before fsync, a share erased too early).
std::vector<crypto::share> listed_holder_shares(const std::vector<const secrets::node_engine*>& live,
                                                const acked_secret& a, const secrets::version_record& r,
                                                const crypto::commitment& commitments,
                                                std::vector<std::string>& violations) {
  const bool refreshed = r.epoch != r.dealt_epoch;
  std::vector<crypto::share> shares;
  for (const auto* n : live) {
    if (std::find(r.holders.begin(), r.holders.end(), n->id()) == r.holders.end()) continue;
    const std::string holder = "n" + std::to_string(n->id().value());
    auto h = n->shares().share_value(secrets::share_key{a.name, a.version, r.epoch, r.commitments_digest});
    if (!h)
      violations.push_back("secrets: listed holder " + holder + " lacks its epoch-" + std::to_string(r.epoch.value())
                           + " share of acknowledged " + label(a.name, a.version));
    else if (!refreshed && !commitments.verify(*h).ok())
      violations.push_back("secrets: listed holder " + holder + "'s share of acknowledged " + label(a.name, a.version)
                           + " does not verify");
    else
      shares.push_back(*h);
  }
  return shares;
}

// k from the holders' shares: every share must fit one polynomial whose
// constant is the committed key (after a refresh, t shares of the new epoch
// reconstruct it); before a refresh, Feldman-verified interpolation.
std::optional<crypto::scalar> rebuild_key(const std::vector<crypto::share>& shares, const acked_secret& a,
                                          const secrets::version_record& r, const crypto::commitment& commitments,
                                          std::size_t t, std::vector<std::string>& violations) {
  if (shares.size() < t) {
    violations.push_back("secrets: acknowledged " + label(a.name, a.version) + " is unreadable: "
                         + std::to_string(shares.size()) + " good live shares on live holders, t = " + std::to_string(t));
    return std::nullopt;
  }
  if (r.epoch != r.dealt_epoch) {
    auto rebuilt = crypto::reconstruct_with_constant(shares, t, commitments.constant_term());
    if (rebuilt.ok() && rebuilt->misfits.empty()) return rebuilt->secret;
    violations.push_back("secrets: the epoch-" + std::to_string(r.epoch.value()) + " shares of acknowledged "
                         + label(a.name, a.version) + " do not reconstruct the committed key"
                         + (rebuilt.ok() ? " (a holder's share does not fit)" : ""));
    return std::nullopt;
  }
  auto rebuilt = crypto::reconstruct(commitments, shares);
  if (rebuilt.ok()) return rebuilt->secret;
  violations.push_back("secrets: acknowledged " + label(a.name, a.version) + " does not reconstruct");
  return std::nullopt;
}

// A version of threshold t lies on a polynomial of degree t-1: t-1 of its
// shares must not rebuild the key. (They do, with overwhelming
// probability, only when the degree is lower: a raise of t that dealt for
// the old t, docs/refresh.md §7.4.)
void check_degree(const std::vector<crypto::share>& shares, const acked_secret& a,
                  const crypto::commitment& commitments, std::size_t t, std::vector<std::string>& violations) {
  if (t <= crypto::threshold_min || shares.size() < t - 1) return;
  const std::vector<crypto::share> fewer(shares.begin(), shares.begin() + static_cast<std::ptrdiff_t>(t - 1));
  if (!crypto::reconstruct_with_constant(fewer, t - 1, commitments.constant_term()).ok()) return;
  violations.push_back("secrets: " + std::to_string(t - 1) + " shares of acknowledged " + label(a.name, a.version)
                       + " rebuild its key, with t = " + std::to_string(t));
}

// Opens the version's envelope with k and compares with what was put.
bool opens_to_value(const crypto::scalar& key, const acked_secret& a, const secrets::version_record& r,
                    const secrets::cluster_view& view, std::vector<std::string>& violations) {
  auto env = crypto::envelope::decode(r.ciphertext);
  if (!env.ok()) {
    violations.push_back("secrets: the envelope of acknowledged " + label(a.name, a.version) + " does not parse");
    return false;
  }
  auto opened = crypto::envelope_open(
    key, *env, crypto::envelope_context{view.cluster_id, a.name, secret_version{}, &r.commitments_digest});
  if (!opened.ok()) {
    violations.push_back("secrets: the envelope of acknowledged " + label(a.name, a.version) + " does not open");
    return false;
  }
  const byte_view got = opened->view();
  if (std::equal(got.begin(), got.end(), a.value.begin(), a.value.end())) return true;
  violations.push_back("secrets: acknowledged " + label(a.name, a.version) + " reads back a different value");
  return false;
}

} // namespace

secrets_check_result check_secrets_read_back(const std::vector<const secrets::node_engine*>& live,
                                             const secrets::cluster_view& view,
                                             const std::vector<acked_secret>& acked) {
  secrets_check_result out;
  if (acked.empty()) return out;
  const secrets::node_engine* ahead = nullptr;
  for (const auto* n : live)
    if (!ahead || n->raft().applied_index() > ahead->raft().applied_index()) ahead = n;
  if (!ahead) {
    out.violations.push_back("secrets: no live node to read acknowledged secrets back from");
    return out;
  }
  const secrets::catalog& cat = ahead->state();
  for (const auto& a : acked) {
    const secrets::secret_record* rec = cat.find(a.name);
    if (rec && rec->deleted) continue; // deleted since: checked by check_deleted
    if (!rec || a.version > rec->latest) {
      out.violations.push_back("secrets: acknowledged " + label(a.name, a.version) + " is not in the catalog");
      continue;
    }
    auto v = rec->versions.find(a.version);
    if (v == rec->versions.end()) {
      ++out.retired;
      continue;
    }
    const secrets::version_record& r = v->second;
    // t as the catalog read from has it: an admin may have raised it.
    const std::size_t t = cat.view().threshold;
    auto commitments = secrets::version_commitments(r, t);
    if (!commitments.ok()) {
      out.violations.push_back("secrets: the commitments of " + label(a.name, a.version) + " do not parse");
      continue;
    }
    const auto shares = listed_holder_shares(live, a, r, *commitments, out.violations);
    auto key = rebuild_key(shares, a, r, *commitments, t, out.violations);
    if (key) check_degree(shares, a, *commitments, t, out.violations);
    if (key && opens_to_value(*key, a, r, view, out.violations)) ++out.verified;
  }
  return out;
}

void wipe_share_journal(storage::sim_disk& disk) {
  auto files = disk.list_directory("/data/shares");
  if (!files.ok()) return;
  for (const auto& f : *files) (void)disk.remove("/data/shares/" + f);
  (void)disk.sync_directory("/data/shares");
}

void holder_checker::on_data_lost(node_id node) {
  auto& held = held_[node];
  lost_[node].insert(held.begin(), held.end());
  held.clear();
}

void holder_checker::observe(const secrets::node_engine& node, std::vector<std::string>& violations) {
  auto& held = held_[node.id()];
  for (const auto& info : node.shares().inventory()) held.emplace(info.key.name, info.key.commitments_digest);
  const auto lost = lost_.find(node.id());
  for (const auto& [name, s] : node.state().secrets())
    for (const auto& [v, rec] : s.versions) {
      if (std::find(rec.holders.begin(), rec.holders.end(), node.id()) == rec.holders.end()) continue;
      if (lost != lost_.end() && lost->second.contains(dealing_key{name, rec.commitments_digest})) continue;
      ++checked_;
      if (!node.shares().holds_live_from(name, v, rec.epoch, rec.commitments_digest))
        violations.push_back("holders: n" + std::to_string(node.id().value()) + " is a listed holder of "
                             + label(name, v) + " (epoch " + std::to_string(rec.epoch.value())
                             + ") but holds no live share of it");
    }
}


void share_epoch_checker::observe(const secrets::node_engine& node, std::vector<std::string>& violations) {
  const secrets::catalog& cat = node.state();
  const std::string who = "n" + std::to_string(node.id().value());
  for (const auto& info : node.shares().inventory()) {
    const auto& k = info.key;
    // A client's share waits at version 0 until its register is applied: it
    // is no version's share yet. Once moved, the version it got is noted.
    if (k.version == secret_version{}) continue;
    if (assigned_.size() < assigned_max) assigned_.emplace(std::pair{k.name, k.commitments_digest}, k.version);
    auto rec = cat.lookup(k.name, k.version);
    if (!rec.ok() || rec->commitments_digest != k.commitments_digest) continue;
    if (k.epoch < rec->epoch)
      violations.push_back("refresh: " + who + " still holds its epoch-" + std::to_string(k.epoch.value()) + " share of "
                           + label(k.name, k.version) + " after applying epoch " + std::to_string(rec->epoch.value()));
    auto value = node.shares().share_value(k);
    if (!value) continue;
    bytes v(value->value.bytes().begin(), value->value.bytes().end());
    const key here{node.id(), k.name, k.version, k.epoch};
    if (seen_.contains(here)) continue;
    // The same value under another epoch means the share did not change.
    for (auto it = seen_.lower_bound(key{node.id(), k.name, k.version, epoch_id{}});
         it != seen_.end() && it->first.node == node.id() && it->first.name == k.name && it->first.version == k.version;
         ++it)
      if (it->second == v)
        violations.push_back("refresh: " + who + "'s share of " + label(k.name, k.version) + " did not change from epoch "
                             + std::to_string(it->first.epoch.value()) + " to " + std::to_string(k.epoch.value()));
    seen_.emplace(here, std::move(v));
  }
}

void share_epoch_checker::observe_round_material(const secrets::node_engine& node,
                                                 std::vector<std::string>& violations) const {
  if (!node.state().round() && node.holds_round_material())
    violations.push_back("refresh: n" + std::to_string(node.id().value())
                         + " still holds sub-shares or masked values after its round ended");
}

void share_epoch_checker::check_disk(const secrets::node_engine& node, const storage::sim_disk& disk,
                                     std::vector<std::string>& violations) const {
  const secrets::catalog& cat = node.state();
  std::vector<std::pair<const key*, epoch_id>> old;
  needle_set needles;
  for (auto it = seen_.lower_bound(key{node.id(), {}, {}, {}}); it != seen_.end() && it->first.node == node.id(); ++it) {
    auto rec = cat.lookup(it->first.name, it->first.version);
    if (!rec.ok() || it->first.epoch >= rec->epoch) continue;
    needles.add(it->second, old.size());
    old.emplace_back(&it->first, rec->epoch);
  }
  std::vector<bool> found;
  needles.scan_durable(disk, "/", found);
  for (std::size_t i = 0; i < old.size(); ++i)
    if (i < found.size() && found[i])
      violations.push_back("refresh: n" + std::to_string(node.id().value()) + "'s epoch-"
                           + std::to_string(old[i].first->epoch.value()) + " share of "
                           + label(old[i].first->name, old[i].first->version) + " is still on its disk after epoch "
                           + std::to_string(old[i].second.value()));
}

void share_epoch_checker::check_deleted(const secrets::node_engine& node, const storage::sim_disk& disk,
                                        const std::map<std::string, secret_version>& deleted,
                                        std::vector<std::string>& violations) const {
  const std::string who = "n" + std::to_string(node.id().value());
  for (const auto& info : node.shares().inventory()) {
    auto d = deleted.find(info.key.name);
    if (d == deleted.end()) continue;
    // A version-0 share is of a deleted version if any node was seen holding
    // its dealing under that version (a late store of it); otherwise it may
    // be a put racing the delete, whose register comes after it.
    secret_version version = info.key.version;
    if (version == secret_version{}) {
      auto a = assigned_.find(std::pair{info.key.name, info.key.commitments_digest});
      if (a == assigned_.end()) continue;
      version = a->second;
    }
    if (version <= d->second)
      violations.push_back("delete: " + who + " still holds its share of " + label(info.key.name, version)
                           + " after the delete of " + info.key.name + " was acknowledged");
  }
  std::vector<const key*> gone;
  needle_set needles;
  for (auto it = seen_.lower_bound(key{node.id(), {}, {}, {}}); it != seen_.end() && it->first.node == node.id(); ++it) {
    auto d = deleted.find(it->first.name);
    if (d == deleted.end() || it->first.version > d->second) continue;
    needles.add(it->second, gone.size());
    gone.push_back(&it->first);
  }
  std::vector<bool> found;
  needles.scan_durable(disk, "/", found);
  for (std::size_t i = 0; i < gone.size(); ++i)
    if (i < found.size() && found[i])
      violations.push_back("delete: " + who + "'s share of " + label(gone[i]->name, gone[i]->version)
                           + " is still on its disk after the delete was acknowledged");
}

// One scan per file for all of the node's shares: their scalars must not be
// in the Raft log (memory or disk), and, as the positive control, their
// encodings must be in the share journal.
std::vector<std::string> check_no_shares_in_raft(const secrets::node_engine& node, const storage::sim_disk& disk,
                                                 std::uint64_t& controls) {
  std::vector<std::string> out;
  const std::string who = "n" + std::to_string(node.id().value());
  std::vector<secrets::share_key> keys;
  needle_set scalars, encodings;
  for (const auto& info : node.shares().inventory()) {
    auto value = node.shares().share_value(info.key);
    if (!value) continue;
    const secure_bytes encoded = crypto::encode_share(*value);
    const byte_view whole = encoded.view();
    scalars.add(whole.subspan(whole.size() - crypto::scalar::size), keys.size());
    encodings.add(whole, keys.size());
    keys.push_back(info.key);
  }
  std::vector<bool> in_entries, in_raft_files, in_journal;
  for (const auto& e : node.persisted().entries) scalars.scan(e.data, in_entries);
  scalars.scan_durable(disk, "/data/raft", in_raft_files);
  encodings.scan_durable(disk, "/data/shares", in_journal);
  auto at = [](const std::vector<bool>& v, std::size_t i) { return i < v.size() && v[i]; };
  for (std::size_t i = 0; i < keys.size(); ++i) {
    const std::string what = who + "'s share of " + label(keys[i].name, keys[i].version);
    if (at(in_entries, i)) out.push_back("secrets: " + what + " is in its Raft log in memory");
    if (at(in_raft_files, i)) out.push_back("secrets: " + what + " is in its Raft storage file under /data/raft/");
    if (at(in_journal, i)) ++controls;
  }
  return out;
}

} // namespace pss::sim
