// A seeded, portable pseudo-random generator for protocol decisions.
//
// Cores never draw ambient randomness: each one is handed a prng seeded by its
// owner (the simulator derives every seed from one master seed). The
// generator is xoshiro256** seeded through splitmix64, and the range function
// is hand-written (Lemire's method with rejection) because
// std::uniform_int_distribution differs between standard libraries. This is
// NOT a source of key material; secret randomness comes from
// crypto::random_source.
#pragma once

#include <array>
#include <cstdint>

namespace pss {

class prng {
public:
  explicit prng(std::uint64_t seed) noexcept;

  // The next raw 64-bit output.
  std::uint64_t next_u64() noexcept;

  // Uniform in [0, bound). bound must be non-zero.
  std::uint64_t below(std::uint64_t bound) noexcept;

  // Uniform in [lo, hi], inclusive. lo must not exceed hi.
  std::uint64_t between(std::uint64_t lo, std::uint64_t hi) noexcept;

  // Uniform in [0, 1) with 53 bits of precision; identical on every IEEE-754
  // platform because it is computed from integer bits.
  double unit() noexcept;

  // True with probability p (p <= 0 is never, p >= 1 is always).
  bool chance(double p) noexcept;

  // A child generator with an independent stream, for handing to a sub-core.
  prng fork() noexcept;

private:
  std::array<std::uint64_t, 4> state_{};
};

// splitmix64, exposed for deriving seeds from a master seed.
std::uint64_t splitmix64(std::uint64_t& state) noexcept;

} // namespace pss
