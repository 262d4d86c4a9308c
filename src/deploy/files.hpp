// Small file helpers for deployment files: reading a bounded file, checking
// that a secret file is private, and creating a new file with a given mode.
//
// They exist so that every deploy file is read and written the same careful
// way: sizes are bounded, secret files are refused when group or others can
// read them, and a new file never replaces an existing one. Error messages
// name the path and never the contents.
#pragma once

#include <string>
#include <string_view>

#include "core/result.hpp"
#include "core/secure.hpp"

namespace pss::deploy {

// The whole file, refusing more than bytes_max. Zeroizing memory, because
// some of these files hold keys or tokens.
[[nodiscard]] result<secure_bytes> read_file_bounded(const std::string& path,
                                                     std::size_t bytes_max);

// Refuses a file that group or others may read or write, with a message that
// says `chmod 600 PATH`. `what` names the file's role ("key file").
[[nodiscard]] status check_private_file(const std::string& path, std::string_view what);

// Refuses a path that is missing or that this process cannot read.
[[nodiscard]] status check_readable_file(const std::string& path, std::string_view what);

// Creates a new file with exactly `mode` (O_CREAT|O_EXCL, then fchmod so the
// umask cannot change it), writes the contents and syncs them.
[[nodiscard]] status write_new_file(const std::string& path, std::string_view contents,
                                    unsigned mode);

// Relative paths in a file resolve against the file's own directory, so a
// config keeps working whatever the working directory of the process is.
[[nodiscard]] std::string resolve_path(const std::string& base_dir, const std::string& path);
// The directory of `file` ("." when it has none).
[[nodiscard]] std::string base_dir_of(const std::string& file);

// Zeroizes a string's characters (for hex text of keys and tokens).
void zeroize_string(std::string& text) noexcept;

} // namespace pss::deploy
