// A node's metrics and health over HTTP (docs/gateway.md §2), on the
// address its config's [metrics] table names, off when there is none.
//
//   /metrics   Prometheus text: Raft term, commit and applied index, leader,
//              elections; proposals, reads, shares served; fsync latency
//              (a histogram); shares held and secrets; the epoch and its
//              age; rounds committed and aborted by kind; recoveries and
//              dealers excluded; client requests admitted and refused by
//              reason, messages the transport refused by reason; peers.
//   /healthz   200 while the node actor answers (within 5 s), else 503.
//   /readyz    200 when the node is a voter, knows a leader, its storage
//              has not failed and its epoch is current (younger than twice
//              the refresh interval, when refresh is scheduled); else 503
//              with the reason.
//
// Values come from a node_health snapshot that a thread asks the node for
// every second; the HTTP threads read only that snapshot, never the engine.
// The fsync histogram is fed by a timed_file_system around the node's
// storage. No label holds a secret's name: no metric is per secret.
#pragma once

#include <memory>

#include "caf/actor.hpp"
#include "caf/fwd.hpp"

#include "actors/timed_file_system.hpp"
#include "deploy/config.hpp"

namespace pss::actors {

class node_metrics {
public:
  explicit node_metrics(const deploy::node_config& config);
  ~node_metrics();
  node_metrics(const node_metrics&) = delete;
  node_metrics& operator=(const node_metrics&) = delete;

  // For the timed_file_system around the node's storage; valid while this lives.
  [[nodiscard]] sync_observer fsync_observer();

  // Binds `listen` and starts serving and polling `gateway` (the node's
  // published actor) for its health. An error names the address.
  [[nodiscard]] status start(caf::actor_system& sys, caf::actor gateway, const deploy::host_port& listen);

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace pss::actors
