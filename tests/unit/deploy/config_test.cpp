// Node configs and cluster files: a good one round-trips, and each rule
// refuses a bad value with a message that names the file and the key and
// gives an example of a right value.
#include <doctest/doctest.h>

#include "core/bytes.hpp"
#include "deploy_test_support.hpp"

using namespace pss;
using namespace pss::deploy;
using pss::deploy::test::check_message;
using pss::deploy::test::config_fixture;
using pss::deploy::test::replace;
using pss::deploy::test::write_file;

namespace {

std::string key_hex(const member_entry& m) { return to_hex(m.box_key.bytes()); }

} // namespace

TEST_CASE("deploy: a good node config round-trips and resolves paths against its directory") {
  config_fixture f;
  auto parsed = f.parse(f.text());
  REQUIRE_MESSAGE(parsed.ok(), parsed.err().message());
  const node_config& c = *parsed;
  CHECK(c.file == "node1.toml");
  CHECK(c.cluster_id == "pss-2f6c9a1e");
  CHECK(c.threshold == 2);
  CHECK(c.id == node_id{1});
  CHECK(c.listen == host_port{"127.0.0.1", 7101});
  CHECK(c.data_dir == f.dir.sub("data"));
  CHECK(c.key_file == f.dir.sub("node.key"));
  CHECK(c.admin_key == f.config().admin_key);
  REQUIRE(c.tls.has_value());
  CHECK(c.tls->ca_file == f.dir.sub("ca.crt"));
  CHECK(c.tls->certificate_file == f.dir.sub("tls.crt"));
  CHECK(c.tls->key_file == f.dir.sub("tls.key"));
  CHECK_FALSE(c.insecure_plaintext);
  CHECK(c.timing == node_timing{});
  CHECK(c.members == f.members());
  REQUIRE(c.self() != nullptr);
  CHECK(c.self()->id == node_id{1});

  auto view = c.view();
  CHECK(view.validate().ok());
  CHECK(view.epoch == epoch_id{1});
  CHECK(view.members[1].address == "127.0.0.1:7102");
  CHECK(view.members[1].box_key == f.cluster.view.members[1].box_key);
}

TEST_CASE("deploy: load_node_config reads a file and resolves ../ paths against its directory") {
  config_fixture f;
  std::filesystem::create_directory(f.dir.sub("node-1"));
  auto c = f.config();
  c.tls = tls_files{"../ca.crt", "../tls.crt", "../tls.key"};
  write_file(f.dir.sub("node-1/node.toml"), render_node_config(c), 0644);
  auto loaded = load_node_config(f.dir.sub("node-1/node.toml"));
  REQUIRE_MESSAGE(loaded.ok(), loaded.err().message());
  CHECK(loaded->file == f.dir.sub("node-1/node.toml"));
  CHECK(loaded->tls->ca_file == f.dir.sub("ca.crt"));
  CHECK(loaded->data_dir == f.dir.sub("node-1/data"));
  auto missing = load_node_config(f.dir.sub("nope.toml"));
  REQUIRE_FALSE(missing.ok());
  check_message(missing.err().message(), {"nope.toml"});
}

TEST_CASE("deploy: members are sorted by id whatever their order in the file") {
  config_fixture f;
  auto c = f.config();
  std::swap(c.members[0], c.members[2]);
  auto parsed = f.parse(render_node_config(c));
  REQUIRE_MESSAGE(parsed.ok(), parsed.err().message());
  CHECK(parsed->members == f.members());
}

TEST_CASE("deploy: a TOML syntax error names the file, line and column") {
  config_fixture f;
  const auto message = f.error_of(replace(f.text(), "threshold = 2", "threshold = = 2"));
  check_message(message, {"node1.toml:4:", "TOML syntax error"});
}

TEST_CASE("deploy: a missing required key is named with an example") {
  config_fixture f;
  check_message(f.error_of(replace(f.text(), "listen = \"127.0.0.1:7101\"\n", "")),
                {"node1.toml: key 'node.listen' is missing", R"(for example listen = "127.0.0.1:7101")"});
  check_message(f.error_of(replace(f.text(), "cluster_id = \"pss-2f6c9a1e\"\n", "")),
                {"key 'cluster_id' is missing", R"(cluster_id = "pss-2f6c9a1e")"});
  std::string no_members = f.text();
  no_members = no_members.substr(0, no_members.find("[[members]]"));
  check_message(f.error_of(no_members), {"key 'members' is missing", "[[members]]"});
  check_message(f.error_of(replace(f.text(), "[node]", "[nodes]")), {"unknown key 'nodes'"});
}

TEST_CASE("deploy: a value of the wrong type is refused, naming the type found") {
  config_fixture f;
  check_message(f.error_of(replace(f.text(), "threshold = 2", "threshold = \"2\"")),
                {"node1.toml: key 'threshold': expected an integer, found a string",
                 "for example threshold = 2"});
  check_message(f.error_of(replace(f.text(), "listen = \"127.0.0.1:7101\"", "listen = 7101")),
                {"key 'node.listen': expected a string, found an integer"});
  check_message(f.error_of(replace(f.text(), "key_file = \"node.key\"",
                                   "key_file = \"node.key\"\ninsecure_plaintext = \"no\"")),
                {"key 'node.insecure_plaintext': expected true or false"});
  check_message(f.error_of(replace(f.text(), "heartbeat_ms = 100", "heartbeat_ms = 100.5")),
                {"key 'timing.heartbeat_ms'", "found a floating-point number"});
}

TEST_CASE("deploy: unknown keys are refused, naming the key and the allowed ones") {
  config_fixture f;
  check_message(f.error_of(replace(f.text(), "threshold = 2", "threshold = 2\nthreshhold = 2")),
                {"node1.toml: unknown key 'threshhold' (line", "threshold", "at the top level"});
  check_message(f.error_of(replace(f.text(), "data_dir = \"data\"", "data_dir = \"data\"\ndatadir = \"d\"")),
                {"unknown key 'node.datadir'", "in [node]", "data_dir"});
  check_message(f.error_of(replace(f.text(), "index = 2\n", "index = 2\nadress = \"x\"\n")),
                {"unknown key 'members[2].adress'", "address"});
  check_message(f.error_of(replace(f.text(), "heartbeat_ms = 100", "heartbeat = 100")),
                {"unknown key 'timing.heartbeat'", "heartbeat_ms"});
}

TEST_CASE("deploy: a listen address without a port is refused with an example") {
  config_fixture f;
  check_message(
      f.error_of(replace(f.text(), "listen = \"127.0.0.1:7101\"", "listen = \"127.0.0.1\"")),
      {R"(node1.toml: key 'node.listen': "127.0.0.1" has no port; expected host:port, for example "127.0.0.1:7101")"});
}

TEST_CASE("deploy: ports outside 1..65535 are refused") {
  config_fixture f;
  check_message(f.error_of(replace(f.text(), "address = \"127.0.0.1:7102\"", "address = \"127.0.0.1:0\"")),
                {"key 'members[2].address'", "outside 1..65535", "for example"});
  check_message(f.error_of(replace(f.text(), "listen = \"127.0.0.1:7101\"", "listen = \"127.0.0.1:70000\"")),
                {"key 'node.listen'", "outside 1..65535"});
}

TEST_CASE("deploy: this node's listen port must equal its member address port") {
  config_fixture f;
  check_message(f.error_of(replace(f.text(), "listen = \"127.0.0.1:7101\"", "listen = \"0.0.0.0:7109\"")),
                {"key 'node.listen'", "port 7109 differs", "\"127.0.0.1:7101\"",
                 R"(for example listen = "0.0.0.0:7101")"});
  // Another host with the same port is fine: a node may listen on all interfaces.
  auto any = f.parse(replace(f.text(), "listen = \"127.0.0.1:7101\"", "listen = \"0.0.0.0:7101\""));
  CHECK_MESSAGE(any.ok(), any.err().message());
}

TEST_CASE("deploy: member ids must be non-zero and distinct, and include this node") {
  config_fixture f;
  check_message(f.error_of(replace(f.text(), "id = 2\n", "id = 0\n")),
                {"key 'members[2].id'", "0 is outside 1..", "for example id = 1"});
  check_message(f.error_of(replace(f.text(), "id = 3\n", "id = 2\n")),
                {"key 'members[3].id'", "the same id 2 as members[2]"});
  check_message(f.error_of(replace(f.text(), "[node]\nid = 1", "[node]\nid = 9")),
                {"key 'node.id'", "9 is not the id of any [[members]] entry; expected one of 1, 2, 3"});
}

TEST_CASE("deploy: share indices must be distinct and within 1..255") {
  config_fixture f;
  check_message(f.error_of(replace(f.text(), "index = 3", "index = 256")),
                {"key 'members[3].index'", "256 is outside 1..255", "for example index = 1"});
  check_message(f.error_of(replace(f.text(), "index = 3", "index = 1")),
                {"key 'members[3].index'", "the same index 1 as members[1]"});
}

TEST_CASE("deploy: the threshold must be 2..number of members") {
  config_fixture f;
  check_message(f.error_of(replace(f.text(), "threshold = 2", "threshold = 1")),
                {"key 'threshold'", "1 is outside 2..255", "for example threshold = 2"});
  check_message(f.error_of(replace(f.text(), "threshold = 2", "threshold = 4")),
                {"key 'threshold'", "4 is more than the 3 members; expected 2..3"});
}

TEST_CASE("deploy: public keys must be 64 hex digits of a valid key") {
  config_fixture f;
  const auto members = f.members();
  const std::string box2 = key_hex(members[1]);
  check_message(f.error_of(replace(f.text(), box2, box2.substr(0, 63))),
                {"key 'members[2].box_key'", "has 63 characters, not 64 hex digits", "for example \""});
  check_message(f.error_of(replace(f.text(), box2, "zz" + box2.substr(2))),
                {"key 'members[2].box_key'", "non-hex character"});
  check_message(f.error_of(replace(f.text(), box2, std::string(64, '0'))),
                {"key 'members[2].box_key'", "is not a valid public key"});
  const std::string sign3 = to_hex(members[2].sign_key.bytes());
  // The identity point has small order: never a real signing key.
  check_message(f.error_of(replace(f.text(), sign3, "01" + std::string(62, '0'))),
                {"key 'members[3].sign_key'", "is not a valid public key"});
  check_message(f.error_of(replace(f.text(), box2, key_hex(members[0]))),
                {"key 'members[2].box_key'", "the same box_key as members[1]"});
}

TEST_CASE("deploy: the cluster id is 1..64 characters of [A-Za-z0-9._-]") {
  config_fixture f;
  check_message(f.error_of(replace(f.text(), "\"pss-2f6c9a1e\"", "\"pss 2f6c\"")),
                {"key 'cluster_id'", "may use only letters, digits", R"(for example "pss-2f6c9a1e")"});
  check_message(f.error_of(replace(f.text(), "\"pss-2f6c9a1e\"", "\"" + std::string(65, 'a') + "\"")),
                {"key 'cluster_id'", "longer than 64 characters"});
  check_message(f.error_of(replace(f.text(), "\"pss-2f6c9a1e\"", "\"\"")),
                {"key 'cluster_id': is empty"});
}

TEST_CASE("deploy: timing values are checked against their named bounds") {
  config_fixture f;
  check_message(f.error_of(replace(f.text(), "election_timeout_ms = 1000", "election_timeout_ms = 10")),
                {"key 'timing.election_timeout_ms'", "10 is outside 50..60000",
                 "for example election_timeout_ms = 1000"});
  check_message(f.error_of(replace(f.text(), "heartbeat_ms = 100", "heartbeat_ms = 500")),
                {"key 'timing.heartbeat_ms'", "5..499, below election_timeout_ms / 2"});
  check_message(f.error_of(replace(f.text(), "refresh_interval_ms = 0", "refresh_interval_ms = 500")),
                {"key 'timing.refresh_interval_ms'", "0 (refresh only on request) or 1000.."});
  check_message(f.error_of(replace(f.text(), "peer_timeout_ms = 1000", "peer_timeout_ms = 200")),
                {"key 'timing.peer_timeout_ms'", "above peer_heartbeat_ms (200)"});
  check_message(f.error_of(replace(f.text(), "reconnect_max_ms = 5000", "reconnect_max_ms = 5")),
                {"key 'timing.reconnect_max_ms'", "outside 100..600000"});
  auto custom = f.parse(replace(f.text(), "refresh_interval_ms = 0", "refresh_interval_ms = 60000"));
  REQUIRE_MESSAGE(custom.ok(), custom.err().message());
  CHECK(custom->timing.refresh_interval_ms == 60000);
  CHECK(custom->timing.lease_reads); // on unless turned off
  auto no_lease = f.parse(replace(f.text(), "lease_reads = true", "lease_reads = false"));
  REQUIRE_MESSAGE(no_lease.ok(), no_lease.err().message());
  CHECK_FALSE(no_lease->timing.lease_reads);
  check_message(f.error_of(replace(f.text(), "lease_reads = true", "lease_reads = 1")),
                {"lease_reads"});
}

TEST_CASE("deploy: the [timing] table and each of its keys are optional") {
  config_fixture f;
  std::string text = f.text();
  const auto from = text.find("\n[timing]");
  const auto to = text.find("\n[[members]]");
  text.erase(from, to - from);
  auto parsed = f.parse(text);
  REQUIRE_MESSAGE(parsed.ok(), parsed.err().message());
  CHECK(parsed->timing == node_timing{});
}

TEST_CASE("deploy: TLS files must exist, and the TLS key must be mode 0600") {
  config_fixture f;
  check_message(f.error_of(replace(f.text(), "ca = \"ca.crt\"", "ca = \"missing.crt\"")),
                {"node1.toml: key 'tls.ca'", "missing.crt", "cannot be read"});
  REQUIRE(::chmod(f.dir.sub("tls.key").c_str(), 0644) == 0);
  check_message(f.error_of(f.text()),
                {"key 'tls.key'", "mode 0644", "chmod 600 " + f.dir.sub("tls.key")});
}

TEST_CASE("deploy: [tls] is required unless insecure_plaintext, and refused with it") {
  config_fixture f;
  std::string no_tls = f.text();
  const auto from = no_tls.find("\n[tls]");
  no_tls.erase(from, no_tls.find("\n[timing]") - from);
  check_message(f.error_of(no_tls), {"node1.toml: table '[tls]' is missing", "ca = \"../ca.crt\""});

  const std::string insecure_line = "key_file = \"node.key\"\ninsecure_plaintext = true";
  auto plain = f.parse(replace(no_tls, "key_file = \"node.key\"", insecure_line));
  REQUIRE_MESSAGE(plain.ok(), plain.err().message());
  CHECK(plain->insecure_plaintext);
  CHECK_FALSE(plain->tls.has_value());
  check_message(f.error_of(replace(f.text(), "key_file = \"node.key\"", insecure_line)),
                {"key 'tls'", "remove [tls] or set node.insecure_plaintext = false"});
}

TEST_CASE("deploy: a cluster file round-trips, with an optional identity_file") {
  config_fixture f;
  cluster_file c;
  c.cluster_id = "pss-2f6c9a1e";
  c.threshold = 2;
  c.members = f.members();
  c.tls = tls_files{"ca.crt", "tls.crt", "tls.key"};
  c.identity_file = "identity";
  const std::string text = render_cluster_file(c);
  auto parsed = parse_cluster_file(text, "cluster.toml", f.dir.path());
  REQUIRE_MESSAGE(parsed.ok(), parsed.err().message());
  CHECK(parsed->cluster_id == "pss-2f6c9a1e");
  CHECK(parsed->members == f.members());
  CHECK(parsed->identity_file == f.dir.sub("identity"));
  CHECK(parsed->tls->key_file == f.dir.sub("tls.key"));
  CHECK(parsed->view() == f.config().view());

  auto no_token = parse_cluster_file(replace(text, "identity_file = \"identity\"\n", ""), "cluster.toml",
                                     f.dir.path());
  REQUIRE_MESSAGE(no_token.ok(), no_token.err().message());
  CHECK(no_token->identity_file.empty());

  auto typo = parse_cluster_file(replace(text, "identity_file", "identityfile"), "cluster.toml", f.dir.path());
  REQUIRE_FALSE(typo.ok());
  check_message(typo.err().message(), {"cluster.toml: unknown key 'identityfile'"});
  auto old_token = parse_cluster_file(replace(text, "identity_file", "token_file"), "cluster.toml", f.dir.path());
  REQUIRE_FALSE(old_token.ok()); // clusters of the token era are not supported
  check_message(old_token.err().message(), {"unknown key 'token_file'"});
  auto bad_threshold = parse_cluster_file(replace(text, "threshold = 2", "threshold = 5"),
                                          "cluster.toml", f.dir.path());
  REQUIRE_FALSE(bad_threshold.ok());
  check_message(bad_threshold.err().message(), {"cluster.toml: key 'threshold'", "5 is more than the 3"});
}

TEST_CASE("deploy: rendered strings are escaped, so odd paths and IPv6 hosts round-trip") {
  config_fixture f;
  auto c = f.config();
  c.data_dir = "data \"q\" \\ dir\tx";
  c.listen = host_port{"::", 7101};
  c.members[0].address = host_port{"fe80::1", 7101};
  auto parsed = f.parse(render_node_config(c));
  REQUIRE_MESSAGE(parsed.ok(), parsed.err().message());
  CHECK(parsed->data_dir == f.dir.sub("data \"q\" \\ dir\tx"));
  CHECK(parsed->listen == host_port{"::", 7101});
  CHECK(parsed->members[0].address.to_string() == "[fe80::1]:7101");
}

TEST_CASE("deploy: text that is not TOML at all is an error, never an exception") {
  config_fixture f;
  for (std::string text : {std::string{"\xff\xfe\x00garbage", 10}, std::string{"[[[["},
                           std::string{"x = \"unterminated"}, std::string{}}) {
    auto parsed = f.parse(text);
    REQUIRE_FALSE(parsed.ok());
    CHECK(pss::deploy::test::contains(parsed.err().message(), "node1.toml"));
  }
}

TEST_CASE("deploy: a joining node's config lists the first view without it, and round-trips") {
  config_fixture f;
  node_config c = f.config();
  c.id = node_id{4};
  c.listen = host_port{"127.0.0.1", 7104};
  c.joining = true;
  auto parsed = f.parse(render_node_config(c));
  REQUIRE_MESSAGE(parsed.ok(), parsed.err().message());
  CHECK(parsed->joining);
  CHECK(parsed->self() == nullptr);
  CHECK(parsed->view().find(node_id{4}) == nullptr);
  CHECK(parsed->members == f.members());
  // Listed and joining at once is a contradiction, named with its fix.
  check_message(f.error_of(replace(f.text(), "key_file = \"node.key\"\n", "key_file = \"node.key\"\njoining = true\n")),
                {"key 'node.joining'", "node 1 is listed in [[members]]", "joining = false"});
  // Keys of a joining node load without a member entry to match.
  REQUIRE(write_node_keys(parsed->key_file, secrets::make_test_cluster(4, 2, 8).keys[3]).ok());
  auto keys = load_node_keys(parsed->key_file, *parsed);
  REQUIRE_MESSAGE(keys.ok(), keys.err().message());
  CHECK(keys->id == node_id{4});
}

TEST_CASE("deploy: a member keys file round-trips, and a bad one is refused with the key named") {
  const auto cluster = secrets::make_test_cluster(3, 2, 9);
  const member_keys k{node_id{6}, cluster.view.members[0].box_key, cluster.view.members[0].sign_key};
  auto parsed = parse_member_keys(render_member_keys(k), "member.toml");
  REQUIRE_MESSAGE(parsed.ok(), parsed.err().message());
  CHECK(*parsed == k);
  auto error_of = [](const std::string& text) {
    auto r = parse_member_keys(text, "member.toml");
    REQUIRE_FALSE(r.ok());
    return r.err().message();
  };
  check_message(error_of(replace(render_member_keys(k), "id = 6", "id = 0")), {"member.toml", "key 'id'"});
  check_message(error_of("id = 6\nbox_key = \"00\"\nsign_key = \"00\"\n"), {"key 'box_key'", "64 hex digits"});
  check_message(error_of(render_member_keys(k) + "seed = \"x\"\n"), {"seed"});
}

TEST_CASE("deploy: [metrics] listen is optional, round-trips, and may not be the node's own address") {
  config_fixture f;
  auto plain = f.parse(f.text());
  REQUIRE(plain.ok());
  CHECK_FALSE(plain->metrics_listen.has_value());
  auto with = f.parse(f.text() + "\n[metrics]\nlisten = \"127.0.0.1:9101\"\n");
  REQUIRE_MESSAGE(with.ok(), with.err().message());
  REQUIRE(with->metrics_listen.has_value());
  CHECK(*with->metrics_listen == host_port{"127.0.0.1", 9101});
  auto again = f.parse(render_node_config(*with));
  REQUIRE_MESSAGE(again.ok(), again.err().message());
  CHECK(again->metrics_listen == with->metrics_listen);
  check_message(f.error_of(f.text() + "\n[metrics]\nlisten = \"127.0.0.1:7101\"\n"),
                {"key 'metrics.listen'", "the node's own listen address"});
  check_message(f.error_of(f.text() + "\n[metrics]\nlisten = \"127.0.0.1:9101\"\nname_labels = true\n"),
                {"name_labels"});
  check_message(f.error_of(f.text() + "\n[metrics]\nlisten = \"nowhere\"\n"), {"key 'metrics.listen'", "no port"});
}
