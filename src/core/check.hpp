// PSS_CHECK: assertions that stay on in release builds.
//
// A failed check is a programmer error: the process prints where and why and
// aborts, so a simulator seed that reaches it reproduces a crash. Operating
// errors (bad input, timeouts, a full disk) are never checks; they are
// pss::result values. A check message must never contain secret material.
#pragma once

namespace pss::detail {
[[noreturn]] void check_failed(const char* expr, const char* file, int line,
                               const char* message) noexcept;
} // namespace pss::detail

#define PSS_CHECK(cond)                                                        \
  do {                                                                         \
    if (!(cond)) [[unlikely]]                                                  \
      ::pss::detail::check_failed(#cond, __FILE__, __LINE__, nullptr);         \
  } while (false)

#define PSS_CHECK_MSG(cond, message)                                           \
  do {                                                                         \
    if (!(cond)) [[unlikely]]                                                  \
      ::pss::detail::check_failed(#cond, __FILE__, __LINE__, (message));       \
  } while (false)

// Marks code that must be unreachable if the surrounding logic is right.
#define PSS_UNREACHABLE()                                                      \
  ::pss::detail::check_failed("unreachable", __FILE__, __LINE__, nullptr)
