// CRC32C (Castagnoli), the checksum on every stored record.
//
// Storage checksums catch torn writes and media corruption, not tampering: a
// CRC is not a MAC. The hardware path uses the SSE4.2 crc32 instruction when
// the CPU has it; the portable path is slicing-by-8 over tables built at
// compile time. Both give identical results (a unit test compares them).
#pragma once

#include <cstdint>
#include <optional>

#include "core/bytes.hpp"

namespace pss::storage {

// The CRC32C of data, continuing from a previous result `crc` (0 to start),
// so crc32c(b, crc32c(a)) == crc32c(a + b).
[[nodiscard]] std::uint32_t crc32c(byte_view data, std::uint32_t crc = 0) noexcept;

// The table-driven path, exposed so tests can compare it with the hardware one.
[[nodiscard]] std::uint32_t crc32c_portable(byte_view data, std::uint32_t crc = 0) noexcept;

// Small checksummed files and slots end with the CRC32C of everything before
// it, as a little-endian u32. seal_with_crc32c appends that trailer;
// checksummed_body returns the bytes before a trailer that matches, or
// nullopt for data that is too short or does not match.
void seal_with_crc32c(bytes& data);
[[nodiscard]] std::optional<byte_view> checksummed_body(byte_view data) noexcept;

} // namespace pss::storage
