#include "core/bytes.hpp"

namespace pss {

std::string to_hex(byte_view data) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(data.size() * 2);
  for (auto b : data) {
    out.push_back(digits[b >> 4]);
    out.push_back(digits[b & 0x0f]);
  }
  return out;
}

namespace {
int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
} // namespace

result<bytes> from_hex(std::string_view text) {
  if (text.size() % 2 != 0)
    return error{errc::malformed, "hex text has an odd number of digits"};
  bytes out(text.size() / 2);
  for (std::size_t i = 0; i < out.size(); ++i) {
    const int hi = hex_value(text[2 * i]);
    const int lo = hex_value(text[2 * i + 1]);
    if (hi < 0 || lo < 0)
      return error{errc::malformed, "non-hex character at position "
                                      + std::to_string(2 * i + (hi < 0 ? 0 : 1))};
    out[i] = static_cast<std::uint8_t>(hi << 4 | lo);
  }
  return out;
}

void byte_writer::u8(std::uint8_t v) { out_->push_back(v); }

void byte_writer::u16(std::uint16_t v) {
  for (int i = 0; i < 2; ++i) out_->push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

void byte_writer::u32(std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out_->push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

void byte_writer::u64(std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out_->push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

void byte_writer::raw(byte_view data) {
  out_->insert(out_->end(), data.begin(), data.end());
}

void byte_writer::blob(byte_view data) {
  PSS_CHECK(data.size() <= UINT32_MAX);
  u32(static_cast<std::uint32_t>(data.size()));
  raw(data);
}

bool byte_reader::need(std::size_t n, const char* field) {
  if (failed_) return false;
  if (data_.size() - pos_ < n) {
    fail(std::string{"truncated "} + field + " at byte " + std::to_string(pos_));
    return false;
  }
  return true;
}

void byte_reader::fail(std::string reason) {
  if (!failed_) {
    failed_ = true;
    reason_ = std::move(reason);
  }
}

std::uint8_t byte_reader::u8() {
  if (!need(1, "u8")) return 0;
  return data_[pos_++];
}

std::uint16_t byte_reader::u16() {
  if (!need(2, "u16")) return 0;
  std::uint16_t v = 0;
  for (int i = 0; i < 2; ++i) v |= static_cast<std::uint16_t>(data_[pos_++]) << (8 * i);
  return v;
}

std::uint32_t byte_reader::u32() {
  if (!need(4, "u32")) return 0;
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= static_cast<std::uint32_t>(data_[pos_++]) << (8 * i);
  return v;
}

std::uint64_t byte_reader::u64() {
  if (!need(8, "u64")) return 0;
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= static_cast<std::uint64_t>(data_[pos_++]) << (8 * i);
  return v;
}

byte_view byte_reader::raw(std::size_t n) {
  if (!need(n, "field")) return {};
  auto out = data_.subspan(pos_, n);
  pos_ += n;
  return out;
}

byte_view byte_reader::blob(std::size_t max_len) {
  const std::size_t at = pos_;
  const std::uint32_t len = u32();
  if (failed_) return {};
  if (len > max_len) {
    fail("length " + std::to_string(len) + " above the limit of "
         + std::to_string(max_len) + " at byte " + std::to_string(at));
    return {};
  }
  return raw(len);
}

std::string byte_reader::str(std::size_t max_len) {
  auto view = blob(max_len);
  return {reinterpret_cast<const char*>(view.data()), view.size()};
}

status byte_reader::finish(std::string_view what) const {
  if (failed_)
    return error{errc::malformed, std::string{what} + ": " + reason_};
  if (pos_ != data_.size())
    return error{errc::malformed, std::string{what} + ": "
                                    + std::to_string(data_.size() - pos_)
                                    + " unexpected trailing byte(s)"};
  return {};
}

} // namespace pss
