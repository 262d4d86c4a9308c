// `pss sim`: run the deterministic simulator for one seed or sweep a range.
//
// Each seed runs in a forked child so that a PSS_CHECK abort inside a core
// (which is how some invariants fail) is reported as a safety violation of
// that seed instead of ending a sweep. The simulated path never reads the
// wall clock; this file measures wall time only to report speed (stderr).
#include <boost/program_options.hpp>

#include <iostream>
#include <optional>
#include <string>

#include "actors/commands.hpp"
#include "sim/sim_sweep.hpp"
#include "core/planted.hpp"
#include "sim/simulator.hpp"

namespace po = boost::program_options;

namespace pss::cli {

namespace {

constexpr const char* description =
  "Runs the whole cluster (the Raft-only engines, or with --engine secrets the real secrets\n"
  "engines) under CAF's test coordinator with\n"
  "simulated time, injecting faults drawn from the seed, with the Raft checkers after\n"
  "every delivered message and timer. After the safety phase everything heals and a\n"
  "leader must commit a new operation within --liveness-seconds.\n\n"
  "profiles (every probability is drawn from the seed: swarm testing):\n"
  "  calm        no faults; 1..10 ms delays\n"
  "  faults      drops 0-30%, duplicates 0-30%, delays up to 52 ms (reordering)\n"
  "  partitions  symmetric splits, isolated nodes, one-way cuts, healing; drops 0-5%\n"
  "  crashes     node crashes (power failure: unsynced writes lost or torn), crashes\n"
  "              in the middle of a flush (a failed fsync), wiped disks, restarts\n"
  "  swarm       each of the three fault families above on or off by the seed\n"
  "  refresh     (--engine secrets) calm network; the leader starts a refresh round every\n"
  "              300..1500 ms; nodes that miss shares are recovered (HJKY)\n"
  "  refresh-faults  (--engine secrets) refresh rounds under the swarm faults, faulty\n"
  "              dealers (--faulty-dealers, default min(2, nodes - threshold)) and at most\n"
  "              one data loss per run: a share journal, or a whole disk whose node\n"
  "              restarts with rejoin, is re-admitted and recovers its shares\n"
  "  byzantine   (--engine secrets) the swarm faults, and t-1 Byzantine nodes (the highest\n"
  "              ids; --byzantine K for fewer) whose adversary replays and redirects the\n"
  "              requests they see, asks the others for shares, and answers clients with\n"
  "              rolled-back and fabricated records, forged shares and versions, and\n"
  "              replies claiming other senders. Checked: adversary_shares_max < t,\n"
  "              forgeries_accepted = 0, unauthorised_grants = 0\n"
  "  membership  (--engine secrets) refresh rounds under the swarm faults, and an admin\n"
  "              removes one member at a drawn moment (when t+1 would remain; a sweep\n"
  "              draws t <= n-2): a refresh leaves it out, Raft removes it, the view drops\n"
  "              it; or adds, replaces, calls an add off, raises or lowers t\n"
  "              (--membership-change). Checked: a removed member holds no share of a\n"
  "              current epoch, every node that applied an index has the same committee\n"
  "              there, and t'-1 new shares do not rebuild a key after a raise, t' do\n"
  "              after a lowering\n\n"
  "--planted-bug NAME plants one bug at its fault point (the list below) so that the\n"
  "checker named after it must fail: a proof that the checker can see that bug.\n\n"
  "output: progress lines, `reproduce: pss sim ...`, then one JSON object as the last line.\n"
  "exit codes: 0 ok, 1 safety violation, 2 bad usage, 3 lost liveness after healing.\n"
  "With --seeds A..B: one line per failing seed and a total line; exit 1 if any seed\n"
  "violated safety, else 3 if any lost liveness or ran past --seed-timeout.\n\n"
  "Simulated time must pass: more than 20000 inputs at one simulated instant (healthy\n"
  "runs stay under a hundred; the JSON's inputs_per_instant_max) is a runaway loop,\n"
  "reported as a violation naming the commonest inputs.";

std::string planted_bug_names() {
  std::string out = "the planted bugs are";
  for (auto b : planted::all()) out += std::string{" "} + std::string{planted::name(b)};
  return out;
}

// Why a planted bug cannot run with these options (its fault point is in an
// engine or a profile the run does not use), or nothing.
std::optional<std::string> planted_bug_refusal(planted::bug b, const sim::sim_options& o) {
  using planted::bug;
  const bool secrets = o.engine == "secrets";
  switch (b) {
    case bug::figure8:
    case bug::vote_ignores_log:
    case bug::stale_read:
    case bug::lease_through_transfer:
    case bug::duplicate_apply: return std::nullopt;
    case bug::skip_policy:
      if (!secrets || !o.stranger) return "needs --engine secrets and --stranger";
      return std::nullopt;
    case bug::unbound_sender:
    case bug::node_holds_token:
    case bug::threshold_from_reply:
      if (!secrets || (o.byzantine <= 0 && o.profile != "byzantine"))
        return "needs --engine secrets and Byzantine nodes (--byzantine K or --profile byzantine)";
      return std::nullopt;
    case bug::remove_before_reshare:
    case bug::raise_without_degree:
      if (!secrets || o.profile != "membership") return "needs --engine secrets and --profile membership";
      return std::nullopt;
    case bug::reshare_without_check:
      if (!secrets || o.profile != "membership" || o.byzantine <= 0)
        return "needs --engine secrets, --profile membership and --byzantine K (a dealer that lies)";
      return std::nullopt;
    case bug::skip_erasure:
    case bug::erase_newer_epoch:
    case bug::keep_seal_key:
      if (!sim::is_refresh_profile(o.profile)) return "needs --engine secrets and a refresh profile";
      return std::nullopt;
    default: return secrets ? std::nullopt : std::optional<std::string>{"needs --engine secrets"};
  }
}

bool parse_range(const std::string& text, std::uint64_t& a, std::uint64_t& b);

// Reads N, or with `range_allowed` A..B, within [lo, hi]; returns an error
// message or nothing.
std::string parse_size_option(const std::string& text, const std::string& name, std::size_t lo, std::size_t hi,
                              bool range_allowed, std::size_t& value, std::optional<size_range>& range) {
  const std::string bounds = name + " must be between " + std::to_string(lo) + " and " + std::to_string(hi);
  std::uint64_t a = 0, b = 0;
  if (text.find("..") != std::string::npos) {
    if (!range_allowed) return name + " takes a range A..B only with --seeds";
    if (!parse_range(text, a, b)) return name + " wants N or A..B with A <= B";
    if (a < lo || b > hi) return bounds;
    range = size_range{static_cast<std::size_t>(a), static_cast<std::size_t>(b)};
    value = range->min;
    return {};
  }
  try {
    std::size_t used = 0;
    a = std::stoull(text, &used);
    if (used != text.size()) return name + " wants a number";
  } catch (const std::exception&) {
    return name + " wants a number";
  }
  if (a < lo || a > hi) return bounds;
  value = static_cast<std::size_t>(a);
  return {};
}

bool parse_range(const std::string& text, std::uint64_t& a, std::uint64_t& b) {
  const auto dots = text.find("..");
  if (dots == std::string::npos) return false;
  try {
    std::size_t used = 0;
    a = std::stoull(text.substr(0, dots), &used);
    if (used != dots) return false;
    const std::string rest = text.substr(dots + 2);
    b = std::stoull(rest, &used);
    return used == rest.size() && a <= b;
  } catch (const std::exception&) {
    return false;
  }
}

} // namespace

int run_sim(int argc, char** argv) {
  po::options_description options{"options"};
  options.add_options()
    ("help,h", "show this help")
    ("seed", po::value<std::uint64_t>(), "run one seed")
    ("seeds", po::value<std::string>(), "sweep seeds A..B (inclusive)")
    ("nodes", po::value<std::string>()->default_value("5"),
     "cluster size (1..9); with --seeds also a range A..B, drawn per seed")
    ("threshold", po::value<std::size_t>(),
     "secret threshold t (2..nodes with --engine secrets; reported only by the Raft-only engine); "
     "default 3, or a majority of the drawn nodes when --nodes is a range")
    ("clients", po::value<std::string>()->default_value("3"),
     "workload clients (1..16); with --seeds also a range A..B, drawn per seed")
    ("jobs", po::value<unsigned>()->default_value(1), "with --seeds: run this many seeds at once, one process each")
    ("seconds", po::value<double>()->default_value(20), "simulated seconds of the safety phase")
    ("liveness-seconds", po::value<double>()->default_value(20), "simulated bound to recover after healing")
    ("profile", po::value<std::string>()->default_value("swarm"),
     "calm, faults, partitions, crashes, swarm, refresh, refresh-faults or byzantine")
    ("engine", po::value<std::string>()->default_value("secrets"),
     "secrets (the product: the real node and client engines; a wiped node rejoins under its id) or raft "
     "(a Raft-only replicated register, about a thousand times faster, for consensus alone)")
    ("faulty-dealers", po::value<int>(),
     "with --engine secrets: how many nodes (the highest ids) deal faulty refresh bundles, "
     "alternately off their polynomial and equivocating (0..nodes-threshold)")
    ("stranger", "with --engine secrets: one more client that signs with a key the policy never granted; "
                 "a node that releases it a share is an unauthorised grant")
    ("byzantine", po::value<int>(),
     "with --engine secrets: make K nodes (the highest ids) Byzantine, 1..threshold-1; a sweep whose "
     "drawn threshold is lower uses threshold-1")
    ("membership-change", po::value<std::string>(),
     "with --profile membership: the change to make, one of any (drawn from the seed, the default), "
     "add, remove, replace, call-off, raise, lower")
    ("planted-bug", po::value<std::string>(), "plant one bug (see the list below)")
    ("no-shuffle", "run ready actors in FIFO order instead of a seeded shuffle")
    ("events", "with --seed: print every node's events (elections, rounds, aborts, warnings; never "
               "secret material) on stderr, each with its simulated time")
    ("first-failure", "with --seeds: stop at the first failing seed")
    ("seed-timeout", po::value<unsigned>()->default_value(300),
     "with --seeds: kill a seed still running after this many wall seconds and count it as failed "
     "(timeout); 0: no limit");
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(options).run(), vm);
    if (vm.count("help")) {
      std::cout << "usage: pss sim --seed N [options]\n       pss sim --seeds A..B [options]\n\n"
                << description << "\n\n" << options << "\nplanted bugs (NAME: what it does; the checker that must catch it):\n";
      for (auto b : planted::all())
        std::cout << "  " << planted::name(b) << ": " << planted::summary(b) << '\n';
      return exit_code::ok;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "pss sim: " << e.what() << " (try --help)\n";
    return exit_code::usage;
  }
  auto usage = [](const std::string& what) {
    std::cerr << "pss sim: " << what << " (try --help)\n";
    return exit_code::usage;
  };
  sim::sim_options o;
  sweep_draw draw;
  const bool sweep = vm.count("seeds") > 0;
  if (auto st = parse_size_option(vm["nodes"].as<std::string>(), "--nodes", 1, 9, sweep, o.nodes, draw.nodes); !st.empty())
    return usage(st);
  if (auto st = parse_size_option(vm["clients"].as<std::string>(), "--clients", 1, 16, sweep, o.clients, draw.clients);
      !st.empty())
    return usage(st);
  const std::size_t nodes_min = draw.nodes ? draw.nodes->min : o.nodes;
  if (vm.count("threshold")) o.threshold = vm["threshold"].as<std::size_t>();
  else if (draw.nodes) draw.threshold_from_nodes = true;
  o.seconds = vm["seconds"].as<double>();
  o.liveness_seconds = vm["liveness-seconds"].as<double>();
  o.profile = vm["profile"].as<std::string>();
  o.shuffle = !vm.count("no-shuffle");
  o.events = vm.count("events") > 0;
  if (o.events && sweep) return usage("--events needs --seed (one run)");
  o.engine = vm["engine"].as<std::string>();
  if (o.engine != "raft" && o.engine != "secrets") return usage("--engine must be raft or secrets");
  // The secrets engine's default t leaves one member spare: a refresh needs
  // t+1 members that answer (docs/refresh.md §3, step 5).
  if (!vm.count("threshold") && !draw.threshold_from_nodes)
    o.threshold = std::min<std::size_t>(3, o.engine == "secrets" ? std::max<std::size_t>(o.nodes, 3) - 1 : o.nodes);
  if (!draw.threshold_from_nodes && (o.threshold < 1 || o.threshold > nodes_min))
    return usage("--threshold must be between 1 and --nodes");
  if (!(o.seconds > 0 && o.seconds <= 86400)) return usage("--seconds must be in (0, 86400]");
  if (!(o.liveness_seconds > 0 && o.liveness_seconds <= 3600))
    return usage("--liveness-seconds must be in (0, 3600]");
  if (o.engine == "secrets" && (nodes_min < 2 || (!draw.threshold_from_nodes && o.threshold < 2)))
    return usage("--engine secrets needs --threshold of at least 2 (and --nodes at least 2)");
  if (o.engine == "secrets" && (nodes_min < 3 || (!draw.threshold_from_nodes && o.threshold >= nodes_min)))
    return usage("--engine secrets needs --threshold below --nodes (and --nodes at least 3): a dealer in a refresh "
                 "needs t other members to confirm it, so a cluster of n = t members never refreshes");
  if (!sim::is_profile(o.profile)) return usage("unknown --profile '" + o.profile + "'");
  if ((sim::is_refresh_profile(o.profile) || o.profile == "byzantine") && o.engine != "secrets")
    return usage("--profile " + o.profile + " needs --engine secrets");
  if (vm.count("byzantine")) {
    const int k = vm["byzantine"].as<int>();
    if (o.engine != "secrets") return usage("--byzantine needs --engine secrets");
    const std::size_t t_max = draw.threshold_from_nodes ? nodes_min / 2 + 1 : o.threshold;
    if (k < 1 || static_cast<std::size_t>(k) >= std::max<std::size_t>(t_max, 2))
      return usage("--byzantine must be 1..threshold-1 (t-1 nodes can neither read nor forge; t can)");
    o.byzantine = k;
  }
  if (vm.count("faulty-dealers")) {
    const int k = vm["faulty-dealers"].as<int>();
    if (o.engine != "secrets") return usage("--faulty-dealers needs --engine secrets");
    const std::size_t t_max = draw.threshold_from_nodes ? nodes_min / 2 + 1 : o.threshold;
    if (k < 0 || static_cast<std::size_t>(k) > nodes_min - std::min(nodes_min, t_max))
      return usage("--faulty-dealers must be 0..nodes-threshold (at least t honest dealers are needed)");
    o.faulty_dealers = k;
  }
  if (vm.count("stranger")) {
    if (o.engine != "secrets") return usage("--stranger needs --engine secrets");
    o.stranger = true;
  }
  if (vm.count("membership-change")) {
    o.membership_change = vm["membership-change"].as<std::string>();
    if (o.profile != "membership") return usage("--membership-change needs --profile membership");
    if (!sim::is_membership_change(o.membership_change))
      return usage("--membership-change must be any, add, remove, replace, call-off, raise, lower or rotate");
  }
  if (vm.count("planted-bug")) {
    const std::string name = vm["planted-bug"].as<std::string>();
    const auto bug = planted::from_name(name);
    if (!bug || *bug == planted::bug::none) return usage("unknown planted bug '" + name + "'; " + planted_bug_names());
    if (auto why = planted_bug_refusal(*bug, o)) return usage("--planted-bug " + name + " " + *why);
    o.planted = *bug;
  }
  if (vm.count("seed") == vm.count("seeds")) return usage("give exactly one of --seed and --seeds");

  if (vm.count("seed")) {
    o.seed = vm["seed"].as<std::uint64_t>();
    return run_one_seed(o);
  }
  sweep_request q;
  q.base = o;
  q.draw = draw;
  if (!parse_range(vm["seeds"].as<std::string>(), q.first, q.last)) return usage("--seeds wants A..B with A <= B");
  q.jobs = vm["jobs"].as<unsigned>();
  if (q.jobs < 1 || q.jobs > 64) return usage("--jobs must be between 1 and 64");
  q.stop_at_first_failure = vm.count("first-failure") > 0;
  q.seed_timeout_seconds = vm["seed-timeout"].as<unsigned>();
  return run_sweep(q);
}

} // namespace pss::cli
