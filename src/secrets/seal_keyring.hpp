// A member's sealing key pairs (docs/refresh.md §7.9), kept in
// `<data_dir>/seal`: what clients seal its shares to and dealers its round
// chunks. A member holds at most seal_pairs_max pairs: the one the catalog
// records, a newer one it announced, and one a running round still fixes.
// The node decides which to keep (node_seal_keys.cpp); this file only keeps
// them durably and erases the rest.
//
// SECRET: the X25519 secret keys. The file is written atomically (0600),
// each rewrite overwrites the old file's bytes with zeroes (the limits of
// storage/journal.hpp apply), the encoded image is zeroized once written,
// and nothing here prints a key.
//
// seal file (little-endian): magic "PSSSEAL1" (8), pair count (u32), per
// pair: epoch (u64), serial (u64), X25519 secret key (32); crc32c of all
// preceding bytes (u32).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/ids.hpp"
#include "core/result.hpp"
#include "crypto/random_source.hpp"
#include "crypto/seal.hpp"
#include "storage/file_system.hpp"

namespace pss::secrets {

inline constexpr std::string_view seal_file_name = "seal";
inline constexpr std::size_t seal_pairs_max = 4;

struct seal_pair {
  epoch_id epoch;           // the view's epoch it was drawn for
  std::uint64_t serial = 0; // its announcement's serial
  crypto::box_key_pair keys;
};

// The pairs a seal file holds (a disk read, for the simulator's checker).
// Refuses a damaged file, more than seal_pairs_max pairs, and a bad key.
[[nodiscard]] result<std::vector<seal_pair>> decode_seal_file(byte_view data);

class seal_keyring {
public:
  // Reads `<dir>/seal`; no file is an empty keyring (a new member, or one
  // whose file was lost: it draws a pair and announces it).
  [[nodiscard]] static result<seal_keyring> open(storage::file_system& fs, std::string dir);

  [[nodiscard]] const std::vector<seal_pair>& pairs() const noexcept { return pairs_; }
  // The pair drawn last (highest serial), if any.
  [[nodiscard]] const seal_pair* newest() const noexcept;
  [[nodiscard]] const seal_pair* find(const crypto::box_public_key& key) const noexcept;
  // Draws a pair for `epoch`, keeps it durably and returns it.
  [[nodiscard]] result<const seal_pair*> draw(epoch_id epoch, std::uint64_t serial, crypto::random_source& rng);
  // Erases, durably, every pair `keep` refuses; nothing is written when it
  // keeps them all.
  [[nodiscard]] status keep_only(const std::function<bool(const seal_pair&)>& keep);
  // The path of the seal file.
  [[nodiscard]] std::string path() const;

private:
  seal_keyring(storage::file_system& fs, std::string dir) : fs_(&fs), dir_(std::move(dir)) {}
  [[nodiscard]] status write() const;

  storage::file_system* fs_;
  std::string dir_;
  std::vector<seal_pair> pairs_; // in the order drawn
};

} // namespace pss::secrets
