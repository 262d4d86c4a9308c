// Byte strings, hex, and bounds-checked binary encoding.
//
// Every byte that arrives from the network or from disk is hostile. The
// byte_reader never reads past its input: a short or oversized field sets a
// sticky failure, later reads return zeroes, and finish() reports where the
// input went wrong. Encodings are little-endian with explicit widths so they
// are identical on every platform.
#pragma once

#include <algorithm>
#include <array>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace pss {

using bytes = std::vector<std::uint8_t>;
using byte_view = std::span<const std::uint8_t>;

[[nodiscard]] std::string to_hex(byte_view data);
// Parses lower- or upper-case hex; an odd length or a non-hex digit fails.
[[nodiscard]] result<bytes> from_hex(std::string_view text);

[[nodiscard]] inline byte_view as_bytes(std::string_view text) noexcept {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

// Appends fixed-width little-endian fields to a byte string.
class byte_writer {
public:
  byte_writer() = default;
  explicit byte_writer(bytes& out) : out_(&out) {}

  void u8(std::uint8_t v);
  void u16(std::uint16_t v);
  void u32(std::uint32_t v);
  void u64(std::uint64_t v);
  // Raw bytes, no length prefix.
  void raw(byte_view data);
  // A u32 length prefix, then the bytes.
  void blob(byte_view data);
  void str(std::string_view text) { blob(as_bytes(text)); }

  [[nodiscard]] bytes& data() noexcept { return *out_; }
  [[nodiscard]] bytes take() { return std::move(*out_); }

private:
  bytes own_;
  bytes* out_ = &own_;
};

// Reads fields written by byte_writer, refusing to run past the end.
class byte_reader {
public:
  explicit byte_reader(byte_view data) noexcept : data_(data) {}

  std::uint8_t u8();
  std::uint16_t u16();
  std::uint32_t u32();
  std::uint64_t u64();
  // Exactly n raw bytes.
  byte_view raw(std::size_t n);
  // A u32 length prefix, then that many bytes; fails above max_len.
  byte_view blob(std::size_t max_len);
  std::string str(std::size_t max_len);
  // Exactly N raw bytes into a fixed array (left untouched on failure).
  template <std::size_t N>
  void raw_into(std::array<std::uint8_t, N>& out) {
    auto v = raw(N);
    if (ok()) std::copy(v.begin(), v.end(), out.begin());
  }

  // The next byte without reading it; 0 at the end or after a failure.
  [[nodiscard]] std::uint8_t peek() const noexcept { return remaining() > 0 ? data_[pos_] : 0; }

  [[nodiscard]] bool ok() const noexcept { return !failed_; }
  [[nodiscard]] std::size_t remaining() const noexcept {
    return failed_ ? 0 : data_.size() - pos_;
  }
  [[nodiscard]] std::size_t position() const noexcept { return pos_; }

  // Marks the input bad with a reason (for semantic checks by the caller).
  void fail(std::string reason);

  // Success only if nothing failed and every byte was consumed. The error
  // names the field position and what was wrong.
  [[nodiscard]] status finish(std::string_view what) const;

private:
  bool need(std::size_t n, const char* field);

  byte_view data_;
  std::size_t pos_ = 0;
  bool failed_ = false;
  std::string reason_;
};

} // namespace pss
