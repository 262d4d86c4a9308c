// A fixed-size buffer for secret key material.
//
// Zeroized on destruction and on move, never copied implicitly, printed as
// "<redacted>". Used for the node's private keys, which live as long as the
// process: callers that want them out of swap and core dumps call
// pss::harden_process() at start-up.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <ostream>

#include "core/bytes.hpp"
#include "core/secure.hpp"

namespace pss::crypto {

template <std::size_t N>
class secret_array {
public:
  static constexpr std::size_t size = N;

  secret_array() noexcept = default;
  ~secret_array() { zeroize(std::span{bytes_}); }
  secret_array(secret_array&& other) noexcept : bytes_(other.bytes_) {
    zeroize(std::span{other.bytes_});
  }
  secret_array& operator=(secret_array&& other) noexcept {
    if (this != &other) {
      bytes_ = other.bytes_;
      zeroize(std::span{other.bytes_});
    }
    return *this;
  }
  secret_array(const secret_array&) = delete;
  secret_array& operator=(const secret_array&) = delete;

  [[nodiscard]] secret_array clone() const {
    secret_array out;
    out.bytes_ = bytes_;
    return out;
  }

  [[nodiscard]] std::uint8_t* data() noexcept { return bytes_.data(); }
  [[nodiscard]] const std::uint8_t* data() const noexcept { return bytes_.data(); }
  [[nodiscard]] byte_view view() const noexcept { return {bytes_.data(), N}; }
  [[nodiscard]] std::span<std::uint8_t> span() noexcept { return {bytes_.data(), N}; }

  friend std::ostream& operator<<(std::ostream& os, const secret_array&) {
    return os << "<redacted>";
  }

private:
  std::array<std::uint8_t, N> bytes_{};
};

} // namespace pss::crypto
