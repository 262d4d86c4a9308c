#include "actors/http_gateway.hpp"

#include <chrono>
#include <deque>
#include <thread>
#include <iostream>

#include <httplib.h>
#include <sodium.h>

#include "caf/actor_system.hpp"
#include "caf/actor_system_config.hpp"

#include "actors/cluster_status.hpp"
#include "actors/gateway_sessions.hpp"
#include "actors/stop_signals.hpp"
#include "access/rights.hpp"
#include "audit/audit_log.hpp"
#include "core/check.hpp"
#include "gateway/dashboard.hpp"
#include "gateway/http_api.hpp"

namespace pss::actors {

namespace {

using json = nlohmann::json;
using gateway::http_response;

// Set on the thread that serves a connection above connections_max: its
// request is answered 503 at once, and the connection closed.
thread_local bool shedding = false;

// httplib's task queue with a bound: `threads` workers serve connections;
// beyond `connections_max` open ones, a single extra thread answers each
// new one 503 (see `shedding`) instead of letting it wait.
class bounded_pool final : public httplib::TaskQueue {
public:
  bounded_pool(std::size_t threads, std::size_t connections_max) : connections_max_(connections_max) {
    for (std::size_t i = 0; i < threads; ++i) workers_.emplace_back([this] { work(jobs_, false); });
    workers_.emplace_back([this] { work(shed_, true); });
  }
  void enqueue(std::function<void()> fn) override {
    {
      const std::lock_guard lock{mutex_};
      if (open_ >= connections_max_) {
        shed_.push_back(std::move(fn));
      } else {
        ++open_;
        jobs_.push_back(std::move(fn));
      }
    }
    ready_.notify_all();
  }
  void shutdown() override {
    {
      const std::lock_guard lock{mutex_};
      stopping_ = true;
    }
    ready_.notify_all();
    for (auto& t : workers_) t.join();
  }

private:
  void work(std::deque<std::function<void()>>& queue, bool shed) {
    shedding = shed;
    for (;;) {
      std::function<void()> fn;
      {
        std::unique_lock lock{mutex_};
        ready_.wait(lock, [&] { return stopping_ || !queue.empty(); });
        if (queue.empty()) return; // stopping, and nothing left
        fn = std::move(queue.front());
        queue.pop_front();
      }
      fn();
      if (!shed) {
        const std::lock_guard lock{mutex_};
        --open_;
      }
    }
  }

  std::size_t connections_max_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> jobs_, shed_;
  std::size_t open_ = 0; // connections queued or being served by the workers
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

std::uint64_t now_ms() {
  return static_cast<std::uint64_t>(
    std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch()).count());
}

// Sends `out`; a value's bytes are zeroized once httplib is done with them.
void write(const http_response& out, httplib::Response& res) {
  res.status = out.status;
  for (const auto& [name, value] : out.headers) res.set_header(name, value);
  if (!out.sensitive) {
    res.set_content(out.body, out.content_type.c_str());
    return;
  }
  auto held = std::make_shared<secure_bytes>(byte_view{reinterpret_cast<const std::uint8_t*>(out.body.data()), out.body.size()});
  res.set_content_provider(
    held->size(), out.content_type.c_str(),
    [held](std::size_t offset, std::size_t length, httplib::DataSink& sink) {
      return sink.write(reinterpret_cast<const char*>(held->data()) + offset, length);
    },
    [held](bool) { held->clear(); });
}

gateway::http_request to_request(const httplib::Request& req) {
  gateway::http_request r;
  r.method = req.method;
  r.path = req.path;
  for (const auto& [k, v] : req.params) r.query.emplace(k, v);
  r.authorization = req.get_header_value("Authorization");
  r.content_type = req.get_header_value("Content-Type");
  r.accept = req.get_header_value("Accept");
  r.body = req.body;
  return r;
}

// Zeroizes what httplib read of a request that may hold a value.
void wipe(const httplib::Request& req) {
  auto& body = const_cast<std::string&>(req.body);
  sodium_memzero(body.data(), body.size());
  for (auto& [k, v] : const_cast<httplib::Params&>(req.params)) {
    sodium_memzero(const_cast<std::string&>(k).data(), k.size());
    sodium_memzero(v.data(), v.size());
  }
}

class gateway_server {
public:
  gateway_server(const deploy::gateway_config& config, const cli::client::common& cluster, caf::actor_system& sys)
    : config_(config), cluster_(cluster), sys_(sys), api_(config, cluster.cluster.threshold),
      sessions_(sys, cluster, config.limits.sessions, std::chrono::milliseconds{config.limits.operation_timeout_ms}) {}

  void handle(const httplib::Request& req, httplib::Response& res) {
    const auto started = std::chrono::steady_clock::now();
    gateway::decision d;
    {
      gateway::http_request parsed = to_request(req);
      const std::lock_guard lock{api_mutex_};
      d = api_.prepare(parsed, now_ms());
      for (auto& [k, v] : parsed.query) sodium_memzero(v.data(), v.size());
    }
    // The request may hold a value (in its body, and for a form-encoded body in
    // the parameters httplib parsed from it): gone once parsed.
    wipe(req);
    http_response out = d.answer ? std::move(*d.answer) : run(d.call);
    write(out, res);
    if (out.sensitive) sodium_memzero(out.body.data(), out.body.size());
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
    // One write per line: std::cerr is unbuffered, and lines from threads must not interleave.
    const std::string line = "pss gateway: " + std::to_string(out.status) + " " + req.method + " " + route_of(req.path)
                             + " key=" + (d.call.key_label.empty() ? "-" : d.call.key_label) + " "
                             + std::to_string(ms.count()) + " ms\n";
    std::cerr.write(line.data(), static_cast<std::streamsize>(line.size()));
  }

  // The dashboard's history: the cluster's status every 2 s, folded in.
  void observe_until_stopped() {
    std::unique_lock lock{observer_mutex_};
    while (!stopping_) {
      lock.unlock();
      json status = collect_status(sys_, cluster_.cluster, sessions_.connected());
      // The audit is read here, every third look, never on a request's thread: a member
      // that is connected but silent holds this thread, not the HTTP workers.
      std::optional<json> audit;
      if (cycle_++ % 3 == 0) audit = recent_audit();
      lock.lock();
      history_.observe(status, wall_ms());
      last_status_ = std::move(status);
      if (audit) audit_cache_ = std::move(*audit);
      observer_wake_.wait_for(lock, std::chrono::seconds{2}, [this] { return stopping_; });
    }
  }

  void stop_observing() {
    {
      const std::lock_guard lock{observer_mutex_};
      stopping_ = true;
    }
    observer_wake_.notify_all();
  }

private:
  static std::uint64_t wall_ms() {
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::system_clock::now().time_since_epoch()).count());
  }

  // The last records of one member's audit log, oldest first (empty and a
  // reason when it would not serve them).
  std::vector<json> node_audit(node_id node, std::string& problem) {
    auto ask = [&](std::uint64_t after) {
      client_request r = client_request::of(secrets::operation_kind::audit);
      r.node = node;
      r.audit_after = after;
      return sessions_.run(std::move(r), 1);
    };
    auto first = ask(0);
    if (first.done && first.done->outcome == secrets::operation_outcome::ok && first.done->audit_head > audit_shown) {
      auto last = ask(first.done->audit_head - audit_shown);
      if (last.done) first = std::move(last);
    }
    std::vector<json> out;
    if (!first.done || first.done->outcome != secrets::operation_outcome::ok) {
      problem = "node " + std::to_string(node.value()) + " did not serve its audit log"
                + (first.done ? ": " + std::string{secrets::to_string(first.done->error)} : std::string{});
      return out;
    }
    for (const auto& rec : first.done->audit_records)
      out.push_back({{"node", node.value()}, {"seq", rec.seq}, {"at_ms", rec.at_ms},
                     {"action", std::string{audit::to_string(rec.what)}}, {"name", rec.name}, {"version", rec.version},
                     {"outcome", rec.result == audit::outcome::ok ? "ok" : "refused"}});
    return out;
  }

  // The last records of every reachable member's audit log, merged by time.
  json recent_audit() {
    std::vector<json> merged;
    std::string problems;
    for (const auto& [node, handle] : sessions_.connected().nodes) {
      std::string problem;
      for (auto& r : node_audit(node, problem)) merged.push_back(std::move(r));
      if (!problem.empty()) problems += (problems.empty() ? "" : "; ") + problem;
    }
    std::stable_sort(merged.begin(), merged.end(),
                     [](const json& x, const json& y) { return x["at_ms"].get<std::uint64_t>() < y["at_ms"].get<std::uint64_t>(); });
    if (merged.size() > audit_shown) merged.erase(merged.begin(), merged.end() - static_cast<std::ptrdiff_t>(audit_shown));
    return json{{"records", merged}, {"note", problems.empty() ? "the last records of every member's log" : problems}};
  }

  // What the dashboard shows a key: the audit records of names its pattern
  // does not match are left out (a refresh's record names none).
  http_response dashboard(const gateway::planned_call& call) {
    json body, audit;
    {
      const std::lock_guard lock{observer_mutex_};
      body["status"] = last_status_.is_null() ? collect_status(sys_, cluster_.cluster, sessions_.connected()) : last_status_;
      body["timeline"] = history_.timeline();
      body["fingerprints"] = history_.fingerprints();
      audit = audit_cache_.is_null() ? json{{"records", json::array()}, {"note", "not read yet"}} : audit_cache_;
    }
    if (!call.key_may_list)
      audit = json{{"records", json::array()}, {"note", "audit records name secrets: this key has no list right"}};
    json shown = json::array();
    for (auto& r : audit["records"]) {
      const auto name = r["name"].get<std::string>();
      if (name.empty() || access::pattern_matches(call.key_pattern, name)) shown.push_back(std::move(r));
    }
    audit["records"] = std::move(shown);
    body["audit"] = std::move(audit);
    return gateway::json_response(200, body);
  }

  // The route's template, never the name: logs hold no names.
  static std::string route_of(const std::string& path) {
    constexpr std::string_view secrets = "/v1/secrets/";
    if (path.rfind(secrets, 0) == 0) return "/v1/secrets/{name}";
    for (const auto& r : gateway::routes())
      if (r.path == path) return path;
    return "(no route)";
  }

  http_response run(gateway::planned_call& call) {
    using gateway::route_id;
    if (call.route == route_id::health) return health();
    if (call.route == route_id::status) return gateway::json_response(200, collect_status(sys_, cluster_.cluster, sessions_.connected()));
    if (call.route == route_id::dashboard) return dashboard(call);
    client_request r = client_request::of(call.kind, call.name);
    r.value = std::move(call.value);
    r.version = call.version;
    const bool needs_t = call.kind == secrets::operation_kind::get || call.kind == secrets::operation_kind::put;
    const std::size_t needed = needs_t ? cluster_.cluster.threshold : 1;
    auto result = sessions_.run(std::move(r), needed);
    if (result.done) {
      http_response out = api_.finish(call, *result.done);
      if (result.done->value) result.done->value->clear();
      return out;
    }
    if (result.timed_out) return api_.outcome_unknown(config_.limits.operation_timeout_ms);
    return api_.too_few_nodes(result.reached, cluster_.cluster.members.size(), needed);
  }

  http_response health() {
    const auto reached = sessions_.connected().nodes.size();
    const bool ok = reached >= cluster_.cluster.threshold;
    return gateway::json_response(ok ? 200 : 503, json{{"ok", ok},
                                                       {"reached", reached},
                                                       {"members", cluster_.cluster.members.size()},
                                                       {"threshold", cluster_.cluster.threshold}});
  }

  const deploy::gateway_config& config_;
  const cli::client::common& cluster_;
  caf::actor_system& sys_;
  std::mutex api_mutex_;
  gateway::http_api api_;
  cluster_sessions sessions_;

  static constexpr std::uint64_t audit_shown = 20;
  std::mutex observer_mutex_;
  std::condition_variable observer_wake_;
  bool stopping_ = false;
  json last_status_;
  gateway::dashboard_history history_;
  json audit_cache_;       // under observer_mutex_
  std::uint64_t cycle_ = 0; // the observer's looks
};

// Limits, error bodies and routes on the httplib server.
void configure(httplib::Server& server, const deploy::gateway_config& config, gateway_server& gateway) {
  const auto& l = config.limits;
  server.new_task_queue = [threads = l.threads, max = l.connections_max] { return new bounded_pool(threads, max); };
  // A value of body_bytes_max travels as that many raw bytes or as base64 in JSON:
  // the body may be the larger; the core checks the value's own size (413).
  server.set_payload_max_length(4 * ((std::size_t{l.body_bytes_max} + 2) / 3) + 1024);
  server.set_read_timeout(std::chrono::milliseconds{l.read_timeout_ms});
  server.set_write_timeout(std::chrono::milliseconds{l.write_timeout_ms});
  server.set_keep_alive_timeout(std::max<time_t>(1, l.idle_timeout_ms / 1000));
  server.set_keep_alive_max_count(l.keep_alive_requests_max);
  server.set_tcp_nodelay(true); // an answer's header and body leave at once, not 40 ms apart
  server.set_pre_routing_handler([&config](const httplib::Request& req, httplib::Response& res) {
    if (shedding) {
      wipe(req);
      write(gateway::error_response(503, "busy", "the gateway has " + std::to_string(config.limits.connections_max)
                                                   + " connections open; try again"), res);
      res.set_header("Connection", "close");
      res.set_header("Retry-After", "1");
      return httplib::Server::HandlerResponse::Handled;
    }
    std::size_t bytes = 0;
    for (const auto& [name, value] : req.headers) bytes += name.size() + value.size() + 4;
    if (bytes > config.limits.header_bytes_max) {
      wipe(req);
      write(gateway::error_response(431, "headers_too_large", "the request's headers are above "
                                                             + std::to_string(config.limits.header_bytes_max) + " bytes"), res);
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
  auto handler = [&gateway](const httplib::Request& req, httplib::Response& res) { gateway.handle(req, res); };
  server.Get(".*", handler);
  server.Put(".*", handler);
  server.Post(".*", handler);
  server.Delete(".*", handler);
  server.Patch(".*", handler);
  server.Options(".*", handler);
  // Answers httplib made itself (413 a body above the limit, 400 a request
  // it could not parse, 414 a long URI): JSON like every other answer.
  server.set_error_handler([&config](const httplib::Request& req, httplib::Response& res) {
    wipe(req);
    if (!res.body.empty()) return;
    const bool large = res.status == 413;
    const bool form = req.get_header_value("Content-Type").rfind("application/x-www-form-urlencoded", 0) == 0;
    std::string why = "the request could not be read (HTTP " + std::to_string(res.status) + ")";
    if (large)
      why = form ? "a form-encoded body (curl -d without a Content-Type) is limited to 8 KiB by the HTTP library; "
                   "send Content-Type: application/json or application/octet-stream"
                 : "the body is above the limit (a value of " + std::to_string(config.limits.body_bytes_max) + " bytes)";
    write(gateway::error_response(res.status, large ? "body_too_large" : "bad_request", why), res);
  });
  server.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
    write(gateway::error_response(500, "internal", "the gateway failed on this request; see its log"), res);
  });
}

} // namespace

int serve_gateway(const deploy::gateway_config& config, const cli::client::common& cluster) {
  const stop_signals stop;

  caf::actor_system_config cfg;
  configure_transport(cfg, cli::client::transport(cluster));
  caf::actor_system sys{cfg};
  std::unique_ptr<httplib::Server> server;
  if (config.tls())
    server = std::make_unique<httplib::SSLServer>(config.tls_certificate_file.c_str(), config.tls_key_file.c_str());
  else
    server = std::make_unique<httplib::Server>();
  if (!server->is_valid()) {
    std::cerr << "pss gateway: cannot use the TLS certificate " << config.tls_certificate_file << " and key "
              << config.tls_key_file << " (unreadable, or not a matching PEM pair)\n";
    return cli::exit_code::usage;
  }
  gateway_server gateway{config, cluster, sys};
  configure(*server, config, gateway);
  if (!server->bind_to_port(config.listen.host, config.listen.port)) {
    std::cerr << "pss gateway: cannot listen on " << config.listen.to_string()
              << " (in use, or not an address of this host)\n";
    return cli::exit_code::failed;
  }
  std::thread listener([&] { server->listen_after_bind(); });
  std::thread observer([&] { gateway.observe_until_stopped(); });
  std::cerr << "pss gateway: listening on " << (config.tls() ? "https://" : "http://") << config.listen.to_string()
            << " for cluster " << cluster.cluster.cluster_id << " (" << config.keys.size() << " API keys)\n";
  std::cerr << "pss gateway: stopping on " << stop.wait() << "\n";
  // stop() does nothing before the listener runs: a signal right at start must not hang.
  for (int i = 0; i < 500 && !server->is_running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds{10});
  server->stop();
  listener.join();
  gateway.stop_observing();
  observer.join();
  return cli::exit_code::ok;
}

} // namespace pss::actors
