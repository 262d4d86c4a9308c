#include "actors/demo_watch.hpp"

#include <stdlib.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

namespace pss::cli {

temp_dir::temp_dir() {
  const char* tmp = std::getenv("TMPDIR");
  const std::string base = tmp != nullptr && *tmp != '\0' ? tmp : "/tmp";
  std::string pattern = base + "/pss-demo-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr)
    throw demo_failure{"cannot create a temporary directory under " + base + " (" + std::strerror(errno)
                       + "); set TMPDIR to a writable directory"};
  path_ = pattern;
}

temp_dir::~temp_dir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

} // namespace pss::cli
