// `pss cluster-file --update`: takes the cluster's current membership into
// the client's cluster file after `pss member add`, `remove` or `replace`.
//
// Every member the file names is asked for the view it serves; each answer
// is authentic (tagged under the box key the file pins for that member),
// but up to t-1 members may lie, so the file changes only to a view that t
// of them serve alike (secrets::agreed_view). The TLS files and the
// identity stay as they are; the new file replaces the old one atomically.
#include <cstdio>
#include <filesystem>
#include <future>
#include <iostream>

#include "actors/client_cli.hpp"
#include "deploy/files.hpp"
#include "deploy/render.hpp"

namespace pss::cli {
namespace {

using namespace client;

constexpr const char* cluster_file_usage =
  "usage: pss cluster-file --update [--cluster FILE]\n\n"
  "Brings the cluster file up to date with the cluster's members and t after `pss member\n"
  "add`, `remove` or `replace`, or `pss threshold set`. Every member the file names is\n"
  "asked for the membership it serves; each answer is checked against the key the file\n"
  "pins for that member, and the file changes only to a membership that at least t\n"
  "members serve alike (up to t-1 may lie; t as the file says). It prints what changed;\n"
  "with --check it changes nothing. The new file replaces the old one atomically; the\n"
  "TLS files and the identity it names stay as they are.";

// The new file: the old one's TLS, identity and plaintext choice, the agreed members.
result<deploy::cluster_file> with_members(const deploy::cluster_file& old, const secrets::cluster_view& agreed) {
  deploy::cluster_file out = old;
  out.threshold = agreed.threshold;
  out.members.clear();
  for (const auto& m : agreed.members) {
    auto address = deploy::parse_host_port(m.address);
    if (!address.ok()) return error{errc::invalid_argument, secrets::node_name(m.id) + "'s address: " + address.err().message()};
    out.members.push_back(deploy::member_entry{m.id, m.index, *address, m.box_key, m.sign_key});
  }
  // Paths as the old file wrote them: relative to its directory.
  const auto base = std::filesystem::absolute(std::filesystem::path{old.file}).parent_path();
  auto relative = [&](const std::string& p) {
    auto r = std::filesystem::path{p}.lexically_relative(base);
    return r.empty() ? p : r.string();
  };
  if (out.tls) {
    out.tls->ca_file = relative(out.tls->ca_file);
    out.tls->certificate_file = relative(out.tls->certificate_file);
    out.tls->key_file = relative(out.tls->key_file);
  }
  if (!out.identity_file.empty()) out.identity_file = relative(out.identity_file);
  return out;
}

std::string changes(const secrets::cluster_view& before, const secrets::cluster_view& after) {
  std::string out;
  for (const auto& m : after.members) {
    const auto* b = before.find(m.id);
    if (b == nullptr) out += "  + " + secrets::node_name(m.id) + " at " + m.address + " (index " + std::to_string(m.index.value()) + ")\n";
    else if (!(*b == m)) out += "  ~ " + secrets::node_name(m.id) + " at " + m.address + "\n";
  }
  for (const auto& m : before.members)
    if (after.find(m.id) == nullptr) out += "  - " + secrets::node_name(m.id) + " at " + m.address + "\n";
  if (before.threshold != after.threshold)
    out += "  t " + std::to_string(before.threshold) + " -> " + std::to_string(after.threshold) + "\n";
  return out;
}

status replace_file(const std::string& path, const std::string& text) {
  const std::string next = path + ".new";
  std::error_code ec;
  std::filesystem::remove(next, ec);
  PSS_TRY(deploy::write_new_file(next, text, 0644));
  if (std::rename(next.c_str(), path.c_str()) != 0)
    return error{errc::io_error, "cannot replace " + path + " with " + next};
  return ok_status();
}

// Asks every reachable member for its view, one at a time.
std::vector<std::pair<node_id, secrets::cluster_view>> ask_views(const common& c, caf::actor_system& sys) {
  auto connected = actors::connect_all(sys, addresses(c.cluster), c.tls, connect_wait_max);
  for (const auto& f : connected.failures) std::cerr << "pss: cannot reach " << f << "\n";
  std::vector<std::pair<node_id, secrets::cluster_view>> out;
  if (connected.nodes.empty()) return out;
  actors::remote_client client{sys, connected.nodes, client_options_for(c)};
  for (const auto& [id, handle] : connected.nodes) {
    actors::client_request r = actors::client_request::of(secrets::operation_kind::view);
    r.node = id;
    auto answer = client.start(std::move(r));
    if (answer.wait_for(status_wait_max) != std::future_status::ready) continue;
    auto done = answer.get();
    if (done.outcome == secrets::operation_outcome::ok && done.view) out.emplace_back(id, std::move(*done.view));
  }
  return out;
}

} // namespace

int run_cluster_file(int argc, char** argv) {
  po::options_description o{"options"};
  o.add_options()
    ("update", "take the cluster's current members into the file")
    ("check", "with --update: print what would change, change nothing");
  po::positional_options_description pos;
  po::variables_map vm;
  if (int rc = parse(argc, argv, o, pos, {"pss cluster-file --update [--check]", cluster_file_usage}, vm); rc >= 0)
    return rc;
  common c;
  if (!vm.count("update")) {
    report_error(c, "say --update (try --help)", exit_code::usage);
    return exit_code::usage;
  }
  if (int rc = load_common(vm, c); rc != exit_code::ok) return rc;
  return with_system(c, [&](caf::actor_system& sys) {
    const secrets::cluster_view before = c.cluster.view();
    auto agreed = secrets::agreed_view(ask_views(c, sys), before);
    if (!agreed.ok()) {
      report_error(c, "cluster-file --update: " + agreed.err().message(), code::unavailable);
      return code::unavailable;
    }
    auto next = with_members(c.cluster, *agreed);
    if (!next.ok()) {
      report_error(c, "cluster-file --update: " + next.err().message(), exit_code::failed);
      return exit_code::failed;
    }
    const std::string diff = changes(before, next->view());
    json j;
    j["changed"] = !diff.empty();
    j["members"] = agreed->members.size();
    if (diff.empty()) {
      if (!c.json) std::cout << c.cluster.file << " is up to date (" << agreed->members.size() << " members)\n";
    } else if (vm.count("check")) {
      if (!c.json) std::cout << c.cluster.file << " would change:\n" << diff;
    } else {
      if (auto st = replace_file(c.cluster.file, deploy::render_cluster_file(*next)); !st.ok()) {
        report_error(c, "cluster-file --update: " + st.err().message(), exit_code::failed);
        return exit_code::failed;
      }
      if (!c.json) std::cout << "updated " << c.cluster.file << ":\n" << diff;
    }
    if (c.json) {
      j["ok"] = true;
      std::cout << j.dump() << "\n";
    }
    return exit_code::ok;
  });
}

} // namespace pss::cli
