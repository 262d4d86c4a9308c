// Operating errors as values.
//
// Anything that can go wrong at run time without a programmer mistake (bad
// input, a failed verification, a full disk, a missing leader) is returned as
// a pss::error inside a pss::result<T>. No exception crosses a core boundary.
// Messages say what was wrong and what to do next, and never contain secret
// material.
#pragma once

#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

#include "core/check.hpp"

namespace pss {

enum class errc {
  invalid_argument,    // a caller passed a value outside the documented range
  malformed,           // bytes or text that do not parse
  verification_failed, // a share, signature, MAC or checksum did not verify
  duplicate,           // the same index, name or request seen twice
  insufficient,        // fewer shares, nodes or answers than needed
  mismatch,            // inputs that belong to different splits or epochs
  not_found,           // unknown secret, version, file or node
  not_leader,          // the request must go to the Raft leader
  timeout,             // no answer within the deadline
  unavailable,         // not enough of the cluster reachable
  io_error,            // the operating system refused a file operation
  corrupt,             // stored data failed its checksum or identity check
  unauthorized,        // the caller may not do this
  too_large,           // a message or value above its named limit
  conflict,            // the state changed underneath the request
};

[[nodiscard]] std::string_view to_string(errc code) noexcept;

class [[nodiscard]] error {
public:
  error(errc code, std::string message)
    : code_(code), message_(std::move(message)) {}

  [[nodiscard]] errc code() const noexcept { return code_; }
  [[nodiscard]] const std::string& message() const noexcept { return message_; }

  // The code's name and the message, for a one-line report.
  [[nodiscard]] std::string describe() const;

private:
  errc code_;
  std::string message_;
};

// Either a value or an error. Accessing the wrong alternative is a
// programmer error and fails a PSS_CHECK.
template <class T>
class [[nodiscard]] result {
public:
  result(T value) : state_(std::in_place_index<0>, std::move(value)) {}
  result(error err) : state_(std::in_place_index<1>, std::move(err)) {}

  [[nodiscard]] bool ok() const noexcept { return state_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  [[nodiscard]] T& value() & {
    PSS_CHECK_MSG(ok(), "result::value() on an error");
    return std::get<0>(state_);
  }
  [[nodiscard]] const T& value() const& {
    PSS_CHECK_MSG(ok(), "result::value() on an error");
    return std::get<0>(state_);
  }
  [[nodiscard]] T&& value() && {
    PSS_CHECK_MSG(ok(), "result::value() on an error");
    return std::get<0>(std::move(state_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  [[nodiscard]] const pss::error& err() const& {
    PSS_CHECK_MSG(!ok(), "result::err() on a value");
    return std::get<1>(state_);
  }

private:
  std::variant<T, pss::error> state_;
};

// A result that carries no value: success, or an error.
template <>
class [[nodiscard]] result<void> {
public:
  result() = default;
  result(error err) : err_(std::move(err)), failed_(true) {}

  [[nodiscard]] bool ok() const noexcept { return !failed_; }
  explicit operator bool() const noexcept { return ok(); }

  [[nodiscard]] const pss::error& err() const& {
    PSS_CHECK_MSG(failed_, "result::err() on success");
    return err_;
  }

private:
  pss::error err_{errc::invalid_argument, {}};
  bool failed_ = false;
};

using status = result<void>;

[[nodiscard]] inline status ok_status() { return {}; }

// Propagates an error from an expression that yields a result.
#define PSS_TRY(expr)                                                          \
  do {                                                                         \
    if (auto&& pss_try_result_ = (expr); !pss_try_result_.ok())                  \
      return pss_try_result_.err();                                            \
  } while (false)

} // namespace pss
