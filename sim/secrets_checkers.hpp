// The end-of-run and per-input checkers of the secrets engines in the
// simulator (`pss sim --engine secrets`): acknowledged puts read back from
// the holders' share stores, every listed holder keeps its share, shares
// change and old ones are erased at every refresh, deleted means erased, and
// no share material reaches Raft storage.
//
// They read share values straight from the nodes' stores and disk images:
// simulation only. CAF-free.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "secrets/cluster.hpp"
#include "secrets/node_engine.hpp"

namespace pss::storage { class sim_disk; }

namespace pss::sim {

// An acknowledged put: what the client stored under which version.
struct acked_secret {
  std::string name;
  secret_version version;
  bytes value;
};

struct secrets_check_result {
  std::uint64_t verified = 0; // acknowledged versions read back and equal
  std::uint64_t retired = 0;  // acknowledged versions the catalog no longer keeps
  std::vector<std::string> violations;
};

// (a) Every acknowledged put reads back: from the catalog of the most
// advanced live node, for each acknowledged (name, version) it still keeps,
// takes the live shares of the live holders straight from their share
// stores, verifies them against the catalog's commitments, interpolates k
// from t of them, opens the envelope and compares with what the client put.
// A version above the catalog's latest (lost), fewer than t good shares, or
// a different value is a violation. Versions dropped by the catalog's
// retention (older than its kept versions) are counted as retired.
[[nodiscard]] secrets_check_result
check_secrets_read_back(const std::vector<const secrets::node_engine*>& live, const secrets::cluster_view& view,
                        const std::vector<acked_secret>& acked);

// (b) No share material in Raft: for one live node, every share it holds
// (its scalar, 32 bytes) must not appear in its in-memory Raft log nor in
// any durable file under "/data/raft" of its disk. As a positive control the
// encoded share must appear in the durable share journal ("/data/shares"),
// or the scan could not find anything; `controls` counts shares found there.
// (c) Refresh and recovery, checked after every input of every node and at
// the end (docs/refresh.md):
// - a node holds no share of an epoch older than the one its own catalog
//   gives the version (after applying a commit the old share is gone);
// - a node's share of a version changes at every epoch (it is never equal
//   to its share of another epoch);
// - no sub-share or masked value stays in a node's memory once its catalog
//   has no round;
// - at the end, no durable disk image still holds a share of an epoch older
//   than the version's current one on that node (erased means gone).
// A nemesis fault for secrets mode: the share journal of a crashed node is
// lost (every file under /data/shares), its Raft state is not.
void wipe_share_journal(storage::sim_disk& disk);

// Every listed holder keeps its share, after every input of every node: a
// version the node's own catalog lists it as a holder of must have a live
// share of that epoch (or a later one: the catalog can be behind the store)
// in its store. When the nemesis destroys a node's data, the versions it
// held or had acknowledged until then are exempt on that node for good: a
// register carrying its old acknowledgement may still commit after the
// loss, and the node then leaves that list by itself (shares_lost).
class holder_checker {
public:
  // A dealing of a name, by its commitments' digest: a client's share is
  // stored before its version exists, so versions cannot name it.
  using dealing_key = std::pair<std::string, secrets::digest>;
  void on_data_lost(node_id node);
  void observe(const secrets::node_engine& node, std::vector<std::string>& violations);
  [[nodiscard]] std::uint64_t listings_checked() const noexcept { return checked_; }

private:
  std::map<node_id, std::set<dealing_key>> held_; // every dealing a node stored a share of
  std::map<node_id, std::set<dealing_key>> lost_;
  std::uint64_t checked_ = 0;
};

class share_epoch_checker {
public:
  // The node's shares against its catalog; run again only when either changed.
  void observe(const secrets::node_engine& node, std::vector<std::string>& violations);
  // No sub-shares or masked values outlive their round; run at every input.
  void observe_round_material(const secrets::node_engine& node, std::vector<std::string>& violations) const;
  void check_disk(const secrets::node_engine& node, const storage::sim_disk& disk,
                  std::vector<std::string>& violations) const;
  // Deleted means erased: once a delete of `name` up to version `latest` was
  // acknowledged, no node holds a share of those versions, in memory or on
  // its disk. `deleted` maps each deleted name to the highest such version.
  void check_deleted(const secrets::node_engine& node, const storage::sim_disk& disk,
                     const std::map<std::string, secret_version>& deleted,
                     std::vector<std::string>& violations) const;
  [[nodiscard]] std::uint64_t values_seen() const noexcept { return seen_.size(); }

private:
  struct key {
    node_id node;
    std::string name;
    secret_version version;
    epoch_id epoch;
    auto operator<=>(const key&) const = default;
  };
  std::map<key, bytes> seen_; // each share value a node held, by epoch
  // The version each dealing was seen held under (capped: an unknown one
  // is never a violation).
  static constexpr std::size_t assigned_max = 1 << 20;
  std::map<std::pair<std::string, secrets::digest>, secret_version> assigned_;
};

[[nodiscard]] std::vector<std::string> check_no_shares_in_raft(const secrets::node_engine& node,
                                                               const storage::sim_disk& disk,
                                                               std::uint64_t& controls);

} // namespace pss::sim

