// Protocol context strings for associated data and signatures.
//
// Every sealed sub-share and every signature in pss binds where it belongs:
// the cluster, the epoch, the secret and its version, the dealer and the
// recipient, and what kind of message it is. A message replayed into another
// epoch, secret or recipient then fails to open or to verify (pitfall 8 of
// the secret-sharing notes: Vault's rekey, drand, kyber). The encoding is length-prefixed, so no
// two different contexts encode to the same bytes.
#pragma once

#include <cstddef>
#include <string_view>

#include "core/bytes.hpp"
#include "core/ids.hpp"
#include "core/result.hpp"
#include "crypto/hash.hpp"

namespace pss::crypto {

// Limits on the text fields bound into contexts and envelopes.
inline constexpr std::size_t cluster_id_bytes_max = 128;
inline constexpr std::size_t secret_name_bytes_max = 256;
inline constexpr std::size_t purpose_bytes_max = 64;

struct protocol_context {
  // What the message is, e.g. "refresh/sub_share" or "refresh/complaint".
  std::string_view purpose;
  std::string_view cluster_id;
  epoch_id epoch;
  std::string_view secret_name; // empty for messages about no single secret
  secret_version version;
  node_id dealer;               // no_node when there is none
  node_id recipient;            // no_node for broadcast messages
  // The dealing a client's share belongs to (the digest of its Feldman
  // commitments), for shares dealt before the catalog gave them a version;
  // null otherwise. When given it is appended (a marker byte, then the 32
  // bytes), so contexts without it encode exactly as before.
  const digest256* dealing = nullptr;
};

// "pss/context/v1" followed by every field, length-prefixed or fixed-width.
// Fails with invalid_argument when a text field is above its limit or the
// purpose is empty.
[[nodiscard]] result<bytes> encode_context(const protocol_context& context);

} // namespace pss::crypto
