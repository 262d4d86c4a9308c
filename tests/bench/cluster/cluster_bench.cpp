// cluster_bench: the same client workload against a running pss cluster
// (--pss CLUSTER_FILE), a running etcd cluster (--etcd URL,...) or a pss
// gateway in front of a pss cluster (--gateway URL), so that
// scripts/bench-cluster and scripts/bench-gateway can print them side by side.
//
// Three measurements, each after a short warm-up: sequential put latency
// (one client, distinct names, random values), sequential get latency of
// those names (every value is checked), and put throughput with C
// concurrent clients for S seconds each. A pss client is one
// remote_client session; an etcd client is one keep-alive HTTP connection
// to the v3 JSON gateway; a gateway client is one keep-alive connection to
// pss gateway, values as raw bytes. Latency is steady_clock around each operation as
// the client sees it. The program asserts nothing about time; it prints.
// It never prints a value or the identity's seed.
#include <boost/program_options.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <future>
#include <iostream>
#include <latch>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>
#include <sodium.h>

#include "caf/actor_system.hpp"
#include "caf/actor_system_config.hpp"

#include "actors/network.hpp"
#include "actors/remote_client.hpp"
#include "actors/wall_clock.hpp"
#include "deploy/config.hpp"
#include "secrets/client_engine.hpp"

namespace po = boost::program_options;
using json = nlohmann::json;
using steady = std::chrono::steady_clock;

namespace {

constexpr std::chrono::milliseconds connect_wait_max{3'000};
constexpr std::chrono::milliseconds operation_wait_max{15'000};
constexpr int http_timeout_seconds = 15;

struct settings {
  std::size_t ops = 300;
  std::size_t warmup = 20;
  std::size_t value_bytes = 64;
  double seconds = 10;
  std::vector<std::size_t> clients{16, 64};
};

// One client session: one operation at a time. Both calls return whether
// the operation succeeded; get also checks that it read `value`.
class session {
public:
  virtual ~session() = default;
  [[nodiscard]] virtual bool put(const std::string& name, const std::string& value) = 0;
  [[nodiscard]] virtual bool get(const std::string& name, const std::string& value) = 0;
};
using session_factory = std::function<std::unique_ptr<session>(std::size_t index)>;

std::string random_bytes(std::size_t n) {
  std::string s(n, '\0');
  randombytes_buf(s.data(), s.size());
  return s;
}

std::string random_tag() {
  std::string raw = random_bytes(4), hex(9, '\0');
  sodium_bin2hex(hex.data(), hex.size(), reinterpret_cast<const unsigned char*>(raw.data()), raw.size());
  hex.pop_back();
  return hex;
}

// ---- pss ---------------------------------------------------------------------------

class pss_session final : public session {
public:
  pss_session(caf::actor_system& sys, const std::map<pss::node_id, caf::actor>& nodes,
              const pss::secrets::client_options& o)
    : client_{sys, nodes, o} {}

  bool put(const std::string& name, const std::string& value) override {
    pss::actors::client_request r;
    r.kind = pss::secrets::operation_kind::put;
    r.name = name;
    r.value = pss::secure_bytes{pss::as_bytes(value)};
    auto done = wait(client_.start(std::move(r)));
    return done && done->outcome == pss::secrets::operation_outcome::ok;
  }

  bool get(const std::string& name, const std::string& value) override {
    pss::actors::client_request r;
    r.kind = pss::secrets::operation_kind::get;
    r.name = name;
    auto done = wait(client_.start(std::move(r)));
    return done && done->outcome == pss::secrets::operation_outcome::ok && done->value
           && done->value->equals(pss::as_bytes(value));
  }

private:
  static std::optional<pss::secrets::completion> wait(std::future<pss::secrets::completion> f) {
    if (f.wait_for(operation_wait_max) != std::future_status::ready) return std::nullopt;
    return f.get();
  }
  pss::actors::remote_client client_;
};

// ---- etcd (v3 JSON gateway) -----------------------------------------------------------

std::string base64(const std::string& in) {
  std::string out(sodium_base64_ENCODED_LEN(in.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(in.data()), in.size(),
                    sodium_base64_VARIANT_ORIGINAL);
  out.resize(std::strlen(out.c_str()));
  return out;
}

class etcd_session final : public session {
public:
  explicit etcd_session(const std::string& url) : http_{url} {
    http_.set_keep_alive(true);
    // Without TCP_NODELAY, Nagle and delayed acks add about 40 ms per request.
    http_.set_tcp_nodelay(true);
    http_.set_read_timeout(http_timeout_seconds, 0);
    http_.set_write_timeout(http_timeout_seconds, 0);
  }

  bool put(const std::string& name, const std::string& value) override {
    const json body{{"key", base64(name)}, {"value", base64(value)}};
    auto res = http_.Post("/v3/kv/put", body.dump(), "application/json");
    return res && res->status == 200;
  }

  // The range request is linearizable: etcd's default (serializable=false).
  bool get(const std::string& name, const std::string& value) override {
    const json body{{"key", base64(name)}};
    auto res = http_.Post("/v3/kv/range", body.dump(), "application/json");
    if (!res || res->status != 200) return false;
    auto j = json::parse(res->body, nullptr, false);
    if (j.is_discarded() || !j.contains("kvs") || j["kvs"].empty()) return false;
    return j["kvs"][0].value("value", "") == base64(value);
  }

  json post(const std::string& path) {
    auto res = http_.Post(path, "{}", "application/json");
    if (!res || res->status != 200) return json{};
    return json::parse(res->body, nullptr, false);
  }

private:
  httplib::Client http_;
};

// ---- pss gateway (its HTTP API, docs/openapi.yaml) ---------------------------------------

// One keep-alive connection to `pss gateway`, values as raw bytes: the same
// workload as the other two, one loopback HTTP round trip further out.
class gateway_session final : public session {
public:
  gateway_session(const std::string& url, const std::string& key) : http_{url} {
    http_.set_keep_alive(true);
    http_.set_tcp_nodelay(true);
    http_.set_read_timeout(http_timeout_seconds, 0);
    http_.set_write_timeout(http_timeout_seconds, 0);
    http_.set_default_headers({{"Authorization", "Bearer " + key}});
  }

  bool put(const std::string& name, const std::string& value) override {
    auto res = http_.Put(("/v1/secrets/bench/" + name).c_str(), value, "application/octet-stream");
    return res && res->status == 200;
  }

  bool get(const std::string& name, const std::string& value) override {
    auto res = http_.Get(("/v1/secrets/bench/" + name).c_str(), {{"Accept", "application/octet-stream"}});
    return res && res->status == 200 && res->body == value;
  }

  // One round trip that does no cluster work: the HTTP cost alone.
  bool health() {
    auto res = http_.Get("/v1/sys/health");
    return res && res->status == 200;
  }

private:
  httplib::Client http_;
};

// The leader first, so the sequential client talks to it as a well-informed
// etcd client would; the order is unchanged if the status call fails.
std::vector<std::string> leader_first(std::vector<std::string> urls) {
  for (std::size_t i = 0; i < urls.size(); ++i) {
    etcd_session s{urls[i]};
    json st = s.post("/v3/maintenance/status");
    if (st.is_discarded() || !st.contains("header") || !st.contains("leader")) continue;
    if (st["header"].value("member_id", "") == st.value("leader", "-")) {
      std::rotate(urls.begin(), urls.begin() + static_cast<std::ptrdiff_t>(i), urls.begin() + static_cast<std::ptrdiff_t>(i) + 1);
      std::cerr << "cluster_bench: etcd leader is " << urls[0] << "\n";
      break;
    }
  }
  return urls;
}

// ---- measurement ----------------------------------------------------------------------

struct latency {
  std::vector<double> micros; // successful operations only
  std::size_t failed = 0;
};

double percentile(std::vector<double> v, double q) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(v.size())));
  return v[std::clamp<std::size_t>(rank, 1, v.size()) - 1];
}

json summary(const latency& l) {
  return {{"ok", l.micros.size()}, {"failed", l.failed},
          {"median_us", percentile(l.micros, 0.5)}, {"p99_us", percentile(l.micros, 0.99)}};
}

template <class Op>
latency timed(std::size_t n, Op op) {
  latency l;
  for (std::size_t i = 0; i < n; ++i) {
    const auto start = steady::now();
    const bool ok = op(i);
    const auto end = steady::now();
    if (ok) l.micros.push_back(std::chrono::duration<double, std::micro>(end - start).count());
    else ++l.failed;
  }
  return l;
}

json throughput(const session_factory& make, std::size_t clients, const settings& s, const std::string& tag) {
  std::vector<std::unique_ptr<session>> sessions;
  for (std::size_t c = 0; c < clients; ++c) sessions.push_back(make(c));
  const std::string value = random_bytes(s.value_bytes);
  // One put per session first, so connection set-up is not measured.
  for (std::size_t c = 0; c < clients; ++c)
    if (!sessions[c]->put("warm-" + tag + "-" + std::to_string(clients) + "-" + std::to_string(c), value))
      std::cerr << "cluster_bench: warm-up put of client " << c << " failed\n";
  std::atomic<std::uint64_t> ok{0}, failed{0};
  std::latch ready{static_cast<std::ptrdiff_t>(clients) + 1};
  steady::time_point deadline;
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (std::size_t c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      const std::string prefix = "tp-" + tag + "-" + std::to_string(clients) + "-" + std::to_string(c) + "-";
      ready.arrive_and_wait();
      while (!go.load()) std::this_thread::yield();
      for (std::uint64_t i = 0; steady::now() < deadline; ++i)
        (sessions[c]->put(prefix + std::to_string(i), value) ? ok : failed).fetch_add(1);
    });
  }
  ready.arrive_and_wait();
  const auto start = steady::now();
  deadline = start + std::chrono::duration_cast<steady::duration>(std::chrono::duration<double>(s.seconds));
  go.store(true);
  for (auto& t : threads) t.join();
  const double elapsed = std::chrono::duration<double>(steady::now() - start).count();
  return {{"clients", clients}, {"seconds", elapsed}, {"ok", ok.load()}, {"failed", failed.load()},
          {"puts_per_second", static_cast<double>(ok.load()) / elapsed}};
}

json run(const std::string& system, const session_factory& make, const settings& s) {
  const std::string tag = random_tag();
  auto one = make(0);
  std::vector<std::string> names, values;
  for (std::size_t i = 0; i < s.ops; ++i) {
    names.push_back("seq-" + tag + "-" + std::to_string(i));
    values.push_back(random_bytes(s.value_bytes));
  }
  const std::string warm_value = random_bytes(s.value_bytes);
  std::size_t warm_failed = 0;
  for (std::size_t i = 0; i < s.warmup; ++i) {
    const std::string name = "warm-" + tag + "-" + std::to_string(i);
    warm_failed += one->put(name, warm_value) ? 0 : 1;
    warm_failed += one->get(name, warm_value) ? 0 : 1;
  }
  if (warm_failed > 0) std::cerr << "cluster_bench: " << warm_failed << " warm-up operations failed\n";
  std::cerr << "cluster_bench: " << system << ": " << s.ops << " sequential puts\n";
  json out{{"system", system}, {"ops", s.ops}, {"value_bytes", s.value_bytes}};
  out["put"] = summary(timed(s.ops, [&](std::size_t i) { return one->put(names[i], values[i]); }));
  std::cerr << "cluster_bench: " << system << ": " << s.ops << " sequential gets\n";
  out["get"] = summary(timed(s.ops, [&](std::size_t i) { return one->get(names[i], values[i]); }));
  one.reset();
  out["throughput"] = json::array();
  for (auto c : s.clients) {
    std::cerr << "cluster_bench: " << system << ": " << c << " clients for " << s.seconds << " s\n";
    out["throughput"].push_back(throughput(make, c, s, tag));
  }
  return out;
}

void print_text(const json& r) {
  const std::string sys = r["system"];
  for (const char* what : {"put", "get"}) {
    const auto& l = r[what];
    std::printf("%s: sequential %s  median %8.0f us  p99 %8.0f us  (%zu ok, %zu failed)\n", sys.c_str(), what,
                l["median_us"].get<double>(), l["p99_us"].get<double>(), l["ok"].get<std::size_t>(),
                l["failed"].get<std::size_t>());
  }
  for (const auto& t : r["throughput"])
    std::printf("%s: %3zu clients  %8.0f puts/s  (%llu ok, %llu failed in %.1f s)\n", sys.c_str(),
                t["clients"].get<std::size_t>(), t["puts_per_second"].get<double>(),
                static_cast<unsigned long long>(t["ok"].get<std::uint64_t>()),
                static_cast<unsigned long long>(t["failed"].get<std::uint64_t>()), t["seconds"].get<double>());
}

// ---- the two modes ------------------------------------------------------------------------

int run_pss(const std::string& path, const settings& s, bool as_json) {
  auto cluster = pss::deploy::load_cluster_file(path);
  if (!cluster.ok()) {
    std::cerr << "cluster_bench: " << cluster.err().message() << "\n";
    return 2;
  }
  auto identity = pss::deploy::client_identity(*cluster, std::getenv("PSS_IDENTITY"));
  if (!identity.ok()) {
    std::cerr << "cluster_bench: " << identity.err().message() << "\n";
    return 2;
  }
  pss::actors::transport_options t;
  t.tls = !cluster->insecure_plaintext;
  if (cluster->tls) {
    t.ca_file = cluster->tls->ca_file;
    t.certificate_file = cluster->tls->certificate_file;
    t.key_file = cluster->tls->key_file;
  }
  caf::actor_system_config cfg;
  pss::actors::configure_transport(cfg, t);
  caf::actor_system sys{cfg};
  std::vector<pss::actors::member_address> members;
  for (const auto& m : cluster->members) members.push_back({m.id, m.address.host, m.address.port});
  auto connected = pss::actors::connect_all(sys, members, t.tls, connect_wait_max);
  if (connected.nodes.size() < cluster->members.size()) {
    for (const auto& f : connected.failures) std::cerr << "cluster_bench: " << f << "\n";
    std::cerr << "cluster_bench: reached " << connected.nodes.size() << " of " << cluster->members.size()
              << " nodes; start the cluster first (scripts/cluster start)\n";
    return 5;
  }
  pss::secrets::client_options base;
  base.identity = std::make_shared<const pss::crypto::sign_key_pair>(std::move(*identity));
  base.wall_clock_offset = pss::actors::wall_clock_offset();
  base.expected_cluster_id = cluster->cluster_id;
  base.expected_members = cluster->view();
  session_factory make = [&](std::size_t) {
    auto o = base;
    o.id = pss::actors::random_client_id();
    return std::make_unique<pss_session>(sys, connected.nodes, o);
  };
  const json r = run("pss", make, s);
  if (as_json) std::cout << r.dump() << "\n";
  else print_text(r);
  std::fflush(stdout);
  // Dial threads and the middleman need no orderly shutdown here.
  ::_exit(0);
}

int run_etcd(const std::string& list, const settings& s, bool as_json) {
  std::vector<std::string> urls;
  std::stringstream in{list};
  for (std::string u; std::getline(in, u, ',');)
    if (!u.empty()) urls.push_back(u);
  if (urls.empty()) {
    std::cerr << "cluster_bench: --etcd needs at least one URL\n";
    return 2;
  }
  urls = leader_first(urls);
  // Concurrent clients spread over the members, one connection each.
  session_factory make = [&](std::size_t i) { return std::make_unique<etcd_session>(urls[i % urls.size()]); };
  const json r = run("etcd", make, s);
  if (as_json) std::cout << r.dump() << "\n";
  else print_text(r);
  return 0;
}

int run_gateway(const std::string& url, const settings& s, bool as_json) {
  const char* key = std::getenv("PSS_GATEWAY_KEY");
  if (key == nullptr || *key == '\0') {
    std::cerr << "cluster_bench: --gateway needs the API key in PSS_GATEWAY_KEY\n";
    return 2;
  }
  session_factory make = [&](std::size_t) { return std::make_unique<gateway_session>(url, key); };
  json r = run("gateway", make, s);
  gateway_session probe{url, key};
  r["http_round_trip"] = summary(timed(s.ops, [&](std::size_t) { return probe.health(); }));
  if (as_json) {
    std::cout << r.dump() << "\n";
  } else {
    print_text(r);
    std::printf("gateway: /v1/sys/health round trip  median %8.0f us\n", r["http_round_trip"]["median_us"].get<double>());
  }
  return 0;
}

std::vector<std::size_t> parse_list(const std::string& text) {
  std::vector<std::size_t> out;
  std::stringstream in{text};
  for (std::string n; std::getline(in, n, ',');)
    if (!n.empty()) out.push_back(std::stoul(n));
  return out;
}

} // namespace

int main(int argc, char** argv) {
  if (sodium_init() < 0) return 1;
  // scripts/bench runs every program under tests/bench with no arguments (or
  // Google Benchmark ones); without a cluster to measure, this one steps aside.
  const std::vector<std::string_view> args(argv + 1, argv + argc);
  const auto given = [&](std::string_view flag) {
    return std::ranges::any_of(args, [&](std::string_view a) { return a.starts_with(flag); });
  };
  if (!given("--pss") && !given("--etcd") && !given("--gateway") && !given("--help") && !given("-h")) {
    std::cerr << "cluster_bench: no cluster given (--pss, --etcd or --gateway); skipped. Run ./scripts/bench-cluster.\n";
    return 0;
  }
  settings s;
  std::string clients = "16,64";
  po::options_description opts{"usage: cluster_bench (--pss CLUSTER_FILE | --etcd URL[,URL...] | --gateway URL) [options]"};
  opts.add_options()
    ("help,h", "show this help")
    ("pss", po::value<std::string>(), "a pss cluster file (the identity from $PSS_IDENTITY or the file)")
    ("etcd", po::value<std::string>(), "etcd client URLs, comma-separated (http://127.0.0.1:2379,...)")
    ("gateway", po::value<std::string>(), "a pss gateway's URL (http://127.0.0.1:8200); the key from $PSS_GATEWAY_KEY")
    ("ops", po::value(&s.ops)->default_value(s.ops), "sequential puts, then gets of them")
    ("warmup", po::value(&s.warmup)->default_value(s.warmup), "unmeasured put+get pairs first")
    ("value-bytes", po::value(&s.value_bytes)->default_value(s.value_bytes), "size of each random value")
    ("clients", po::value(&clients)->default_value(clients), "concurrent clients for the throughput runs")
    ("seconds", po::value(&s.seconds)->default_value(s.seconds), "length of each throughput run")
    ("json", "print one JSON object on standard output");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, opts), vm);
    po::notify(vm);
    s.clients = parse_list(clients);
  } catch (const std::exception& e) {
    std::cerr << "cluster_bench: " << e.what() << " (try --help)\n";
    return 2;
  }
  if (vm.count("help") || vm.count("pss") + vm.count("etcd") + vm.count("gateway") != 1) {
    std::cout << opts << "\nExactly one of --pss, --etcd and --gateway. Progress goes to standard error.\n";
    return vm.count("help") ? 0 : 2;
  }
  const bool as_json = vm.count("json") > 0;
  if (vm.count("pss")) return run_pss(vm["pss"].as<std::string>(), s, as_json);
  if (vm.count("gateway")) return run_gateway(vm["gateway"].as<std::string>(), s, as_json);
  return run_etcd(vm["etcd"].as<std::string>(), s, as_json);
}
