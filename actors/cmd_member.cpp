// `pss member add | remove | replace | rotate-keys` and `pss threshold set`: an admin's
// change to the committee
// (docs/refresh.md §7). The change is one signed request to the leader,
// which checks it against the cluster as it knows it (who is up, what else
// runs) and proposes the signed envelope itself; every node checks the
// admin's signature, right and the rules again when it applies it, and the
// catalog then drives the change: a new member is a Raft learner until it
// has recovered a share of every secret, then a voter; a removed one is
// left out of a refresh first, then removed from Raft and the view; a new t
// is dealt by the next refresh.
#include <iostream>

#include "actors/client_cli.hpp"

namespace pss::cli {
namespace {

using namespace client;

constexpr const char* member_usage =
  "usage: pss member add --id ID --address HOST:PORT --keys FILE\n"
  "       pss member remove --id ID\n"
  "       pss member replace OLD NEW --address HOST:PORT --keys FILE\n"
  "       pss member rotate-keys --id ID --keys FILE\n\n"
  "Changes the cluster's committee: the members that hold shares and vote in Raft. Signed\n"
  "with your identity (it must hold the admin right) and checked again by every node.\n"
  "One change runs at a time; `pss status` shows it and each node's member count.\n\n"
  "  add      brings in a new member. Write its files first with `pss init-cluster\n"
  "           --add-node ID --address HOST:PORT --out CLUSTER_DIR` and start it with\n"
  "           `pss node --config .../node-ID/node.toml --init`; FILE is the public\n"
  "           keys file written beside its config (member.toml). The cluster adds it as\n"
  "           a Raft learner, it catches up and recovers a share of every secret from the\n"
  "           others (no secret is ever put together), and only then becomes a voter.\n"
  "           Until then `pss member remove --id ID` calls the add off (say, a node that\n"
  "           never comes up), and the next change can run.\n"
  "  remove   takes a member out for good. First a refresh round that leaves it out moves\n"
  "           every secret to a new epoch held by the others, so the shares it keeps are of\n"
  "           an ended epoch and combine with nothing; then Raft removes it, and the view\n"
  "           drops it. Refused, before anything changes, when fewer than t+1 members would\n"
  "           remain, when fewer than a Raft majority of them are up, or while another change\n"
  "           or a wiped node's rejoin runs.\n"
  "  replace  does both as one change: adds NEW, then removes OLD (stop OLD's process once\n"
  "           `pss status` no longer lists it).\n"
  "  rotate-keys  gives member ID new identity (link) and signing keys, when its old ones\n"
  "           may be known (a stolen backup, a host that was broken into). First run\n"
  "           `pss init-cluster --rotate-keys ID --out CLUSTER_DIR`: it writes node-ID/node.key.next\n"
  "           and node-ID/member.next.toml. Put node.key.next beside the node's key file\n"
  "           (same name plus .next, mode 0600) and restart the node: it then holds both.\n"
  "           FILE is member.next.toml. The change is one Raft entry that moves no share:\n"
  "           the node switches to the new keys when it applies it, rewrites its key file\n"
  "           (the old public keys kept as retired) and erases the old private keys and the\n"
  "           .next file; a round that runs aborts and the next one deals with the new keys.\n"
  "           Clients then refuse the cluster until `pss cluster-file --update`. A node\n"
  "           started without the .next file stops, saying so; start it with the file.\n\n"
  "Each command returns once the change is recorded. Clients keep working with their old\n"
  "cluster file (they deal to the members it names); `pss cluster-file --update` takes a\n"
  "new member in. `pss threshold set T` changes t.\n\n"
  "Run `pss member add --help` (or remove, replace, rotate-keys) for the options.";

// The new member of an add or a replace, from --id, --address and --keys.
int read_newcomer(const po::variables_map& vm, const common& c, node_id id, secrets::member& out) {
  if (!vm.count("address") || !vm.count("keys")) {
    report_error(c, "the new member needs --address HOST:PORT (where it listens) and --keys FILE (its member.toml)",
                 exit_code::usage);
    return exit_code::usage;
  }
  auto address = deploy::parse_host_port(vm["address"].as<std::string>());
  if (!address.ok()) {
    report_error(c, "--address: " + address.err().message(), exit_code::usage);
    return exit_code::usage;
  }
  auto keys = deploy::load_member_keys(vm["keys"].as<std::string>());
  if (!keys.ok()) {
    report_error(c, keys.err().message(), exit_code::usage);
    return exit_code::usage;
  }
  if (keys->id != id) {
    report_error(c, vm["keys"].as<std::string>() + " holds the keys of " + secrets::node_name(keys->id) + ", not of "
                      + secrets::node_name(id), exit_code::usage);
    return exit_code::usage;
  }
  out = secrets::member{id, share_index{}, address->to_string(), keys->box_key, keys->sign_key};
  return exit_code::ok;
}

int run_change(const common& c, secrets::committee_change change, const std::string& what, json j) {
  actors::client_request r;
  r.kind = secrets::operation_kind::member;
  r.committee = std::move(change);
  return with_system(c, [&](caf::actor_system& sys) {
    auto done = run_operation(c, sys, std::move(r));
    j["message"] = done.message;
    if (done.outcome == secrets::operation_outcome::ok && !c.json) std::cerr << done.message << "\n";
    return outcome(c, done, what, j);
  });
}

// The id of --id (or the first positional), refused when zero.
int read_id(const po::variables_map& vm, const common& c, const char* key, const char* what, node_id& out) {
  if (!vm.count(key) || vm[key].as<std::uint64_t>() == 0) {
    report_error(c, std::string{what} + " (pss status lists the members)", exit_code::usage);
    return exit_code::usage;
  }
  out = node_id{vm[key].as<std::uint64_t>()};
  return exit_code::ok;
}

// A member to take out must be one the cluster file names.
int check_named(const common& c, node_id id) {
  if (c.cluster.view().find(id) != nullptr) return exit_code::ok;
  report_error(c, secrets::node_name(id) + " is not in the cluster file (if it was added since, take it in first: "
                    "pss cluster-file --update)", exit_code::usage);
  return exit_code::usage;
}

void newcomer_options(po::options_description& o) {
  o.add_options()
    ("address", po::value<std::string>(), "where the new member listens, HOST:PORT")
    ("keys", po::value<std::string>(), "the new member's public keys (member.toml from init-cluster --add-node)");
}

int member_add(int argc, char** argv) {
  po::options_description o{"options"};
  o.add_options()("id", po::value<std::uint64_t>(), "the new member's node id");
  newcomer_options(o);
  po::positional_options_description pos;
  po::variables_map vm;
  if (int rc = parse(argc, argv, o, pos, {"pss member add --id ID --address HOST:PORT --keys FILE", member_usage}, vm);
      rc >= 0)
    return rc;
  common c;
  if (int rc = load_common(vm, c); rc != exit_code::ok) return rc;
  node_id id;
  secrets::member m;
  if (int rc = read_id(vm, c, "id", "add needs --id, the new member's node id", id); rc != exit_code::ok) return rc;
  if (int rc = read_newcomer(vm, c, id, m); rc != exit_code::ok) return rc;
  json j;
  j["node"] = id.value();
  return run_change(c, secrets::committee_change{secrets::committee_change_kind::add, node_id{}, m, 0}, "member add",
                    j);
}

int member_remove(int argc, char** argv) {
  po::options_description o{"options"};
  o.add_options()("id", po::value<std::uint64_t>(), "the node id of the member to remove");
  po::positional_options_description pos;
  pos.add("id", 1);
  po::variables_map vm;
  if (int rc = parse(argc, argv, o, pos, {"pss member remove --id ID", member_usage}, vm); rc >= 0) return rc;
  common c;
  if (int rc = load_common(vm, c); rc != exit_code::ok) return rc;
  node_id id;
  if (int rc = read_id(vm, c, "id", "remove needs --id, the member's node id", id); rc != exit_code::ok) return rc;
  if (int rc = check_named(c, id); rc != exit_code::ok) return rc;
  json j;
  j["node"] = id.value();
  return run_change(c, secrets::committee_change{secrets::committee_change_kind::remove, id, std::nullopt, 0},
                    "member remove", j);
}

int member_replace(int argc, char** argv) {
  po::options_description o{"options"};
  o.add_options()
    ("old", po::value<std::uint64_t>(), "the member to take out")
    ("new", po::value<std::uint64_t>(), "the new member's node id");
  newcomer_options(o);
  po::positional_options_description pos;
  pos.add("old", 1).add("new", 1);
  po::variables_map vm;
  if (int rc = parse(argc, argv, o, pos, {"pss member replace OLD NEW --address HOST:PORT --keys FILE", member_usage},
                     vm);
      rc >= 0)
    return rc;
  common c;
  if (int rc = load_common(vm, c); rc != exit_code::ok) return rc;
  node_id old_id, new_id;
  secrets::member m;
  if (int rc = read_id(vm, c, "old", "replace needs OLD, the member to take out", old_id); rc != exit_code::ok) return rc;
  if (int rc = check_named(c, old_id); rc != exit_code::ok) return rc;
  if (int rc = read_id(vm, c, "new", "replace needs NEW, the new member's node id", new_id); rc != exit_code::ok)
    return rc;
  if (int rc = read_newcomer(vm, c, new_id, m); rc != exit_code::ok) return rc;
  json j;
  j["old"] = old_id.value();
  j["new"] = new_id.value();
  return run_change(c, secrets::committee_change{secrets::committee_change_kind::replace, old_id, m, 0},
                    "member replace", j);
}

int member_rotate_keys(int argc, char** argv) {
  po::options_description o{"options"};
  o.add_options()
    ("id", po::value<std::uint64_t>(), "the member whose keys rotate")
    ("keys", po::value<std::string>(), "its new public keys (member.next.toml from init-cluster --rotate-keys)");
  po::positional_options_description pos;
  po::variables_map vm;
  if (int rc = parse(argc, argv, o, pos, {"pss member rotate-keys --id ID --keys FILE", member_usage}, vm); rc >= 0)
    return rc;
  common c;
  if (int rc = load_common(vm, c); rc != exit_code::ok) return rc;
  node_id id;
  if (int rc = read_id(vm, c, "id", "rotate-keys needs --id, the member's node id", id); rc != exit_code::ok) return rc;
  if (int rc = check_named(c, id); rc != exit_code::ok) return rc;
  if (!vm.count("keys")) {
    report_error(c, "rotate-keys needs --keys FILE (member.next.toml from pss init-cluster --rotate-keys)",
                 exit_code::usage);
    return exit_code::usage;
  }
  auto keys = deploy::load_member_keys(vm["keys"].as<std::string>());
  if (!keys.ok() || keys->id != id) {
    report_error(c, keys.ok() ? vm["keys"].as<std::string>() + " holds the keys of " + secrets::node_name(keys->id)
                                  + ", not of " + secrets::node_name(id)
                              : keys.err().message(),
                 exit_code::usage);
    return exit_code::usage;
  }
  const secrets::member* named = c.cluster.view().find(id);
  const secrets::member m{id, named->index, named->address, keys->box_key, keys->sign_key};
  json j;
  j["node"] = id.value();
  return run_change(c, secrets::committee_change{secrets::committee_change_kind::rotate, id, m, 0},
                    "member rotate-keys", j);
}

constexpr const char* threshold_usage =
  "usage: pss threshold set T\n\n"
  "Sets t, the number of members whose shares rebuild a secret, to T (2..n-1: the round\n"
  "that changes it needs T+1 members). Signed with your identity (admin right) and checked\n"
  "again by every node. No secret is ever put together, and each stays the same.\n"
  "  Raising (T > t): the next refresh adds to every share a polynomial of degree T-1 that\n"
  "  is zero at 0; from its commit on any T-1 shares reveal nothing. While some version is\n"
  "  held by fewer than T members the raise waits (refreshes deal for the old t).\n"
  "  Lowering (T < t): a reshare round. t members that hold every secret each deal their\n"
  "  own share on a polynomial of degree T-1; each member's new share is a Lagrange sum of\n"
  "  what they dealt it. Every node checks, against each secret's public C_0, that the\n"
  "  dealers it keeps dealt their true shares, and leaves out one that did not (with the\n"
  "  old t up at least). From its commit on T shares rebuild a secret: you are trusting\n"
  "  that fewer than T members are faulty from now on (docs/refresh.md 7.5).\n"
  "Puts (and, while t is lowered, deletes) wait while that round runs: they are refused\n"
  "with a message saying so. `pss status` shows t once it commits. Then take the new t\n"
  "into the cluster file: pss cluster-file --update (a client refuses a cluster whose t is\n"
  "not its file's). `pss threshold set` with the current t calls a waiting change off.\n\n"
  "Refused before anything changes: T below 2 or above n-1, T equal to t, another\n"
  "committee change running, fewer than min(n, T+1) members up; for a raise, a version\n"
  "held by fewer than T members; for a lowering, fewer than t members holding a share of\n"
  "every secret, or fewer than max(t, min(n, T+2)) up. A lowering that aborts (a member\n"
  "lied, or too few answered) lets the next refresh deal for the old t and is tried again\n"
  "at the refresh after that (pss refresh starts one now).";

int threshold_set(int argc, char** argv) {
  po::options_description o{"options"};
  o.add_options()("threshold", po::value<std::uint32_t>(), "the new t");
  po::positional_options_description pos;
  pos.add("threshold", 1);
  po::variables_map vm;
  if (int rc = parse(argc, argv, o, pos, {"pss threshold set T", threshold_usage}, vm); rc >= 0) return rc;
  common c;
  if (int rc = load_common(vm, c); rc != exit_code::ok) return rc;
  if (!vm.count("threshold")) {
    report_error(c, "threshold set needs T, the new t", exit_code::usage);
    return exit_code::usage;
  }
  const std::uint32_t t = vm["threshold"].as<std::uint32_t>();
  json j;
  j["threshold"] = t;
  return run_change(c, secrets::committee_change{secrets::committee_change_kind::threshold, node_id{}, std::nullopt, t},
                    "threshold set", j);
}

} // namespace

int run_threshold(int argc, char** argv) {
  const std::string sub = argc >= 2 ? argv[1] : "";
  if (sub == "set") return threshold_set(argc - 1, argv + 1);
  if (sub == "--help" || sub == "-h" || sub == "help") {
    std::cout << threshold_usage << "\n";
    return exit_code::ok;
  }
  std::cerr << threshold_usage << "\n";
  return exit_code::usage;
}

int run_member(int argc, char** argv) {
  const std::string sub = argc >= 2 ? argv[1] : "";
  if (sub == "add") return member_add(argc - 1, argv + 1);
  if (sub == "remove") return member_remove(argc - 1, argv + 1);
  if (sub == "replace") return member_replace(argc - 1, argv + 1);
  if (sub == "rotate-keys") return member_rotate_keys(argc - 1, argv + 1);
  if (sub == "--help" || sub == "-h" || sub == "help") {
    std::cout << member_usage << "\n";
    return exit_code::ok;
  }
  std::cerr << member_usage << "\n";
  return exit_code::usage;
}

} // namespace pss::cli
