#include "crypto/sodium.hpp"

#include <sodium.h>

namespace pss::crypto {

namespace {
// sodium_init() returns 0 on first success, 1 if already done, -1 on failure.
// A function-local static runs it exactly once.
int init_outcome() noexcept {
  static const int outcome = sodium_init();
  return outcome;
}
} // namespace

status init() {
  if (init_outcome() < 0)
    return error{errc::unavailable,
                 "libsodium failed to initialise; check the libsodium installation"};
  return {};
}

void require_init() noexcept {
  PSS_CHECK_MSG(init_outcome() >= 0, "libsodium failed to initialise");
}

} // namespace pss::crypto
