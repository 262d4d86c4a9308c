// The client commands against a running cluster: put, get, list, delete,
// status and refresh.
//
// Each loads the cluster file (--cluster or PSS_CLUSTER, src/deploy), takes
// the identity from PSS_IDENTITY or the file's identity_file (requests are signed
// with it for each node), dials every member in
// parallel over mutual TLS with the client's own certificate, and runs one
// operation of secrets::client_engine in a small actor. The client refuses a
// cluster whose membership differs from its file. `pss get` writes the
// secret, and nothing else, to standard output; everything else goes to
// standard error, or to standard output as JSON with --json. Nothing here
// prints a share, a key or a seed.
#include <boost/program_options.hpp>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <future>
#include <iostream>
#include <thread>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <sodium.h>

#include "caf/actor_system.hpp"
#include "caf/actor_system_config.hpp"
#include "caf/event_based_actor.hpp"
#include "caf/scoped_actor.hpp"
#include "caf/send.hpp"
#include "caf/stateful_actor.hpp"

#include "actors/client_cli.hpp"
#include "actors/cluster_status.hpp"
#include "actors/progress.hpp"
#include "actors/messages.hpp"
#include "actors/network.hpp"
#include "actors/remote_client.hpp"
#include "commands.hpp"
#include "read_input.hpp"
#include "crypto/envelope.hpp"
#include "crypto/random_source.hpp"
#include "deploy/config.hpp"
#include "secrets/client_engine.hpp"

namespace pss::cli {

namespace {
// An epoch's age for the status table: 42s, 17m, 5h, 3d.
std::string short_age(std::uint64_t ms) {
  const std::uint64_t s = ms / 1000;
  if (s < 120) return std::to_string(s) + "s";
  if (s < 120 * 60) return std::to_string(s / 60) + "m";
  if (s < 48 * 3600) return std::to_string(s / 3600) + "h";
  return std::to_string(s / 86400) + "d";
}
} // namespace

using namespace client; // NOLINT: the shared parts of every client command

int run_put(int argc, char** argv) {
  po::options_description o{"options"};
  o.add_options()("name", po::value<std::string>(), "the secret's name")
    ("file", po::value<std::string>(), "read the value from FILE instead of standard input ('-' = stdin)");
  po::positional_options_description pos;
  pos.add("name", 1);
  po::variables_map vm;
  if (int rc = parse(argc, argv, o, pos,
                     {"pss put NAME [--file FILE]",
                      "Stores a new version of NAME. The value (up to 64 KiB, byte for byte) comes from standard\n"
                      "input or --file. It is sealed under a fresh key that is split into one verified share per\n"
                      "node; prints the version stored."}, vm); rc >= 0)
    return rc;
  common c;
  if (int rc = load_common(vm, c); rc != exit_code::ok) return rc;
  if (!vm.count("name")) {
    report_error(c, "put needs a NAME (try --help)", exit_code::usage);
    return exit_code::usage;
  }
  auto value = read_file_or_stdin(vm.count("file") ? vm["file"].as<std::string>() : std::string{},
                                  crypto::payload_bytes_max, "the value");
  if (!value.ok()) {
    report_error(c, value.err().message(), exit_code::usage);
    return exit_code::usage;
  }
  auto r = actors::client_request::of(secrets::operation_kind::put, vm["name"].as<std::string>());
  r.value = std::move(*value);
  return with_system(c, [&](caf::actor_system& sys) {
    auto done = run_operation(c, sys, std::move(r));
    json j;
    j["name"] = vm["name"].as<std::string>();
    if (done.outcome == secrets::operation_outcome::ok) {
      j["version"] = done.version.value();
      j["holders"] = done.answered;
      if (!c.json)
        std::cerr << "stored " << vm["name"].as<std::string>() << " version " << done.version.value() << " on "
                  << done.answered << " nodes\n";
    }
    return outcome(c, done, "put " + vm["name"].as<std::string>(), j);
  });
}

int run_get(int argc, char** argv) {
  po::options_description o{"options"};
  o.add_options()("name", po::value<std::string>(), "the secret's name")
    ("version", po::value<std::uint64_t>(), "read this version (default: the latest)");
  po::positional_options_description pos;
  pos.add("name", 1);
  po::variables_map vm;
  if (int rc = parse(argc, argv, o, pos,
                     {"pss get NAME [--version V]",
                      "Reads NAME: asks the holders for their shares, verifies each against the public\n"
                      "commitments, rebuilds the key from t good ones and opens the value. Writes the value,\n"
                      "and nothing else, to standard output (with --json: a JSON object with the value in\n"
                      "base64). Nodes whose shares fail verification are named on standard error."}, vm); rc >= 0)
    return rc;
  common c;
  if (int rc = load_common(vm, c); rc != exit_code::ok) return rc;
  if (!vm.count("name")) {
    report_error(c, "get needs a NAME (try --help)", exit_code::usage);
    return exit_code::usage;
  }
  auto r = actors::client_request::of(secrets::operation_kind::get, vm["name"].as<std::string>());
  if (vm.count("version")) r.version = secret_version{vm["version"].as<std::uint64_t>()};
  return with_system(c, [&](caf::actor_system& sys) {
    auto done = run_operation(c, sys, std::move(r));
    json j;
    j["name"] = vm["name"].as<std::string>();
    if (done.outcome == secrets::operation_outcome::ok && done.value) {
      for (auto b : done.bad_nodes)
        std::cerr << "pss: warning: node " << b.value() << " served a share that failed verification; skipped\n";
      j["version"] = done.version.value();
      if (c.json) {
        std::string encoded(sodium_base64_encoded_len(done.value->size(), sodium_base64_VARIANT_ORIGINAL), '\0');
        sodium_bin2base64(encoded.data(), encoded.size(), done.value->data(), done.value->size(),
                          sodium_base64_VARIANT_ORIGINAL);
        encoded.resize(std::strlen(encoded.c_str()));
        j["value_base64"] = encoded;
        sodium_memzero(encoded.data(), encoded.size());
      } else {
        std::fwrite(done.value->data(), 1, done.value->size(), stdout);
      }
    }
    const int rc = outcome(c, done, "get " + vm["name"].as<std::string>(), j);
    done.value.reset();
    return rc;
  });
}

int run_list(int argc, char** argv) {
  po::options_description o{"options"};
  po::positional_options_description pos;
  po::variables_map vm;
  if (int rc = parse(argc, argv, o, pos, {"pss list", "Lists the secrets' names and latest versions (deleted ones are "
                                                      "not shown)."}, vm); rc >= 0)
    return rc;
  common c;
  if (int rc = load_common(vm, c); rc != exit_code::ok) return rc;
  return with_system(c, [&](caf::actor_system& sys) {
    auto done = run_operation(c, sys, actors::client_request::of(secrets::operation_kind::list));
    json j;
    j["secrets"] = json::array();
    for (const auto& item : done.items) {
      if (item.deleted) continue;
      j["secrets"].push_back({{"name", item.name}, {"version", item.latest.value()}});
      if (!c.json) std::cout << item.name << "\t" << item.latest.value() << "\n";
    }
    return outcome(c, done, "list", j);
  });
}

int run_delete(int argc, char** argv) {
  po::options_description o{"options"};
  o.add_options()("name", po::value<std::string>(), "the secret's name");
  po::positional_options_description pos;
  pos.add("name", 1);
  po::variables_map vm;
  if (int rc = parse(argc, argv, o, pos, {"pss delete NAME", "Deletes NAME with all its versions; the nodes erase "
                                                             "their shares."}, vm); rc >= 0)
    return rc;
  common c;
  if (int rc = load_common(vm, c); rc != exit_code::ok) return rc;
  if (!vm.count("name")) {
    report_error(c, "delete needs a NAME (try --help)", exit_code::usage);
    return exit_code::usage;
  }
  return with_system(c, [&](caf::actor_system& sys) {
    auto done = run_operation(c, sys, actors::client_request::of(secrets::operation_kind::remove, vm["name"].as<std::string>()));
    json j;
    j["name"] = vm["name"].as<std::string>();
    if (done.outcome == secrets::operation_outcome::ok && !c.json)
      std::cerr << "deleted " << vm["name"].as<std::string>() << "\n";
    return outcome(c, done, "delete " + vm["name"].as<std::string>(), j);
  });
}

namespace {

// The cluster's epoch, whether a round runs, and the rounds aborted, as the
// members that answered see them (the highest of each).
struct refresh_view {
  std::uint64_t epoch = 0, aborted = 0, at_epoch = 0, answered = 0;
  bool running = false;
  std::string last_abort;
};

refresh_view view_of(const json& status) {
  refresh_view v;
  for (const auto& m : status["members"]) {
    if (!m.value("reachable", false)) continue;
    ++v.answered;
    v.epoch = std::max(v.epoch, m["epoch"].get<std::uint64_t>());
    v.running = v.running || m.value("round_running", false);
    if (m["rounds_aborted"].get<std::uint64_t>() >= v.aborted) {
      v.aborted = m["rounds_aborted"].get<std::uint64_t>();
      v.last_abort = m.value("last_abort_reason", std::string{});
    }
  }
  for (const auto& m : status["members"])
    if (m.value("reachable", false) && m["epoch"].get<std::uint64_t>() == v.epoch) ++v.at_epoch;
  return v;
}

// Waits until the epoch passes `before`, showing the phases on a terminal.
int wait_for_epoch(const common& c, caf::actor_system& sys, const refresh_view& before, std::chrono::seconds limit,
                   progress& shown) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  auto connected = actors::connect_all(sys, addresses(c.cluster), c.tls, connect_wait_max);
  refresh_view now = before;
  while (std::chrono::steady_clock::now() < deadline) {
    now = view_of(actors::collect_status(sys, c.cluster, connected));
    if (now.epoch > before.epoch) {
      const std::string line = "refresh: committed, epoch " + std::to_string(now.epoch) + " ("
                               + std::to_string(now.at_epoch) + " of " + std::to_string(c.cluster.members.size())
                               + " members there so far)";
      if (shown.on()) shown.done(line);
      else if (!c.json) std::cerr << line << "\n";
      if (c.json) std::cout << json{{"ok", true}, {"epoch", now.epoch}, {"epoch_before", before.epoch}}.dump() << "\n";
      return exit_code::ok;
    }
    std::string phase = now.running ? "refresh: round running for epoch " + std::to_string(before.epoch + 1)
                                    : "refresh: waiting for the leader to begin the round";
    if (now.aborted > before.aborted)
      phase += "; " + std::to_string(now.aborted - before.aborted) + " aborted (the last: " + now.last_abort + ")";
    shown.phase(phase);
    std::this_thread::sleep_for(std::chrono::milliseconds{300});
  }
  shown.done();
  report_error(c, "the epoch did not pass " + std::to_string(before.epoch) + " within " + std::to_string(limit.count())
                    + " s" + (now.aborted > before.aborted ? "; rounds aborted, the last: " + now.last_abort : "")
                    + "; `pss status` shows why", code::unknown);
  return code::unknown;
}

} // namespace

int run_refresh(int argc, char** argv) {
  po::options_description o{"options"};
  o.add_options()("wait", "wait until the new epoch is committed (the default on a terminal)")
    ("no-wait", "return once the leader accepted the request (the default when piped or with --json)")
    ("timeout", po::value<unsigned>()->default_value(60), "seconds --wait waits for the new epoch");
  po::positional_options_description pos;
  po::variables_map vm;
  if (int rc = parse(argc, argv, o, pos,
                     {"pss refresh [--wait | --no-wait] [--timeout S]",
                      "Asks the cluster to run a refresh round now: every share changes, the secrets do not.\n"
                      "On a terminal it waits for the new epoch and shows the round's phases on standard error;\n"
                      "piped or with --json it returns once the leader accepted the request, unless --wait.\n"
                      "`pss status` shows the epoch and the rounds aborted."}, vm); rc >= 0)
    return rc;
  common c;
  if (int rc = load_common(vm, c); rc != exit_code::ok) return rc;
  if (vm.count("wait") && vm.count("no-wait")) {
    report_error(c, "give --wait or --no-wait, not both", exit_code::usage);
    return exit_code::usage;
  }
  progress shown{c.json};
  const bool wait = vm.count("wait") > 0 || (shown.on() && vm.count("no-wait") == 0);
  return with_system(c, [&](caf::actor_system& sys) {
    refresh_view before;
    if (wait) {
      shown.phase("refresh: reading the current epoch");
      before = view_of(actors::collect_status(sys, c.cluster, actors::connect_all(sys, addresses(c.cluster), c.tls,
                                                                                    connect_wait_max)));
    }
    shown.phase("refresh: asking the leader");
    auto done = run_operation(c, sys, actors::client_request::of(secrets::operation_kind::refresh));
    if (done.outcome != secrets::operation_outcome::ok || !wait) {
      shown.done();
      if (done.outcome == secrets::operation_outcome::ok && !c.json) std::cerr << "refresh requested\n";
      return outcome(c, done, "refresh", json::object());
    }
    return wait_for_epoch(c, sys, before, std::chrono::seconds{vm["timeout"].as<unsigned>()}, shown);
  });
}

int run_status(int argc, char** argv) {
  po::options_description o{"options"};
  po::positional_options_description pos;
  po::variables_map vm;
  if (int rc = parse(argc, argv, o, pos,
                     {"pss status", "Asks every member for its health: Raft role, term, leader, commit index, the "
                                    "cluster's epoch,\nrefresh and recovery counters, its links to the other "
                                    "members, and the client requests it\nadmitted and refused by reason (expired, "
                                    "not_allowed, ...). Unreachable members are\nlisted with the reason. Exit 0 when a majority "
                                    "answered and agree on a leader, 5 otherwise."}, vm); rc >= 0)
    return rc;
  common c;
  if (int rc = load_common(vm, c); rc != exit_code::ok) return rc;
  return with_system(c, [&](caf::actor_system& sys) {
    auto connected = actors::connect_all(sys, addresses(c.cluster), c.tls, connect_wait_max);
    json j = actors::collect_status(sys, c.cluster, connected);
    const std::uint64_t leader = j["leader"].get<std::uint64_t>();
    const bool healthy = j["healthy"].get<bool>();
    if (c.json) {
      std::cout << j.dump() << "\n";
    } else {
      std::cout << "cluster " << c.cluster.cluster_id << ": " << c.cluster.members.size() << " members, threshold "
                << c.cluster.threshold << ", leader " << (leader ? "node " + std::to_string(leader) : "unknown")
                << ", " << j["answered"].get<std::uint64_t>() << " answered\n";
      std::printf("%-4s %-22s %-10s %6s %6s %8s %6s %7s %8s %8s  %s\n", "id", "address", "role", "term", "leader",
                  "commit", "epoch", "age", "secrets", "refresh", "links");
      for (const auto& row : j["members"]) {
        if (!row["reachable"].get<bool>()) {
          std::printf("%-4llu %-22s UNREACHABLE: %s\n", static_cast<unsigned long long>(row["id"].get<std::uint64_t>()),
                      row["address"].get<std::string>().c_str(), row["error"].get<std::string>().c_str());
          continue;
        }
        std::string links;
        for (const auto& p : row["peers"]) {
          links += std::to_string(p["id"].get<std::uint64_t>()) + (p["connected"].get<bool>() ? ":up " : ":DOWN ");
        }
        std::printf("%-4llu %-22s %-10s %6llu %6llu %8llu %6llu %7s %8llu %8llu  %s\n",
                    static_cast<unsigned long long>(row["id"].get<std::uint64_t>()),
                    row["address"].get<std::string>().c_str(), row["role"].get<std::string>().c_str(),
                    static_cast<unsigned long long>(row["term"].get<std::uint64_t>()),
                    static_cast<unsigned long long>(row["leader"].get<std::uint64_t>()),
                    static_cast<unsigned long long>(row["commit"].get<std::uint64_t>()),
                    static_cast<unsigned long long>(row["epoch"].get<std::uint64_t>()),
                    short_age(row["epoch_age_ms"].get<std::uint64_t>()).c_str(),
                    static_cast<unsigned long long>(row["secrets"].get<std::uint64_t>()),
                    static_cast<unsigned long long>(row["refresh_epochs_committed"].get<std::uint64_t>()),
                    links.c_str());
      }
      auto counts = [](const json& m) {
        std::string out;
        for (const auto& [why, n] : m.items()) out += " " + why + "=" + std::to_string(n.get<std::uint64_t>());
        return out;
      };
      for (const auto& row : j["members"]) {
        if (!row["reachable"].get<bool>()) continue;
        const auto id = static_cast<unsigned long long>(row["id"].get<std::uint64_t>());
        if (!row["requests_refused"].empty())
          std::printf("node %llu refused client requests:%s (admitted %llu)\n", id,
                      counts(row["requests_refused"]).c_str(),
                      static_cast<unsigned long long>(row["requests_admitted"].get<std::uint64_t>()));
        if (!row["transport_refused"].empty())
          std::printf("node %llu dropped messages at its gateway:%s\n", id, counts(row["transport_refused"]).c_str());
        if (row.contains("committee"))
          std::printf("node %llu: committee change running: %s\n", id, row["committee"].get<std::string>().c_str());
        if (const auto foreign = row["seal_keys_foreign"].get<std::uint64_t>(); foreign > 0)
          std::printf("node %llu: ALARM: %llu time(s) the cluster recorded a sealing key for it that it does not hold "
                      "(its seal file was lost, or someone else holds its signing key); it announced a new one\n",
                      id, static_cast<unsigned long long>(foreign));
        if (row["next_keys_held"].get<bool>())
          std::printf("node %llu holds next keys (its key file's .next): it switches to them when an admin's "
                      "`pss member rotate-keys --id %llu` applies\n", id, id);
        if (id == leader && row["members"].get<std::uint64_t>() != c.cluster.members.size())
          std::printf("node %llu (the leader) has %llu members in its view, the cluster file names %zu: once no change "
                      "runs, `pss cluster-file --update` takes the membership in\n",
                      id, static_cast<unsigned long long>(row["members"].get<std::uint64_t>()), c.cluster.members.size());
        if (id == leader && row["threshold"].get<std::uint64_t>() != c.cluster.threshold)
          std::printf("node %llu (the leader) has t = %llu, the cluster file says %u: clients refuse the cluster until "
                      "`pss cluster-file --update` takes it in\n",
                      id, static_cast<unsigned long long>(row["threshold"].get<std::uint64_t>()), c.cluster.threshold);
        if (const auto aborted = row["rounds_aborted_since_commit"].get<std::uint64_t>(); aborted > 0)
          std::printf("node %llu: epoch %llu for %llu s, %llu rounds aborted since (the last: %s)\n", id,
                      static_cast<unsigned long long>(row["epoch"].get<std::uint64_t>()),
                      static_cast<unsigned long long>(row["epoch_age_ms"].get<std::uint64_t>() / 1000),
                      static_cast<unsigned long long>(aborted),
                      row.value("last_abort_reason", std::string{"unknown"}).c_str());
      }
    }
    return healthy ? exit_code::ok : code::unavailable;
  });
}

} // namespace pss::cli
