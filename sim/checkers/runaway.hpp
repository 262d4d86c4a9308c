// The runaway guard: simulated time must pass. Every input in the simulator
// takes zero simulated time, so two nodes that answer each other at once
// and for ever (a probe and a refusal, a retry and a reject) keep the event
// loop busy at one instant: the run never ends and its memory grows without
// bound, and a sweep stalls on that seed. A real node in the same loop
// spins its CPU and its network.
//
// The guard counts the inputs delivered since the simulated clock last
// moved. Past the bound it watches a sample of the following inputs, by
// recipient, sender and message kind, and then trips with a description of
// the loop, which the simulator reports as a violation. The bound sits far
// above what any healthy run reaches (the report's inputs_per_instant_max),
// so a trip is a loop, not a burst. CAF-free, pure.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>

namespace pss::sim {

class runaway_guard {
public:
  static constexpr std::uint64_t default_bound = 20'000;
  static constexpr std::uint64_t sample_size = 2'000;

  explicit runaway_guard(std::uint64_t bound = default_bound);

  // One input at simulated time `now`: `what` names the recipient, the
  // sender and the message kind (e.g. "n1 <- n2 append_entries_response").
  // Names are looked at only while sampling; `what` is called then only.
  template <class Describe>
  void on_input(std::chrono::milliseconds now, Describe&& what) {
    if (!started_ || now != instant_) {
      started_ = true;
      instant_ = now;
      count_ = 0;
      sample_.clear();
      sampled_ = 0;
    }
    ++count_;
    if (count_ > max_seen_) max_seen_ = count_;
    if (count_ > bound_ && !tripped_) sample(what());
  }

  // The bound was passed and the sample is complete.
  [[nodiscard]] bool tripped() const noexcept { return tripped_; }
  // What the loop is: the instant, the bound and the commonest inputs.
  [[nodiscard]] std::string describe() const;
  // The most inputs seen at one instant so far.
  [[nodiscard]] std::uint64_t max_seen() const noexcept { return max_seen_; }

private:
  void sample(const std::string& what);

  std::uint64_t bound_;
  bool started_ = false;
  std::chrono::milliseconds instant_{0};
  std::uint64_t count_ = 0;
  std::uint64_t max_seen_ = 0;
  std::map<std::string, std::uint64_t> sample_;
  std::uint64_t sampled_ = 0;
  bool tripped_ = false;
};

} // namespace pss::sim
