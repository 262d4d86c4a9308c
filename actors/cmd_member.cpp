// `pss member remove`: an admin's change to the committee (docs/refresh.md
// §7). The change is one signed request to the leader, which checks it
// against the cluster as it knows it (who is up, what else runs) and
// proposes the signed envelope itself; every node checks the admin's
// signature, right and the rules again when it applies it, and the catalog
// then drives the removal: a refresh that leaves the member out, its Raft
// removal, and the view without it.
#include <iostream>

#include "actors/client_cli.hpp"

namespace pss::cli {
namespace {

using namespace client;

constexpr const char* member_usage =
  "usage: pss member remove --id ID\n\n"
  "Changes the cluster's committee: the members that hold shares and vote in Raft. Signed\n"
  "with your identity (it must hold the admin right) and checked again by every node.\n\n"
  "  remove  takes a member out for good. First a refresh round that leaves it out moves\n"
  "          every secret to a new epoch held by the others, so the shares it keeps are of\n"
  "          an ended epoch and combine with nothing; then Raft removes it, and the view\n"
  "          drops it. Refused, before anything changes, when fewer than t+1 members would\n"
  "          remain, when fewer than a Raft majority of them are up, or while another change\n"
  "          or a wiped node's rejoin runs. The command returns once the change is recorded;\n"
  "          `pss status` shows the members. Clients keep working with the old cluster file\n"
  "          (the view they are served is a subset of it).\n\n"
  "Adding a member, replacing one and changing t are designed (docs/refresh.md §7) and not\n"
  "built yet.\n\n"
  "Run `pss member remove --help` for the options.";

int member_remove(int argc, char** argv) {
  po::options_description o{"options"};
  o.add_options()("id", po::value<std::uint64_t>(), "the node id of the member to remove");
  po::positional_options_description pos;
  pos.add("id", 1);
  po::variables_map vm;
  if (int rc = parse(argc, argv, o, pos, {"pss member remove --id ID", member_usage}, vm); rc >= 0) return rc;
  common c;
  if (int rc = load_common(vm, c); rc != exit_code::ok) return rc;
  if (!vm.count("id") || vm["id"].as<std::uint64_t>() == 0) {
    report_error(c, "remove needs --id, the member's node id (pss status lists them)", exit_code::usage);
    return exit_code::usage;
  }
  const node_id id{vm["id"].as<std::uint64_t>()};
  if (c.cluster.view().find(id) == nullptr) {
    report_error(c, secrets::node_name(id) + " is not in the cluster file", exit_code::usage);
    return exit_code::usage;
  }
  actors::client_request r;
  r.kind = secrets::operation_kind::member;
  r.committee = secrets::committee_change{secrets::committee_change_kind::remove, id, std::nullopt, 0};
  return with_system(c, [&](caf::actor_system& sys) {
    auto done = run_operation(c, sys, std::move(r));
    json j;
    j["node"] = id.value();
    j["message"] = done.message;
    if (done.outcome == secrets::operation_outcome::ok && !c.json) std::cerr << done.message << "\n";
    return outcome(c, done, "member remove", j);
  });
}

} // namespace

int run_member(int argc, char** argv) {
  const std::string sub = argc >= 2 ? argv[1] : "";
  if (sub == "remove") return member_remove(argc - 1, argv + 1);
  if (sub == "--help" || sub == "-h" || sub == "help") {
    std::cout << member_usage << "\n";
    return exit_code::ok;
  }
  std::cerr << member_usage << "\n";
  return exit_code::usage;
}

} // namespace pss::cli
