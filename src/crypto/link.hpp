// Node-to-node link authentication: who really sent a message.
//
// TLS (CAF's openssl module) keeps strangers out, but any holder of a
// certificate from the cluster CA (every node and every client) passes it,
// and CAF exposes no peer certificate. So every message between two members
// carries a tag under a key only those two members can compute: the X25519
// agreement of one's box secret key with the other's box public key from the
// membership, hashed with the cluster id and both ids (keyed BLAKE2b). A
// client or a third node cannot forge it; the tag also binds the direction
// (from, to) so a message cannot be reflected back at its sender.
//
// This authenticates with the node keys the membership lists, at about 2 µs
// per message (tag and check) instead of an Ed25519 signature's ~59 µs
// (sign and verify; docs/network.md), and
// it covers every message rather than one handshake. Replay is left to TLS:
// outsiders never see the traffic. Never logs or prints a key.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "core/bytes.hpp"
#include "core/ids.hpp"
#include "core/result.hpp"
#include "crypto/seal.hpp"
#include "crypto/secret_array.hpp"

namespace pss::crypto {

inline constexpr std::size_t link_tag_bytes = 32;
using link_tag = std::array<std::uint8_t, link_tag_bytes>;

// The symmetric key of the link between `self` and `peer`; both ends derive
// the same key. Fails verification_failed for a low-order peer key.
class link_key {
public:
  [[nodiscard]] static result<link_key> derive(const box_key_pair& self, node_id self_id,
                                                const box_public_key& peer, node_id peer_id,
                                                std::string_view cluster_id);

  // The key of one client connection to member `member` (pinned replies,
  // docs/network.md): the client's ephemeral box key pair against the
  // member's box key from its cluster file, or the member's own box key pair
  // against the client's ephemeral public key; both ends derive the same
  // key, which only the member and that connection can compute. Tags under
  // it name the member as `from` and node_id{client} as `to`.
  [[nodiscard]] static result<link_key> derive_for_client(const box_key_pair& self, const box_public_key& peer,
                                                          bool self_is_member, node_id member,
                                                          std::uint64_t client, std::string_view cluster_id);

  // The tag of one message from `from` to `to`.
  [[nodiscard]] link_tag tag(node_id from, node_id to, byte_view payload) const;
  // Constant-time check of a received tag.
  [[nodiscard]] bool verify(node_id from, node_id to, byte_view payload,
                            byte_view received) const;

private:
  secret_array<32> key_;
};

} // namespace pss::crypto
