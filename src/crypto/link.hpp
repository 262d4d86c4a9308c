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
// it covers every message rather than one handshake. Replay: each
// connection is a link_session whose nonces both ends draw, and every
// message carries a counter under the tag. Never logs or prints a key.
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

// The nonces both ends of a link drew for one connection: the dialler's in
// its hello, the acceptor's in its answer. Together they name the session.
struct link_nonces {
  std::uint64_t dialler = 0;
  std::uint64_t acceptor = 0;
  bool operator==(const link_nonces&) const = default;
};

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
  // The tag of message number `counter` of one link session (see
  // link_session): the session's two hello nonces and the counter are
  // covered too, so a message cannot be replayed in another session or out
  // of order in its own.
  [[nodiscard]] link_tag tag(node_id from, node_id to, const link_nonces& session, std::uint64_t counter,
                             byte_view payload) const;
  // Constant-time: the same key (a session's key against the link's current one).
  [[nodiscard]] bool same_as(const link_key& other) const;
  // Constant-time comparison of an expected tag with a received one.
  [[nodiscard]] static bool verify_tag(const link_tag& expected, byte_view received);
  // Constant-time check of a received tag.
  [[nodiscard]] bool verify(node_id from, node_id to, byte_view payload,
                            byte_view received) const;

private:
  secret_array<32> key_;
};

// One session of an authenticated member-to-member link: the tags of its
// messages cover the session's nonces and a counter that grows by one per
// message, and the receiving end accepts a counter only above every one it
// accepted. A message recorded in an earlier session, or replayed in this
// one, is refused: the acceptor's fresh nonce makes every session new to
// both ends (issue: "replay-proof links").
class link_session {
public:
  // `key` must outlive the session (the gateway keeps it beside the session).
  link_session(const link_key& key, node_id self, node_id peer, link_nonces nonces);
  struct stamp {
    std::uint64_t counter = 0;
    link_tag tag{};
  };
  // The counter and tag of the next message to the peer.
  [[nodiscard]] stamp next(byte_view payload);
  // Whether a message from the peer is authentic and new; counts refusals.
  [[nodiscard]] bool accept(std::uint64_t counter, byte_view payload, byte_view tag);
  [[nodiscard]] const link_nonces& nonces() const noexcept { return nonces_; }
  [[nodiscard]] std::uint64_t replays_refused() const noexcept { return replays_refused_; }

private:
  const link_key* key_;
  node_id self_;
  node_id peer_;
  link_nonces nonces_;
  std::uint64_t sent_ = 0;     // the last counter sent
  std::uint64_t received_ = 0; // the highest counter accepted
  std::uint64_t replays_refused_ = 0;
};

} // namespace pss::crypto
