// The subcommands of the one pss binary.
//
// Each command parses its own options with Boost.Program_options, prints a
// --help that explains itself, and returns an exit code from exit_code.
#pragma once

#include <string_view>

namespace pss::cli {

// Exit codes shared by every command; documented in the README.
namespace exit_code {
inline constexpr int ok = 0;
inline constexpr int failed = 1;   // the operation was refused or failed
inline constexpr int usage = 2;    // bad command line
inline constexpr int lost_liveness = 3; // pss sim: no progress after healing
} // namespace exit_code

int run_split(int argc, char** argv);
int run_combine(int argc, char** argv);
int run_sim(int argc, char** argv);
int run_demo(int argc, char** argv);
int run_init_cluster(int argc, char** argv);
int run_node(int argc, char** argv);
int run_put(int argc, char** argv);
int run_get(int argc, char** argv);
int run_list(int argc, char** argv);
int run_delete(int argc, char** argv);
int run_status(int argc, char** argv);
int run_refresh(int argc, char** argv);
int run_identity(int argc, char** argv);
int run_access(int argc, char** argv);
int run_audit(int argc, char** argv);
int run_member(int argc, char** argv);
int run_threshold(int argc, char** argv);
int run_cluster_file(int argc, char** argv);
int run_gateway(int argc, char** argv);

} // namespace pss::cli
