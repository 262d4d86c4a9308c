// `pss split` and `pss combine` as pure functions over text.
//
// split() deals a fresh envelope key k, encrypts the secret under it, and
// Shamir-shares k with Feldman commitments (docs/share-format.md). combine()
// parses share and commitment lines, checks every one, and only if enough
// verified shares remain interpolates k and opens the envelope. Errors name
// lines and share indices, never share values; a partial secret is never
// returned.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "core/secure.hpp"
#include "crypto/random_source.hpp"

namespace pss::offline {

// N share lines (indices 1..N, in order) followed by the commitment line.
// The share lines are secret: the caller prints them and wipes them.
struct split_output {
  std::vector<secure_bytes> share_lines;
  std::string commit_line;
};

[[nodiscard]] result<split_output> split(byte_view secret, std::size_t threshold,
                                         std::size_t shares, crypto::random_source& rng);

struct combine_options {
  // Reconstruct from the shares that verify, naming the ones that do not,
  // instead of refusing the whole input.
  bool skip_invalid = false;
};

struct combine_output {
  secure_bytes secret;
  // One line per share that was skipped (only with skip_invalid).
  std::vector<std::string> skipped;
};

// `input` is the whole text given to `pss combine`.
[[nodiscard]] result<combine_output> combine(std::string_view input,
                                             const combine_options& options);

} // namespace pss::offline
