// `pss access grant|revoke|list`: an admin's changes to the replicated access
// policy (docs/access.md, "Changing the policy").
//
// Each change is one signed request to the leader, which proposes the signed
// envelope itself through Raft; every node checks the admin's signature and
// right again when it applies it, so a change takes effect on every node,
// with no restart. The identity running this must hold the admin right.
#include <chrono>
#include <ctime>
#include <iostream>

#include "actors/client_cli.hpp"
#include "actors/wall_clock.hpp"
#include "core/bytes.hpp"

namespace pss::cli {
namespace {

using namespace client;

constexpr const char* access_usage =
  "usage: pss access grant --key HEX --pattern GLOB --rights LIST [--expires-in DURATION] [--label TEXT]\n"
  "       pss access revoke GRANT_ID\n"
  "       pss access list\n\n"
  "The cluster's access policy: which client public keys may do what to which names. Changes\n"
  "are signed with your identity (it must hold the admin right), replicated through Raft and\n"
  "checked again by every node; they take effect on every node when applied, with no restart.\n"
  "A change that would leave no admin grant that never expires is refused.\n\n"
  "  rights: read, write, delete, list, refresh, admin (comma-separated), or all;\n"
  "          refresh and admin count only with --pattern '*'\n"
  "  GLOB:   '*' any run of characters, '?' one; 'app/*' is every name under app/\n"
  "  HEX:    a client's public key, as `pss identity show FILE` prints it\n\n"
  "Run `pss access grant --help` for the options.";

std::string utc(access::unix_ms at) {
  if (at == access::never_expires) return "never";
  const std::time_t s = static_cast<std::time_t>(at / 1000);
  std::tm tm{};
  gmtime_r(&s, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

result<access::grant_request> grant_from(const po::variables_map& vm) {
  for (const char* needed : {"key", "pattern", "rights"})
    if (!vm.count(needed)) return error{errc::invalid_argument, std::string{"grant needs --"} + needed + " (try --help)"};
  auto raw = from_hex(vm["key"].as<std::string>());
  auto key = raw.ok() ? crypto::sign_public_key::from_bytes(*raw) : result<crypto::sign_public_key>{raw.err()};
  if (!key.ok()) return error{errc::invalid_argument, "--key is not a client public key (64 hex digits, as `pss identity show` prints)"};
  auto rights = access::rights::parse(vm["rights"].as<std::string>());
  if (!rights.ok()) return error{errc::invalid_argument, "--rights: " + rights.err().message()};
  access::grant_request g{*key, vm["pattern"].as<std::string>(), *rights, access::never_expires, ""};
  if (auto st = access::check_pattern(g.pattern); !st.ok()) return error{errc::invalid_argument, "--pattern: " + st.err().message()};
  if (vm.count("label")) g.label = vm["label"].as<std::string>();
  if (vm.count("expires-in")) {
    auto d = parse_age_ms(vm["expires-in"].as<std::string>());
    if (!d.ok()) return error{errc::invalid_argument, "--expires-in wants a positive duration such as 90s, 30m, 24h or 7d"};
    const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::system_clock::now().time_since_epoch());
    g.expires_at = static_cast<access::unix_ms>(now.count()) + *d;
  }
  return g;
}

json grant_json(const access::grant& g) {
  return {{"id", g.id},           {"key", to_hex(g.key.bytes())},  {"pattern", g.pattern},
          {"rights", g.granted.to_string()}, {"expires_at", utc(g.expires_at)}, {"label", g.label}};
}

int access_grant(int argc, char** argv) {
  po::options_description o{"options"};
  o.add_options()("key", po::value<std::string>(), "the client's public key (hex)")
    ("pattern", po::value<std::string>(), "the names it covers (a glob; '*' for every name)")
    ("rights", po::value<std::string>(), "read,write,delete,list,refresh,admin or all")
    ("expires-in", po::value<std::string>(), "the grant ends after this long (90s, 30m, 24h, 7d; default: never)")
    ("label", po::value<std::string>(), "whom it is for (printable ASCII, up to 64 bytes)");
  po::positional_options_description pos;
  po::variables_map vm;
  if (int rc = parse(argc, argv, o, pos, {"pss access grant --key HEX --pattern GLOB --rights LIST", access_usage}, vm);
      rc >= 0)
    return rc;
  common c;
  if (int rc = load_common(vm, c); rc != exit_code::ok) return rc;
  auto g = grant_from(vm);
  if (!g.ok()) {
    report_error(c, g.err().message(), exit_code::usage);
    return exit_code::usage;
  }
  actors::client_request r;
  r.kind = secrets::operation_kind::grant;
  r.grant = std::move(*g);
  return with_system(c, [&](caf::actor_system& sys) {
    auto done = run_operation(c, sys, std::move(r));
    json j;
    if (done.outcome == secrets::operation_outcome::ok) {
      j["grant_id"] = done.version.value();
      if (!c.json) std::cout << done.version.value() << "\n";
      if (!c.json) std::cerr << "granted: grant " << done.version.value() << "\n";
    }
    return outcome(c, done, "access grant", j);
  });
}

int access_revoke(int argc, char** argv) {
  po::options_description o{"options"};
  o.add_options()("id", po::value<std::uint64_t>(), "the grant to revoke (from `pss access list`)");
  po::positional_options_description pos;
  pos.add("id", 1);
  po::variables_map vm;
  if (int rc = parse(argc, argv, o, pos, {"pss access revoke GRANT_ID", access_usage}, vm); rc >= 0) return rc;
  common c;
  if (int rc = load_common(vm, c); rc != exit_code::ok) return rc;
  if (!vm.count("id")) {
    report_error(c, "revoke needs a GRANT_ID (pss access list shows them)", exit_code::usage);
    return exit_code::usage;
  }
  actors::client_request r;
  r.kind = secrets::operation_kind::revoke;
  r.grant_id = vm["id"].as<std::uint64_t>();
  return with_system(c, [&](caf::actor_system& sys) {
    auto done = run_operation(c, sys, std::move(r));
    json j;
    j["grant_id"] = r.grant_id;
    if (done.outcome == secrets::operation_outcome::ok && !c.json) std::cerr << "revoked: grant " << r.grant_id << "\n";
    return outcome(c, done, "access revoke", j);
  });
}

int access_list(int argc, char** argv) {
  po::options_description o{"options"};
  po::positional_options_description pos;
  po::variables_map vm;
  if (int rc = parse(argc, argv, o, pos, {"pss access list", access_usage}, vm); rc >= 0) return rc;
  common c;
  if (int rc = load_common(vm, c); rc != exit_code::ok) return rc;
  actors::client_request r;
  r.kind = secrets::operation_kind::policy;
  return with_system(c, [&](caf::actor_system& sys) {
    auto done = run_operation(c, sys, std::move(r));
    json j;
    j["grants"] = json::array();
    for (const auto& g : done.grants) j["grants"].push_back(grant_json(g));
    if (!c.json && done.outcome == secrets::operation_outcome::ok) {
      std::printf("%-5s %-16s %-20s %-28s %-20s %s\n", "id", "key", "pattern", "rights", "expires", "label");
      for (const auto& g : done.grants)
        std::printf("%-5llu %-16s %-20s %-28s %-20s %s\n", static_cast<unsigned long long>(g.id),
                    (to_hex(g.key.bytes()).substr(0, 12) + "...").c_str(), g.pattern.c_str(),
                    g.granted.to_string().c_str(), utc(g.expires_at).c_str(), g.label.c_str());
    }
    return outcome(c, done, "access list", j);
  });
}

} // namespace

int run_access(int argc, char** argv) {
  const std::string sub = argc >= 2 ? argv[1] : "";
  if (sub == "grant") return access_grant(argc - 1, argv + 1);
  if (sub == "revoke") return access_revoke(argc - 1, argv + 1);
  if (sub == "list") return access_list(argc - 1, argv + 1);
  if (sub == "--help" || sub == "-h" || sub == "help") {
    std::cout << access_usage << "\n";
    return exit_code::ok;
  }
  std::cerr << access_usage << "\n";
  return exit_code::usage;
}

} // namespace pss::cli
