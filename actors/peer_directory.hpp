// Where an engine's outgoing message goes: endpoint -> actor handle.
//
// The engine host asks the directory for the actor that receives a message
// for `to`. The local directory knows the actors of this process; the
// simulator's relay directory sends everything to its network actor, which
// decides the message's fate; a later middleman directory will map remote
// endpoints to proxies. Protocol code never sees which one is in use.
#pragma once

#include <map>
#include <mutex>

#include "caf/actor.hpp"

#include "secrets/engine.hpp"

namespace pss::actors {

class peer_directory {
public:
  virtual ~peer_directory() = default;
  // The actor to hand a message for `to` to; an invalid handle drops it.
  [[nodiscard]] virtual caf::actor route(const secrets::endpoint& to) = 0;
};

// The actors of this process. Thread-safe: under the real scheduler several
// hosts look up peers concurrently.
class local_peer_directory final : public peer_directory {
public:
  void set(const secrets::endpoint& who, caf::actor handle) {
    std::lock_guard lock{mutex_};
    actors_[who] = std::move(handle);
  }
  void erase(const secrets::endpoint& who) {
    std::lock_guard lock{mutex_};
    actors_.erase(who);
  }
  [[nodiscard]] caf::actor route(const secrets::endpoint& to) override {
    std::lock_guard lock{mutex_};
    auto it = actors_.find(to);
    return it == actors_.end() ? caf::actor{} : it->second;
  }
  void clear() {
    std::lock_guard lock{mutex_};
    actors_.clear();
  }

private:
  std::mutex mutex_;
  std::map<secrets::endpoint, caf::actor> actors_;
};

// Every message goes to one relay (the simulator's network actor).
class relay_peer_directory final : public peer_directory {
public:
  explicit relay_peer_directory(caf::actor relay) : relay_(std::move(relay)) {}
  [[nodiscard]] caf::actor route(const secrets::endpoint&) override {
    std::lock_guard lock{mutex_};
    return relay_;
  }
  // The relay may be set after the host that uses it was spawned (`pss
  // node` spawns its gateway with the node's handle).
  void set(caf::actor relay) {
    std::lock_guard lock{mutex_};
    relay_ = std::move(relay);
  }
  void reset() { set(caf::actor{}); }

private:
  std::mutex mutex_;
  caf::actor relay_;
};

} // namespace pss::actors
