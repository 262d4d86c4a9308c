// `pss node --config FILE`: one cluster member as a real process.
//
// Loads and validates the node's TOML (src/deploy) with the admin's public
// key, and its private keys, opens the node engine on its data directory,
// hosts it in a node actor and puts the gateway of actors/network.hpp in
// front of it: published once through CAF's middleman with mutual TLS, and
// dialling the peers with higher ids. It logs what the engine and the links
// report (never secret material) to standard error, and stops cleanly on
// SIGINT or SIGTERM; a kill -9 loses nothing, because the engine makes every
// state durable before it sends anything that depends on it.
#include <boost/program_options.hpp>

#include <csignal>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "caf/actor_system.hpp"
#include "caf/actor_system_config.hpp"
#include "caf/scoped_actor.hpp"
#include "caf/send.hpp"

#include "actors/node_metrics.hpp"
#include "actors/stop_signals.hpp"
#include "actors/timed_file_system.hpp"
#include "actors/engine_actor.hpp"
#include "actors/network.hpp"
#include "actors/wall_clock.hpp"
#include "commands.hpp"
#include "crypto/random_source.hpp"
#include "deploy/config.hpp"
#include "secrets/node_engine.hpp"
#include "storage/data_dir.hpp"
#include "secrets/share_fingerprint.hpp"
#include "storage/posix_file_system.hpp"

namespace po = boost::program_options;

namespace pss::cli {

namespace {

// How long a clean stop waits for the node actor to sync what waits.
constexpr std::chrono::seconds stop_wait_max{5};

const char* const node_description =
  "Runs one member of a pss cluster: its Raft log, catalog and private shares live\n"
  "under the config's data_dir; it talks to the other members and to clients over\n"
  "mutual TLS (the cluster CA in [tls]) on its `listen` address.\n\n"
  "First start of a new cluster: start every node once with --init (an empty\n"
  "data_dir is initialised; `pss init-cluster` writes the configs). Later starts\n"
  "need no flag. A new member of a running cluster (`pss init-cluster --add-node`\n"
  "writes its config, with joining = true) also starts once with --init, and waits\n"
  "until an admin's `pss member add` names it.\n"
  "A node whose data_dir was lost must start with --rejoin: it has\n"
  "forgotten its Raft vote, so it waits until the cluster re-admits it, then\n"
  "gets its shares back from the others. Without either flag an empty data_dir\n"
  "is refused, so a wiped disk is never mistaken for a new cluster.\n\n"
  "Logs go to standard error. SIGINT or SIGTERM stops the node; kill -9 is safe.\n"
  "Exit codes: 0 stopped by a signal, 1 the node failed, 2 bad usage or config.";

std::mutex log_mutex;

// One log line: UTC time with milliseconds, then the text.
void log_line(const std::string& text) {
  const auto now = std::chrono::system_clock::now();
  const auto t = std::chrono::system_clock::to_time_t(now);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
  std::lock_guard lock{log_mutex};
  std::fprintf(stderr, "%s.%03dZ %s\n", stamp, static_cast<int>(ms), text.c_str());
  std::fflush(stderr);
}

const char* role_name(raft::role r) {
  switch (r) {
  case raft::role::leader: return "leader";
  case raft::role::candidate: return "candidate";
  case raft::role::pre_candidate: return "pre-candidate";
  case raft::role::follower: break;
  }
  return "follower";
}

// The share-set fingerprint, computed again only when the store changed.
struct fingerprint_cache {
  std::optional<std::uint64_t> mutations;
  std::string fingerprint;
};

// Public health of the engine; runs inside the node actor.
actors::node_health health_of(const secrets::node_engine& e, fingerprint_cache& cache) {
  actors::node_health h;
  h.answered = true;
  h.id = e.id().value();
  h.role = role_name(e.raft().role());
  h.term = e.raft().term().value();
  h.leader = e.raft().leader_hint().value();
  h.commit = e.raft().commit_index().value();
  h.applied = e.state().applied_index().value();
  h.epoch = e.state().view().epoch.value();
  h.secrets = e.state().secrets().size();
  for (const auto& info : e.shares().inventory())
    h.shares_live += info.state == secrets::share_state::live ? 1 : 0;
  const auto& stats = e.state().stats();
  h.refresh_epochs_committed = stats.refresh_epochs_committed;
  h.rounds_aborted = stats.rounds_aborted;
  h.recoveries = stats.recoveries;
  h.round_running = e.state().round().has_value();
  const auto& proactive = e.refresh_health();
  h.epoch_age_ms = static_cast<std::uint64_t>(proactive.age.count());
  h.rounds_aborted_since_commit = proactive.aborted_since_commit;
  h.last_abort_reason = proactive.last_abort;
  if (const auto& c = e.state().committee())
    h.committee = secrets::describe(c->change) + ", step " + std::string{secrets::to_string(c->step)};
  h.members = e.state().view().members.size();
  h.threshold = e.state().view().threshold;
  if (auto s = e.state().seal_keys().find(e.id()); s != e.state().seal_keys().end()) h.seal_key_epoch = s->second.epoch.value();
  h.seal_keys_held = e.seal_keys() != nullptr ? e.seal_keys()->pairs().size() : 0;
  h.seal_keys_foreign = e.counters().seal_keys_foreign;
  h.keys_rotated = e.state().stats().keys_rotated;
  h.next_keys_held = e.holds_next_keys();
  h.elections_started = e.raft().elections_started();
  h.elections_won = e.raft().elections_won();
  h.proposals = e.counters().proposals;
  h.reads_served = e.counters().reads_served;
  h.shares_served = e.counters().shares_served;
  h.dealers_excluded = stats.dealers_excluded;
  for (const auto& [kind, n] : proactive.aborted_by_kind) h.rounds_aborted_by_kind[std::string{secrets::to_string(kind)}] = n;
  if (cache.mutations != e.shares().mutations()) {
    cache.mutations = e.shares().mutations();
    cache.fingerprint = secrets::share_set_fingerprint(e.shares()).value_or("");
  }
  h.shares_fingerprint = cache.fingerprint;
  for (auto v : e.raft().config().voters) h.voters.push_back(v.value());
  for (auto l : e.raft().config().learners) h.learners.push_back(l.value());
  if (e.failure()) h.failure = e.failure()->describe();
  h.requests_admitted = e.requests().admitted();
  for (auto r : access::every_refusal)
    if (auto n = e.requests().refused(r); n > 0) h.requests_refused[std::string{access::to_string(r)}] = n;
  return h;
}

// The applied view's members, for the gateway's links (public data only).
actors::member_view members_of(const secrets::node_engine& e) {
  actors::member_view out;
  for (const auto& m : e.state().view().members) {
    const auto key = m.box_key.bytes();
    out.members.push_back(actors::member_link{m.id.value(), m.address, std::vector<std::uint8_t>(key.begin(), key.end())});
  }
  out.caught_up = e.caught_up();
  return out;
}

// The link keys: each derived from this node's identity key pair that the
// view names (its key file's, or after a rotation its next one's).
void own_link_keys(actors::network_options& net, const deploy::node_config& config,
                   const deploy::node_key_files& files) {
  auto pairs = std::make_shared<std::vector<secrets::node_keys>>();
  pairs->push_back(files.keys.clone());
  if (files.next) pairs->push_back(files.next->clone());
  for (const auto& k : *pairs) net.own_keys.push_back(k.box.public_key);
  // Every use of `pairs` below runs in the gateway actor.
  net.forget_own_key = [pairs](const crypto::box_public_key& old) {
    std::erase_if(*pairs, [&](const secrets::node_keys& k) { return k.box.public_key == old; });
  };
  const auto pair_of = [pairs](const crypto::box_public_key& own) -> const crypto::box_key_pair* {
    for (const auto& k : *pairs)
      if (k.box.public_key == own) return &k.box;
    return nullptr;
  };
  net.member_key = [pair_of, self = config.id, cluster = config.cluster_id](
                     const crypto::box_public_key& own, const crypto::box_public_key& key,
                     node_id id) -> result<crypto::link_key> {
    const crypto::box_key_pair* pair = pair_of(own);
    if (pair == nullptr) return error{errc::not_found, "this node holds no private key for its identity key in the view"};
    return crypto::link_key::derive(*pair, self, key, id, cluster);
  };
  net.client_key = [pair_of, self = config.id, cluster = config.cluster_id](
                     const crypto::box_public_key& own, const crypto::box_public_key& client_key,
                     std::uint64_t client) -> result<crypto::link_key> {
    const crypto::box_key_pair* pair = pair_of(own);
    if (pair == nullptr) return error{errc::not_found, "this node holds no private key for its identity key in the view"};
    return crypto::link_key::derive_for_client(*pair, client_key, true, self, client, cluster);
  };
}

// What the host holds of its keys: the files as loaded, and a rotation the
// engine switched to that the key file does not show yet.
struct key_state {
  deploy::node_key_files files;
  bool adopt_pending = false;
  bool adopt_failure_logged = false;
};

// Once the engine switched to its next keys (an admin's rotation applied,
// docs/refresh.md §7.9): the key file takes them, the old public keys
// retired, and the old private keys and the next file are erased. A failed
// rewrite is tried again after the next input; a crash before it leaves the
// next file, and the replay switches again.
void adopt_rotated_keys(secrets::node_engine& engine, key_state& k, const deploy::node_config& config) {
  if (engine.take_keys_rotated()) k.adopt_pending = true;
  if (!k.adopt_pending || !k.files.next) return;
  if (auto st = deploy::adopt_next_keys(config, k.files); !st.ok()) {
    if (!k.adopt_failure_logged)
      log_line("ALARM: the keys rotated, but the key file could not be rewritten: " + st.err().message()
               + "; trying again after every input (the old private keys stay on disk until it succeeds)");
    k.adopt_failure_logged = true;
    return;
  }
  k.files.retired.push_back(secrets::public_keys(k.files.keys));
  k.files.keys = std::move(*k.files.next);
  k.files.next.reset();
  k.adopt_pending = false;
  log_line("keys rotated: " + config.key_file + " holds the new keys (the old public keys retired); "
           + deploy::next_key_path(config.key_file) + " was erased");
}

// The links to the members of the view the engine opened with (the
// config's first view, or a restored catalog's, whose members' keys may
// have rotated since the config was written), each keyed with this node's
// current identity key.
status link_peers(actors::network_options& net, const secrets::node_engine& e, const deploy::node_config& config,
                  const secrets::node_keys& own) {
  for (const auto& m : e.state().view().members) {
    if (m.id == config.id) continue;
    auto address = deploy::parse_host_port(m.address);
    if (!address.ok()) return error{errc::invalid_argument, "member " + std::to_string(m.id.value()) + ": "
                                                              + address.err().message()};
    auto key = crypto::link_key::derive(own.box, config.id, m.box_key, m.id, config.cluster_id);
    if (!key.ok()) return error{errc::invalid_argument, "member " + std::to_string(m.id.value()) + ": "
                                                          + key.err().message()};
    net.keys.emplace(m.id, std::move(*key));
    const auto box = m.box_key.bytes();
    net.peers.push_back(actors::peer_address{m.id, address->host, address->port, {box.begin(), box.end()}});
  }
  return ok_status();
}

enum class start_mode { existing, init, rejoin };

// Decides how to open the data directory; an empty one needs a flag.
result<start_mode> decide_start(const deploy::node_config& c, bool init, bool rejoin) {
  if (init && rejoin) return error{errc::invalid_argument, "--init and --rejoin exclude each other"};
  std::error_code ec;
  const auto identity = std::filesystem::path{c.data_dir} / "raft" / std::string{storage::identity_file_name};
  if (std::filesystem::exists(identity, ec)) return start_mode::existing;
  if (init) return start_mode::init;
  if (rejoin) return start_mode::rejoin;
  if (c.joining)
    return error{errc::not_found, "the data directory " + c.data_dir + " holds no node state. This node is a new member "
                                  "(joining = true): start it with --init the first time; it waits until `pss member "
                                  "add` names it."};
  return error{errc::not_found,
               "the data directory " + c.data_dir + " holds no node state. If this is the first start of a new "
               "cluster, start with --init. If this node lost its data (a wiped or replaced disk), start with "
               "--rejoin: it is then re-admitted by the cluster and recovers its shares."};
}

int run(const deploy::node_config& config, start_mode mode, bool plaintext) {
  auto loaded = deploy::load_node_key_files(config);
  if (!loaded.ok()) {
    std::cerr << "pss node: " << loaded.err().message() << "\n";
    return exit_code::usage;
  }
  auto files = std::make_shared<key_state>(key_state{std::move(*loaded)});
  if (files->files.next && secrets::public_keys(*files->files.next) == secrets::public_keys(files->files.keys)) {
    // A crash between adopting the next keys and erasing the next file.
    if (auto st = deploy::erase_next_key_file(config); !st.ok())
      log_line("the next key file holds this node's keys and could not be erased: " + st.err().message());
    files->files.next.reset();
  }
  const secrets::node_keys* keys = &files->files.keys;
  if (plaintext)
    log_line("WARNING: --insecure-plaintext: no TLS; anyone on the network can read and forge this node's "
             "traffic. Use it for local experiments only.");
  std::error_code ec;
  std::filesystem::create_directories(config.data_dir, ec);
  if (ec) {
    std::cerr << "pss node: cannot create the data directory " << config.data_dir << ": " << ec.message() << "\n";
    return exit_code::failed;
  }
  ::chmod(config.data_dir.c_str(), 0700);
  // One process per data directory: a second node on the same files would
  // interleave two Raft logs. The lock lives as long as the process.
  const std::string lock_path = config.data_dir + "/lock";
  const int lock_fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock_fd < 0 || ::flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
    std::cerr << "pss node: another process is using the data directory " << config.data_dir
              << " (its lock file " << lock_path << " is held); stop it first\n";
    return exit_code::failed;
  }

  actors::network_options net;
  net.self = config.id;
  net.listen_host = config.listen.host;
  net.listen_port = config.listen.port;
  net.tls = !plaintext;
  net.reconnect_max = std::chrono::milliseconds{config.timing.reconnect_max_ms};
  net.log = log_line;
  own_link_keys(net, config, files->files);

  actors::transport_options transport;
  transport.tls = !plaintext;
  if (config.tls) {
    transport.ca_file = config.tls->ca_file;
    transport.certificate_file = config.tls->certificate_file;
    transport.key_file = config.tls->key_file;
  }
  transport.heartbeat = std::chrono::milliseconds{config.timing.peer_heartbeat_ms};
  transport.connection_timeout = std::chrono::milliseconds{config.timing.peer_timeout_ms};

  // Block the stop signals in every thread; the main thread waits for them.
  const actors::stop_signals stop;

  caf::actor_system_config cfg;
  actors::configure_transport(cfg, transport);
  caf::actor_system sys{cfg};
  const auto now = [] {
    return std::chrono::duration_cast<secrets::millis>(std::chrono::steady_clock::now().time_since_epoch());
  };

  secrets::node_options o;
  o.cluster = config.view();
  o.data_dir = config.data_dir;
  o.first_start = mode == start_mode::init;
  o.rejoin = mode == start_mode::rejoin;
  o.joining = config.joining;
  o.admin_key = config.admin_key;
  o.wall_clock_offset = actors::wall_clock_offset();
  o.raft.election_timeout_min = secrets::millis{config.timing.election_timeout_ms};
  o.raft.heartbeat_interval = secrets::millis{config.timing.heartbeat_ms};
  o.raft.lease_reads = config.timing.lease_reads;
  o.refresh_interval = secrets::millis{config.timing.refresh_interval_ms};
  if (files->files.next) o.next_keys = files->files.next->clone();
  o.retired_keys = files->files.retired;
  if (files->files.next) log_line("holding next keys (" + deploy::next_key_path(config.key_file) + "): switching to them "
                            "when an admin's pss member rotate-keys applies");
  crypto::system_random seed_source;
  std::array<std::uint8_t, 8> seed{};
  seed_source.fill(seed);
  for (auto b : seed) o.prng_seed = (o.prng_seed << 8) | b;
  storage::posix_file_system posix_fs;
  std::optional<actors::node_metrics> metrics;
  if (config.metrics_listen) metrics.emplace(config);
  actors::timed_file_system fs{posix_fs, metrics ? metrics->fsync_observer() : actors::sync_observer{}};
  auto opened = secrets::node_engine::open(std::move(o), keys->clone(), fs,
                                           std::make_unique<crypto::system_random>(), now());
  if (!opened.ok()) {
    std::cerr << "pss node: node " << config.id.value() << " cannot open " << config.data_dir << ": "
              << opened.err().describe() << "\n";
    return exit_code::failed;
  }
  std::shared_ptr<secrets::node_engine> engine{std::move(*opened)};
  if (auto st = link_peers(net, *engine, config, *keys); !st.ok()) {
    std::cerr << "pss node: " << st.err().message() << "\n";
    return exit_code::usage;
  }
  auto directory = std::make_shared<actors::relay_peer_directory>(caf::actor{});
  auto slot = std::make_shared<actors::host_slot>();
  slot->self = secrets::endpoint::of(config.id);
  slot->engine = engine;
  slot->directory = directory;
  const secrets::node_engine* raw = engine.get();
  slot->health = [raw, cache = std::make_shared<fingerprint_cache>()] { return health_of(*raw, *cache); };
  slot->members = [raw] { return members_of(*raw); };
  slot->log = log_line;
  secrets::node_engine* rotating = engine.get();
  slot->after_output = [rotating, files, &config] { adopt_rotated_keys(*rotating, *files, config); };
  caf::actor node = actors::spawn_node_actor(sys, slot);

  actors::node_network network;
  const std::string listen = config.listen.to_string();
  if (auto st = network.start(sys, node, std::move(net)); !st.ok()) {
    std::cerr << "pss node: " << st.err().message() << "\n";
    caf::anon_send_exit(node, caf::exit_reason::user_shutdown);
    return exit_code::failed;
  }
  directory->set(network.gateway());
  if (metrics) {
    if (auto st = metrics->start(sys, network.gateway(), *config.metrics_listen); !st.ok()) {
      std::cerr << "pss node: " << st.err().message() << " ([metrics] listen in " << config.file << ")\n";
      network.stop();
      caf::anon_send_exit(node, caf::exit_reason::user_shutdown);
      return exit_code::failed;
    }
    log_line("metrics on http://" + config.metrics_listen->to_string() + "/metrics (and /healthz, /readyz)");
  }
  log_line("node " + std::to_string(config.id.value()) + " of cluster " + config.cluster_id + " listening on "
           + listen + (plaintext ? " (PLAINTEXT)" : " (mutual TLS)") + ", data in " + config.data_dir
           + (mode == start_mode::init ? ", initialised" : mode == start_mode::rejoin ? ", rejoining" : ""));

  log_line(std::string{"stopping on "} + stop.wait());
  network.stop();
  {
    // What waited for a later sync (audit records of stores and writes) is
    // made durable before the actor goes.
    caf::scoped_actor self{sys};
    self->request(node, stop_wait_max, actors::stop_atom::value)
      .receive([](bool) {}, [](const caf::error&) { log_line("the node did not confirm its clean stop"); });
  }
  directory->reset();
  caf::anon_send_exit(network.gateway(), caf::exit_reason::user_shutdown);
  caf::anon_send_exit(node, caf::exit_reason::user_shutdown);
  return exit_code::ok;
}

} // namespace

int run_node(int argc, char** argv) {
  po::options_description options{"options"};
  options.add_options()
    ("help,h", "show this help")
    ("config", po::value<std::string>(), "the node's TOML file (required; see docs/deployment.md)")
    ("init", "first start of a new cluster: initialise an empty data_dir")
    ("rejoin", "this node lost its data_dir: rejoin the cluster and recover its shares")
    ("insecure-plaintext", "no TLS (local experiments only; warns at every start)");
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(options).run(), vm);
    if (vm.count("help")) {
      std::cout << "usage: pss node --config FILE [--init | --rejoin]\n\n" << node_description << "\n\n" << options;
      return exit_code::ok;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "pss node: " << e.what() << " (try --help)\n";
    return exit_code::usage;
  }
  if (!vm.count("config")) {
    std::cerr << "pss node: --config FILE is required (try --help)\n";
    return exit_code::usage;
  }
  auto config = deploy::load_node_config(vm["config"].as<std::string>());
  if (!config.ok()) {
    std::cerr << "pss node: " << config.err().message() << "\n";
    return exit_code::usage;
  }
  const bool plaintext = vm.count("insecure-plaintext") > 0 || config->insecure_plaintext;
  if (!plaintext && !config->tls) {
    std::cerr << "pss node: " << config->file << ": no [tls] table; add one (ca, certificate, key) or run with "
                 "--insecure-plaintext for a local experiment\n";
    return exit_code::usage;
  }
  auto mode = decide_start(*config, vm.count("init") > 0, vm.count("rejoin") > 0);
  if (!mode.ok()) {
    std::cerr << "pss node: " << mode.err().message() << "\n";
    return exit_code::usage;
  }
  return run(*config, *mode, plaintext);
}

} // namespace pss::cli
