#include "crypto/link.hpp"

#include <algorithm>

#include <sodium.h>

#include "core/check.hpp"
#include "core/secure.hpp"

namespace pss::crypto {

namespace {

constexpr std::string_view link_context = "pss link key v1";
constexpr std::string_view client_link_context = "pss client link key v1";
constexpr std::string_view session_context = "pss link session v1";

void put_u64(crypto_generichash_state& st, std::uint64_t v) {
  std::array<std::uint8_t, 8> b{};
  for (std::size_t i = 0; i < 8; ++i) b[i] = static_cast<std::uint8_t>(v >> (8 * i));
  crypto_generichash_update(&st, b.data(), b.size());
}

} // namespace

result<link_key> link_key::derive(const box_key_pair& self, node_id self_id,
                                  const box_public_key& peer, node_id peer_id,
                                  std::string_view cluster_id) {
  secret_array<crypto_scalarmult_BYTES> shared;
  if (crypto_scalarmult(shared.data(), self.secret_key.data(), peer.bytes().data()) != 0)
    return error{errc::verification_failed, "the peer's box key has low order"};
  // Both ends hash the same transcript: the smaller id first.
  const std::uint64_t low = std::min(self_id.value(), peer_id.value());
  const std::uint64_t high = std::max(self_id.value(), peer_id.value());
  crypto_generichash_state st;
  crypto_generichash_init(&st, shared.data(), shared.size, 32);
  crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(link_context.data()),
                            link_context.size());
  put_u64(st, cluster_id.size());
  crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(cluster_id.data()),
                            cluster_id.size());
  put_u64(st, low);
  put_u64(st, high);
  link_key out;
  crypto_generichash_final(&st, out.key_.data(), out.key_.size);
  sodium_memzero(&st, sizeof st);
  return out;
}

result<link_key> link_key::derive_for_client(const box_key_pair& self, const box_public_key& peer,
                                             bool self_is_member, node_id member, std::uint64_t client,
                                             std::string_view cluster_id) {
  secret_array<crypto_scalarmult_BYTES> shared;
  if (crypto_scalarmult(shared.data(), self.secret_key.data(), peer.bytes().data()) != 0)
    return error{errc::verification_failed, "the peer's box key has low order"};
  const box_public_key& client_key = self_is_member ? peer : self.public_key;
  crypto_generichash_state st;
  crypto_generichash_init(&st, shared.data(), shared.size, 32);
  crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(client_link_context.data()),
                            client_link_context.size());
  put_u64(st, cluster_id.size());
  crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(cluster_id.data()), cluster_id.size());
  put_u64(st, member.value());
  put_u64(st, client);
  crypto_generichash_update(&st, client_key.bytes().data(), client_key.bytes().size());
  link_key out;
  crypto_generichash_final(&st, out.key_.data(), out.key_.size);
  sodium_memzero(&st, sizeof st);
  return out;
}

// The payload's length and bytes close every tag.
static link_tag finish_tag(crypto_generichash_state& st, byte_view payload) {
  put_u64(st, payload.size());
  crypto_generichash_update(&st, payload.data(), payload.size());
  link_tag out{};
  crypto_generichash_final(&st, out.data(), out.size());
  sodium_memzero(&st, sizeof st);
  return out;
}

link_tag link_key::tag(node_id from, node_id to, byte_view payload) const {
  crypto_generichash_state st;
  crypto_generichash_init(&st, key_.data(), key_.size, link_tag_bytes);
  put_u64(st, from.value());
  put_u64(st, to.value());
  return finish_tag(st, payload);
}

link_tag link_key::tag(node_id from, node_id to, const link_nonces& session, std::uint64_t counter,
                       byte_view payload) const {
  crypto_generichash_state st;
  crypto_generichash_init(&st, key_.data(), key_.size, link_tag_bytes);
  crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(session_context.data()),
                            session_context.size());
  for (std::uint64_t v : {from.value(), to.value(), session.dialler, session.acceptor, counter}) put_u64(st, v);
  return finish_tag(st, payload);
}

link_session::link_session(const link_key& key, node_id self, node_id peer, link_nonces nonces)
    : key_(&key), self_(self), peer_(peer), nonces_(nonces) {
  PSS_CHECK(self != peer);
}

link_session::stamp link_session::next(byte_view payload) {
  ++sent_;
  PSS_CHECK(sent_ != 0);
  return stamp{sent_, key_->tag(self_, peer_, nonces_, sent_, payload)};
}

bool link_session::accept(std::uint64_t counter, byte_view payload, byte_view received) {
  if (!link_key::verify_tag(key_->tag(peer_, self_, nonces_, counter, payload), received)) return false;
  if (counter <= received_) {
    ++replays_refused_;
    return false;
  }
  received_ = counter;
  return true;
}

bool link_key::verify_tag(const link_tag& expected, byte_view received) {
  return received.size() == link_tag_bytes && sodium_memcmp(expected.data(), received.data(), link_tag_bytes) == 0;
}

bool link_key::same_as(const link_key& other) const {
  return sodium_memcmp(key_.data(), other.key_.data(), key_.size) == 0;
}

bool link_key::verify(node_id from, node_id to, byte_view payload, byte_view received) const {
  return verify_tag(tag(from, to, payload), received);
}

} // namespace pss::crypto
