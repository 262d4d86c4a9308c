// Injected randomness for key material.
//
// The pure cores never draw ambient randomness: every function that needs
// secret randomness takes a random_source. Production code passes a
// system_random (the operating system's generator through libsodium); the
// simulator passes a seeded_random, so a seed replays every key, coefficient
// and nonce exactly. A seeded_random is NOT secure: it exists for tests and
// simulation only, and its output is a function of a 64-bit seed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace pss::crypto {

class random_source {
public:
  virtual ~random_source() = default;
  // Fills the buffer with random bytes. Never fails.
  virtual void fill(std::span<std::uint8_t> out) = 0;
};

// The operating system's generator (libsodium randombytes_buf).
class system_random final : public random_source {
public:
  system_random() noexcept;
  void fill(std::span<std::uint8_t> out) override;
};

// A deterministic stream for simulation and tests: ChaCha20 keyed from the
// seed (through BLAKE2b with a domain label). Each fill() call consumes a new
// 64-bit stream nonce, so the output depends on the seed and on the sequence
// of fill() calls, which is itself deterministic in a replayed run.
class seeded_random final : public random_source {
public:
  explicit seeded_random(std::uint64_t seed) noexcept;
  ~seeded_random() override;
  seeded_random(const seeded_random&) = delete;
  seeded_random& operator=(const seeded_random&) = delete;

  void fill(std::span<std::uint8_t> out) override;

private:
  static constexpr std::size_t key_bytes = 32;
  std::uint8_t key_[key_bytes]{};
  std::uint64_t calls_ = 0;
};

} // namespace pss::crypto
