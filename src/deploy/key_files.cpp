// The private key files: a node's keys and a client's identity, each read
// back and written once.
//
// Nothing read from or written to this file ever reaches an error message;
// the hex text and raw bytes are zeroized as soon as they are used.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <limits>

#include "core/bytes.hpp"
#include "core/secure.hpp"
#include "deploy/config.hpp"
#include "deploy/files.hpp"
#include "deploy/toml_reader.hpp"
#include "storage/posix_file_system.hpp"

namespace pss::deploy {

namespace {

constexpr std::size_t secret_hex_chars = 64;

// Overwrites every string value in the parsed document, since toml++ keeps
// its own copies of the hex text and does not zeroize them.
void zeroize_strings(toml::table& doc) {
  for (auto&& [key, node] : doc)
    if (auto* text = node.as_string(); text != nullptr) zeroize_string(text->get());
}

// 32 secret bytes from 64 hex digits. The message names the key, never the
// value.
result<secure_bytes> read_secret_hex(const toml::table& doc, const std::string& path,
                                     std::string_view key, std::string_view what_it_holds,
                                     std::string_view how_to_regenerate) {
  const toml::node* node = doc.get(key);
  const std::string where = path + ": key '" + std::string{key} + "'";
  if (node == nullptr)
    return error{errc::invalid_argument, where + " is missing; the file must hold " + std::string{what_it_holds}};
  const auto* text = node->as_string();
  if (text == nullptr || text->get().size() != secret_hex_chars)
    return error{errc::invalid_argument,
                 where + " must be a string of 64 hex digits; " + std::string{how_to_regenerate}
                     + " if it was damaged"};
  auto raw = from_hex(text->get());
  if (!raw.ok())
    return error{errc::invalid_argument, where + " holds a character that is not a hex digit"};
  secure_bytes out{*raw};
  zeroize(*raw);
  return out;
}

// "<box key hex>:<sign key hex>": a public key pair a rotation retired.
result<secrets::member_keys> retired_pair(const toml::node& node, const std::string& where) {
  const auto* text = node.as_string();
  const auto colon = text != nullptr ? text->get().find(':') : std::string::npos;
  if (colon == std::string::npos)
    return error{errc::invalid_argument, where + ": each entry must be \"<box key hex>:<sign key hex>\""};
  auto box = from_hex(text->get().substr(0, colon));
  auto sign = from_hex(text->get().substr(colon + 1));
  auto box_key = box.ok() ? crypto::box_public_key::from_bytes(*box) : result<crypto::box_public_key>{box.err()};
  auto sign_key = sign.ok() ? crypto::sign_public_key::from_bytes(*sign) : result<crypto::sign_public_key>{sign.err()};
  if (!box_key.ok() || !sign_key.ok())
    return error{errc::invalid_argument, where + ": an entry is not a box key and a signing key in hex"};
  return secrets::member_keys{*box_key, *sign_key};
}

result<std::vector<secrets::member_keys>> retired_from(const toml::table& doc, const std::string& path) {
  std::vector<secrets::member_keys> out;
  const toml::node* node = doc.get("retired");
  if (node == nullptr) return out;
  const auto* list = node->as_array();
  const std::string where = path + ": key 'retired'";
  if (list == nullptr || list->size() > retired_keys_max)
    return error{errc::invalid_argument, where + " must be a list of at most " + std::to_string(retired_keys_max)
                                           + " \"<box key hex>:<sign key hex>\" strings"};
  for (const toml::node& entry : *list) {
    auto pair = retired_pair(entry, where);
    if (!pair.ok()) return pair.err();
    out.push_back(*pair);
  }
  return out;
}

// `self_check`: the derived public keys must be the config's entry for this
// node, or a pair the file retired (after a rotation the config, which
// never changes, still names the first keys). A next key file is not
// checked against the config: the admin's rotation names its keys.
result<node_key_files> keys_from(const toml::table& doc, const std::string& path, const node_config& expected,
                                 bool self_check) {
  const detail::table_reader root{doc, path, ""};
  PSS_TRY(root.allow_only({"id", "box_secret_key", "sign_seed", "retired"}));
  auto id = root.integer("id", 1, std::numeric_limits<std::int64_t>::max(), "id = 1");
  if (!id.ok()) return id.err();
  if (node_id{static_cast<std::uint64_t>(*id)} != expected.id)
    return error{errc::mismatch, path + ": key 'id': the keys belong to node " +
                                     std::to_string(*id) + " but " + expected.file +
                                     " is the config of node " +
                                     std::to_string(expected.id.value()) +
                                     "; point node.key_file at this node's own key file"};
  constexpr std::string_view holds = "id, box_secret_key and sign_seed (64 hex digits each)";
  constexpr std::string_view regenerate = "regenerate the key file with pss init-cluster";
  auto box_secret = read_secret_hex(doc, path, "box_secret_key", holds, regenerate);
  if (!box_secret.ok()) return box_secret.err();
  auto sign_seed = read_secret_hex(doc, path, "sign_seed", holds, regenerate);
  if (!sign_seed.ok()) return sign_seed.err();
  auto box = crypto::box_key_pair::from_secret_bytes(box_secret->view());
  if (!box.ok()) return error{errc::invalid_argument, path + ": key 'box_secret_key' is not a valid X25519 secret key"};
  auto sign = crypto::sign_key_pair::from_seed(sign_seed->view());
  if (!sign.ok()) return error{errc::invalid_argument, path + ": key 'sign_seed' is not a valid Ed25519 seed"};
  auto retired = retired_from(doc, path);
  if (!retired.ok()) return retired.err();
  const member_entry* self = expected.self();
  // A joining node is in no [[members]] entry: the engine checks its keys
  // against the catalog's once the admin's add names it.
  PSS_CHECK(self != nullptr || expected.joining);
  const secrets::member_keys named = self != nullptr ? secrets::member_keys{self->box_key, self->sign_key}
                                                     : secrets::member_keys{};
  const bool own = self == nullptr || (box->public_key == self->box_key && sign->public_key == self->sign_key)
                   || std::find(retired->begin(), retired->end(), named) != retired->end();
  if (self_check && !own)
    return error{errc::mismatch,
                 path + ": the public keys derived from this key file do not match the box_key "
                        "and sign_key of node " + std::to_string(expected.id.value()) + " in " +
                        expected.file + "; the key file belongs to another node or cluster"};
  return node_key_files{secrets::node_keys{expected.id, std::move(*box), std::move(*sign)}, std::move(*retired), {}};
}

// Reads a private TOML file (mode 0600) and turns it into keys with
// `from(doc)`; every string toml++ copied is zeroized after.
template <class From>
auto load_private_toml(const std::string& path, const char* what, From from) -> decltype(from(std::declval<toml::table&>())) {
  PSS_TRY(check_private_file(path, what));
  auto text = read_file_bounded(path, key_file_bytes_max);
  if (!text.ok()) return text.err();
  auto doc = detail::parse_toml(text->as_string(), path);
  if (!doc.ok()) return doc.err();
  auto keys = from(*doc);
  zeroize_strings(*doc);
  return keys;
}

// Creates a 0600 file with the text, then zeroizes the text.
status write_private_text(const std::string& path, std::string& text) {
  auto written = write_new_file(path, text, 0600);
  zeroize_string(text);
  return written;
}

result<crypto::sign_key_pair> identity_from(const toml::table& doc, const std::string& path) {
  const detail::table_reader root{doc, path, ""};
  PSS_TRY(root.allow_only({"public_key", "seed"}));
  constexpr std::string_view holds = "public_key and seed (64 hex digits each)";
  constexpr std::string_view regenerate = "make a new identity with pss identity new and have it granted";
  auto seed = read_secret_hex(doc, path, "seed", holds, regenerate);
  if (!seed.ok()) return seed.err();
  auto pair = crypto::sign_key_pair::from_seed(seed->view());
  if (!pair.ok()) return error{errc::invalid_argument, path + ": key 'seed' is not a valid Ed25519 seed"};
  auto public_text = root.string("public_key", "public_key = \"<64 hex digits>\"");
  if (!public_text.ok()) return public_text.err();
  if (*public_text != to_hex(pair->public_key.bytes()))
    return error{errc::mismatch, path + ": the seed does not derive public_key; the file was damaged or edited; "
                                        "restore it from a backup or " + std::string{regenerate}};
  return pair;
}

} // namespace

result<crypto::sign_key_pair> load_identity(const std::string& path) {
  return load_private_toml(path, "the identity file", [&](const toml::table& doc) { return identity_from(doc, path); });
}

status write_identity(const std::string& path, const crypto::sign_key_pair& identity) {
  secure_bytes seed = identity.seed_bytes();
  std::string seed_hex = to_hex(seed.view());
  std::string text;
  text.reserve(512); // no reallocation leaves a stray copy of the seed behind
  text += "# pss client identity: an Ed25519 key pair. Keep this file secret (mode 0600).\n"
          "# Nodes know only public_key; an admin grants it rights (docs/access.md).\n";
  text += "public_key = \"" + to_hex(identity.public_key.bytes()) + "\"\n";
  text += "seed = \"";
  text += seed_hex;
  text += "\"\n";
  zeroize_string(seed_hex);
  return write_private_text(path, text);
}

result<crypto::sign_key_pair> client_identity(const cluster_file& c, const char* env_identity) {
  if (env_identity != nullptr && *env_identity != '\0') return load_identity(env_identity);
  if (!c.identity_file.empty()) return load_identity(c.identity_file);
  return error{errc::invalid_argument, "no client identity: set PSS_IDENTITY to an identity file, or identity_file "
                                       "in " + c.file + " (make one with: pss identity new --out FILE)"};
}

result<node_key_files> load_node_key_files(const node_config& config) {
  const std::string& path = config.key_file;
  auto files = load_private_toml(path, "the key file", [&](const toml::table& doc) {
    return keys_from(doc, path, config, true);
  });
  if (!files.ok()) return files.err();
  const std::string next_path = next_key_path(path);
  std::error_code ec;
  const bool present = std::filesystem::exists(next_path, ec);
  if (ec) return error{errc::unavailable, "cannot tell whether " + next_path + " exists: " + ec.message()};
  if (!present) return files;
  auto next = load_private_toml(next_path, "the next key file", [&](const toml::table& doc) {
    return keys_from(doc, next_path, config, false);
  });
  if (!next.ok()) return next.err();
  files->next = std::move(next->keys);
  return files;
}

result<secrets::node_keys> load_node_keys(const std::string& path, const node_config& expected) {
  auto files = load_private_toml(path, "the key file", [&](const toml::table& doc) {
    return keys_from(doc, path, expected, true);
  });
  if (!files.ok()) return files.err();
  return std::move(files->keys);
}

namespace {

// The key file's text; the caller zeroizes it.
std::string node_key_text(const secrets::node_keys& keys, const std::vector<secrets::member_keys>& retired) {
  secure_bytes box_secret = keys.box.secret_bytes();
  secure_bytes sign_seed = keys.sign.seed_bytes();
  std::string box_hex = to_hex(box_secret.view());
  std::string sign_hex = to_hex(sign_seed.view());
  std::string text;
  // Reserved up front so no reallocation leaves a stray copy behind.
  text.reserve(1024 + retired.size() * 160);
  text += "# pss node private keys. Keep this file secret (mode 0600); never copy it\n"
          "# to another machine except as a backup.\n";
  text += "id = " + std::to_string(keys.id.value()) + "\n";
  text += "box_secret_key = \"";
  text += box_hex;
  text += "\"\nsign_seed = \"";
  text += sign_hex;
  text += "\"\n";
  zeroize_string(box_hex);
  zeroize_string(sign_hex);
  if (retired.empty()) return text;
  text += "# Public keys this node held before rotations (pss member rotate-keys): its\n"
          "# config and the cluster's log from before them still name these.\nretired = [\n";
  for (const auto& r : retired)
    text += "  \"" + to_hex(r.box.bytes()) + ":" + to_hex(r.sign.bytes()) + "\",\n";
  text += "]\n";
  return text;
}

} // namespace

status write_node_keys(const std::string& path, const secrets::node_keys& keys) {
  std::string text = node_key_text(keys, {});
  return write_private_text(path, text);
}

status adopt_next_keys(const node_config& config, const node_key_files& files) {
  PSS_CHECK(files.next.has_value());
  std::vector<secrets::member_keys> retired = files.retired;
  retired.push_back(secrets::public_keys(files.keys));
  std::string text = node_key_text(*files.next, retired);
  storage::posix_file_system fs;
  // The old file's bytes are overwritten with zeroes once the new one is in
  // its place: the old private keys are the reason for the rotation.
  auto written = storage::replace_file_erasing_old(
    fs, config.key_file, byte_view{reinterpret_cast<const std::uint8_t*>(text.data()), text.size()});
  zeroize_string(text);
  PSS_TRY(written);
  return erase_next_key_file(config);
}

status erase_next_key_file(const node_config& config) {
  storage::posix_file_system fs;
  // Overwritten (the old bytes zeroed through a kept handle), then removed.
  PSS_TRY(storage::replace_file_erasing_old(fs, next_key_path(config.key_file), byte_view{}));
  return fs.remove(next_key_path(config.key_file));
}

} // namespace pss::deploy
