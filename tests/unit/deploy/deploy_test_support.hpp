// Helpers for the deploy tests: a temporary directory, files written with a
// chosen mode, and a valid three-node config to break one key at a time.
#pragma once

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include <doctest/doctest.h>

#include "deploy/config.hpp"
#include "deploy/render.hpp"
#include "secrets/cluster.hpp"

namespace pss::deploy::test {

class temp_dir {
public:
  temp_dir() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string{base != nullptr && *base != '\0' ? base : "/tmp"} +
                          "/pss-deploy-test-XXXXXX";
    std::vector<char> buf(pattern.begin(), pattern.end());
    buf.push_back('\0');
    const char* made = ::mkdtemp(buf.data());
    if (made == nullptr) std::abort();
    path_ = made;
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  [[nodiscard]] const std::string& path() const { return path_; }
  [[nodiscard]] std::string sub(const std::string& name) const { return path_ + "/" + name; }

private:
  std::string path_;
};

inline void write_file(const std::string& path, std::string_view text, mode_t mode) {
  {
    std::ofstream out{path, std::ios::binary | std::ios::trunc};
    out << text;
    REQUIRE(out.good());
  }
  REQUIRE(::chmod(path.c_str(), mode) == 0);
}

inline bool contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

// Checks the message has every part; prints the message when it does not.
inline void check_message(const std::string& message, std::initializer_list<std::string_view> parts) {
  for (auto part : parts) CHECK_MESSAGE(contains(message, part), message, " lacks: ", part);
}

// Replaces the one occurrence of `from`; a test whose edit does not apply
// fails instead of silently testing the unedited text.
inline std::string replace(std::string text, std::string_view from, std::string_view to) {
  const auto at = text.find(from);
  REQUIRE_MESSAGE(at != std::string::npos, "edit target not found: " << from);
  REQUIRE_MESSAGE(text.find(from, at + 1) == std::string::npos, "edit target not unique: " << from);
  return text.replace(at, from.size(), to);
}

// A valid node config for node 1 of a three-node, threshold-2 cluster, with
// its TLS files in a temporary directory.
struct config_fixture {
  temp_dir dir;
  secrets::test_cluster cluster = secrets::make_test_cluster(3, 2, 7);

  config_fixture() {
    write_file(dir.sub("ca.crt"), "ca\n", 0644);
    write_file(dir.sub("tls.crt"), "cert\n", 0644);
    write_file(dir.sub("tls.key"), "key\n", 0600);
  }

  [[nodiscard]] std::vector<member_entry> members() const {
    std::vector<member_entry> out;
    for (const auto& m : cluster.view.members)
      out.push_back(member_entry{m.id, m.index,
                                 host_port{"127.0.0.1", static_cast<std::uint16_t>(7100 + m.id.value())},
                                 m.box_key, m.sign_key});
    return out;
  }

  [[nodiscard]] node_config config() const {
    node_config c;
    c.cluster_id = "pss-2f6c9a1e";
    c.threshold = 2;
    c.id = node_id{1};
    c.listen = host_port{"127.0.0.1", 7101};
    c.data_dir = "data";
    c.key_file = "node.key";
    crypto::seeded_random admin{0xAD};
    c.admin_key = crypto::sign_key_pair::generate(admin).public_key;
    c.tls = tls_files{"ca.crt", "tls.crt", "tls.key"};
    c.members = members();
    return c;
  }

  [[nodiscard]] std::string text() const { return render_node_config(config()); }

  [[nodiscard]] result<node_config> parse(const std::string& text) const {
    return parse_node_config(text, "node1.toml", dir.path());
  }

  // Parses and returns the error message; the parse must fail.
  [[nodiscard]] std::string error_of(const std::string& text) const {
    auto parsed = parse(text);
    REQUIRE_FALSE(parsed.ok());
    return parsed.err().message();
  }
};

} // namespace pss::deploy::test
