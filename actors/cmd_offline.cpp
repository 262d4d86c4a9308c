// `pss split` and `pss combine`: the offline, verifiable alternative to ssss.
#include <boost/program_options.hpp>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>

#include "commands.hpp"
#include "read_input.hpp"
#include "core/secure.hpp"
#include "crypto/random_source.hpp"
#include "crypto/sodium.hpp"
#include "offline/share_text.hpp"
#include "offline/split_combine.hpp"

namespace po = boost::program_options;

namespace pss::cli {

namespace {

result<secure_bytes> read_input(const po::variables_map& vm, std::size_t max_bytes,
                                const std::string& what) {
  return read_file_or_stdin(vm.count("in") ? vm["in"].as<std::string>() : std::string{}, max_bytes, what);
}

// Parses options; prints help or a usage error. Returns -1 to continue.
int parse(int argc, char** argv, const po::options_description& options,
          const char* synopsis, const char* description, po::variables_map& vm) {
  try {
    po::store(po::command_line_parser(argc, argv).options(options).run(), vm);
    if (vm.count("help")) {
      std::cout << "usage: " << synopsis << "\n\n" << description << "\n\n" << options;
      return exit_code::ok;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "pss: " << e.what() << " (try --help)\n";
    return exit_code::usage;
  }
  return -1;
}

int fail(const error& err, const char* command) {
  std::cerr << "pss " << command << ": " << err.message() << "\n";
  return exit_code::failed;
}

void write_line(byte_view line) {
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fputc('\n', stdout);
}

} // namespace

int run_split(int argc, char** argv) {
  po::options_description options{"options"};
  options.add_options()
    ("threshold,t", po::value<std::size_t>()->required(),
     "shares needed to recover the secret (2..255)")
    ("shares,n", po::value<std::size_t>()->required(),
     "shares to produce, at least the threshold (up to 255)")
    ("in", po::value<std::string>(), "read the secret from FILE instead of standard input")
    ("help,h", "show this help");
  po::variables_map vm;
  if (int rc = parse(argc, argv, options, "pss split -t T -n N [--in FILE]",
                     "Reads a secret (at most 64 KiB, taken byte for byte) and prints N share\n"
                     "lines and one public commitment line. Any T share lines plus the commitment\n"
                     "line give the secret back with `pss combine`; fewer reveal nothing.\n"
                     "Keep each share line apart from the others. Format: docs/share-format.md.",
                     vm);
      rc >= 0)
    return rc;
  harden_process();
  if (auto init = crypto::init(); !init.ok())
    return fail(init.err(), "split");
  auto secret = read_input(vm, offline::secret_bytes_max, "the secret");
  if (!secret.ok())
    return fail(secret.err(), "split");
  crypto::system_random rng;
  auto out = offline::split(secret->view(), vm["threshold"].as<std::size_t>(),
                            vm["shares"].as<std::size_t>(), rng);
  if (!out.ok())
    return fail(out.err(), "split");
  for (const auto& line : out->share_lines)
    write_line(line.view());
  write_line(as_bytes(out->commit_line));
  return std::fflush(stdout) == 0 ? exit_code::ok : exit_code::failed;
}

int run_combine(int argc, char** argv) {
  po::options_description options{"options"};
  options.add_options()
    ("in", po::value<std::string>(), "read the lines from FILE instead of standard input")
    ("skip-invalid", "combine the shares that verify, naming the ones that do not, "
                     "instead of refusing")
    ("help,h", "show this help");
  po::variables_map vm;
  if (int rc = parse(argc, argv, options, "pss combine [--in FILE] [--skip-invalid]",
                     "Reads share lines and the commitment line printed by `pss split` (in any\n"
                     "order; blank lines and # comments are ignored), verifies every share\n"
                     "against the commitments, and writes the secret to standard output.\n"
                     "Any error names the line or share index and prints no secret at all.",
                     vm);
      rc >= 0)
    return rc;
  harden_process();
  if (auto init = crypto::init(); !init.ok())
    return fail(init.err(), "combine");
  constexpr std::size_t input_bytes_max = 2 * offline::line_chars_max;
  auto input = read_input(vm, input_bytes_max, "the input");
  if (!input.ok())
    return fail(input.err(), "combine");
  offline::combine_options combine_options;
  combine_options.skip_invalid = vm.count("skip-invalid") > 0;
  auto out = offline::combine(input->as_string(), combine_options);
  if (!out.ok())
    return fail(out.err(), "combine");
  for (const auto& skipped : out->skipped)
    std::cerr << "pss combine: skipped " << skipped << "\n";
  std::fwrite(out->secret.data(), 1, out->secret.size(), stdout);
  return std::fflush(stdout) == 0 ? exit_code::ok : exit_code::failed;
}

} // namespace pss::cli
