// The node key file and the token files: modes, matching keys, and secrets
// that never reach an error message.
#include <doctest/doctest.h>

#include <cstdlib>

#include "core/bytes.hpp"
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

const std::string good_token_a = "0123456789abcdef0123456789abcdef";
const std::string good_token_b = "token-for-the-second-client-xyz";

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

TEST_CASE("deploy: tokens skip blank lines and comments and keep their order") {
  temp_dir dir;
  write_file(dir.sub("tokens"), "# clients\n\n" + good_token_a + "\n  " + good_token_b +
                                    "  \r\n# old: retired\n", 0600);
  auto tokens = load_tokens(dir.sub("tokens"));
  REQUIRE_MESSAGE(tokens.ok(), tokens.err().message());
  REQUIRE(tokens->size() == 2);
  CHECK((*tokens)[0] == good_token_a);
  CHECK((*tokens)[1] == good_token_b);
}

TEST_CASE("deploy: a token file readable by others, empty, or with a bad token is refused") {
  temp_dir dir;
  const std::string path = dir.sub("tokens");
  write_file(path, good_token_a + "\n", 0640);
  auto open_mode = load_tokens(path);
  REQUIRE_FALSE(open_mode.ok());
  CHECK(contains(open_mode.err().message(), "chmod 600 " + path));

  write_file(path, "# nothing yet\n\n", 0600);
  auto empty = load_tokens(path);
  REQUIRE_FALSE(empty.ok());
  CHECK(contains(empty.err().message(), "holds no token"));

  const std::string short_token = "short-secret";
  write_file(path, good_token_a + "\n\n" + short_token + "\n", 0600);
  auto too_short = load_tokens(path);
  REQUIRE_FALSE(too_short.ok());
  CHECK(contains(too_short.err().message(), "line 3: a token must be 16..256 characters"));
  CHECK_FALSE(contains(too_short.err().message(), short_token));

  const std::string spaced = "has a space inside the token ok";
  write_file(path, spaced + "\n", 0600);
  auto with_space = load_tokens(path);
  REQUIRE_FALSE(with_space.ok());
  CHECK(contains(with_space.err().message(), "printable ASCII characters without spaces"));
  CHECK_FALSE(contains(with_space.err().message(), spaced));

  write_file(path, std::string(257, 'x') + "\n", 0600);
  CHECK_FALSE(load_tokens(path).ok());
  write_file(path, std::string(256, 'x') + "\n", 0600);
  CHECK(load_tokens(path).ok());
}

TEST_CASE("deploy: a client takes PSS_TOKEN first, then its token file, else says what to do") {
  temp_dir dir;
  cluster_file c;
  c.file = "cluster.toml";
  auto none = client_token(c, nullptr);
  REQUIRE_FALSE(none.ok());
  CHECK(contains(none.err().message(), "set PSS_TOKEN"));
  CHECK(contains(none.err().message(), "token_file = \"token\""));

  c.token_file = dir.sub("token");
  write_file(c.token_file, good_token_a + "\n" + good_token_b + "\n", 0600);
  auto from_file = client_token(c, nullptr);
  REQUIRE(from_file.ok());
  CHECK(*from_file == good_token_a);
  auto empty_env = client_token(c, "");
  REQUIRE(empty_env.ok());
  CHECK(*empty_env == good_token_a);
  auto from_env = client_token(c, good_token_b.c_str());
  REQUIRE(from_env.ok());
  CHECK(*from_env == good_token_b);
  auto bad_env = client_token(c, "tiny");
  REQUIRE_FALSE(bad_env.ok());
  CHECK(contains(bad_env.err().message(), "PSS_TOKEN"));
  CHECK_FALSE(contains(bad_env.err().message(), "tiny"));
}

TEST_CASE("deploy: write_new_file sets the mode exactly and refuses an existing file") {
  temp_dir dir;
  const auto old_mask = ::umask(0077);
  REQUIRE(write_new_file(dir.sub("public"), "x", 0644).ok());
  ::umask(old_mask);
  CHECK(mode_of(dir.sub("public")) == 0644);
  CHECK_FALSE(write_new_file(dir.sub("public"), "y", 0644).ok());
}
