// Memory for secret material: zeroized on destruction, never printed.
//
// Secret scalars, payloads and serialized shares live in these types. They
// wipe their bytes with sodium_memzero when destroyed or cleared, copy only
// on an explicit clone(), and print as "<redacted>" so a stray log line can
// never leak them. harden_process() keeps secrets out of core dumps.
#pragma once

#include <cstddef>
#include <cstdint>
#include <ostream>
#include <span>
#include <string_view>

#include "core/bytes.hpp"

namespace pss {

// Overwrites the bytes with zeroes in a way the compiler cannot elide.
void zeroize(std::span<std::uint8_t> data) noexcept;
inline void zeroize(bytes& data) noexcept { zeroize(std::span{data}); }

// A heap byte string for secret material.
class secure_bytes {
public:
  secure_bytes() = default;
  explicit secure_bytes(std::size_t size);
  explicit secure_bytes(byte_view data);
  ~secure_bytes();

  secure_bytes(secure_bytes&& other) noexcept;
  secure_bytes& operator=(secure_bytes&& other) noexcept;
  secure_bytes(const secure_bytes&) = delete;
  secure_bytes& operator=(const secure_bytes&) = delete;

  [[nodiscard]] secure_bytes clone() const { return secure_bytes{view()}; }

  [[nodiscard]] std::uint8_t* data() noexcept { return data_; }
  [[nodiscard]] const std::uint8_t* data() const noexcept { return data_; }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
  [[nodiscard]] byte_view view() const noexcept { return {data_, size_}; }
  [[nodiscard]] std::span<std::uint8_t> span() noexcept { return {data_, size_}; }
  [[nodiscard]] std::string_view as_string() const noexcept {
    return {reinterpret_cast<const char*>(data_), size_};
  }

  // Zeroizes and releases the bytes.
  void clear() noexcept;

  // Constant-time equality (sodium_memcmp); sizes are compared in the clear.
  [[nodiscard]] bool equals(byte_view other) const noexcept;

  friend std::ostream& operator<<(std::ostream& os, const secure_bytes&) {
    return os << "<redacted>";
  }

private:
  std::uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
};

// Disables core dumps for this process (RLIMIT_CORE 0, not dumpable), so
// secret material never reaches a crash file. Returns false if the kernel
// refused.
bool harden_process() noexcept;

} // namespace pss
