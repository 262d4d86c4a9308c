// What a node's dialling threads wait on (actors/network.cpp): one per
// dialled peer, set when its link went down or the node stops. No CAF here.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace pss::actors {

// Wakes a dialling thread when its link went down or the node stops.
struct dial_signal {
  std::mutex mutex;
  std::condition_variable changed;
  bool down = false;
  bool stopping = false;

  void mark_down() {
    std::lock_guard lock{mutex};
    down = true;
    changed.notify_all();
  }
  void stop() {
    std::lock_guard lock{mutex};
    stopping = true;
    changed.notify_all();
  }
  // Waits until the link is down (returns true) or the node stops.
  bool wait_down() {
    std::unique_lock lock{mutex};
    changed.wait(lock, [&] { return down || stopping; });
    const bool was_down = down && !stopping;
    down = false;
    return was_down;
  }
  // Sleeps for `d` unless the node stops; returns false when stopping.
  bool sleep_for(std::chrono::milliseconds d) {
    std::unique_lock lock{mutex};
    changed.wait_for(lock, d, [&] { return stopping; });
    return !stopping;
  }
  bool is_stopping() {
    std::lock_guard lock{mutex};
    return stopping;
  }
};

} // namespace pss::actors
