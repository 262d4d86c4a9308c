// Reading a secret from standard input or a file, for the commands that
// take one (split, combine, put): into zeroizing memory, refusing more than
// a named limit, with errors that name the source and never the content.
#pragma once

#include <cstddef>
#include <fstream>
#include <iostream>
#include <string>

#include "core/result.hpp"
#include "core/secure.hpp"

namespace pss::cli {

// Reads all of a stream, refusing more than max_bytes.
[[nodiscard]] inline result<secure_bytes> read_all(std::istream& in, std::size_t max_bytes,
                                                   const std::string& what) {
  secure_bytes buffer{max_bytes + 1};
  in.read(reinterpret_cast<char*>(buffer.data()), static_cast<std::streamsize>(buffer.size()));
  const auto got = static_cast<std::size_t>(in.gcount());
  if (in.bad()) return error{errc::io_error, "could not read " + what};
  if (got > max_bytes)
    return error{errc::too_large, what + " is larger than the limit of " + std::to_string(max_bytes) + " bytes"};
  secure_bytes out{byte_view{buffer.data(), got}};
  return out;
}

// `path` empty or "-": standard input; otherwise the file.
[[nodiscard]] inline result<secure_bytes> read_file_or_stdin(const std::string& path, std::size_t max_bytes,
                                                             const std::string& what) {
  if (path.empty() || path == "-") return read_all(std::cin, max_bytes, what + " on standard input");
  std::ifstream file{path, std::ios::binary};
  if (!file) return error{errc::not_found, "cannot open '" + path + "' for reading"};
  return read_all(file, max_bytes, what + " in '" + path + "'");
}

} // namespace pss::cli
