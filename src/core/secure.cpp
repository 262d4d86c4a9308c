#include "core/secure.hpp"

#include <sodium.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include <cstring>
#include <new>
#include <utility>

namespace pss {

void zeroize(std::span<std::uint8_t> data) noexcept {
  if (!data.empty())
    sodium_memzero(data.data(), data.size());
}

secure_bytes::secure_bytes(std::size_t size) : size_(size) {
  if (size_ > 0)
    data_ = new std::uint8_t[size_]();
}

secure_bytes::secure_bytes(byte_view data) : secure_bytes(data.size()) {
  if (size_ > 0)
    std::memcpy(data_, data.data(), size_);
}

secure_bytes::~secure_bytes() { clear(); }

secure_bytes::secure_bytes(secure_bytes&& other) noexcept
  : data_(std::exchange(other.data_, nullptr)),
    size_(std::exchange(other.size_, 0)) {}

secure_bytes& secure_bytes::operator=(secure_bytes&& other) noexcept {
  if (this != &other) {
    clear();
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

void secure_bytes::clear() noexcept {
  if (data_ != nullptr) {
    sodium_memzero(data_, size_);
    delete[] data_;
  }
  data_ = nullptr;
  size_ = 0;
}

bool secure_bytes::equals(byte_view other) const noexcept {
  if (other.size() != size_)
    return false;
  if (size_ == 0)
    return true;
  return sodium_memcmp(data_, other.data(), size_) == 0;
}

bool harden_process() noexcept {
  rlimit none{0, 0};
  const bool limited = setrlimit(RLIMIT_CORE, &none) == 0;
  const bool undumpable = prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == 0;
  return limited && undumpable;
}

} // namespace pss
