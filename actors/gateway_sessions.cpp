#include "actors/gateway_sessions.hpp"

#include <algorithm>
#include <iostream>

#include "core/check.hpp"

namespace pss::actors {

namespace {
constexpr std::chrono::milliseconds dial_wait{1'500};
constexpr std::chrono::milliseconds backoff_min{500};
constexpr std::chrono::milliseconds backoff_max{8'000};
constexpr std::chrono::milliseconds completion_margin{2'000};
} // namespace

cluster_sessions::cluster_sessions(caf::actor_system& sys, const cli::client::common& cluster, std::uint32_t sessions,
                                   std::chrono::milliseconds operation_timeout)
  : sys_(sys), cluster_(cluster), sessions_(sessions), operation_timeout_(operation_timeout) {
  PSS_CHECK(sessions_ > 0);
  current_ = make_connection({});
  redial();
  maintainer_ = std::thread([this] { maintain(); });
}

cluster_sessions::~cluster_sessions() {
  {
    const std::lock_guard lock{mutex_};
    stopping_ = true;
  }
  wake_.notify_all();
  maintainer_.join();
}

std::shared_ptr<cluster_sessions::connection> cluster_sessions::make_connection(std::map<node_id, caf::actor> nodes) const {
  auto out = std::make_shared<connection>();
  out->nodes = std::move(nodes);
  if (out->nodes.empty()) return out;
  for (std::uint32_t i = 0; i < sessions_; ++i) {
    auto options = cli::client::client_options_for(cluster_);
    options.operation_timeout = operation_timeout_;
    out->clients.push_back(std::make_unique<remote_client>(sys_, out->nodes, std::move(options)));
  }
  return out;
}

bool cluster_sessions::redial() {
  std::shared_ptr<connection> current;
  {
    const std::lock_guard lock{mutex_};
    current = current_;
  }
  std::map<node_id, caf::actor> live = current->nodes;
  for (const auto& client : current->clients)
    for (auto id : client->lost_members()) live.erase(id);
  std::vector<member_address> missing;
  for (const auto& m : cli::client::addresses(cluster_.cluster))
    if (!live.count(m.id)) missing.push_back(m);
  if (missing.empty()) return true;
  auto dialled = connect_all(sys_, missing, cluster_.tls, dial_wait);
  std::map<node_id, std::string> failures;
  for (std::size_t i = 0; i < dialled.failed.size(); ++i) failures[dialled.failed[i]] = dialled.failures[i];
  for (auto& [id, handle] : dialled.nodes) live.emplace(id, handle);
  const bool changed = live != current->nodes;
  if (changed) {
    std::cerr << "pss gateway: connected to " << live.size() << " of " << cluster_.cluster.members.size()
              << " members\n";
    for (const auto& [id, why] : failures) std::cerr << "pss gateway: " << why << "\n";
  }
  auto fresh = changed ? make_connection(std::move(live)) : nullptr;
  const std::lock_guard lock{mutex_};
  failures_ = std::move(failures);
  if (fresh) current_ = std::move(fresh);
  return dialled.failed.empty();
}

void cluster_sessions::maintain() {
  auto backoff = backoff_min;
  std::unique_lock lock{mutex_};
  while (!stopping_) {
    wake_.wait_for(lock, backoff, [this] { return stopping_ || urgent_; });
    if (stopping_) break;
    urgent_ = false;
    lock.unlock();
    const bool all = redial();
    lock.lock();
    backoff = all ? backoff_min : std::min(backoff * 2, backoff_max);
  }
}

cluster_sessions::run_result cluster_sessions::run(client_request request, std::size_t needed) {
  std::shared_ptr<connection> current;
  {
    const std::lock_guard lock{mutex_};
    current = current_;
  }
  run_result out;
  out.reached = current->nodes.size();
  if (out.reached < needed || current->clients.empty()) {
    {
      const std::lock_guard lock{mutex_};
      urgent_ = true;
    }
    wake_.notify_all();
    return out;
  }
  auto& client = *current->clients[current->next.fetch_add(1) % current->clients.size()];
  auto future = client.start(std::move(request));
  if (future.wait_for(operation_timeout_ + completion_margin) != std::future_status::ready) {
    out.timed_out = true;
    return out;
  }
  out.done = future.get();
  return out;
}

connected_cluster cluster_sessions::connected() const {
  const std::lock_guard lock{mutex_};
  connected_cluster out;
  out.nodes = current_->nodes;
  for (const auto& [id, why] : failures_) {
    out.failed.push_back(id);
    out.failures.push_back(why);
  }
  return out;
}

} // namespace pss::actors
