// Library start-up for the crypto core.
//
// libsodium must be initialised once before randombytes and before it picks
// its fastest implementations. init() does that and may be called any number
// of times; every entry point in pss::crypto that needs libsodium calls
// require_init() itself, so callers never have to remember.
#pragma once

#include "core/result.hpp"

namespace pss::crypto {

// Initialises libsodium once. Safe to call repeatedly; later calls return
// the outcome of the first.
[[nodiscard]] status init();

// Initialises libsodium or aborts: a library that cannot start is a broken
// installation, not an operating error a caller could handle.
void require_init() noexcept;

} // namespace pss::crypto
