#include "actors/node_metrics.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>

#include <httplib.h>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include "caf/actor_system.hpp"
#include "caf/scoped_actor.hpp"

#include "actors/messages.hpp"

namespace pss::actors {

namespace {

using prometheus::Counter;
using prometheus::Gauge;
using steady = std::chrono::steady_clock;

constexpr std::chrono::seconds poll_interval{1};
constexpr std::chrono::seconds health_wait{2};
constexpr std::chrono::seconds alive_within{5};

// Brings a counter up to a total the node counts itself.
void raise_to(Counter& c, double total) {
  if (total > c.Value()) c.Increment(total - c.Value());
}

Gauge& gauge(prometheus::Registry& r, const std::string& name, const std::string& help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(r).Add({});
}

prometheus::Family<Counter>& counters(prometheus::Registry& r, const std::string& name, const std::string& help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(r);
}

} // namespace

struct node_metrics::impl {
  explicit impl(const deploy::node_config& config)
    : id(config.id.value()), refresh_interval_ms(config.timing.refresh_interval_ms) {
    auto& r = *registry;
    prometheus::BuildGauge().Name("pss_node_info").Help("This node: its id and cluster (always 1)").Register(r)
      .Add({{"node", std::to_string(id)}, {"cluster", config.cluster_id}}).Set(1);
    fsync = &prometheus::BuildHistogram().Name("pss_fsync_seconds").Help("fdatasync and directory fsync latency")
               .Register(r).Add({}, prometheus::Histogram::BucketBoundaries{0.0005, 0.001, 0.002, 0.005, 0.01, 0.02,
                                                                           0.05, 0.1, 0.25, 0.5, 1, 2.5});
  }

  void update(const node_health& h);
  [[nodiscard]] std::string serialize() const {
    return prometheus::TextSerializer{}.Serialize(registry->Collect());
  }
  // nullopt: ready; otherwise why not.
  [[nodiscard]] std::optional<std::string> not_ready() const;
  void poll(caf::actor_system& sys, caf::actor gateway);

  std::uint64_t id;
  std::uint64_t refresh_interval_ms;
  std::shared_ptr<prometheus::Registry> registry = std::make_shared<prometheus::Registry>();
  prometheus::Histogram* fsync = nullptr;

  Gauge& term = gauge(*registry, "pss_raft_term", "Raft term");
  Gauge& commit = gauge(*registry, "pss_raft_commit_index", "Raft commit index");
  Gauge& applied = gauge(*registry, "pss_raft_applied_index", "Raft index applied to the catalog");
  Gauge& leader = gauge(*registry, "pss_raft_is_leader", "1 when this node is the Raft leader");
  Gauge& leader_known = gauge(*registry, "pss_raft_leader_known", "1 when this node knows a leader");
  Counter& elections_started = counters(*registry, "pss_raft_elections_started_total", "elections this node started").Add({});
  Counter& elections_won = counters(*registry, "pss_raft_elections_won_total", "elections this node won").Add({});
  Counter& proposals = counters(*registry, "pss_proposals_total", "entries this node proposed as leader").Add({});
  prometheus::Family<Counter>& reads = counters(*registry, "pss_reads_total", "reads this node served, by outcome");
  Gauge& shares_live = gauge(*registry, "pss_shares_held", "live shares in this node's store (a count)");
  Gauge& secrets = gauge(*registry, "pss_secrets", "secrets in the catalog");
  Gauge& epoch = gauge(*registry, "pss_epoch", "the cluster's current refresh epoch");
  Gauge& epoch_age = gauge(*registry, "pss_epoch_age_seconds", "how long this node has had the current epoch");
  Counter& committed = counters(*registry, "pss_refresh_rounds_committed_total", "refresh rounds committed (replicated)").Add({});
  prometheus::Family<Counter>& aborted = counters(*registry, "pss_rounds_aborted_total", "rounds aborted, by kind, since this node started");
  Counter& recoveries = counters(*registry, "pss_recoveries_total", "recovery rounds completed (replicated)").Add({});
  Counter& excluded = counters(*registry, "pss_dealers_excluded_total", "dealers excluded from rounds (replicated)").Add({});
  Counter& admitted = counters(*registry, "pss_requests_admitted_total", "client requests admitted").Add({});
  prometheus::Family<Counter>& refused = counters(*registry, "pss_requests_refused_total", "client requests refused, by reason");
  prometheus::Family<Counter>& dropped = counters(*registry, "pss_transport_refused_total", "messages the transport refused, by reason");
  Gauge& peers = gauge(*registry, "pss_peers", "the other members this node links to");
  Gauge& peers_connected = gauge(*registry, "pss_peers_connected", "the other members connected now");
  Gauge& members = gauge(*registry, "pss_members", "members in this node's view");
  Gauge& threshold = gauge(*registry, "pss_threshold", "t in this node's view");
  Gauge& round_running = gauge(*registry, "pss_round_running", "1 while a refresh or recovery round runs");
  Gauge& failed = gauge(*registry, "pss_storage_failed", "1 when the node stopped on a storage error");

  mutable std::mutex mutex;
  std::optional<node_health> last;
  steady::time_point last_at;
  std::condition_variable wake;
  bool stopping = false;
  httplib::Server server;
  std::thread serving, polling;
};

void node_metrics::impl::update(const node_health& h) {
  term.Set(static_cast<double>(h.term));
  commit.Set(static_cast<double>(h.commit));
  applied.Set(static_cast<double>(h.applied));
  leader.Set(h.role == "leader" ? 1 : 0);
  leader_known.Set(h.leader != 0 ? 1 : 0);
  raise_to(elections_started, static_cast<double>(h.elections_started));
  raise_to(elections_won, static_cast<double>(h.elections_won));
  raise_to(proposals, static_cast<double>(h.proposals));
  raise_to(reads.Add({{"outcome", "served"}}), static_cast<double>(h.reads_served));
  raise_to(reads.Add({{"outcome", "shares_served"}}), static_cast<double>(h.shares_served));
  shares_live.Set(static_cast<double>(h.shares_live));
  secrets.Set(static_cast<double>(h.secrets));
  epoch.Set(static_cast<double>(h.epoch));
  epoch_age.Set(static_cast<double>(h.epoch_age_ms) / 1000.0);
  raise_to(committed, static_cast<double>(h.refresh_epochs_committed));
  for (const auto& [kind, n] : h.rounds_aborted_by_kind) raise_to(aborted.Add({{"kind", kind}}), static_cast<double>(n));
  raise_to(recoveries, static_cast<double>(h.recoveries));
  raise_to(excluded, static_cast<double>(h.dealers_excluded));
  raise_to(admitted, static_cast<double>(h.requests_admitted));
  for (const auto& [why, n] : h.requests_refused) raise_to(refused.Add({{"reason", why}}), static_cast<double>(n));
  for (const auto& [why, n] : h.transport_refused) raise_to(dropped.Add({{"reason", why}}), static_cast<double>(n));
  std::size_t connected = 0;
  for (const auto& p : h.peers) connected += p.connected ? 1 : 0;
  peers.Set(static_cast<double>(h.peers.size()));
  peers_connected.Set(static_cast<double>(connected));
  members.Set(static_cast<double>(h.members));
  threshold.Set(static_cast<double>(h.threshold));
  round_running.Set(h.round_running ? 1 : 0);
  failed.Set(h.failure.empty() ? 0 : 1);
}

std::optional<std::string> node_metrics::impl::not_ready() const {
  const std::lock_guard lock{mutex};
  if (!last || steady::now() - last_at > alive_within) return "the node actor has not answered lately";
  const node_health& h = *last;
  if (!h.failure.empty()) return "the node stopped: " + h.failure;
  if (std::find(h.voters.begin(), h.voters.end(), id) == h.voters.end()) return "not a voting member (yet)";
  if (h.leader == 0) return "no known leader";
  if (refresh_interval_ms > 0 && h.epoch_age_ms > 2 * refresh_interval_ms)
    return "epoch " + std::to_string(h.epoch) + " is " + std::to_string(h.epoch_age_ms / 1000)
           + " s old, more than twice the refresh interval";
  return std::nullopt;
}

void node_metrics::impl::poll(caf::actor_system& sys, caf::actor gateway) {
  caf::scoped_actor self{sys};
  std::unique_lock lock{mutex};
  while (!stopping) {
    lock.unlock();
    std::optional<node_health> h;
    self->request(gateway, health_wait, health_atom::value)
      .receive([&](node_health& answer) { h = std::move(answer); }, [](caf::error&) {});
    lock.lock();
    if (h && h->answered) {
      update(*h);
      last = std::move(h);
      last_at = steady::now();
    }
    wake.wait_for(lock, poll_interval, [this] { return stopping; });
  }
}

node_metrics::node_metrics(const deploy::node_config& config) : impl_(std::make_unique<impl>(config)) {}

node_metrics::~node_metrics() {
  {
    const std::lock_guard lock{impl_->mutex};
    impl_->stopping = true;
  }
  impl_->wake.notify_all();
  // stop() does nothing before the listener runs.
  for (int i = 0; i < 500 && impl_->serving.joinable() && !impl_->server.is_running(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds{10});
  impl_->server.stop();
  if (impl_->serving.joinable()) impl_->serving.join();
  if (impl_->polling.joinable()) impl_->polling.join();
}

sync_observer node_metrics::fsync_observer() {
  // The registry (which owns the histogram) lives as long as the observer:
  // the storage may sync while the node stops, after this object is gone.
  return [registry = impl_->registry, histogram = impl_->fsync](double seconds) { histogram->Observe(seconds); };
}

status node_metrics::start(caf::actor_system& sys, caf::actor gateway, const deploy::host_port& listen) {
  auto& s = impl_->server;
  s.new_task_queue = [] { return new httplib::ThreadPool(2); };
  s.set_read_timeout(std::chrono::seconds{5});
  s.set_payload_max_length(1024);
  s.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    std::string text;
    {
      const std::lock_guard lock{impl_->mutex};
      text = impl_->serialize();
    }
    res.set_content(text, "text/plain; version=0.0.4");
  });
  s.Get("/healthz", [this](const httplib::Request&, httplib::Response& res) {
    const std::lock_guard lock{impl_->mutex};
    const bool alive = impl_->last && steady::now() - impl_->last_at <= alive_within;
    res.status = alive ? 200 : 503;
    res.set_content(alive ? "ok\n" : "the node actor has not answered lately\n", "text/plain");
  });
  s.Get("/readyz", [this](const httplib::Request&, httplib::Response& res) {
    const auto why = impl_->not_ready();
    res.status = why ? 503 : 200;
    res.set_content(why ? *why + "\n" : "ready\n", "text/plain");
  });
  if (!s.bind_to_port(listen.host, listen.port))
    return error{errc::io_error, "cannot serve metrics on " + listen.to_string() + " (in use, or not an address of this host)"};
  impl_->serving = std::thread([this] { impl_->server.listen_after_bind(); });
  impl_->polling = std::thread([this, &sys, gateway] { impl_->poll(sys, gateway); });
  return ok_status();
}

} // namespace pss::actors
