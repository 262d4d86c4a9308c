// What every client command shares (cmd_client.cpp, cmd_access.cpp): the
// common options, the cluster file and identity, dialling the members, running
// one client_engine operation, and reporting its outcome with the documented
// exit codes. Nothing here prints a share, a key or a seed.
#pragma once

#include <boost/program_options.hpp>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "caf/actor_system.hpp"
#include "caf/actor_system_config.hpp"

#include "actors/network.hpp"
#include "actors/remote_client.hpp"
#include "commands.hpp"
#include "deploy/config.hpp"
#include "secrets/client_engine.hpp"

namespace pss::cli::client {

namespace po = boost::program_options;
using json = nlohmann::json;

// How long to wait for the connections, and for one operation.
inline constexpr std::chrono::milliseconds connect_wait_max{3'000};
inline constexpr std::chrono::milliseconds operation_wait_max{15'000};
inline constexpr std::chrono::milliseconds status_wait_max{2'000};

namespace code {
inline constexpr int not_found = 4;
inline constexpr int unavailable = 5;
inline constexpr int unknown = 6;
inline constexpr int not_authorised = 7;
inline constexpr int verification = 8;
} // namespace code

struct common {
  deploy::cluster_file cluster;
  std::shared_ptr<const crypto::sign_key_pair> identity;
  bool json = false;
  bool tls = true;
};

struct command_spec {
  const char* synopsis;
  const char* description;
};

// Ends the process: dial threads may still block on an unreachable host,
// and nothing on the client side needs an orderly shutdown.
[[noreturn]] void finish(int rc);
void report_error(const common& c, const std::string& message, int rc, const json& extra = json::object());
[[nodiscard]] std::vector<actors::member_address> addresses(const deploy::cluster_file& c);
// The engine's options for this cluster file and identity: a fresh client
// id, and the file's cluster id and members as the only ones it accepts.
[[nodiscard]] secrets::client_options client_options_for(const common& c);
// "90s", "30m", "24h", "7d"; a bare number is seconds. In milliseconds.
[[nodiscard]] result<std::uint64_t> parse_age_ms(const std::string& text);
// Connects, runs one operation and returns its completion (or exits).
[[nodiscard]] secrets::completion run_operation(const common& c, caf::actor_system& sys, actors::client_request r);
// Reports a completion (JSON `j` with --json) and returns its exit code.
int outcome(const common& c, const secrets::completion& done, const std::string& what, json j);
// The cluster file and identity from the options and environment.
int load_common(const po::variables_map& vm, common& c);
// Parses the command line; -1 to go on, otherwise the exit code (help printed, or bad usage).
int parse(int argc, char** argv, po::options_description& specific, po::positional_options_description& pos,
          const command_spec& spec, po::variables_map& vm);
[[nodiscard]] actors::transport_options transport(const common& c);

// Runs `body` with a TLS actor system configured from the cluster file.
template <class Body>
int with_system(const common& c, Body body) {
  caf::actor_system_config cfg;
  actors::configure_transport(cfg, transport(c));
  caf::actor_system sys{cfg};
  finish(body(sys));
}

} // namespace pss::cli::client
