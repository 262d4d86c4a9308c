// The one pss binary: dispatches to a subcommand.
#include <cstdio>
#include <cstring>
#include <string_view>

#include "commands.hpp"

namespace {

struct command {
  std::string_view name;
  std::string_view summary;
  int (*run)(int, char**);
};

constexpr command commands[] = {
  {"split", "split a secret into verifiable shares (offline)", pss::cli::run_split},
  {"combine", "verify shares and recover the secret (offline)", pss::cli::run_combine},
  {"demo", "a whole cluster in this process: puts, reads, a crash, a restart", pss::cli::run_demo},
  {"init-cluster", "write configs, keys, certificates and the admin identity of a new cluster",
   pss::cli::run_init_cluster},
  {"identity", "make a client identity (new --out FILE) or print its public key (show FILE)",
   pss::cli::run_identity},
  {"sim", "deterministic fault-injection simulation of the cluster", pss::cli::run_sim},
  {"node", "run one cluster member (--config FILE) over mutual TLS", pss::cli::run_node},
  {"put", "store a new version of a secret (value on stdin or --file)", pss::cli::run_put},
  {"get", "read a secret; the value alone goes to stdout", pss::cli::run_get},
  {"list", "list the secrets and their latest versions", pss::cli::run_list},
  {"delete", "delete a secret and all its versions", pss::cli::run_delete},
  {"status", "members, leader, term, commit index, epoch and link health", pss::cli::run_status},
  {"refresh", "ask the cluster to refresh every share now", pss::cli::run_refresh},
  {"access", "grant, revoke and list client keys' rights (admin)", pss::cli::run_access},
  {"member", "add, remove or replace a member, or rotate its keys; no secret is put together (admin)", pss::cli::run_member},
  {"threshold", "change t (set T): a refresh raises it, a reshare lowers it (admin)", pss::cli::run_threshold},
  {"cluster-file", "take the cluster's current members into the cluster file (--update)", pss::cli::run_cluster_file},
  {"gateway", "the HTTP API for applications: /v1/secrets with API keys, on loopback or TLS", pss::cli::run_gateway},
  {"audit", "read and check the nodes' audit logs: who read or changed what, when (admin)", pss::cli::run_audit},
};

void print_usage(std::FILE* out) {
  std::fputs("pss: proactive shared secrets\n\n"
             "usage: pss <command> [options]\n"
             "       pss <command> --help    options of one command\n\n"
             "commands:\n", out);
  for (const auto& c : commands)
    std::fprintf(out, "  %-13.*s %.*s\n", static_cast<int>(c.name.size()), c.name.data(),
                 static_cast<int>(c.summary.size()), c.summary.data());
  std::fputs("\nexit codes: 0 ok, 1 the operation failed, 2 bad usage or config, 3 lost liveness (sim),\n"
             "            4 no such secret, 5 too few nodes, 6 outcome unknown, 7 refused,\n"
             "            8 shares failed verification (client commands; see `pss get --help`)\n"
             "client commands read the cluster file from --cluster or PSS_CLUSTER, the identity from\n"
             "PSS_IDENTITY or the cluster file's identity_file, and sign every request with it\n", out);
}

} // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    print_usage(stderr);
    return pss::cli::exit_code::usage;
  }
  const std::string_view name = argv[1];
  if (name == "--help" || name == "-h" || name == "help") {
    if (argc >= 3) {
      for (const auto& c : commands)
        if (c.name == argv[2]) {
          char help[] = "--help";
          char* args[] = {argv[2], help, nullptr};
          return c.run(2, args);
        }
    }
    print_usage(stdout);
    return pss::cli::exit_code::ok;
  }
  if (name == "--version" || name == "version") {
    std::puts("pss 0.1.0");
    return pss::cli::exit_code::ok;
  }
  for (const auto& c : commands)
    if (c.name == name)
      return c.run(argc - 1, argv + 1);
  std::fprintf(stderr, "pss: unknown command '%s' (run 'pss --help' for the list)\n", argv[1]);
  return pss::cli::exit_code::usage;
}
