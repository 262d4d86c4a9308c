// Writing node configs and cluster files as TOML text.
//
// pss init-cluster writes its files through these functions, and the tests
// parse the text back, so the writer and the loader cannot drift apart.
// Paths are written exactly as they are in the struct: a generated config
// uses relative paths so the directory can be moved as a whole. Only public
// material is rendered; keys here are public keys.
#pragma once

#include <string>

#include "deploy/config.hpp"

namespace pss::deploy {

// A TOML basic string, quoted and escaped.
[[nodiscard]] std::string toml_quote(std::string_view text);

[[nodiscard]] std::string render_node_config(const node_config& config);
[[nodiscard]] std::string render_cluster_file(const cluster_file& cluster);

} // namespace pss::deploy
