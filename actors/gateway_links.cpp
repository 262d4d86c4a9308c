// The gateway's member links (actors/network.hpp): the hello exchange that
// opens a link session, the link keys, and the peers that follow the node's
// applied view, including a member whose identity key rotated
// (docs/refresh.md §7.9).
#include <algorithm>
#include <array>

#include "actors/gateway.hpp"
#include "deploy/config.hpp"

namespace pss::actors::gateway {

namespace {

constexpr std::string_view hello_marker = "pss link hello v1";
constexpr std::string_view rehello_marker = "pss link rehello v1";

byte_view hello_bytes() {
  return {reinterpret_cast<const std::uint8_t*>(hello_marker.data()), hello_marker.size()};
}

byte_view rehello_bytes() {
  return {reinterpret_cast<const std::uint8_t*>(rehello_marker.data()), rehello_marker.size()};
}

std::uint64_t draw_nonce(crypto::random_source& random) {
  std::uint64_t v = 0;
  while (v == 0) {
    std::array<std::uint8_t, 8> b{};
    random.fill(b);
    for (auto x : b) v = v << 8 | x;
  }
  return v;
}

link_hello make_hello(const gateway_state& st, node_id to, const crypto::link_key& key, crypto::link_nonces nonces) {
  const crypto::link_tag tag = key.tag(st.options.self, to, nonces, 0, hello_bytes());
  return link_hello{st.options.self.value(), to.value(), std::vector<std::uint8_t>(tag.begin(), tag.end()),
                    nonces.dialler, nonces.acceptor};
}

// The link key with `id` from this node's identity key pair `own` (one it
// holds) and the peer's identity key.
result<crypto::link_key> derive(const gateway_state& st, const std::vector<std::uint8_t>& own,
                                const std::vector<std::uint8_t>& peer, node_id id) {
  auto own_key = crypto::box_public_key::from_bytes(own);
  auto peer_key = crypto::box_public_key::from_bytes(peer);
  if (!own_key.ok() || !peer_key.ok() || !st.options.member_key)
    return error{errc::invalid_argument, "no identity key to derive the link key from"};
  return st.options.member_key(*own_key, *peer_key, id);
}

// The key a hello from `from` verifies under: the link's current key; the
// one a rotation replaced, within the grace; or this node's next identity
// key against the peer's, before its own catalog applied the rotation the
// peer already applied (own_keys holds no key this node rotated away from).
shared_link_key hello_key(gateway_state& st, node_id from, const crypto::link_nonces& nonces, byte_view tag,
                          byte_view what = hello_bytes()) {
  const auto verifies = [&](const crypto::link_key& k) {
    return crypto::link_key::verify_tag(k.tag(from, st.options.self, nonces, 0, what), tag);
  };
  if (auto k = st.keys.find(from); k != st.keys.end() && verifies(*k->second)) return k->second;
  if (auto p = st.previous_keys.find(from); p != st.previous_keys.end()) {
    if (std::chrono::steady_clock::now() < p->second.until && verifies(*p->second.key)) return p->second.key;
  }
  auto peer = st.peers.find(from);
  if (peer == st.peers.end() || peer->second.box_key.empty()) return nullptr;
  for (const auto& own : st.options.own_keys) {
    const std::vector<std::uint8_t> mine(own.bytes().begin(), own.bytes().end());
    if (mine == st.own_box) continue;
    auto k = derive(st, mine, peer->second.box_key, from);
    if (k.ok() && verifies(*k)) return std::make_shared<const crypto::link_key>(std::move(*k));
  }
  return nullptr;
}

void open_session(gateway_state& st, node_id peer, shared_link_key key, crypto::link_nonces nonces) {
  crypto::link_session link{*key, st.options.self, peer, nonces};
  st.sessions.insert_or_assign(peer, live_session{std::move(key), link});
}

// An acceptor that ended a session under a replaced key (or got a message
// for none) asks the dialler, authenticated under a key it would take a
// hello under, to say hello again: a dialler that has not applied the
// rotation yet would otherwise keep sending on a session the other end
// dropped, and never learn the change over that link.
void on_rehello(gateway_actor* self, const link_hello& h) {
  auto& st = self->state;
  const node_id from{h.from};
  auto peer = st.peers.find(from);
  const crypto::link_nonces nonces{0, h.acceptor_nonce};
  if (h.to != st.options.self.value() || from <= st.options.self || peer == st.peers.end() || !peer->second.handle
      || !hello_key(st, from, nonces, h.tag, rehello_bytes())) {
    ++st.counters.bad_tag;
    return;
  }
  if (!st.hellos_sent.contains(from)) say_hello(self, from, peer->second.handle);
}

} // namespace

void ask_rehello(gateway_actor* self, node_id peer_id) {
  auto& st = self->state;
  auto peer = st.peers.find(peer_id);
  auto key = st.keys.find(peer_id);
  if (peer_id >= st.options.self || peer == st.peers.end() || !peer->second.handle || key == st.keys.end()) return;
  if (!st.rehello_asked.insert(peer_id).second) return; // once per member sync
  const crypto::link_nonces nonces{0, draw_nonce(st.random)};
  const crypto::link_tag tag = key->second->tag(st.options.self, peer_id, nonces, 0, rehello_bytes());
  self->send(peer->second.handle, link_hello{st.options.self.value(), peer_id.value(),
                                             std::vector<std::uint8_t>(tag.begin(), tag.end()), 0, nonces.acceptor});
}

// A dialler's hello opens a session with a fresh nonce of this end's, and is
// answered over the same connection, under the key that verified it; an
// answer to this end's own hello completes the session it asked for.
// Anything else is refused.
void on_link_hello(gateway_actor* self, const link_hello& h) {
  auto& st = self->state;
  const node_id from{h.from};
  const crypto::link_nonces nonces{h.dialler_nonce, h.acceptor_nonce};
  const bool answer = h.acceptor_nonce != 0;
  const auto sent = st.hellos_sent.find(from);
  if (!st.keys.contains(from)) {
    // A member added since this node's view was last synced, or a stranger:
    // a real newcomer says hello again after the next sync.
    ++st.counters.unknown_sender;
    if (st.strangers_logged.size() < client_routes_max && st.strangers_logged.insert(from).second)
      log(self, "a link hello from " + peer_name(from) + ", which this node's view does not name (yet); refused");
    return;
  }
  if (h.dialler_nonce == 0 && h.acceptor_nonce != 0) return on_rehello(self, h);
  shared_link_key key;
  if (h.to == st.options.self.value() && h.dialler_nonce != 0
      && (!answer || (sent != st.hellos_sent.end() && sent->second == h.dialler_nonce)))
    key = hello_key(st, from, nonces, h.tag);
  if (!key) {
    ++st.counters.bad_tag;
    log(self, "refused a link hello that does not authenticate as node " + std::to_string(h.from)
                + " (if keys rotated: is this node missing its next key file, or has it not applied the rotation?)");
    return;
  }
  if (answer) {
    st.hellos_sent.erase(sent);
    if (auto peer = st.peers.find(from); peer != st.peers.end()) peer->second.unanswered = 0;
    open_session(st, from, std::move(key), nonces);
    return;
  }
  const crypto::link_nonces opened{h.dialler_nonce, draw_nonce(st.random)};
  auto handle = caf::actor_cast<caf::actor>(self->current_sender());
  self->send(handle, make_hello(st, from, *key, opened));
  open_session(st, from, std::move(key), opened);
  connect_route(self, from, std::move(handle), "it dialled");
}

void say_hello(gateway_actor* self, node_id id, const caf::actor& handle, bool replaced) {
  auto& st = self->state;
  auto key = st.keys.find(id);
  if (key == st.keys.end()) return;
  shared_link_key use = key->second;
  if (auto p = st.previous_keys.find(id);
      replaced && p != st.previous_keys.end() && std::chrono::steady_clock::now() < p->second.until)
    use = p->second.key;
  const crypto::link_nonces nonces{draw_nonce(st.random), 0};
  st.hellos_sent[id] = nonces.dialler;
  st.sessions.erase(id); // until the answer names the new one
  self->send(handle, make_hello(st, id, *use, nonces));
}

void adopt_configured_keys(gateway_state& st) {
  for (auto& [id, key] : st.options.keys) st.keys[id] = std::make_shared<const crypto::link_key>(std::move(key));
  st.options.keys.clear();
  if (!st.options.own_keys.empty())
    st.own_box.assign(st.options.own_keys.front().bytes().begin(), st.options.own_keys.front().bytes().end());
}

namespace {

// A member the view names and the gateway did not know: its key from the
// box key in the catalog (which only an admin's signed add put there).
void add_peer(gateway_actor* self, const member_link& m) {
  auto& st = self->state;
  const node_id id{m.id};
  auto address = deploy::parse_host_port(m.address);
  auto key = derive(st, st.own_box, m.box_key, id);
  if (!address.ok() || !key.ok()) {
    if (st.strangers_logged.size() < client_routes_max && st.strangers_logged.insert(id).second)
      log(self, peer_name(id) + " is in this node's view but cannot be linked: "
                  + (address.ok() ? key.err().message() : address.err().message()));
    return;
  }
  st.keys.insert_or_assign(id, std::make_shared<const crypto::link_key>(std::move(*key)));
  peer_route& r = st.peers[id];
  r.address = address->to_string();
  r.box_key = m.box_key;
  const bool dials = id > st.options.self;
  if (dials && st.start_dial) r.signal = st.start_dial(peer_address{id, address->host, address->port, m.box_key});
  log(self, peer_name(id) + " at " + r.address + " joined this node's view: linking ("
              + (dials ? "dialling it" : "it dials") + ")");
}

void drop_peer(gateway_actor* self, node_id id) {
  auto& st = self->state;
  auto it = st.peers.find(id);
  PSS_CHECK(it != st.peers.end());
  if (it->second.signal) it->second.signal->stop();
  if (it->second.handle) self->demonitor(it->second.handle);
  log(self, peer_name(id) + " at " + it->second.address + " left this node's view: unlinked");
  st.peers.erase(it);
  st.keys.erase(id);
  st.previous_keys.erase(id);
  st.sessions.erase(id);
  st.hellos_sent.erase(id);
}

// The peer's identity key, or this node's, is not the one its link key came
// from (a rotation applied): the link key is derived again, the old one kept
// for hellos during the grace, and open sessions keep theirs. A peer this
// node dials hears a hello under the new key at once.
// A view that is not caught up (a replay after a restart) shows an old
// rotation: the replaced key gets no grace then.
void rekey_peer(gateway_actor* self, node_id id, const std::vector<std::uint8_t>& box_key, bool grace) {
  auto& st = self->state;
  peer_route& r = st.peers.at(id);
  auto key = derive(st, st.own_box, box_key, id);
  if (!key.ok()) {
    log(self, "the link key of " + peer_name(id) + " cannot be derived again: " + key.err().message());
    return;
  }
  auto old = st.keys.find(id);
  if (grace && old != st.keys.end())
    st.previous_keys.insert_or_assign(id, retired_link{old->second, std::chrono::steady_clock::now()
                                                                      + st.options.rotation_grace});
  else
    st.previous_keys.erase(id);
  st.keys.insert_or_assign(id, std::make_shared<const crypto::link_key>(std::move(*key)));
  r.box_key = box_key;
  log(self, "the link key of " + peer_name(id) + " was derived again (a member's keys rotated"
              + (grace ? "; the replaced key takes hellos for the grace)" : "; the replaced one is not taken)"));
}

// This node's own identity key rotated (its view names one of the pairs it
// holds): the one it rotated away from is forgotten, here and in the
// shell's key derivation, so no hello verifies under it again.
bool follow_own_key(gateway_actor* self, const member_view& view) {
  auto& st = self->state;
  const auto own = std::find_if(view.members.begin(), view.members.end(), [&](const member_link& m) {
    return node_id{m.id} == st.options.self;
  });
  if (own == view.members.end() || own->box_key == st.own_box) return false;
  const auto same = [](const crypto::box_public_key& k, const std::vector<std::uint8_t>& b) {
    return std::equal(k.bytes().begin(), k.bytes().end(), b.begin(), b.end());
  };
  auto& keys = st.options.own_keys;
  // Only to a key this node holds (a replay may show one it rotated away from).
  if (std::none_of(keys.begin(), keys.end(), [&](const auto& k) { return same(k, own->box_key); })) return false;
  for (auto k = keys.begin(); k != keys.end();) {
    if (!same(*k, st.own_box)) {
      ++k;
      continue;
    }
    if (st.options.forget_own_key) st.options.forget_own_key(*k);
    k = keys.erase(k);
  }
  st.own_box = own->box_key;
  log(self, "this node's identity key rotated: every link key is derived again");
  return true;
}

// Whether a session's key is still one to take traffic under: the link's
// current key, the replaced one within its grace, or one this node's next
// identity key derives with the peer (a peer that applied this node's
// rotation before this node did).
bool session_key_valid(gateway_state& st, node_id id, const crypto::link_key& k,
                       std::chrono::steady_clock::time_point now) {
  if (auto current = st.keys.find(id); current != st.keys.end() && current->second->same_as(k)) return true;
  if (auto p = st.previous_keys.find(id); p != st.previous_keys.end() && now < p->second.until && p->second.key->same_as(k))
    return true;
  auto peer = st.peers.find(id);
  if (peer == st.peers.end() || peer->second.box_key.empty()) return false;
  for (const auto& own : st.options.own_keys) {
    const std::vector<std::uint8_t> mine(own.bytes().begin(), own.bytes().end());
    if (mine == st.own_box) continue;
    if (auto d = derive(st, mine, peer->second.box_key, id); d.ok() && d->same_as(k)) return true;
  }
  return false;
}

// A session opened under a key no longer valid ends: a peer this node
// dials hears a hello under the current key, one that dials it is asked to
// say hello again.
void end_stale_sessions(gateway_actor* self) {
  auto& st = self->state;
  const auto now = std::chrono::steady_clock::now();
  std::vector<node_id> stale;
  for (const auto& [id, s] : st.sessions)
    if (!session_key_valid(st, id, *s.key, now)) stale.push_back(id);
  for (node_id id : stale) {
    st.sessions.erase(id);
    log(self, "the link session with " + peer_name(id) + " was opened under a replaced key: ended");
    auto peer = st.peers.find(id);
    if (id > st.options.self && peer != st.peers.end() && peer->second.handle) say_hello(self, id, peer->second.handle);
    else ask_rehello(self, id);
  }
  std::erase_if(st.previous_keys, [&](const auto& p) { return now >= p.second.until; });
}

} // namespace

// The peers follow the applied view. A hello still unanswered since the
// last sync (the other end did not know this node yet) is said again.
void sync_members(gateway_actor* self, const member_view& view) {
  auto& st = self->state;
  const auto& members = view.members;
  if (members.empty()) return; // no view to follow (the node is stopping)
  const bool own_rotated = follow_own_key(self, view);
  std::set<node_id> listed;
  for (const auto& m : members) {
    if (node_id{m.id} == st.options.self) continue;
    listed.insert(node_id{m.id});
    auto peer = st.peers.find(node_id{m.id});
    if (peer == st.peers.end()) add_peer(self, m);
    else if (own_rotated || peer->second.box_key != m.box_key)
      rekey_peer(self, node_id{m.id}, m.box_key, view.caught_up);
  }
  std::vector<node_id> gone;
  for (const auto& [id, p] : st.peers)
    if (!listed.contains(id)) gone.push_back(id);
  for (auto id : gone) drop_peer(self, id);
  end_stale_sessions(self);
  st.rehello_asked.clear();
  const auto outstanding = st.hellos_sent;
  for (const auto& [id, nonce] : outstanding) {
    auto before = st.hellos_at_sync.find(id);
    auto peer = st.peers.find(id);
    if (before == st.hellos_at_sync.end() || before->second != nonce || peer == st.peers.end() || !peer->second.handle)
      continue;
    // Every other try under the key a rotation replaced, within its grace:
    // a peer that has not applied the rotation yet (it may learn it only
    // over this link) takes only that one.
    say_hello(self, id, peer->second.handle, ++peer->second.unanswered % 2 == 0);
  }
  st.hellos_at_sync = st.hellos_sent;
}

} // namespace pss::actors::gateway
