#include "core/result.hpp"

namespace pss {

std::string_view to_string(errc code) noexcept {
  switch (code) {
    case errc::invalid_argument: return "invalid argument";
    case errc::malformed: return "malformed";
    case errc::verification_failed: return "verification failed";
    case errc::duplicate: return "duplicate";
    case errc::insufficient: return "insufficient";
    case errc::mismatch: return "mismatch";
    case errc::not_found: return "not found";
    case errc::not_leader: return "not leader";
    case errc::timeout: return "timeout";
    case errc::unavailable: return "unavailable";
    case errc::io_error: return "i/o error";
    case errc::corrupt: return "corrupt";
    case errc::unauthorized: return "unauthorized";
    case errc::too_large: return "too large";
    case errc::conflict: return "conflict";
  }
  return "unknown";
}

std::string error::describe() const {
  std::string out{to_string(code_)};
  if (!message_.empty()) {
    out += ": ";
    out += message_;
  }
  return out;
}

} // namespace pss
