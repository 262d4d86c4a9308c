// A client of a remote cluster: dials the members over the middleman and
// runs their operations through the one client host (actors/client_host.hpp)
// in a small actor.
//
// Used by the client commands (cmd_client.cpp) and by the cluster
// benchmark. Each remote_client is one client session: its engine runs its
// operations one at a time in start order, so concurrency comes from
// several remote_clients. Completions arrive through futures. Never prints
// a value, a share or the token.
#pragma once

#include <chrono>
#include <cstdint>
#include <future>
#include <map>
#include <mutex>
#include <memory>
#include <string>
#include <vector>

#include "caf/actor.hpp"
#include "caf/fwd.hpp"

#include "core/ids.hpp"
#include "core/secure.hpp"
#include "actors/client_host.hpp"
#include "secrets/client_engine.hpp"

namespace pss::actors {

struct member_address {
  node_id id;
  std::string host;
  std::uint16_t port = 0;
  [[nodiscard]] std::string to_string() const { return host + ":" + std::to_string(port); }
};

struct connected_cluster {
  std::map<node_id, caf::actor> nodes;
  std::vector<std::string> failures; // "node 3 at host:port: why"
  std::vector<node_id> failed;       // the same, by id
};

// Dials every member in parallel and waits at most `wait`. A dial still
// blocked then is abandoned (its thread is detached); callers that end
// the process with _exit are never delayed by it.
[[nodiscard]] connected_cluster connect_all(caf::actor_system& sys, const std::vector<member_address>& members,
                                            bool tls, std::chrono::milliseconds wait);

class remote_client {
public:
  // `nodes` are the connected members; options.nodes is filled from them.
  remote_client(caf::actor_system& sys, std::map<node_id, caf::actor> nodes, secrets::client_options options);
  ~remote_client();
  remote_client(const remote_client&) = delete;
  remote_client& operator=(const remote_client&) = delete;

  // Thread-safe; the future is fulfilled when the engine completes it.
  [[nodiscard]] std::future<secrets::completion> start(client_request r);

  // Replies dropped so far, by the member whose connection they came over:
  // their tag did not verify under the key its cluster file pins (an
  // impostor at that address, or a node whose keys changed), or they named
  // another sender. Thread-safe.
  [[nodiscard]] std::map<node_id, std::uint64_t> unpinned_replies() const;

  // Members whose connection broke since this client was made (the
  // middleman's heartbeat noticed it): a long-lived client (pss gateway)
  // dials them again. Thread-safe.
  [[nodiscard]] std::vector<node_id> lost_members() const;

  struct dropped_replies {
    mutable std::mutex mutex;
    std::map<node_id, std::uint64_t> by_member;
    std::vector<node_id> lost;
  };

private:
  caf::actor actor_;
  std::shared_ptr<dropped_replies> dropped_ = std::make_shared<dropped_replies>();
};

// A client id from the operating system's generator (never zero).
[[nodiscard]] client_id random_client_id();

} // namespace pss::actors
