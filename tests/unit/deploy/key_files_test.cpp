// The node key file and client identity files: modes, matching keys, and
// secrets that never reach an error message.
#include <doctest/doctest.h>

#include <cstdlib>

#include "core/bytes.hpp"
#include "crypto/random_source.hpp"
#include "deploy/files.hpp"
#include "deploy_test_support.hpp"

using namespace pss;
using namespace pss::deploy;
using pss::deploy::test::config_fixture;
using pss::deploy::test::contains;
using pss::deploy::test::temp_dir;
using pss::deploy::test::write_file;

namespace {

mode_t mode_of(const std::string& path) {
  struct stat st{};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

node_config loaded_config(const config_fixture& f) {
  auto c = f.parse(f.text());
  REQUIRE_MESSAGE(c.ok(), c.err().message());
  return *c;
}


} // namespace

TEST_CASE("deploy: node keys written with mode 0600 load back and match the config") {
  config_fixture f;
  const node_config c = loaded_config(f);
  REQUIRE(write_node_keys(c.key_file, f.cluster.keys[0]).ok());
  CHECK(mode_of(c.key_file) == 0600);
  auto keys = load_node_keys(c.key_file, c);
  REQUIRE_MESSAGE(keys.ok(), keys.err().message());
  CHECK(keys->id == node_id{1});
  CHECK(keys->box.public_key == f.cluster.keys[0].box.public_key);
  CHECK(keys->sign.public_key == f.cluster.keys[0].sign.public_key);
  CHECK(keys->box.secret_key.view().size() == crypto::box_key_bytes);
}

TEST_CASE("deploy: write_node_keys never overwrites an existing file") {
  config_fixture f;
  const node_config c = loaded_config(f);
  REQUIRE(write_node_keys(c.key_file, f.cluster.keys[0]).ok());
  auto again = write_node_keys(c.key_file, f.cluster.keys[1]);
  REQUIRE_FALSE(again.ok());
  CHECK(again.err().code() == errc::conflict);
  CHECK(load_node_keys(c.key_file, c).ok()); // the first keys are still there
}

TEST_CASE("deploy: a key file readable by group or others is refused with chmod 600") {
  config_fixture f;
  const node_config c = loaded_config(f);
  REQUIRE(write_node_keys(c.key_file, f.cluster.keys[0]).ok());
  REQUIRE(::chmod(c.key_file.c_str(), 0644) == 0);
  auto keys = load_node_keys(c.key_file, c);
  REQUIRE_FALSE(keys.ok());
  CHECK(contains(keys.err().message(), "mode 0644"));
  CHECK(contains(keys.err().message(), "chmod 600 " + c.key_file));
}

TEST_CASE("deploy: another node's key file is refused") {
  config_fixture f;
  const node_config c = loaded_config(f);
  REQUIRE(write_node_keys(c.key_file, f.cluster.keys[1]).ok());
  auto keys = load_node_keys(c.key_file, c);
  REQUIRE_FALSE(keys.ok());
  CHECK(keys.err().code() == errc::mismatch);
  CHECK(contains(keys.err().message(), "belong to node 2"));
}

TEST_CASE("deploy: keys that do not match the member entry are refused without showing them") {
  config_fixture f;
  const node_config c = loaded_config(f);
  // Node 1 of another cluster: the right id, the wrong keys.
  auto other = secrets::make_test_cluster(3, 2, 8);
  REQUIRE(write_node_keys(c.key_file, other.keys[0]).ok());
  auto keys = load_node_keys(c.key_file, c);
  REQUIRE_FALSE(keys.ok());
  CHECK(keys.err().code() == errc::mismatch);
  CHECK(contains(keys.err().message(), "do not match the box_key and sign_key of node 1"));
  const auto secret_hex = to_hex(other.keys[0].box.secret_bytes().view());
  CHECK_FALSE(contains(keys.err().message(), secret_hex));
}

TEST_CASE("deploy: a damaged key file is refused without echoing its contents") {
  config_fixture f;
  const node_config c = loaded_config(f);
  const std::string secret = std::string(63, 'a') + "g";
  write_file(c.key_file, "id = 1\nbox_secret_key = \"" + secret + "\"\nsign_seed = \"" +
                             std::string(64, 'b') + "\"\n", 0600);
  auto keys = load_node_keys(c.key_file, c);
  REQUIRE_FALSE(keys.ok());
  CHECK(contains(keys.err().message(), "key 'box_secret_key'"));
  CHECK_FALSE(contains(keys.err().message(), secret));

  std::filesystem::remove(c.key_file);
  write_file(c.key_file, "id = 1\nbox_secret_key = \"" + std::string(64, 'a') + "\"\n", 0600);
  auto short_file = load_node_keys(c.key_file, c);
  REQUIRE_FALSE(short_file.ok());
  CHECK(contains(short_file.err().message(), "key 'sign_seed' is missing"));

  std::filesystem::remove(c.key_file);
  write_file(c.key_file, "id = 1\nextra = 1\n", 0600);
  auto extra = load_node_keys(c.key_file, c);
  REQUIRE_FALSE(extra.ok());
  CHECK(contains(extra.err().message(), "unknown key 'extra'"));
}

TEST_CASE("deploy: an identity written with mode 0600 loads back, and the seed must derive the public key") {
  temp_dir dir;
  crypto::seeded_random rng{5};
  const auto identity = crypto::sign_key_pair::generate(rng);
  const std::string path = dir.sub("identity");
  REQUIRE(write_identity(path, identity).ok());
  CHECK(mode_of(path) == 0600);
  auto back = load_identity(path);
  REQUIRE_MESSAGE(back.ok(), back.err().message());
  CHECK(back->public_key == identity.public_key);
  CHECK(back->seed_bytes().view().size() == 32);
  CHECK_FALSE(write_identity(path, identity).ok()); // never overwrites

  const std::string seed_hex = to_hex(identity.seed_bytes().view());
  const auto other = crypto::sign_key_pair::generate(rng);
  write_file(dir.sub("edited"), "public_key = \"" + to_hex(other.public_key.bytes()) + "\"\nseed = \"" + seed_hex + "\"\n",
             0600);
  auto edited = load_identity(dir.sub("edited"));
  REQUIRE_FALSE(edited.ok());
  CHECK(contains(edited.err().message(), "the seed does not derive public_key"));
  CHECK_FALSE(contains(edited.err().message(), seed_hex));
}

TEST_CASE("deploy: an identity readable by others or damaged is refused without echoing the seed") {
  temp_dir dir;
  const std::string path = dir.sub("identity");
  const std::string seed = std::string(63, 'c') + "z";
  write_file(path, "public_key = \"" + std::string(64, '0') + "\"\nseed = \"" + seed + "\"\n", 0644);
  auto open_mode = load_identity(path);
  REQUIRE_FALSE(open_mode.ok());
  CHECK(contains(open_mode.err().message(), "chmod 600 " + path));
  ::chmod(path.c_str(), 0600);
  auto damaged = load_identity(path);
  REQUIRE_FALSE(damaged.ok());
  CHECK(contains(damaged.err().message(), "key 'seed'"));
  CHECK_FALSE(contains(damaged.err().message(), seed));
  write_file(dir.sub("extra"), "seed = \"" + std::string(64, 'a') + "\"\ntoken = \"x\"\n", 0600);
  auto extra = load_identity(dir.sub("extra"));
  REQUIRE_FALSE(extra.ok());
  CHECK(contains(extra.err().message(), "unknown key 'token'"));
}

TEST_CASE("deploy: a client takes PSS_IDENTITY first, then its identity_file, else says what to do") {
  temp_dir dir;
  crypto::seeded_random rng{6};
  const auto a = crypto::sign_key_pair::generate(rng);
  const auto b = crypto::sign_key_pair::generate(rng);
  REQUIRE(write_identity(dir.sub("a"), a).ok());
  REQUIRE(write_identity(dir.sub("b"), b).ok());
  cluster_file c;
  c.file = "cluster.toml";
  auto none = client_identity(c, nullptr);
  REQUIRE_FALSE(none.ok());
  CHECK(contains(none.err().message(), "set PSS_IDENTITY"));
  CHECK(contains(none.err().message(), "pss identity new"));
  c.identity_file = dir.sub("a");
  CHECK(client_identity(c, nullptr)->public_key == a.public_key);
  CHECK(client_identity(c, "")->public_key == a.public_key);
  CHECK(client_identity(c, dir.sub("b").c_str())->public_key == b.public_key);
  CHECK_FALSE(client_identity(c, dir.sub("missing").c_str()).ok());
}

TEST_CASE("deploy: write_new_file sets the mode exactly and refuses an existing file") {
  temp_dir dir;
  const auto old_mask = ::umask(0077);
  REQUIRE(write_new_file(dir.sub("public"), "x", 0644).ok());
  ::umask(old_mask);
  CHECK(mode_of(dir.sub("public")) == 0644);
  CHECK_FALSE(write_new_file(dir.sub("public"), "y", 0644).ok());
}

// A rotation (docs/refresh.md §7.9): the next key file is loaded beside the
// key file; adopting it rewrites the key file with the next keys and the old
// public ones retired, erases the next file, and the config (which still
// names the old keys) loads with the rewritten file; a retired list that is
// not keys is refused.
TEST_CASE("deploy: next keys are adopted into the key file, the old public keys retired, the next file erased") {
  config_fixture f;
  const node_config c = loaded_config(f);
  REQUIRE(write_node_keys(c.key_file, f.cluster.keys[0]).ok());
  auto plain = load_node_key_files(c);
  REQUIRE_MESSAGE(plain.ok(), plain.err().message());
  CHECK_FALSE(plain->next.has_value());
  CHECK(plain->retired.empty());
  // Node 1's keys of another cluster: fresh keys under the same id.
  const auto other = secrets::make_test_cluster(3, 2, 991);
  REQUIRE(write_node_keys(next_key_path(c.key_file), other.keys[0]).ok());
  auto files = load_node_key_files(c);
  REQUIRE_MESSAGE(files.ok(), files.err().message());
  REQUIRE(files->next.has_value());
  CHECK(files->next->box.public_key == other.keys[0].box.public_key);
  REQUIRE(adopt_next_keys(c, *files).ok());
  CHECK(mode_of(c.key_file) == 0600);
  CHECK_FALSE(std::filesystem::exists(next_key_path(c.key_file)));
  auto after = load_node_key_files(c);
  REQUIRE_MESSAGE(after.ok(), after.err().message());
  CHECK(after->keys.box.public_key == other.keys[0].box.public_key);
  CHECK(after->keys.sign.public_key == other.keys[0].sign.public_key);
  REQUIRE(after->retired.size() == 1);
  CHECK(after->retired[0] == secrets::public_keys(f.cluster.keys[0]));
  CHECK_FALSE(after->next.has_value());
  // The rewritten file holds no byte of the old secret key's hex.
  auto text = read_file_bounded(c.key_file, key_file_bytes_max);
  REQUIRE(text.ok());
  const std::string old_hex = to_hex(f.cluster.keys[0].box.secret_bytes().view());
  CHECK_FALSE(contains(std::string{text->as_string()}, old_hex));
}

TEST_CASE("deploy: a key file whose retired list is not key pairs is refused, naming the key") {
  config_fixture f;
  const node_config c = loaded_config(f);
  REQUIRE(write_node_keys(c.key_file, f.cluster.keys[0]).ok());
  auto text = read_file_bounded(c.key_file, key_file_bytes_max);
  REQUIRE(text.ok());
  std::string bad{text->as_string()};
  bad += "retired = [\"00:11\"]\n";
  REQUIRE(std::filesystem::remove(c.key_file));
  write_file(c.key_file, bad, 0600);
  auto keys = load_node_key_files(c);
  REQUIRE_FALSE(keys.ok());
  CHECK(contains(keys.err().message(), "key 'retired'"));
}
