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
  {"init-cluster", "write configs, keys, certificates and tokens for a new cluster",
   pss::cli::run_init_cluster},
  {"sim", "deterministic fault-injection simulation of the cluster", pss::cli::run_sim},
};

void print_usage(std::FILE* out) {
  std::fputs("pss: proactive shared secrets\n\n"
             "usage: pss <command> [options]\n"
             "       pss <command> --help    options of one command\n\n"
             "commands:\n", out);
  for (const auto& c : commands)
    std::fprintf(out, "  %-13.*s %.*s\n", static_cast<int>(c.name.size()), c.name.data(),
                 static_cast<int>(c.summary.size()), c.summary.data());
  std::fputs("\nexit codes: 0 ok, 1 the operation failed, 2 bad usage, 3 lost liveness (sim)\n", out);
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
