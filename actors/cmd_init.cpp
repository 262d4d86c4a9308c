// `pss init-cluster`: writes everything a new cluster needs to start.
//
// For N nodes it writes a cluster CA, one directory per node (config,
// private keys, TLS certificate; the admin's public key) and one client
// directory (cluster file, client certificate, the admin identity). Certificates come from the
// openssl command-line tool, run without a shell so no argument is ever
// interpreted. Every file is read back through src/deploy before the command
// reports success, so a generated config is known to load.
//
// It never prints a secret key or a seed, and it never writes into a
// directory that already holds something.
#include <boost/program_options.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "actors/cmd_init.hpp"
#include "commands.hpp"
#include "core/bytes.hpp"
#include "crypto/random_source.hpp"
#include "deploy/config.hpp"
#include "deploy/files.hpp"
#include "deploy/render.hpp"

extern char** environ;

namespace po = boost::program_options;

namespace pss::cli {

namespace init {

// The key type of every certificate key. If CAF's openssl module refuses EC
// keys, this is the one place to change: {"-newkey", "rsa:2048"}.
const std::vector<std::string> tls_key_options{"-newkey", "ec", "-pkeyopt",
                                               "ec_paramgen_curve:prime256v1"};
constexpr const char* certificate_days = "3650";
constexpr std::size_t nodes_max = 255; // = secrets::members_max
constexpr std::size_t cluster_id_random_bytes = 4;
// openssl's stderr kept for an error message; the rest is dropped.
constexpr std::size_t openssl_stderr_bytes_max = 4096;


struct init_options {
  std::size_t nodes = 0;
  std::uint32_t threshold = 0;
  std::string out;
  std::vector<std::string> hosts; // one per node
  std::uint16_t base_port = 7101;
  std::string cluster_id;
  bool insecure_plaintext = false;
  // Proactive refresh is the point of pss: on by default, hourly.
  std::uint32_t refresh_interval_ms = 3'600'000;
};

// Runs openssl with the arguments, without a shell. Success, or an error
// that carries openssl's own stderr (which never holds key material).
status run_openssl(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  std::string program = "openssl";
  argv.push_back(program.data());
  std::vector<std::string> copy = args;
  for (auto& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);

  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0)
    return error{errc::io_error, std::string{"cannot create a pipe: "} + std::strerror(errno)};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDERR_FILENO);
  pid_t pid = 0;
  const int spawned = ::posix_spawnp(&pid, "openssl", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(pipe_fds[1]);
  if (spawned != 0) {
    ::close(pipe_fds[0]);
    return error{errc::not_found, std::string{"cannot run openssl: "} + std::strerror(spawned) +
                                      " (install it: apt-get install openssl)"};
  }
  std::string stderr_text;
  char buffer[512];
  for (;;) {
    const ssize_t n = ::read(pipe_fds[0], buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (stderr_text.size() < openssl_stderr_bytes_max)
      stderr_text.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(pipe_fds[0]);
  int wait_status = 0;
  while (::waitpid(pid, &wait_status, 0) < 0 && errno == EINTR) {}
  if (WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0) return ok_status();
  while (!stderr_text.empty() && stderr_text.back() == '\n') stderr_text.pop_back();
  return error{errc::io_error, "openssl " + args.front() + " failed: " + stderr_text};
}

// A subjectAltName entry for the host: IP for an address, DNS for a name.
std::string subject_alt_name(const std::string& host) {
  unsigned char address[16];
  const bool ip = ::inet_pton(AF_INET, host.c_str(), address) == 1 ||
                  ::inet_pton(AF_INET6, host.c_str(), address) == 1;
  return (ip ? "IP:" : "DNS:") + host;
}

status make_ca(const std::string& dir, const std::string& cluster_id) {
  std::vector<std::string> args{"req", "-x509", "-new"};
  args.insert(args.end(), tls_key_options.begin(), tls_key_options.end());
  args.insert(args.end(), {"-noenc", "-keyout", dir + "/ca.key", "-out", dir + "/ca.crt",
                           "-sha256", "-days", certificate_days, "-subj", "/CN=pss-ca-" + cluster_id,
                           "-addext", "basicConstraints=critical,CA:TRUE",
                           "-addext", "keyUsage=critical,keyCertSign,cRLSign"});
  PSS_TRY(run_openssl(args));
  if (::chmod((dir + "/ca.key").c_str(), secret_file_mode) != 0)
    return error{errc::io_error, "cannot chmod 600 " + dir + "/ca.key"};
  return ok_status();
}

// A key and a certificate signed by the cluster CA. Nodes are both TLS
// servers and clients (they dial each other), so they get both usages.
status make_certificate(const std::string& ca_dir, const std::string& key_path,
                        const std::string& cert_path, const std::string& common_name,
                        const std::string& alt_name, const char* usages) {
  std::vector<std::string> args{"req", "-x509", "-new"};
  args.insert(args.end(), tls_key_options.begin(), tls_key_options.end());
  args.insert(args.end(), {"-noenc", "-keyout", key_path, "-out", cert_path, "-CA",
                           ca_dir + "/ca.crt", "-CAkey", ca_dir + "/ca.key", "-sha256", "-days",
                           certificate_days, "-subj", "/CN=" + common_name,
                           "-addext", "basicConstraints=critical,CA:FALSE",
                           "-addext", "keyUsage=critical,digitalSignature",
                           "-addext", std::string{"extendedKeyUsage="} + usages});
  if (!alt_name.empty()) args.insert(args.end(), {"-addext", "subjectAltName=" + alt_name});
  PSS_TRY(run_openssl(args));
  if (::chmod(key_path.c_str(), secret_file_mode) != 0)
    return error{errc::io_error, "cannot chmod 600 " + key_path};
  return ok_status();
}

std::string random_hex(crypto::random_source& rng, std::size_t count) {
  secure_bytes raw{count};
  rng.fill(raw.span());
  return to_hex(raw.view());
}

// DIR must be missing or empty: init-cluster never mixes its files with
// anything that was there before.
status prepare_out_dir(const std::string& dir) {
  std::error_code ec;
  if (std::filesystem::exists(dir, ec)) {
    if (!std::filesystem::is_directory(dir, ec))
      return error{errc::conflict, "'" + dir + "' exists and is not a directory; choose another --out"};
    if (!std::filesystem::is_empty(dir, ec))
      return error{errc::conflict, "'" + dir + "' already exists and is not empty; init-cluster "
                                   "never overwrites a cluster. Choose another --out, or remove it "
                                   "if it is a cluster you no longer need"};
    return ok_status();
  }
  std::filesystem::create_directories(dir, ec);
  if (ec) return error{errc::io_error, "cannot create '" + dir + "': " + ec.message()};
  return ok_status();
}

status make_dir(const std::string& path, mode_t mode) {
  if (::mkdir(path.c_str(), mode) != 0)
    return error{errc::io_error, "cannot create '" + path + "': " + std::strerror(errno)};
  return ok_status();
}

struct generated {
  std::string cluster_id;
  std::vector<deploy::member_entry> members;
  std::vector<secrets::node_keys> keys; // keys[i] belongs to members[i]
  crypto::sign_key_pair admin;          // the bootstrap admin; its seed goes to the client directory only
};

generated generate(const init_options& o, crypto::random_source& rng) {
  generated g{{}, {}, {}, crypto::sign_key_pair::generate(rng)};
  g.cluster_id = o.cluster_id.empty() ? "pss-" + random_hex(rng, cluster_id_random_bytes)
                                      : o.cluster_id;
  for (std::size_t i = 1; i <= o.nodes; ++i) {
    const auto port = static_cast<std::uint16_t>(o.hosts.size() == 1 ? o.base_port + i - 1
                                                                     : o.base_port);
    const std::string& host = o.hosts.size() == 1 ? o.hosts.front() : o.hosts[i - 1];
    secrets::node_keys keys{node_id{i}, crypto::box_key_pair::generate(rng),
                            crypto::sign_key_pair::generate(rng)};
    g.members.push_back(deploy::member_entry{node_id{i},
                                             share_index{static_cast<std::uint32_t>(i)},
                                             deploy::host_port{host, port}, keys.box.public_key,
                                             keys.sign.public_key});
    g.keys.push_back(std::move(keys));
  }
  return g;
}

std::optional<deploy::tls_files> relative_tls(const init_options& o, const char* name) {
  if (o.insecure_plaintext) return std::nullopt;
  return deploy::tls_files{"../ca.crt", std::string{name} + ".crt", std::string{name} + ".key"};
}

status write_node(const init_options& o, const generated& g, std::size_t i) {
  const deploy::member_entry& self = g.members[i];
  const std::string dir = o.out + "/node-" + std::to_string(self.id.value());
  PSS_TRY(make_dir(dir, node_dir_mode));
  deploy::node_config c;
  c.cluster_id = g.cluster_id;
  c.threshold = o.threshold;
  c.id = self.id;
  c.listen = self.address;
  c.data_dir = "data";
  c.key_file = "node.key";
  c.admin_key = g.admin.public_key;
  c.insecure_plaintext = o.insecure_plaintext;
  c.tls = relative_tls(o, "tls");
  c.members = g.members;
  c.timing.refresh_interval_ms = o.refresh_interval_ms;
  if (!o.insecure_plaintext)
    PSS_TRY(make_certificate(o.out, dir + "/tls.key", dir + "/tls.crt",
                             "pss-node-" + std::to_string(self.id.value()),
                             subject_alt_name(self.address.host), "serverAuth,clientAuth"));
  PSS_TRY(deploy::write_node_keys(dir + "/node.key", g.keys[i]));
  return deploy::write_new_file(dir + "/node.toml", deploy::render_node_config(c), public_file_mode);
}

status write_client(const init_options& o, const generated& g) {
  const std::string dir = o.out + "/client";
  PSS_TRY(make_dir(dir, node_dir_mode));
  deploy::cluster_file c;
  c.cluster_id = g.cluster_id;
  c.threshold = o.threshold;
  c.members = g.members;
  c.tls = relative_tls(o, "client");
  c.insecure_plaintext = o.insecure_plaintext;
  c.identity_file = "identity";
  if (!o.insecure_plaintext)
    PSS_TRY(make_certificate(o.out, dir + "/client.key", dir + "/client.crt", "pss-client", "",
                             "clientAuth"));
  PSS_TRY(deploy::write_identity(dir + "/identity", g.admin));
  return deploy::write_new_file(dir + "/cluster.toml", deploy::render_cluster_file(c),
                                public_file_mode);
}

// Loads every written file back the way a node and a client will.
status check_written(const init_options& o, const generated& g) {
  for (const auto& m : g.members) {
    auto config = deploy::load_node_config(o.out + "/node-" + std::to_string(m.id.value()) +
                                           "/node.toml");
    if (!config.ok()) return config.err();
    auto keys = deploy::load_node_keys(config->key_file, *config);
    if (!keys.ok()) return keys.err();
    if (config->admin_key != g.admin.public_key)
      return error{errc::mismatch, config->file + " does not name the admin identity written beside the cluster file"};
  }
  auto cluster = deploy::load_cluster_file(o.out + "/client/cluster.toml");
  if (!cluster.ok()) return cluster.err();
  auto identity = deploy::client_identity(*cluster, nullptr);
  if (!identity.ok()) return identity.err();
  return ok_status();
}

void print_summary(const init_options& o, const generated& g) {
  const bool tls = !o.insecure_plaintext;
  std::cout << "cluster " << g.cluster_id << ": " << o.nodes << " nodes, threshold "
            << o.threshold << (tls ? "" : ", INSECURE PLAINTEXT (no TLS)") << "\n\nwrote "
            << o.out << "/\n";
  if (tls) std::cout << "  ca.crt, ca.key               the cluster CA; keep ca.key offline\n";
  for (const auto& m : g.members)
    std::cout << "  node-" << m.id.value() << "/node.toml, node.key" << (tls ? ", tls.*" : "")
              << "   listens on " << m.address.to_string() << "\n";
  std::cout << "  client/cluster.toml, identity" << (tls ? ", client.*" : "")
            << "   for clients (identity: the cluster's admin key)\nsecret files (*.key, identity) are mode 0600; "
               "no node holds a client secret.\n\n"
            << "next: copy each node-<i> directory" << (tls ? ", with ca.crt beside it," : "")
            << " to its host and start it, the first time with --init:\n"
            << "  pss node --config " << o.out << "/node-<i>/node.toml --init\n"
            << "(later starts need no flag; after a lost data_dir use --rejoin)\n"
            << "clients: PSS_CLUSTER=" << o.out << "/client/cluster.toml\n";
}

// Checks the options against each other; a problem is a usage error.
status check_options(init_options& o, const po::variables_map& vm) {
  if (o.nodes < 3 || o.nodes > nodes_max)
    return error{errc::invalid_argument, "--nodes must be 3.." + std::to_string(nodes_max) +
                                             ", not " + std::to_string(o.nodes)};
  // A refresh needs t+1 members that answer (docs/refresh.md §3, step 5):
  // with n = t the shares would never be refreshed.
  if (o.threshold < 2 || o.threshold >= o.nodes)
    return error{errc::invalid_argument,
                 "--threshold must be 2..--nodes minus 1 (2.." + std::to_string(o.nodes - 1) + "), not " +
                     std::to_string(o.threshold) +
                     ": a refresh needs t+1 members, so n = t never refreshes; for example --nodes 5 --threshold 3"};
  if (vm.count("hosts")) {
    if (vm.count("host"))
      return error{errc::invalid_argument, "give --host or --hosts, not both"};
    std::stringstream list{vm["hosts"].as<std::string>()};
    for (std::string h; std::getline(list, h, ',');) o.hosts.push_back(h);
    if (o.hosts.size() != o.nodes)
      return error{errc::invalid_argument,
                   "--hosts lists " + std::to_string(o.hosts.size()) + " hosts for " +
                       std::to_string(o.nodes) + " nodes; give one per node, for example "
                       "--hosts node1.lan,node2.lan,node3.lan"};
  } else {
    o.hosts = {vm.count("host") ? vm["host"].as<std::string>() : "127.0.0.1"};
  }
  const unsigned base = vm["base-port"].as<unsigned>();
  const unsigned last = o.hosts.size() == 1 ? base + static_cast<unsigned>(o.nodes) - 1 : base;
  if (base < 1 || last > 65535)
    return error{errc::invalid_argument, "--base-port " + std::to_string(base) +
                                             " leaves no room for the ports of " +
                                             std::to_string(o.nodes) + " nodes (1..65535)"};
  o.base_port = static_cast<std::uint16_t>(base);
  if (o.refresh_interval_ms != 0 && o.refresh_interval_ms < deploy::refresh_interval_ms_min)
    return error{errc::invalid_argument, "--refresh-ms " + std::to_string(o.refresh_interval_ms) + " must be 0 (only on "
                                         "request) or at least " + std::to_string(deploy::refresh_interval_ms_min)};
  for (const auto& host : o.hosts)
    if (auto parsed = deploy::parse_host_port(deploy::host_port{host, o.base_port}.to_string());
        !parsed.ok())
      return error{errc::invalid_argument, "host '" + host + "': " + parsed.err().message()};
  if (!o.cluster_id.empty())
    if (auto s = deploy::check_cluster_id(o.cluster_id); !s.ok())
      return error{errc::invalid_argument, "--cluster-id: " + s.err().message()};
  return ok_status();
}

// The hidden --check-config: loads a node config with its keys,
// the way `pss node` will.
int check_config(const std::string& path) {
  auto report = [](const error& err) {
    std::cerr << "pss init-cluster: " << err.message() << "\n";
    return exit_code::failed;
  };
  auto node = deploy::load_node_config(path);
  if (!node.ok()) return report(node.err());
  auto keys = deploy::load_node_key_files(*node); // with a rotation's next key file, if present
  if (!keys.ok()) return report(keys.err());
  std::cout << "ok: node " << node->id.value() << " of " << node->cluster_id
            << (keys->next ? " (with next keys for a rotation)" : "") << "\n";
  return exit_code::ok;
}

// The hidden --check-cluster: loads a cluster file and its identity, the way
// a client will (PSS_IDENTITY is not consulted).
int check_cluster(const std::string& path) {
  auto cluster = deploy::load_cluster_file(path);
  if (!cluster.ok()) {
    std::cerr << "pss init-cluster: " << cluster.err().message() << "\n";
    return exit_code::failed;
  }
  if (!cluster->identity_file.empty()) {
    auto identity = deploy::client_identity(*cluster, nullptr);
    if (!identity.ok()) {
      std::cerr << "pss init-cluster: " << identity.err().message() << "\n";
      return exit_code::failed;
    }
  }
  std::cout << "ok: cluster file of " << cluster->cluster_id << "\n";
  return exit_code::ok;
}

constexpr const char* init_description =
    "Writes the configuration, keys and certificates of a new pss cluster into DIR\n"
    "(which must be missing or empty):\n"
    "  DIR/ca.crt, ca.key          a cluster CA (EC P-256, 10 years); ca.key signs every\n"
    "                              certificate below; keep it offline afterwards\n"
    "  DIR/node-<i>/node.toml      node i's config (format: docs/deployment.md)\n"
    "  DIR/node-<i>/node.key       node i's private X25519 and Ed25519 keys (mode 0600)\n"
    "  DIR/node-<i>/tls.crt, .key  node i's TLS certificate and key (0600), CN=pss-node-<i>\n"

    "  DIR/client/cluster.toml     what a client needs: members, public keys, TLS files\n"
    "  DIR/client/client.crt, .key the client's certificate and key (0600), CN=pss-client\n"
    "  DIR/client/identity         the admin's identity: an Ed25519 key pair (0600); every\n"
    "                              node config names its public key (admin_key) and no more\n"
    "Node i listens on HOST:(BASE_PORT + i - 1); with --hosts, node i listens on the i-th\n"
    "host at BASE_PORT. Certificates come from the openssl command.\n\n"
    "Next steps: copy DIR/node-<i> and DIR/ca.crt to host i (keeping node-<i>/../ca.crt),\n"
    "then start each node with `pss node --config DIR/node-<i>/node.toml --init` (only the\n"
    "first start; see `pss node --help`). Clients read\n"
    "DIR/client/cluster.toml (PSS_CLUSTER or --cluster) and the identity beside it, or\n"
    "PSS_IDENTITY. No secret is ever printed.\n\n"
    "Adding a member later: `pss init-cluster --add-node ID --out DIR [--address HOST:PORT]`\n"
    "writes DIR/node-ID/ (config with joining = true, keys, a certificate from DIR/ca.key,\n"
    "and member.toml, the public keys for `pss member add --keys`).\n"
    "Rotating a member's keys: `pss init-cluster --rotate-keys ID --out DIR` writes\n"
    "DIR/node-ID/node.key.next (its next private keys, 0600: put it beside the node's key\n"
    "file and restart the node) and member.next.toml (for `pss member rotate-keys --keys`).\n\n"
    "Exit codes: 0 written, 1 failed (DIR not empty, openssl failed), 2 bad usage.";

} // namespace init

int run_init_cluster(int argc, char** argv) {
  using namespace init;
  init_options o;
  po::options_description visible{"options"};
  visible.add_options()
    ("help,h", "show this help")
    ("nodes,n", po::value<std::size_t>(&o.nodes)->required(), "number of nodes, 3..255")
    ("threshold,t", po::value<std::uint32_t>(&o.threshold)->required(),
     "shares needed to read a secret, 2..nodes-1 (a refresh needs t+1 members)")
    ("out,o", po::value<std::string>(&o.out)->required(), "output directory (missing or empty)")
    ("host", po::value<std::string>(), "host of every node (default 127.0.0.1)")
    ("hosts", po::value<std::string>(), "one host per node, comma-separated (multi-host)")
    ("base-port", po::value<unsigned>()->default_value(7101), "port of node 1")
    ("cluster-id", po::value<std::string>(&o.cluster_id),
     "cluster id, 1..64 of [A-Za-z0-9._-] (default: random pss-<8 hex>)")
    ("refresh-ms", po::value<std::uint32_t>(&o.refresh_interval_ms)->default_value(3'600'000),
     "how often the leader refreshes every share, in ms (0: only on `pss refresh`)")
    ("insecure-plaintext", po::bool_switch(&o.insecure_plaintext),
     "no CA, no certificates, no TLS: for local experiments only")
    ("add-node", po::value<std::uint64_t>(), "write the files of a new member ID into the existing cluster --out DIR")
    ("address", po::value<std::string>(), "with --add-node: where it listens (default: node 1's host, port + ID - 1)")
    ("rotate-keys", po::value<std::uint64_t>(),
     "write next keys for member ID into the existing cluster --out DIR (pss member rotate-keys)");
  po::options_description hidden;
  hidden.add_options()
    ("check-config", po::value<std::string>(), "load a node config with its keys and tokens")
    ("check-cluster", po::value<std::string>(), "load a cluster file and its token");
  po::options_description all;
  all.add(visible).add(hidden);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(all).run(), vm);
    if (vm.count("help")) {
      std::cout << "usage: pss init-cluster --nodes N --threshold T --out DIR [options]\n\n"
                << init_description << "\n\n" << visible;
      return exit_code::ok;
    }
    if (vm.count("check-config")) return check_config(vm["check-config"].as<std::string>());
    if (vm.count("check-cluster")) return check_cluster(vm["check-cluster"].as<std::string>());
    if (vm.count("add-node")) return add_node(vm);
    if (vm.count("rotate-keys")) return rotate_keys(vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "pss init-cluster: " << e.what() << " (try --help)\n";
    return exit_code::usage;
  }
  if (auto s = check_options(o, vm); !s.ok()) {
    std::cerr << "pss init-cluster: " << s.err().message() << " (try --help)\n";
    return exit_code::usage;
  }
  auto fail = [&](const error& err) {
    std::cerr << "pss init-cluster: " << err.message() << "\n";
    return exit_code::failed;
  };
  if (auto s = prepare_out_dir(o.out); !s.ok()) return fail(s.err());
  crypto::system_random rng;
  generated g = generate(o, rng);
  status written = o.insecure_plaintext ? ok_status() : make_ca(o.out, g.cluster_id);
  for (std::size_t i = 0; written.ok() && i < g.members.size(); ++i) written = write_node(o, g, i);
  if (written.ok()) written = write_client(o, g);
  if (written.ok()) written = check_written(o, g);
  if (!written.ok()) {
    std::cerr << "pss init-cluster: " << written.err().message() << "\n"
              << "pss init-cluster: " << o.out << " is incomplete; remove it and run again\n";
    return exit_code::failed;
  }
  print_summary(o, g);
  return exit_code::ok;
}

} // namespace pss::cli
