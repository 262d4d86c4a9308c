#include "core/prng.hpp"

#include "core/check.hpp"

namespace pss {

namespace {
__extension__ typedef unsigned __int128 uint128;

constexpr std::uint64_t rotl(std::uint64_t x, int k) noexcept {
  return (x << k) | (x >> (64 - k));
}
} // namespace

std::uint64_t splitmix64(std::uint64_t& state) noexcept {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

prng::prng(std::uint64_t seed) noexcept {
  std::uint64_t s = seed;
  for (auto& word : state_)
    word = splitmix64(s);
}

std::uint64_t prng::next_u64() noexcept {
  const std::uint64_t result = rotl(state_[1] * 5, 7) * 9;
  const std::uint64_t t = state_[1] << 17;
  state_[2] ^= state_[0];
  state_[3] ^= state_[1];
  state_[1] ^= state_[2];
  state_[0] ^= state_[3];
  state_[2] ^= t;
  state_[3] = rotl(state_[3], 45);
  return result;
}

std::uint64_t prng::below(std::uint64_t bound) noexcept {
  PSS_CHECK(bound > 0);
  // Lemire, "Fast random integer generation in an interval" (2019).
  uint128 m = static_cast<uint128>(next_u64()) * bound;
  auto low = static_cast<std::uint64_t>(m);
  if (low < bound) {
    const std::uint64_t threshold = (0 - bound) % bound;
    while (low < threshold) {
      m = static_cast<uint128>(next_u64()) * bound;
      low = static_cast<std::uint64_t>(m);
    }
  }
  return static_cast<std::uint64_t>(m >> 64);
}

std::uint64_t prng::between(std::uint64_t lo, std::uint64_t hi) noexcept {
  PSS_CHECK(lo <= hi);
  if (lo == 0 && hi == UINT64_MAX)
    return next_u64();
  return lo + below(hi - lo + 1);
}

double prng::unit() noexcept {
  return static_cast<double>(next_u64() >> 11) * 0x1.0p-53;
}

bool prng::chance(double p) noexcept {
  if (p <= 0.0)
    return false;
  if (p >= 1.0)
    return true;
  return unit() < p;
}

prng prng::fork() noexcept {
  return prng{next_u64()};
}

} // namespace pss
