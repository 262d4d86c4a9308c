// A short public fingerprint of one node's share, so that a demo or an
// operator can see that a refresh changed a share and that a recovery rebuilt
// the same one, without ever showing the share.
//
// The fingerprint is the hex of the first 4 bytes of
// BLAKE2b-256("pss demo fingerprint v1" || encode_share(share)): 32 bits of a
// hash of a uniformly random scalar reveal nothing useful about it, and are
// enough to tell two shares apart by eye. This module never returns, logs or
// prints the share itself; the hashed buffer is zeroized.
#pragma once

#include <optional>
#include <string>

#include "core/ids.hpp"
#include "crypto/shamir.hpp"
#include "secrets/catalog.hpp"
#include "secrets/share_store.hpp"

namespace pss::secrets {

inline constexpr std::size_t share_fingerprint_bytes = 4;

// 8 lowercase hex digits; stable for one share, different for another.
[[nodiscard]] std::string share_fingerprint(const crypto::share& s);

// What one node can say publicly about its share of a secret.
struct share_status {
  epoch_id epoch;                          // the cluster's epoch as applied here
  epoch_id share_epoch;                    // the epoch of the readable version's shares
  std::optional<std::string> fingerprint;  // nullopt: no live share of it held here
  round_stats stats;                       // replicated counters of rounds
  bool round_running = false;
};

// One fingerprint of every live share a node holds (for `pss status` and the
// gateway's dashboard): 8 hex digits of BLAKE2b-256 over the label and each
// live share's encoding, in key order. A refresh changes it on every node; a
// recovery that rebuilds the same shares gives the same one back. nullopt
// when the store holds more than `shares_max` shares (it costs one encoding
// per share), or none live.
inline constexpr std::size_t share_set_fingerprint_shares_max = 4096;
[[nodiscard]] std::optional<std::string> share_set_fingerprint(const share_store& shares,
                                                               std::size_t shares_max = share_set_fingerprint_shares_max);

// The status of the latest readable version of `name` on a node with this
// catalog and share store (no share of an unknown name).
[[nodiscard]] share_status describe_share(const catalog& c, const share_store& shares, const std::string& name);

} // namespace pss::secrets
