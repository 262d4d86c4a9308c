// The operator dashboard's core (docs/gateway.md §3): the one static page
// the gateway serves at /ui/, and the history it shows, folded from the
// cluster statuses the gateway observes (actors/cluster_status.cpp's JSON).
//
// The history keeps what a status alone cannot show: when each refresh
// epoch began and when rounds aborted (a timeline), and each node's
// share-set fingerprint in each epoch (they all change with a refresh).
// It is bounded, and holds no value and no share: fingerprints are 32 bits
// of a hash, computed inside each node.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace pss::gateway {

inline constexpr std::size_t timeline_events_max = 64;
inline constexpr std::size_t fingerprint_epochs_max = 12;

class dashboard_history {
public:
  // Folds a status observed at `now_ms` (unix ms) in.
  void observe(const nlohmann::json& status, std::uint64_t now_ms);

  // [{"at_ms", "event": "epoch", "epoch"} or {"at_ms", "event": "abort", "aborted", "reason"}], oldest first.
  [[nodiscard]] nlohmann::json timeline() const;
  // {"epochs": [..], "nodes": {"1": {"3": "ab12cd34", ...}, ...}}: the last
  // fingerprint each node showed in each of the last epochs.
  [[nodiscard]] nlohmann::json fingerprints() const;

private:
  void add_event(nlohmann::json event);

  std::uint64_t epoch_ = 0;
  std::uint64_t aborted_ = 0;
  bool seen_ = false;
  std::deque<nlohmann::json> events_;
  std::map<std::uint64_t, std::map<std::uint64_t, std::string>> by_epoch_; // epoch -> node -> fingerprint
};

// The page: HTML with its script and style inline, no framework, no
// external resource. It reads the API key from the URL's fragment
// (#key=...), which never reaches a server or a log, or asks for it, and
// polls /v1/sys/dashboard. It shows no value: the API it calls has none.
[[nodiscard]] std::string_view dashboard_page() noexcept;

} // namespace pss::gateway
