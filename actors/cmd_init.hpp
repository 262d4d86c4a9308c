// What `pss init-cluster` (cmd_init.cpp) shares with its --add-node
// (cmd_init_add.cpp): the certificate and directory helpers, and the modes
// of the files it writes.
#pragma once

#include <boost/program_options.hpp>
#include <sys/types.h>

#include <string>

#include "core/result.hpp"

namespace pss::cli::init {

inline constexpr unsigned public_file_mode = 0644;
inline constexpr unsigned secret_file_mode = 0600;
inline constexpr mode_t node_dir_mode = 0700;

// A subjectAltName entry for the host: IP for an address, DNS for a name.
[[nodiscard]] std::string subject_alt_name(const std::string& host);
// A key and a certificate signed by the CA in ca_dir (ca.crt, ca.key).
[[nodiscard]] status make_certificate(const std::string& ca_dir, const std::string& key_path,
                                      const std::string& cert_path, const std::string& common_name,
                                      const std::string& alt_name, const char* usages);
[[nodiscard]] status make_dir(const std::string& path, mode_t mode);

// `pss init-cluster --add-node ID --out DIR [--address HOST:PORT]`.
int add_node(const boost::program_options::variables_map& vm);
// `pss init-cluster --rotate-keys ID --out DIR`: next keys for member ID
// (docs/refresh.md §7.9): DIR/node-ID/node.key.next and member.next.toml.
int rotate_keys(const boost::program_options::variables_map& vm);

} // namespace pss::cli::init
