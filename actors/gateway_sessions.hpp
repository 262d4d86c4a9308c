// The gateway's long-lived client sessions to the cluster (docs/gateway.md).
//
// `sessions` remote_clients share the connections to the members; each runs
// its operations one at a time, so they are the gateway's parallelism. A
// background thread dials every member that is not connected (at start, or
// after the middleman's heartbeat saw its connection break) with capped
// backoff, and replaces the sessions when the set of connected members
// changes; an operation already running finishes on the sessions it started
// on.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "actors/client_cli.hpp"
#include "actors/remote_client.hpp"

namespace pss::actors {

class cluster_sessions {
public:
  cluster_sessions(caf::actor_system& sys, const cli::client::common& cluster, std::uint32_t sessions,
                   std::chrono::milliseconds operation_timeout);
  ~cluster_sessions();
  cluster_sessions(const cluster_sessions&) = delete;
  cluster_sessions& operator=(const cluster_sessions&) = delete;

  struct run_result {
    std::optional<secrets::completion> done; // nullopt: too few members reached, or no outcome in time
    std::size_t reached = 0;                 // members connected when it started
    bool timed_out = false;                  // started, no completion within the deadline
  };
  // Runs one operation that needs `needed` connected members; blocks at most
  // the operation timeout and a margin.
  [[nodiscard]] run_result run(client_request request, std::size_t needed);

  // The members connected now, and why the others are not (for status).
  [[nodiscard]] connected_cluster connected() const;

private:
  struct connection {
    std::map<node_id, caf::actor> nodes;
    std::vector<std::unique_ptr<remote_client>> clients;
    std::atomic<std::size_t> next{0};
  };

  void maintain();
  // Dials the members `current` lacks or lost; true when all are connected.
  bool redial();
  [[nodiscard]] std::shared_ptr<connection> make_connection(std::map<node_id, caf::actor> nodes) const;

  caf::actor_system& sys_;
  const cli::client::common& cluster_;
  std::uint32_t sessions_;
  std::chrono::milliseconds operation_timeout_;

  mutable std::mutex mutex_;
  std::shared_ptr<connection> current_;
  std::map<node_id, std::string> failures_; // why a member is not connected
  std::condition_variable wake_;
  bool stopping_ = false;
  bool urgent_ = false; // an operation found too few members: dial now
  std::thread maintainer_;
};

} // namespace pss::actors
