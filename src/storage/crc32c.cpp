#include "storage/crc32c.hpp"

#include <array>
#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace pss::storage {

namespace {

constexpr std::uint32_t castagnoli_reflected = 0x82f63b78u;

using table_set = std::array<std::array<std::uint32_t, 256>, 8>;

constexpr table_set make_tables() {
  table_set t{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k)
      c = (c & 1) ? (c >> 1) ^ castagnoli_reflected : c >> 1;
    t[0][i] = c;
  }
  for (std::size_t j = 1; j < 8; ++j)
    for (std::size_t i = 0; i < 256; ++i)
      t[j][i] = (t[j - 1][i] >> 8) ^ t[0][t[j - 1][i] & 0xff];
  return t;
}

constexpr table_set tables = make_tables();

std::uint64_t load_le64(const std::uint8_t* p) noexcept {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= static_cast<std::uint64_t>(p[i]) << (8 * i);
  return v;
}

std::uint32_t update_portable(std::uint32_t c, const std::uint8_t* p, std::size_t n) noexcept {
  while (n >= 8) {
    const std::uint64_t v = load_le64(p) ^ c;
    c = tables[7][v & 0xff] ^ tables[6][(v >> 8) & 0xff] ^ tables[5][(v >> 16) & 0xff]
        ^ tables[4][(v >> 24) & 0xff] ^ tables[3][(v >> 32) & 0xff]
        ^ tables[2][(v >> 40) & 0xff] ^ tables[1][(v >> 48) & 0xff]
        ^ tables[0][v >> 56];
    p += 8;
    n -= 8;
  }
  while (n-- > 0) c = tables[0][(c ^ *p++) & 0xff] ^ (c >> 8);
  return c;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2")))
std::uint32_t update_sse42(std::uint32_t c, const std::uint8_t* p, std::size_t n) noexcept {
  std::uint64_t c64 = c;
  while (n >= 8) {
    std::uint64_t v;
    std::memcpy(&v, p, 8);
    c64 = _mm_crc32_u64(c64, v);
    p += 8;
    n -= 8;
  }
  c = static_cast<std::uint32_t>(c64);
  while (n-- > 0) c = _mm_crc32_u8(c, *p++);
  return c;
}

bool have_sse42() noexcept {
  static const bool has = __builtin_cpu_supports("sse4.2");
  return has;
}
#endif

} // namespace

std::uint32_t crc32c_portable(byte_view data, std::uint32_t crc) noexcept {
  return ~update_portable(~crc, data.data(), data.size());
}

void seal_with_crc32c(bytes& data) {
  byte_writer{data}.u32(crc32c(data));
}

std::optional<byte_view> checksummed_body(byte_view data) noexcept {
  if (data.size() < 4) return std::nullopt;
  const auto body = data.first(data.size() - 4);
  std::uint32_t stored = 0;
  for (int i = 0; i < 4; ++i)
    stored |= static_cast<std::uint32_t>(data[body.size() + i]) << (8 * i);
  if (stored != crc32c(body)) return std::nullopt;
  return body;
}

std::uint32_t crc32c(byte_view data, std::uint32_t crc) noexcept {
#if defined(__x86_64__)
  if (have_sse42()) return ~update_sse42(~crc, data.data(), data.size());
#endif
  return crc32c_portable(data, crc);
}

} // namespace pss::storage
