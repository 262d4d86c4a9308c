#include <algorithm>
#include "actors/client_cli.hpp"

#include <cstdlib>
#include <future>
#include <iostream>
#include <unistd.h>

#include "actors/wall_clock.hpp"

namespace pss::cli::client {

namespace {

const char* const exit_codes_text =
  "exit codes: 0 ok; 1 refused or failed; 2 bad usage or cluster file; 4 no such secret or version;\n"
  "            5 too few nodes reachable or answering; 6 outcome unknown (timed out after the cluster\n"
  "            may have applied it: check with get or list); 7 refused (unsigned, or the policy does not allow this key); 8 shares failed verification";

int exit_for(const secrets::completion& done) {
  using secrets::client_error;
  if (done.outcome == secrets::operation_outcome::ok) return exit_code::ok;
  if (done.outcome == secrets::operation_outcome::unknown) return code::unknown;
  switch (done.error) {
  case client_error::unknown_secret:
  case client_error::version_not_found: return code::not_found;
  case client_error::too_few_nodes:
  case client_error::timeout: return code::unavailable;
  case client_error::not_authorised: return code::not_authorised;
  case client_error::verification_failed: return code::verification;
  default: return exit_code::failed;
  }
}

} // namespace

[[noreturn]] void finish(int rc) {
  std::fflush(stdout);
  std::fflush(stderr);
  // Dial threads may still block on an unreachable host; nothing on the
  // client side needs an orderly shutdown.
  ::_exit(rc);
}

void report_error(const common& c, const std::string& message, int rc, const json& extra) {
  if (c.json) {
    json j = extra;
    j["ok"] = false;
    j["error"] = message;
    j["exit_code"] = rc;
    std::cout << j.dump() << "\n";
  } else {
    std::cerr << "pss: " << message << "\n";
  }
}


std::vector<actors::member_address> addresses(const deploy::cluster_file& c) {
  std::vector<actors::member_address> out;
  for (const auto& m : c.members) out.push_back({m.id, m.address.host, m.address.port});
  return out;
}

secrets::client_options client_options_for(const common& c) {
  secrets::client_options o;
  o.id = actors::random_client_id();
  o.identity = c.identity;
  o.wall_clock_offset = actors::wall_clock_offset();
  o.expected_cluster_id = c.cluster.cluster_id;
  o.expected_members = c.cluster.view();
  return o;
}

result<std::uint64_t> parse_age_ms(const std::string& text) {
  std::size_t used = 0;
  unsigned long long n = 0;
  try {
    n = std::stoull(text, &used);
  } catch (const std::exception&) {
    return error{errc::invalid_argument, "not a duration"};
  }
  const std::string unit = text.substr(used);
  const std::uint64_t scale = unit.empty() || unit == "s" ? 1000 : unit == "m" ? 60'000 : unit == "h" ? 3'600'000
                              : unit == "d" ? 86'400'000 : 0;
  if (scale == 0 || n == 0 || n > 100ULL * 365 * 86'400) return error{errc::invalid_argument, "not a duration"};
  return n * scale;
}

// Connects, runs one operation and returns its completion (or exits).
secrets::completion run_operation(const common& c, caf::actor_system& sys, actors::client_request r) {
  auto connected = actors::connect_all(sys, addresses(c.cluster), c.tls, connect_wait_max);
  const bool needs_t = r.kind == secrets::operation_kind::get || r.kind == secrets::operation_kind::put;
  const std::size_t needed = needs_t ? c.cluster.threshold : 1;
  if (connected.nodes.size() < needed) {
    std::string why;
    for (const auto& f : connected.failures) why += "\n  " + f;
    json extra;
    extra["reachable"] = connected.nodes.size();
    extra["members"] = c.cluster.members.size();
    report_error(c, "reached " + std::to_string(connected.nodes.size()) + " of " + std::to_string(c.cluster.members.size())
                      + " nodes; this needs at least " + std::to_string(needed) + ":" + why,
                 code::unavailable, extra);
    finish(code::unavailable);
  }
  actors::remote_client client{sys, connected.nodes, client_options_for(c)};
  auto result = client.start(std::move(r));
  if (result.wait_for(operation_wait_max) != std::future_status::ready) {
    report_error(c, "no outcome within " + std::to_string(operation_wait_max.count()) + " ms; the cluster may or may "
                    "not have applied it", code::unknown);
    finish(code::unknown);
  }
  auto done = result.get();
  for (const auto& [id, n] : client.unpinned_replies()) {
    auto m = std::find_if(c.cluster.members.begin(), c.cluster.members.end(), [&](const auto& e) { return e.id == id; });
    std::cerr << "pss: warning: ignored " << n << " replies from node " << id.value()
              << (m != c.cluster.members.end() ? " at " + m->address.to_string() : std::string{})
              << " that did not prove the key the cluster file pins for it (an impostor at that address, "
                 "or a node whose keys changed)\n";
  }
  return done;
}

int outcome(const common& c, const secrets::completion& done, const std::string& what, json j) {
  const int rc = exit_for(done);
  if (rc != exit_code::ok) {
    std::string message = what + ": " + std::string{secrets::to_string(done.error)};
    if (!done.message.empty()) message += ": " + done.message;
    if (done.error == secrets::client_error::too_few_nodes)
      message += " (" + std::to_string(done.answered) + " answered, " + std::to_string(c.cluster.threshold)
                 + " needed)";
    for (auto b : done.bad_nodes) message += "; node " + std::to_string(b.value()) + " served a bad share";
    report_error(c, message, rc, j);
    return rc;
  }
  if (c.json) {
    j["ok"] = true;
    std::cout << j.dump() << "\n";
  }
  return rc;
}

// ---- argument handling ------------------------------------------------------------


int load_common(const po::variables_map& vm, common& c) {
  c.json = vm.count("json") > 0;
  std::string path;
  if (vm.count("cluster")) path = vm["cluster"].as<std::string>();
  else if (const char* env = std::getenv("PSS_CLUSTER")) path = env;
  if (path.empty()) {
    report_error(c, "no cluster file: pass --cluster FILE or set PSS_CLUSTER (pss init-cluster writes "
                    "client/cluster.toml)", exit_code::usage);
    return exit_code::usage;
  }
  auto cluster = deploy::load_cluster_file(path);
  if (!cluster.ok()) {
    report_error(c, cluster.err().message(), exit_code::usage);
    return exit_code::usage;
  }
  c.cluster = std::move(*cluster);
  auto identity = deploy::client_identity(c.cluster, std::getenv("PSS_IDENTITY"));
  if (!identity.ok()) {
    report_error(c, identity.err().message(), exit_code::usage);
    return exit_code::usage;
  }
  c.identity = std::make_shared<const crypto::sign_key_pair>(std::move(*identity));
  c.tls = !c.cluster.insecure_plaintext;
  return exit_code::ok;
}

int parse(int argc, char** argv, po::options_description& specific, po::positional_options_description& pos,
          const command_spec& spec, po::variables_map& vm) {
  po::options_description general{"common options"};
  general.add_options()
    ("help,h", "show this help")
    ("cluster", po::value<std::string>(), "the cluster file (default: $PSS_CLUSTER); the identity comes from "
                                          "$PSS_IDENTITY or the file's identity_file")
    ("json", "print the result as one JSON object on standard output");
  po::options_description all;
  all.add(specific).add(general);
  try {
    po::store(po::command_line_parser(argc, argv).options(all).positional(pos).run(), vm);
    if (vm.count("help")) {
      std::cout << "usage: " << spec.synopsis << "\n\n" << spec.description << "\n\n" << all << "\n"
                << exit_codes_text << "\n";
      return exit_code::ok;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "pss: " << e.what() << " (try --help)\n";
    return exit_code::usage;
  }
  return -1;
}

actors::transport_options transport(const common& c) {
  actors::transport_options t;
  t.tls = c.tls;
  if (c.cluster.tls) {
    t.ca_file = c.cluster.tls->ca_file;
    t.certificate_file = c.cluster.tls->certificate_file;
    t.key_file = c.cluster.tls->key_file;
  }
  return t;
}

} // namespace pss::cli::client
