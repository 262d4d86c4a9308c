// `pss demo`'s view of its cluster (actors/cmd_demo.cpp): a temporary
// directory for the nodes' files, the Raft state every node actor reports
// after each input, which the narrating thread waits on, and what a node
// says publicly of its share. No secret passes through here: roles, terms,
// indexes and share fingerprints only.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "actors/engine_actor.hpp"
#include "raft/node.hpp"
#include "secrets/node_engine.hpp"

namespace pss::cli {

// A failed step: the message says what failed; run_demo prints it, exits 1.
struct demo_failure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A temporary directory, removed with everything in it at exit.
class temp_dir {
public:
  temp_dir();
  ~temp_dir();
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  [[nodiscard]] const std::string& path() const noexcept { return path_; }

private:
  std::string path_;
};

// What the demo knows of one node's Raft state, updated by the node's actor
// after every input and read by the narrating thread.
struct node_view {
  bool up = false;
  raft::role role = raft::role::follower;
  std::uint64_t term = 0;
  std::uint64_t commit = 0;
  std::uint64_t applied = 0;
};

struct leader_event {
  std::uint64_t term = 0;
  std::uint64_t node = 0;
};

// The cluster as the node actors report it. Thread-safe.
class cluster_watch {
public:
  explicit cluster_watch(std::size_t nodes) : views_(nodes) {}

  void update(std::size_t index, const raft::node& core) {
    {
      std::lock_guard lock{mutex_};
      node_view& v = views_.at(index);
      v.up = true;
      v.role = core.role();
      v.term = core.term().value();
      v.commit = core.commit_index().value();
      v.applied = core.applied_index().value();
      if (v.role == raft::role::leader && terms_led_.insert(v.term).second)
        leaders_.push_back(leader_event{v.term, index + 1});
    }
    changed_.notify_all();
  }

  void mark_down(std::size_t index) {
    {
      std::lock_guard lock{mutex_};
      views_.at(index) = node_view{};
    }
    changed_.notify_all();
  }

  // Waits until pred(views) holds or the deadline passes; returns whether it held.
  bool wait(std::chrono::milliseconds within, const std::function<bool(const std::vector<node_view>&)>& pred) {
    std::unique_lock lock{mutex_};
    return changed_.wait_for(lock, within, [&] { return pred(views_); });
  }

  [[nodiscard]] std::vector<node_view> views() const {
    std::lock_guard lock{mutex_};
    return views_;
  }
  [[nodiscard]] std::vector<leader_event> leaders() const {
    std::lock_guard lock{mutex_};
    return leaders_;
  }

private:
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<node_view> views_;
  std::set<std::uint64_t> terms_led_;
  std::vector<leader_event> leaders_;
};

// The one live leader with the highest term among the up nodes, or 0.
[[nodiscard]] inline std::size_t current_leader(const std::vector<node_view>& views, std::uint64_t term_above = 0) {
  std::size_t best = 0;
  std::uint64_t best_term = term_above;
  for (std::size_t i = 0; i < views.size(); ++i)
    if (views[i].up && views[i].role == raft::role::leader && views[i].term > best_term) {
      best = i + 1;
      best_term = views[i].term;
    }
  return best;
}

// Reports a node's Raft state to the watch after every input. Runs inside
// the node actor's handler, so it reads the engine on the engine's thread.
class node_observer final : public actors::host_hooks {
public:
  node_observer(cluster_watch& watch, std::size_t index, const secrets::node_engine& engine)
    : watch_(watch), index_(index), engine_(engine) {}
  void on_input(actors::millis, secrets::endpoint, bool, secrets::endpoint, byte_view) override {}
  void after_input(actors::millis, secrets::endpoint) override { watch_.update(index_, engine_.raft()); }

private:
  cluster_watch& watch_;
  std::size_t index_;
  const secrets::node_engine& engine_;
};


// What node `engine` may say publicly about its share of `name`. Runs inside
// the node actor (host_slot::status), on the engine's own thread.
[[nodiscard]] actors::node_status public_status(const secrets::node_engine& engine, const std::string& name);

} // namespace pss::cli
