#include "core/check.hpp"

#include <cstdio>
#include <cstdlib>

namespace pss::detail {

void check_failed(const char* expr, const char* file, int line,
                  const char* message) noexcept {
  std::fprintf(stderr, "pss: check failed: %s at %s:%d%s%s\n", expr, file, line,
               message ? ": " : "", message ? message : "");
  std::fflush(stderr);
  std::abort();
}

} // namespace pss::detail
