#include "crypto/hash.hpp"

#include <sodium.h>

namespace pss::crypto {

digest256 blake2b_256(byte_view data) noexcept {
  digest256 out{};
  crypto_generichash(out.data(), out.size(), data.data(), data.size(), nullptr, 0);
  return out;
}

} // namespace pss::crypto
