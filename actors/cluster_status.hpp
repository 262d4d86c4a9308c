// What `pss status` and the gateway's /v1/sys/status show: every member's
// health (node_health, asked over its connection), the leader a majority
// names, and whether the cluster is healthy (a majority answered and agrees
// on a leader). Unreachable members are listed with the reason. Holds no
// value, share or key.
#pragma once

#include <chrono>

#include <nlohmann/json.hpp>

#include "caf/fwd.hpp"

#include "actors/remote_client.hpp"
#include "deploy/config.hpp"

namespace pss::actors {

inline constexpr std::chrono::milliseconds status_wait{2'000};

// {"cluster_id", "threshold", "members": [...], "leader", "answered", "healthy"}.
[[nodiscard]] nlohmann::json collect_status(caf::actor_system& sys, const deploy::cluster_file& cluster,
                                            const connected_cluster& connected);

} // namespace pss::actors
