// `pss identity new --out FILE` and `pss identity show FILE`: client
// identities (docs/access.md). An identity is an Ed25519 key pair; its file
// (mode 0600) stays with the client, and only its public key is ever given to
// the cluster, by an admin's grant. The seed is never printed.
#include <boost/program_options.hpp>

#include <iostream>
#include <string>

#include "commands.hpp"
#include "core/bytes.hpp"
#include "crypto/random_source.hpp"
#include "deploy/config.hpp"

namespace po = boost::program_options;

namespace pss::cli {
namespace {

constexpr const char* identity_usage =
  "usage: pss identity new --out FILE     make a new client identity (mode 0600; never overwrites)\n"
  "       pss identity show FILE          print an identity's public key\n\n"
  "A client identity is an Ed25519 key pair. Every request a client sends is signed with it\n"
  "for one node, and each node checks the signature and the cluster's access policy. Nodes hold\n"
  "only public keys: give an admin the printed public key to grant it rights. `pss init-cluster`\n"
  "writes the admin's identity into DIR/client/identity. The seed is never printed.\n\n"
  "Exit codes: 0 ok, 1 the file could not be written or read, 2 bad usage.";

int identity_new(int argc, char** argv) {
  po::options_description options{"options"};
  options.add_options()("help,h", "show this help")("out,o", po::value<std::string>(), "the file to create");
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(options).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "pss identity new: " << e.what() << " (try --help)\n";
    return exit_code::usage;
  }
  if (vm.count("help")) {
    std::cout << identity_usage << "\n\n" << options;
    return exit_code::ok;
  }
  if (!vm.count("out")) {
    std::cerr << "pss identity new: --out FILE is required (try --help)\n";
    return exit_code::usage;
  }
  const std::string out = vm["out"].as<std::string>();
  crypto::system_random rng;
  const auto identity = crypto::sign_key_pair::generate(rng);
  if (auto st = deploy::write_identity(out, identity); !st.ok()) {
    std::cerr << "pss identity new: " << st.err().message() << "\n";
    return exit_code::failed;
  }
  std::cout << "wrote " << out << " (mode 0600; keep it secret)\npublic key: " << to_hex(identity.public_key.bytes())
            << "\n";
  return exit_code::ok;
}

int identity_show(const std::string& path) {
  auto identity = deploy::load_identity(path);
  if (!identity.ok()) {
    std::cerr << "pss identity show: " << identity.err().message() << "\n";
    return exit_code::failed;
  }
  std::cout << to_hex(identity->public_key.bytes()) << "\n";
  return exit_code::ok;
}

} // namespace

int run_identity(int argc, char** argv) {
  const std::string sub = argc >= 2 ? argv[1] : "";
  if (sub == "new") return identity_new(argc - 1, argv + 1);
  if (sub == "show" && argc == 3) return identity_show(argv[2]);
  if (sub == "--help" || sub == "-h" || sub == "help") {
    std::cout << identity_usage << "\n";
    return exit_code::ok;
  }
  std::cerr << identity_usage << "\n";
  return exit_code::usage;
}

} // namespace pss::cli
