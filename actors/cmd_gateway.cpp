// `pss gateway`: the local HTTP API (docs/gateway.md).
//
//   pss gateway --config FILE        serve (until SIGINT or SIGTERM)
//   pss gateway init ...             write a config with its first API key
//   pss gateway new-key ...          add an API key to a config
//   pss gateway routes               the routes it answers (docs/openapi.yaml)
//
// An API key is printed once, on standard output, and only its hash is
// written; nothing here prints a value, a share or an identity's seed.
#include <boost/program_options.hpp>

#include <filesystem>
#include <fstream>
#include <iostream>

#include "actors/client_cli.hpp"
#include "actors/http_gateway.hpp"
#include "commands.hpp"
#include "crypto/random_source.hpp"
#include "deploy/files.hpp"
#include "deploy/gateway_config.hpp"
#include "gateway/api_keys.hpp"
#include "gateway/http_api.hpp"

namespace po = boost::program_options;

namespace pss::cli {
namespace {

constexpr const char* gateway_usage =
  "usage: pss gateway --config FILE [--check-config]   serve the HTTP API\n"
  "       pss gateway init --cluster FILE --out FILE [--key-out FILE] [--listen HOST:PORT]\n"
  "                        [--insecure-plaintext]\n"
  "       pss gateway new-key --config FILE --label NAME --rights R [--pattern GLOB]\n"
  "       pss gateway routes\n\n"
  "The gateway is a client of the cluster that applications reach over HTTP, in the style of\n"
  "Vault's KV API: PUT/POST, GET and DELETE /v1/secrets/NAME, GET /v1/secrets?prefix=P,\n"
  "GET /v1/sys/health and /v1/sys/status (docs/openapi.yaml). It holds the cluster file's\n"
  "client identity and keeps its connections to the members open; it splits and combines\n"
  "values itself, so no node ever sees one. It listens on 127.0.0.1:8200 by default, or\n"
  "with TLS when the config names a certificate.\n\n"
  "Requests carry `Authorization: Bearer KEY`. A key is made by `init` or `new-key`, printed\n"
  "once on standard output, and only its hash is written to the config. Each key has rights\n"
  "(read, write, delete, list) on names matching a pattern; the cluster's grant to the\n"
  "identity limits it further, so a key never gets more than the identity has.\n\n"
  "Errors are JSON {\"error\": {\"code\", \"message\"}}: 400 bad name or body, 401 no key or a\n"
  "bad one, 403 a right the key lacks, 404 no such secret, 405 wrong method, 409 conflict,\n"
  "413 body above the limit, 415 content type, 429 rate, 431 headers, 503 too few nodes\n"
  "(naming how many the gateway reaches) or too many connections, 504 outcome unknown.\n"
  "The limits (threads, connections, header and body bytes, timeouts, requests a second\n"
  "per key) are in the config's [limits] table; docs/gateway.md lists them.\n\n"
  "Exit codes: 0 stopped by a signal or done, 1 failed (a port in use, a file not written),\n"
  "2 bad usage or config.";

int usage_error(const std::string& message) {
  std::cerr << "pss gateway: " << message << " (try --help)\n";
  return exit_code::usage;
}

// Parses `argv` into `vm`; -1 to go on, else the exit code.
int parse_options(int argc, char** argv, po::options_description& options, po::variables_map& vm) {
  options.add_options()("help,h", "show this help");
  try {
    po::store(po::command_line_parser(argc, argv).options(options).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    return usage_error(e.what());
  }
  if (vm.count("help")) {
    std::cout << gateway_usage << "\n\n" << options;
    return exit_code::ok;
  }
  return -1;
}

// A new key with these rights; the key itself is returned for printing.
result<std::pair<std::string, deploy::gateway_key>> make_key(const std::string& label, const std::string& rights,
                                                             const std::string& pattern) {
  deploy::gateway_key key;
  key.label = label;
  key.pattern = pattern;
  auto granted = access::rights::parse(rights);
  if (!granted.ok()) return error{errc::invalid_argument, "--rights: " + granted.err().message()};
  key.granted = *granted;
  crypto::system_random random;
  std::string text = gateway::new_api_key(random);
  key.hash = gateway::api_key_hash(text);
  return std::pair{std::move(text), std::move(key)};
}

// Checks the config with the new key in it before anything is written.
status check_with(const std::string& toml, const std::string& path) {
  auto parsed = deploy::parse_gateway_config(toml, path, deploy::base_dir_of(path));
  if (!parsed.ok()) return parsed.err();
  return ok_status();
}

int gateway_init(int argc, char** argv) {
  po::options_description o{"pss gateway init"};
  o.add_options()("cluster", po::value<std::string>()->required(), "the cluster file the gateway serves")
    ("out", po::value<std::string>()->required(), "the config to write (never overwritten)")
    ("key-out", po::value<std::string>(), "write the first API key to this file (mode 0600) instead of stdout")
    ("listen", po::value<std::string>()->default_value("127.0.0.1:8200"), "where the gateway listens")
    ("insecure-plaintext", "allow plain HTTP on a non-loopback --listen (a private container network only)");
  po::variables_map vm;
  if (int rc = parse_options(argc, argv, o, vm); rc >= 0) return rc;
  const auto out = vm["out"].as<std::string>();
  auto made = make_key("default", "read,write,delete,list", "*");
  PSS_CHECK(made.ok());
  const std::string cluster = std::filesystem::absolute(vm["cluster"].as<std::string>()).lexically_normal().string();
  const std::string toml = "# pss gateway config (docs/gateway.md). Relative paths resolve against this file.\n"
                           "cluster_file = \"" + cluster + "\"\nlisten = \"" + vm["listen"].as<std::string>() + "\"\n"
                           + (vm.count("insecure-plaintext") ? "insecure_plaintext = true\n" : "")
                           + "\n[limits]\nthreads = 8\nconnections_max = 64\nrequests_per_second = 50\nburst = 100\n\n"
                           + deploy::render_gateway_key(made->second);
  if (auto s = check_with(toml, out); !s.ok()) return usage_error(s.err().message());
  if (auto s = deploy::write_new_file(out, toml, 0644); !s.ok()) {
    std::cerr << "pss gateway init: " << s.err().message() << "\n";
    return exit_code::failed;
  }
  if (vm.count("key-out")) {
    if (auto s = deploy::write_new_file(vm["key-out"].as<std::string>(), made->first + "\n", 0600); !s.ok()) {
      std::cerr << "pss gateway init: " << s.err().message() << " (the config was written; make a key with new-key)\n";
      return exit_code::failed;
    }
    std::cerr << "wrote " << out << " and the API key \"default\" to " << vm["key-out"].as<std::string>() << "\n";
  } else {
    std::cout << made->first << "\n";
    std::cerr << "wrote " << out << "; the API key \"default\" above is shown once and not stored\n";
  }
  deploy::zeroize_string(made->first);
  return exit_code::ok;
}

int gateway_new_key(int argc, char** argv) {
  po::options_description o{"pss gateway new-key"};
  o.add_options()("config", po::value<std::string>()->required(), "the gateway config to add the key to")
    ("label", po::value<std::string>()->required(), "whom the key is for (shown in logs)")
    ("rights", po::value<std::string>()->required(), "read,write,delete,list (any of them)")
    ("pattern", po::value<std::string>()->default_value("*"), "the names it may touch, a glob: 'db/*'");
  po::variables_map vm;
  if (int rc = parse_options(argc, argv, o, vm); rc >= 0) return rc;
  const auto path = vm["config"].as<std::string>();
  auto made = make_key(vm["label"].as<std::string>(), vm["rights"].as<std::string>(), vm["pattern"].as<std::string>());
  if (!made.ok()) return usage_error(made.err().message());
  auto text = deploy::read_file_bounded(path, deploy::config_file_bytes_max);
  if (!text.ok()) return usage_error(text.err().message());
  const std::string block = "\n" + deploy::render_gateway_key(made->second);
  if (auto s = check_with(std::string{text->as_string()} + block, path); !s.ok()) return usage_error(s.err().message());
  std::ofstream file{path, std::ios::app};
  file << block;
  file.flush();
  if (!file) {
    std::cerr << "pss gateway new-key: cannot append to " << path << "\n";
    return exit_code::failed;
  }
  std::cout << made->first << "\n";
  std::cerr << "added key \"" << made->second.label << "\" to " << path
            << "; it is shown once and not stored. Restart the gateway to use it.\n";
  deploy::zeroize_string(made->first);
  return exit_code::ok;
}

int gateway_serve(int argc, char** argv) {
  po::options_description o{"pss gateway"};
  o.add_options()("config", po::value<std::string>(), "the gateway config (pss gateway init writes one)")
    ("check-config", "load the config and the cluster file, report, and exit");
  po::variables_map vm;
  if (int rc = parse_options(argc, argv, o, vm); rc >= 0) return rc;
  if (!vm.count("config")) return usage_error("--config FILE is required");
  auto config = deploy::load_gateway_config(vm["config"].as<std::string>());
  if (!config.ok()) return usage_error(config.err().message());
  client::common cluster;
  auto file = deploy::load_cluster_file(config->cluster_file);
  if (!file.ok()) return usage_error(file.err().message());
  cluster.cluster = std::move(*file);
  auto identity = deploy::client_identity(cluster.cluster, std::getenv("PSS_IDENTITY"));
  if (!identity.ok()) return usage_error(identity.err().message());
  cluster.identity = std::make_shared<const crypto::sign_key_pair>(std::move(*identity));
  cluster.tls = !cluster.cluster.insecure_plaintext;
  if (vm.count("check-config")) {
    std::cout << "ok: " << config->file << ": listen " << config->listen.to_string() << (config->tls() ? " (TLS)" : "")
              << ", cluster " << cluster.cluster.cluster_id << " (" << cluster.cluster.members.size()
              << " members), " << config->keys.size() << " API keys\n";
    return exit_code::ok;
  }
  if (!harden_process()) std::cerr << "pss gateway: warning: could not disable core dumps\n";
  client::finish(actors::serve_gateway(*config, cluster));
}

int gateway_routes() {
  for (const auto& r : gateway::routes())
    std::cout << r.method << " " << r.path << " "
              << (r.needs ? std::string{access::name_of(*r.needs)} : r.authenticated ? "any-key" : "no-key") << "\n";
  return exit_code::ok;
}

} // namespace

int run_gateway(int argc, char** argv) {
  const std::string_view sub = argc >= 2 ? argv[1] : "";
  if (sub == "init") return gateway_init(argc - 1, argv + 1);
  if (sub == "new-key") return gateway_new_key(argc - 1, argv + 1);
  if (sub == "routes") return gateway_routes();
  return gateway_serve(argc, argv);
}

} // namespace pss::cli
