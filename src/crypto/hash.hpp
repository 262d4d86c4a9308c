// BLAKE2b-256 (crypto_generichash) over a byte string, for digests and
// transcripts that are public: dealing digests, round challenges.
#pragma once

#include <array>
#include <cstdint>

#include "core/bytes.hpp"

namespace pss::crypto {

using digest256 = std::array<std::uint8_t, 32>;

[[nodiscard]] digest256 blake2b_256(byte_view data) noexcept;

} // namespace pss::crypto
