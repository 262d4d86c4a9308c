#include "access/signed_request.hpp"

#include "core/check.hpp"
#include "crypto/context.hpp"

namespace pss::access {
namespace {

// What the signature covers besides the context: every header field in a
// fixed layout, then the body. The client key is inside, so a signature
// cannot be re-attributed to another key.
// The header fields in their one layout, shared by the envelope and the
// signed message.
void put_header(byte_writer& w, const signed_request& q) {
  w.raw(q.client.bytes());
  w.u64(q.target.value());
  w.raw(byte_view{q.nonce.data(), q.nonce.size()});
  w.u64(q.issued_at);
  w.u64(q.expires_at);
}

bytes signed_message(const signed_request& q) {
  bytes out;
  byte_writer w{out};
  put_header(w, q);
  w.raw(q.body);
  return out;
}

result<bytes> request_context(std::string_view cluster_id, node_id target) {
  crypto::protocol_context c;
  c.purpose = "client/request";
  c.cluster_id = cluster_id;
  c.recipient = target;
  return crypto::encode_context(c);
}

} // namespace

result<signed_request> sign_request(const crypto::sign_key_pair& client, std::string_view cluster_id,
                                    node_id target, unix_ms issued_at, unix_ms lifetime, bytes body,
                                    crypto::random_source& rng) {
  if (body.empty() || body.size() > request_body_bytes_max)
    return error{errc::invalid_argument, "a request body must be 1.." + std::to_string(request_body_bytes_max) + " bytes"};
  if (lifetime == 0 || lifetime > request_lifetime_ms_max)
    return error{errc::invalid_argument, "a request's lifetime must be 1.." + std::to_string(request_lifetime_ms_max) + " ms"};
  auto context = request_context(cluster_id, target);
  if (!context.ok()) return context.err();
  signed_request q;
  q.client = client.public_key;
  q.target = target;
  rng.fill(q.nonce);
  q.issued_at = issued_at;
  q.expires_at = issued_at + lifetime;
  q.body = std::move(body);
  auto sig = crypto::sign(client, *context, signed_message(q));
  if (!sig.ok()) return sig.err();
  q.sig = *sig;
  return q;
}

status verify_request_signature(const signed_request& q, std::string_view cluster_id) {
  auto context = request_context(cluster_id, q.target);
  if (!context.ok()) return context.err();
  return crypto::verify_signature(q.client, *context, signed_message(q), q.sig);
}

bytes encode_signed_request(const signed_request& q) {
  PSS_CHECK(!q.body.empty() && q.body.size() <= request_body_bytes_max);
  bytes out;
  byte_writer w{out};
  w.u8(signed_request_tag);
  put_header(w, q);
  w.blob(q.body);
  w.raw(q.sig.bytes());
  return out;
}

result<signed_request_wire> decode_signed_request_wire(byte_view payload) {
  byte_reader r{payload};
  if (r.u8() != signed_request_tag || !r.ok()) return error{errc::malformed, "not a signed request"};
  signed_request_wire q;
  r.raw_into(q.client);
  q.target = node_id{r.u64()};
  r.raw_into(q.nonce);
  q.issued_at = r.u64();
  q.expires_at = r.u64();
  const byte_view body = r.blob(request_body_bytes_max);
  auto sig = crypto::signature::from_bytes(r.raw(crypto::signature_bytes));
  if (auto st = r.finish("signed request"); !st.ok()) return st.err();
  if (!sig.ok()) return error{errc::malformed, "signed request: the signature does not decode"};
  if (body.empty()) return error{errc::malformed, "signed request: the body is empty"};
  q.body.assign(body.begin(), body.end());
  q.sig = *sig;
  return q;
}

result<signed_request> decode_signed_request(byte_view payload) {
  auto wire = decode_signed_request_wire(payload);
  if (!wire.ok()) return wire.err();
  auto client = crypto::sign_public_key::from_bytes(wire->client);
  if (!client.ok()) return error{errc::malformed, "signed request: the client key is not a valid Ed25519 key"};
  return signed_request{*client, wire->target, wire->nonce, wire->issued_at, wire->expires_at, std::move(wire->body),
                        wire->sig};
}

crypto::digest256 request_digest(byte_view envelope) { return crypto::blake2b_256(envelope); }

} // namespace pss::access
