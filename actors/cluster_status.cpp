#include "actors/cluster_status.hpp"

#include <map>
#include <optional>

#include "caf/actor_system.hpp"
#include "caf/scoped_actor.hpp"

#include "actors/messages.hpp"

namespace pss::actors {

using json = nlohmann::json;

json collect_status(caf::actor_system& sys, const deploy::cluster_file& cluster, const connected_cluster& connected) {
  caf::scoped_actor self{sys};
  json j;
  j["cluster_id"] = cluster.cluster_id;
  j["threshold"] = cluster.threshold;
  j["members"] = json::array();
  std::map<std::uint64_t, std::size_t> leaders; // leader id -> votes
  std::size_t answered = 0;
  std::map<node_id, std::string> unreachable;
  for (std::size_t i = 0; i < connected.failed.size(); ++i) unreachable[connected.failed[i]] = connected.failures[i];
  for (const auto& m : cluster.members) {
    json row;
    row["id"] = m.id.value();
    row["address"] = m.address.to_string();
    auto it = connected.nodes.find(m.id);
    if (it == connected.nodes.end()) {
      row["reachable"] = false;
      row["error"] = unreachable.count(m.id) ? unreachable[m.id] : "not reached";
      j["members"].push_back(row);
      continue;
    }
    std::optional<node_health> health;
    std::string why;
    self->request(it->second, status_wait, health_atom::value)
      .receive([&](node_health& h) { health = std::move(h); },
               [&](caf::error& e) { why = sys.render(e); });
    if (!health || !health->answered) {
      row["reachable"] = false;
      row["error"] = why.empty() ? (health ? health->failure : "no answer") : why;
      j["members"].push_back(row);
      continue;
    }
    ++answered;
    if (health->leader != 0) ++leaders[health->leader];
    row["reachable"] = true;
    row["role"] = health->role;
    row["term"] = health->term;
    row["leader"] = health->leader;
    row["commit"] = health->commit;
    row["applied"] = health->applied;
    row["epoch"] = health->epoch;
    row["secrets"] = health->secrets;
    row["shares_live"] = health->shares_live;
    row["refresh_epochs_committed"] = health->refresh_epochs_committed;
    row["rounds_aborted"] = health->rounds_aborted;
    row["recoveries"] = health->recoveries;
    row["round_running"] = health->round_running;
    row["epoch_age_ms"] = health->epoch_age_ms;
    row["rounds_aborted_since_commit"] = health->rounds_aborted_since_commit;
    row["members"] = health->members;
    row["threshold"] = health->threshold;
    row["seal_key_epoch"] = health->seal_key_epoch;
    row["seal_keys_held"] = health->seal_keys_held;
    row["seal_keys_foreign"] = health->seal_keys_foreign;
    row["keys_rotated"] = health->keys_rotated;
    row["next_keys_held"] = health->next_keys_held;
    if (!health->committee.empty()) row["committee"] = health->committee;
    if (!health->last_abort_reason.empty()) row["last_abort_reason"] = health->last_abort_reason;
    row["voters"] = health->voters;
    row["shares_fingerprint"] = health->shares_fingerprint;
    row["learners"] = health->learners;
    if (!health->failure.empty()) row["failure"] = health->failure;
    row["requests_admitted"] = health->requests_admitted;
    row["requests_refused"] = health->requests_refused;
    row["transport_refused"] = health->transport_refused;
    row["peers"] = json::array();
    for (const auto& p : health->peers)
      row["peers"].push_back({{"id", p.id}, {"address", p.address}, {"connected", p.connected},
                              {"failed_attempts", p.failed_attempts}, {"last_error", p.last_error}});
    j["members"].push_back(row);
  }
  std::uint64_t leader = 0;
  for (const auto& [id, votes] : leaders)
    if (2 * votes > cluster.members.size()) leader = id;
  j["leader"] = leader;
  j["answered"] = answered;
  const bool healthy = 2 * answered > cluster.members.size() && leader != 0;
  j["healthy"] = healthy;
  return j;
}

} // namespace pss::actors
