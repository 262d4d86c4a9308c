// The node's door for clients (docs/access.md): every client request but the
// view arrives inside a signed envelope. The request guard checks it (target,
// window, start, signature, replay) and the applied policy decides whether
// this key may do this to this name; only then does a handler see it. Each
// node decides on its own: a node never serves a request addressed to
// another, and never on another node's word.
#include "secrets/node_engine.hpp"

#include <algorithm>

#include "core/planted.hpp"

namespace pss::secrets {
namespace {

struct needed {
  access::right right;
  std::string name;
};

// The right a request needs, or nothing for a request a client may never
// make (a node command inside a client's proposal).
std::optional<needed> right_needed(const wire_message& m) {
  if (const auto* s = std::get_if<store_share_request>(&m)) return needed{access::right::write, s->name};
  if (const auto* g = std::get_if<get_share_request>(&m)) return needed{access::right::read, g->name};
  if (std::holds_alternative<refresh_request>(m)) return needed{access::right::refresh, ""};
  if (const auto* q = std::get_if<read_request>(&m))
    return needed{q->kind == read_kind::list     ? access::right::list
                  : q->kind == read_kind::policy ? access::right::admin
                                                 : access::right::read,
                  q->name};
  if (std::holds_alternative<access_request>(m) || std::holds_alternative<audit_request>(m)
      || std::holds_alternative<member_request>(m))
    return needed{access::right::admin, ""};
  if (const auto* p = std::get_if<propose_request>(&m)) {
    if (const auto* r = std::get_if<register_secret>(&p->body)) return needed{access::right::write, r->name};
    if (const auto* d = std::get_if<delete_secret>(&p->body)) return needed{access::right::remove, d->name};
  }
  return std::nullopt;
}

bool is_client_request(const wire_message& m) { return right_needed(m).has_value() || std::holds_alternative<propose_request>(m); }

template <class Response>
Response refusal(std::uint64_t request_id, reply_code code, const std::string& reason) {
  Response r;
  r.request_id = request_id;
  r.code = code;
  r.reason = reason;
  return r;
}

} // namespace

access::unix_ms node_engine::wall(millis now) const {
  return static_cast<access::unix_ms>(now.count()) + options_.wall_clock_offset;
}

void node_engine::refuse_client(endpoint to, const wire_message& request, reply_code code, const std::string& reason) {
  if (const auto* s = std::get_if<store_share_request>(&request))
    return send(to, refusal<store_share_response>(s->request_id, code, reason));
  if (const auto* g = std::get_if<get_share_request>(&request))
    return send(to, refusal<get_share_response>(g->request_id, code, reason));
  if (const auto* f = std::get_if<refresh_request>(&request))
    return send(to, refusal<refresh_response>(f->request_id, code, reason));
  if (const auto* q = std::get_if<read_request>(&request))
    return send(to, refusal<read_response>(q->request_id, code, reason));
  if (const auto* p = std::get_if<propose_request>(&request))
    return send(to, refusal<propose_response>(p->request_id, code, reason));
  if (const auto* a = std::get_if<access_request>(&request))
    return send(to, refusal<propose_response>(a->request_id, code, reason));
  if (const auto* a = std::get_if<member_request>(&request))
    return send(to, refusal<propose_response>(a->request_id, code, reason));
  if (const auto* a = std::get_if<audit_request>(&request))
    return send(to, refusal<audit_response>(a->request_id, code, reason));
}

// A client request outside an envelope: refused, so the client learns why.
void node_engine::on_unsigned_request(endpoint from, const wire_message& m) {
  ++counters_.unauthorized;
  refuse_client(from, m, reply_code::unauthorized,
                node_name(keys_.id) + ": requests must be signed with a client identity (pss identity new)");
}

void node_engine::on_signed_request(millis now, endpoint from, byte_view payload) {
  access::admission a = guard_.admit(payload, wall(now), catalog_.policy());
  if (!a.request) {
    ++counters_.unauthorized;
    // A replay is dropped without a word: a duplicate delivery of a request
    // that was answered already must not reach the client as a refusal.
    if (a.why == access::refusal::replayed) return;
    auto envelope = access::decode_signed_request(payload);
    if (!envelope.ok()) return;
    auto inner = decode_wire_message(envelope->body);
    if (!inner.ok()) return;
    const reply_code code = a.why == access::refusal::busy ? reply_code::unavailable : reply_code::unauthorized;
    return refuse_client(from, *inner, code, a.reason);
  }
  auto decoded = decode_wire_message(a.request->body);
  if (!decoded.ok()) {
    ++counters_.malformed;
    return;
  }
  wire_message& m = *decoded;
  const auto need = right_needed(m);
  const access::policy& policy = catalog_.policy();
  const auto& key = a.request->client;
  const bool metadata = need && std::holds_alternative<read_request>(m) && need->right == access::right::read;
  // A record holds no share, so a writer may read one too (a put learns the
  // latest version from it).
  const bool by_policy = need && (need->right == access::right::list ? policy.allows_some(key, need->right, wall(now))
                                  : policy.allows(key, need->right, need->name, wall(now))
                                    || (metadata && policy.allows(key, access::right::write, need->name, wall(now))));
  const bool allowed = by_policy || (need && planted::armed(planted::bug::skip_policy));
  if (!allowed) {
    guard_.count_not_allowed();
    ++counters_.unauthorized;
    if (!is_client_request(m)) return (void)++counters_.unexpected;
    return refuse_client(from, m, reply_code::unauthorized,
                         node_name(keys_.id) + " refused the request (not_allowed): the policy gives this key no "
                             + std::string{need ? access::name_of(need->right) : "such"} + " right"
                             + (need && !need->name.empty() ? " on this name" : ""));
  }
  dispatch_client_request(now, from, std::move(m), a.request->client, payload);
}

void node_engine::dispatch_client_request(millis now, endpoint from, wire_message&& m,
                                          const crypto::sign_public_key& client, byte_view envelope) {
  const requester who{client, access::request_digest(envelope)};
  if (auto* f = std::get_if<refresh_request>(&m)) on_refresh_request(now, from, *f, who);
  else if (auto* s = std::get_if<store_share_request>(&m)) on_store_share(now, from, *s, who);
  else if (auto* p = std::get_if<propose_request>(&m)) on_propose(now, from, std::move(*p), who);
  else if (auto* q = std::get_if<read_request>(&m)) on_read(now, from, std::move(*q), client);
  else if (auto* g = std::get_if<get_share_request>(&m)) on_get_share(now, from, *g, who);
  else if (auto* c = std::get_if<access_request>(&m)) on_access_request(now, from, *c, envelope, who);
  else if (auto* k = std::get_if<member_request>(&m)) on_member_request(now, from, *k, envelope, who);
  else if (auto* a = std::get_if<audit_request>(&m)) on_audit_request(from, *a);
  else PSS_UNREACHABLE();
}

std::vector<list_item> node_engine::listable(const crypto::sign_public_key& client, access::unix_ms now) const {
  std::vector<list_item> items = catalog_.list();
  const access::policy& p = catalog_.policy();
  std::erase_if(items, [&](const list_item& i) { return !p.allows(client, access::right::list, i.name, now); });
  return items;
}

} // namespace pss::secrets
