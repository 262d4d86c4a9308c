// `pss init-cluster --add-node ID --out DIR`: the files of a new member of
// an existing cluster, next to the ones init-cluster wrote (docs/refresh.md
// §7.3, docs/deployment.md "Adding a member").
//
// The new node's config lists the cluster's first view (copied from the
// config of an existing node, which init-cluster wrote and nothing changes)
// and says `joining = true`: the node replays the cluster's log from that
// view, or takes a snapshot, and is a member once the admin's signed
// `pss member add` names it. Its keys are fresh; member.toml holds their
// public halves for the admin. Its certificate is signed with DIR/ca.key.
// Never prints a secret key, never writes into an existing directory.
#include <filesystem>
#include <iostream>
#include <map>

#include "actors/cmd_init.hpp"
#include "commands.hpp"
#include "crypto/random_source.hpp"
#include "deploy/config.hpp"
#include "deploy/files.hpp"
#include "deploy/render.hpp"
#include "secrets/cluster.hpp"

namespace pss::cli::init {

namespace {

// The config of the existing node with the lowest id in DIR that is not
// joining itself: its [[members]] are the cluster's first view.
result<deploy::node_config> first_view_config(const std::string& dir) {
  std::map<std::uint64_t, std::string> found;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator{dir, ec}) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("node-", 0) != 0 || !std::filesystem::exists(entry.path() / "node.toml", ec)) continue;
    try {
      found.emplace(std::stoull(name.substr(5)), (entry.path() / "node.toml").string());
    } catch (const std::exception&) {
    }
  }
  if (ec) return error{errc::not_found, "cannot read the cluster directory " + dir + ": " + ec.message()};
  for (const auto& [id, path] : found) {
    auto config = deploy::load_node_config(path);
    if (!config.ok()) return config.err();
    if (!config->joining) return config;
  }
  return error{errc::not_found, dir + " holds no node-<i>/node.toml of a first member; --out must be the directory "
                                      "`pss init-cluster` wrote"};
}

// --address, or node 1's scheme: its host at its port + id - 1.
result<deploy::host_port> new_address(const boost::program_options::variables_map& vm, const deploy::node_config& c,
                                      node_id id) {
  if (vm.count("address")) return deploy::parse_host_port(vm["address"].as<std::string>());
  const deploy::member_entry& first = c.members.front();
  const std::uint64_t port = first.address.port + (id.value() - first.id.value());
  if (id < first.id || port > 65535)
    return error{errc::invalid_argument, "no default port for node " + std::to_string(id.value()) + "; give --address"};
  return deploy::host_port{first.address.host, static_cast<std::uint16_t>(port)};
}

status write_new_node(const std::string& dir, const deploy::node_config& first, const deploy::host_port& address,
                      const secrets::node_keys& keys) {
  const std::string node_dir = dir + "/node-" + std::to_string(keys.id.value());
  PSS_TRY(make_dir(node_dir, node_dir_mode));
  deploy::node_config c;
  c.cluster_id = first.cluster_id;
  c.threshold = first.threshold;
  c.id = keys.id;
  c.listen = address;
  c.data_dir = "data";
  c.key_file = "node.key";
  c.admin_key = first.admin_key;
  c.insecure_plaintext = first.insecure_plaintext;
  if (!first.insecure_plaintext) {
    c.tls = deploy::tls_files{"../ca.crt", "tls.crt", "tls.key"};
    PSS_TRY(make_certificate(dir, node_dir + "/tls.key", node_dir + "/tls.crt",
                             "pss-node-" + std::to_string(keys.id.value()), subject_alt_name(address.host),
                             "serverAuth,clientAuth"));
  }
  c.timing = first.timing;
  c.joining = true;
  c.members = first.members;
  PSS_TRY(deploy::write_node_keys(node_dir + "/node.key", keys));
  PSS_TRY(deploy::write_new_file(node_dir + "/member.toml",
                                 deploy::render_member_keys({keys.id, keys.box.public_key, keys.sign.public_key}),
                                 public_file_mode));
  PSS_TRY(deploy::write_new_file(node_dir + "/node.toml", deploy::render_node_config(c), public_file_mode));
  // Read back the way `pss node` and `pss member add` will.
  auto loaded = deploy::load_node_config(node_dir + "/node.toml");
  if (!loaded.ok()) return loaded.err();
  auto reloaded = deploy::load_node_keys(loaded->key_file, *loaded);
  if (!reloaded.ok()) return reloaded.err();
  auto member = deploy::load_member_keys(node_dir + "/member.toml");
  if (!member.ok()) return member.err();
  return ok_status();
}

} // namespace

int add_node(const boost::program_options::variables_map& vm) {
  auto fail = [](const std::string& message, int rc) {
    std::cerr << "pss init-cluster: " << message << "\n";
    return rc;
  };
  if (!vm.count("out")) return fail("--add-node needs --out DIR, the cluster's directory (try --help)", exit_code::usage);
  const std::string dir = vm["out"].as<std::string>();
  const node_id id{vm["add-node"].as<std::uint64_t>()};
  if (id == node_id{}) return fail("--add-node needs a node id above 0", exit_code::usage);
  auto first = first_view_config(dir);
  if (!first.ok()) return fail(first.err().message(), exit_code::usage);
  for (const auto& m : first->members)
    if (m.id == id)
      return fail("node " + std::to_string(id.value()) + " is a first member of the cluster; a new member needs an id "
                  "no member ever had", exit_code::usage);
  if (std::error_code ec; std::filesystem::exists(dir + "/node-" + std::to_string(id.value()), ec))
    return fail(dir + "/node-" + std::to_string(id.value()) + " exists already; init-cluster never overwrites a node",
                exit_code::failed);
  auto address = new_address(vm, *first, id);
  if (!address.ok()) return fail("--address: " + address.err().message(), exit_code::usage);
  crypto::system_random rng;
  const secrets::node_keys keys{id, crypto::box_key_pair::generate(rng), crypto::sign_key_pair::generate(rng)};
  if (auto st = write_new_node(dir, *first, *address, keys); !st.ok())
    return fail(st.err().message() + "\npss init-cluster: remove " + dir + "/node-" + std::to_string(id.value())
                  + " and run again", exit_code::failed);
  const std::string node_dir = dir + "/node-" + std::to_string(id.value());
  std::cout << "wrote " << node_dir << "/: node.toml (joining = true), node.key"
            << (first->insecure_plaintext ? "" : ", tls.*") << ", member.toml (public keys)\n"
            << "node " << id.value() << " will listen on " << address->to_string() << "\n\n"
            << "next: start it, the first time with --init (it waits until it is added):\n"
            << "  pss node --config " << node_dir << "/node.toml --init\n"
            << "then, as an admin:\n"
            << "  pss member add --id " << id.value() << " --address " << address->to_string() << " --keys " << node_dir
            << "/member.toml\n"
            << "(or pss member replace OLD " << id.value() << " with the same options)\n";
  return exit_code::ok;
}

int rotate_keys(const boost::program_options::variables_map& vm) {
  auto fail = [](const std::string& message, int rc) {
    std::cerr << "pss init-cluster: " << message << "\n";
    return rc;
  };
  if (!vm.count("out"))
    return fail("--rotate-keys needs --out DIR, the cluster's directory (try --help)", exit_code::usage);
  const std::string dir = vm["out"].as<std::string>();
  const node_id id{vm["rotate-keys"].as<std::uint64_t>()};
  const std::string node_dir = dir + "/node-" + std::to_string(id.value());
  auto config = deploy::load_node_config(node_dir + "/node.toml");
  if (!config.ok()) return fail(config.err().message() + " (--out must be the directory init-cluster wrote)", exit_code::usage);
  const std::string next = deploy::next_key_path(config->key_file);
  const std::string member = node_dir + "/member.next.toml";
  std::error_code ec;
  if (std::filesystem::exists(next, ec) || std::filesystem::exists(member, ec))
    return fail(next + " or " + member + " exists already: a rotation is prepared (remove both to prepare another)",
                exit_code::failed);
  crypto::system_random rng;
  const secrets::node_keys keys{id, crypto::box_key_pair::generate(rng), crypto::sign_key_pair::generate(rng)};
  if (auto st = deploy::write_node_keys(next, keys); !st.ok()) return fail(st.err().message(), exit_code::failed);
  if (auto st = deploy::write_new_file(member, deploy::render_member_keys({id, keys.box.public_key, keys.sign.public_key}),
                                       public_file_mode);
      !st.ok())
    return fail(st.err().message(), exit_code::failed);
  std::cout << "wrote " << next << " (node " << id.value() << "'s next private keys, 0600) and " << member
            << " (their public halves)\n\n"
            << "next: put " << next << " beside the node's key file as " << std::filesystem::path{next}.filename().string()
            << " (it is there already if the node runs from " << node_dir << ") and restart the node;\nthen, as an admin:\n"
            << "  pss member rotate-keys --id " << id.value() << " --keys " << member << "\n"
            << "and, once it applied, in every client: pss cluster-file --update\n"
            << "If the node runs elsewhere, delete " << next << " here once it holds the keys. The rotation does not\n"
            << "change the node's TLS certificate: if its disk was stolen, reissue that from the CA too.\n";
  return exit_code::ok;
}

} // namespace pss::cli::init
