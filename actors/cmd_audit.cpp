// `pss audit [--since WHEN] [--name GLOB] [--node ID]`: reads the audit logs
// of the nodes that answer, checks each node's hash chain from its first
// record, and prints the records merged in time order (docs/access.md,
// "Audit"). Needs the admin right. Prints no share, value or secret key:
// the logs hold none.
#include <algorithm>
#include <chrono>
#include <ctime>
#include <iostream>

#include "actors/client_cli.hpp"
#include "access/rights.hpp"
#include "core/bytes.hpp"

namespace pss::cli {
namespace {

using namespace client;

constexpr const char* audit_description =
  "Reads every answering node's audit log: one record for each share a node released or stored,\n"
  "and each write, delete, policy change and refresh request it carried out, with who (the client's\n"
  "public key), what, which version, when and the signed request's digest. Each node's log is a\n"
  "hash chain; this command checks every chain from its first record and names a node whose log\n"
  "was cut or edited. Needs the admin right.\n\n"
  "  --since: an age (90s, 30m, 24h, 7d) or a UTC time (2026-12-04T10:00:00Z)\n"
  "  --name:  a glob over secret names ('app/*')";

struct node_log {
  node_id node;
  std::vector<audit::record> records;
  std::string problem; // empty: the chain checked out
};

std::string utc_ms(std::uint64_t at) {
  const std::time_t s = static_cast<std::time_t>(at / 1000);
  std::tm tm{};
  gmtime_r(&s, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[48];
  std::snprintf(out, sizeof out, "%s.%03lluZ", buf, static_cast<unsigned long long>(at % 1000));
  return out;
}

std::uint64_t wall_now_ms() {
  return static_cast<std::uint64_t>(
    std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count());
}

// An age ("24h") or a UTC time ("2026-12-04T10:00:00Z"), as unix ms.
result<std::uint64_t> parse_since(const std::string& text) {
  std::tm tm{};
  if (const char* end = strptime(text.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm); end != nullptr && *end == '\0')
    return static_cast<std::uint64_t>(timegm(&tm)) * 1000;
  auto age = parse_age_ms(text);
  if (!age.ok() || *age > wall_now_ms())
    return error{errc::invalid_argument, "--since wants an age (90s, 30m, 24h, 7d) or a UTC time (2026-12-04T10:00:00Z)"};
  return wall_now_ms() - *age;
}

// Reads one node's whole log, page by page, and checks its chain.
node_log read_node(actors::remote_client& client, const common& c, node_id node) {
  node_log out{node, {}, {}};
  std::uint64_t after = 0;
  for (;;) {
    auto r = actors::client_request::of(secrets::operation_kind::audit);
    r.node = node;
    r.audit_after = after;
    auto future = client.start(std::move(r));
    if (future.wait_for(operation_wait_max) != std::future_status::ready) {
      out.problem = "no answer";
      return out;
    }
    secrets::completion done = future.get();
    if (done.outcome != secrets::operation_outcome::ok) {
      out.problem = std::string{secrets::to_string(done.error)} + ": " + done.message;
      return out;
    }
    for (auto& rec : done.audit_records) out.records.push_back(std::move(rec));
    if (done.audit_records.size() < secrets::audit_records_per_response_max || out.records.empty()) break;
    after = out.records.back().seq;
  }
  if (auto st = audit::verify_chain(out.records, audit::genesis(c.cluster.cluster_id, node), 0); !st.ok())
    out.problem = "CHAIN BROKEN: " + st.err().message();
  return out;
}

json record_json(const node_log& l, const audit::record& r) {
  return {{"node", l.node.value()},      {"seq", r.seq},
          {"at", utc_ms(r.at_ms)},        {"action", std::string{audit::to_string(r.what)}},
          {"name", r.name},               {"version", r.version},
          {"client", to_hex(r.client)},   {"outcome", r.result == audit::outcome::ok ? "ok" : "refused"},
          {"request", to_hex(r.request)}};
}

int report(const common& c, const std::vector<node_log>& logs, std::uint64_t since, const std::string& name) {
  std::vector<std::pair<const node_log*, const audit::record*>> merged;
  for (const auto& l : logs)
    for (const auto& r : l.records)
      if (r.at_ms >= since && (name.empty() || access::pattern_matches(name, r.name))) merged.emplace_back(&l, &r);
  std::stable_sort(merged.begin(), merged.end(),
                   [](const auto& a, const auto& b) { return a.second->at_ms < b.second->at_ms; });
  json j;
  j["nodes"] = json::array();
  j["records"] = json::array();
  std::size_t answered = 0, broken = 0;
  for (const auto& l : logs) {
    const bool chain_broken = l.problem.rfind("CHAIN", 0) == 0;
    answered += l.problem.empty() || chain_broken;
    broken += chain_broken;
    j["nodes"].push_back({{"node", l.node.value()}, {"records", l.records.size()},
                          {"chain_ok", l.problem.empty()}, {"problem", l.problem}});
    if (!c.json)
      std::cerr << "node " << l.node.value() << ": "
                << (l.problem.empty() ? std::to_string(l.records.size()) + " records, chain intact" : l.problem) << "\n";
  }
  for (const auto& [l, r] : merged) {
    if (c.json) {
      j["records"].push_back(record_json(*l, *r));
      continue;
    }
    std::printf("%s n%-3llu #%-6llu %-15s %-24s v%-4llu key %.12s... %-7s req %.12s...\n", utc_ms(r->at_ms).c_str(),
                static_cast<unsigned long long>(l->node.value()), static_cast<unsigned long long>(r->seq),
                std::string{audit::to_string(r->what)}.c_str(), r->name.empty() ? "-" : r->name.c_str(),
                static_cast<unsigned long long>(r->version), to_hex(r->client).c_str(),
                r->result == audit::outcome::ok ? "ok" : "refused", to_hex(r->request).c_str());
  }
  const int rc = broken > 0 ? exit_code::failed : answered == 0 ? code::unavailable : exit_code::ok;
  if (c.json) {
    j["ok"] = rc == exit_code::ok;
    std::cout << j.dump() << "\n";
  }
  return rc;
}

} // namespace

int run_audit(int argc, char** argv) {
  po::options_description o{"options"};
  o.add_options()("since", po::value<std::string>(), "only records from then on (an age or a UTC time)")
    ("name", po::value<std::string>(), "only records of names this glob matches")
    ("node", po::value<std::uint64_t>(), "read this node's log only");
  po::positional_options_description pos;
  po::variables_map vm;
  if (int rc = parse(argc, argv, o, pos, {"pss audit [--since WHEN] [--name GLOB] [--node ID]", audit_description}, vm);
      rc >= 0)
    return rc;
  common c;
  if (int rc = load_common(vm, c); rc != exit_code::ok) return rc;
  std::uint64_t since = 0;
  if (vm.count("since")) {
    auto s = parse_since(vm["since"].as<std::string>());
    if (!s.ok()) {
      report_error(c, s.err().message(), exit_code::usage);
      return exit_code::usage;
    }
    since = *s;
  }
  const std::string name = vm.count("name") ? vm["name"].as<std::string>() : "";
  return with_system(c, [&](caf::actor_system& sys) {
    auto connected = actors::connect_all(sys, addresses(c.cluster), c.tls, connect_wait_max);
    const secrets::client_options options = client_options_for(c);
    std::vector<node_log> logs;
    for (const auto& m : c.cluster.members) {
      if (vm.count("node") && m.id.value() != vm["node"].as<std::uint64_t>()) continue;
      if (!connected.nodes.contains(m.id)) {
        logs.push_back(node_log{m.id, {}, "unreachable"});
        continue;
      }
      actors::remote_client client{sys, {{m.id, connected.nodes.at(m.id)}}, options};
      logs.push_back(read_node(client, c, m.id));
    }
    const bool refused = std::all_of(logs.begin(), logs.end(), [](const node_log& l) {
      return l.problem.rfind("not_authorised", 0) == 0;
    });
    if (refused && !logs.empty()) {
      report_error(c, "audit: every node refused: " + logs.front().problem, code::not_authorised);
      return code::not_authorised;
    }
    return report(c, logs, since, name);
  });
}

} // namespace pss::cli
