#include "actors/network.hpp"

#include <algorithm>
#include <array>
#include <mutex>
#include <set>
#include <thread>

#include "caf/actor_system.hpp"
#include "caf/actor_system_config.hpp"
#include "caf/event_based_actor.hpp"
#include "caf/io/middleman.hpp"
#include "caf/openssl/manager.hpp"
#include "caf/openssl/publish.hpp"
#include "caf/openssl/remote_actor.hpp"
#include "caf/scoped_actor.hpp"
#include "caf/send.hpp"
#include "caf/stateful_actor.hpp"

#include "actors/dial_signal.hpp"
#include "actors/engine_actor.hpp"
#include "actors/messages.hpp"
#include "actors/sockets.hpp"
#include "crypto/random_source.hpp"
#include "deploy/config.hpp"

namespace pss::actors {

namespace {

using peer_up_atom = caf::atom_constant<caf::atom("peer_up")>;
using peer_fail_atom = caf::atom_constant<caf::atom("peer_fail")>;
using member_sync_atom = caf::atom_constant<caf::atom("msync")>;

constexpr std::string_view hello_marker = "pss link hello v1";

byte_view hello_bytes() {
  return {reinterpret_cast<const std::uint8_t*>(hello_marker.data()), hello_marker.size()};
}

struct peer_route {
  std::string address;
  caf::actor handle; // invalid while not connected
  std::uint32_t failed_attempts = 0;
  std::string last_error;
  std::shared_ptr<dial_signal> signal; // set for peers this node dials
};

struct client_route {
  caf::actor handle;
  std::optional<crypto::link_key> key; // from the client's hello on that connection
  std::uint64_t last_seen = 0; // a counter, for evicting the oldest
};

struct gateway_counters {
  std::uint64_t oversize = 0;
  std::uint64_t bad_tag = 0;
  std::uint64_t replayed = 0; // authentic member messages refused for their counter
  std::uint64_t unknown_sender = 0;
  std::uint64_t unroutable = 0;
  std::uint64_t bad_hello = 0;
};

// Starts dialling a peer the view added; null once the node stops.
using start_dial_fn = std::function<std::shared_ptr<dial_signal>(const peer_address&)>;

struct gateway_state {
  network_options options;
  start_dial_fn start_dial;
  caf::actor node;
  std::map<node_id, peer_route> peers;
  std::map<std::uint64_t, client_route> clients;
  std::uint64_t client_clock = 0;
  gateway_counters counters;
  // One link session per peer, from the hello exchange on its connection;
  // nothing is sent to a peer before it exists (Raft and rounds resend).
  std::map<node_id, crypto::link_session> sessions;
  std::map<node_id, std::uint64_t> hellos_sent; // the dialler's nonce, until answered
  std::map<node_id, std::uint64_t> hellos_at_sync; // hellos_sent at the last member sync
  std::set<node_id> strangers_logged; // ids whose hello came before this node knew them
  crypto::system_random random;
  static inline const char* name = "pss_gateway";
};

using gateway_actor = caf::stateful_actor<gateway_state>;

void log(gateway_actor* self, const std::string& text) {
  if (self->state.options.log) self->state.options.log(text);
}

bool local_sender(gateway_actor* self) {
  const auto& s = self->current_sender();
  return s != nullptr && s->node() == self->node();
}

std::string peer_name(node_id id) { return "node " + std::to_string(id.value()); }

void connect_route(gateway_actor* self, node_id id, caf::actor handle, const char* how) {
  auto it = self->state.peers.find(id);
  if (it == self->state.peers.end()) return;
  peer_route& p = it->second;
  if (p.handle == handle) return;
  p.handle = std::move(handle);
  p.failed_attempts = 0;
  p.last_error.clear();
  self->monitor(p.handle);
  log(self, "link to " + peer_name(id) + " at " + p.address + " is up (" + how + ")");
}

void send_outbound(gateway_actor* self, wire_message& m) {
  auto& st = self->state;
  if (m.payload.size() > network_payload_bytes_max) {
    ++st.counters.oversize;
    return;
  }
  const secrets::endpoint to = m.to();
  if (to.is_node()) {
    auto it = st.peers.find(to.as_node());
    auto session = st.sessions.find(to.as_node());
    if (it == st.peers.end() || session == st.sessions.end() || !it->second.handle) {
      ++st.counters.unroutable; // Raft and the rounds resend
      return;
    }
    const auto stamp = session->second.next(m.payload);
    self->send(it->second.handle, link_message{st.options.self.value(), to.id, std::move(m.payload),
                                               std::vector<std::uint8_t>(stamp.tag.begin(), stamp.tag.end()),
                                               stamp.counter});
    return;
  }
  auto c = st.clients.find(to.id);
  if (c == st.clients.end() || !c->second.key) {
    ++st.counters.unroutable;
    return;
  }
  // Tagged under the connection's key: the client accepts only what the
  // holder of this member's pinned box key sent.
  const crypto::link_tag tag = c->second.key->tag(st.options.self, node_id{to.id}, m.payload);
  self->send(c->second.handle, link_message{st.options.self.value(), to.id, std::move(m.payload),
                                            std::vector<std::uint8_t>(tag.begin(), tag.end())});
}

// A client's hello: the route for its id is this connection, and its replies
// are tagged under the key derived from the hello.
void remember_client(gateway_actor* self, const client_hello& h) {
  auto& st = self->state;
  auto handle = caf::actor_cast<caf::actor>(self->current_sender());
  auto client_key = crypto::box_public_key::from_bytes(h.key);
  if (!handle || h.client == 0 || !client_key.ok() || !st.options.client_key) {
    ++st.counters.bad_hello;
    return;
  }
  auto key = st.options.client_key(*client_key, h.client);
  if (!key.ok()) {
    ++st.counters.bad_hello;
    return;
  }
  client_route& r = st.clients[h.client];
  r.handle = std::move(handle);
  r.key = std::move(*key);
  r.last_seen = ++st.client_clock;
  if (st.clients.size() <= client_routes_max) return;
  auto oldest = std::min_element(st.clients.begin(), st.clients.end(), [](const auto& a, const auto& b) {
    return a.second.last_seen < b.second.last_seen;
  });
  st.clients.erase(oldest);
}

// What the gateway dropped, by reason, for `pss status` (zeros left out).
std::map<std::string, std::uint64_t> transport_refused(const gateway_counters& c) {
  std::map<std::string, std::uint64_t> out;
  for (const auto& [name, n] : {std::pair{"oversize", c.oversize}, std::pair{"bad_link_tag", c.bad_tag},
                                std::pair{"replayed_link_message", c.replayed},
                                std::pair{"unknown_sender", c.unknown_sender}, std::pair{"bad_client_hello", c.bad_hello}})
    if (n > 0) out[name] = n;
  return out;
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

// A dialler's hello opens a session with a fresh nonce of this end's, and is
// answered over the same connection; an answer to this end's own hello
// completes the session it asked for. Anything else is refused.
void on_link_hello(gateway_actor* self, const link_hello& h) {
  auto& st = self->state;
  const node_id from{h.from};
  auto key = st.options.keys.find(from);
  const crypto::link_nonces nonces{h.dialler_nonce, h.acceptor_nonce};
  const bool answer = h.acceptor_nonce != 0;
  const auto sent = st.hellos_sent.find(from);
  if (key == st.options.keys.end()) {
    // A member added since this node's view was last synced, or a stranger:
    // a real newcomer says hello again after the next sync.
    ++st.counters.unknown_sender;
    if (st.strangers_logged.size() < client_routes_max && st.strangers_logged.insert(from).second)
      log(self, "a link hello from " + peer_name(from) + ", which this node's view does not name (yet); refused");
    return;
  }
  if (h.to != st.options.self.value() || h.dialler_nonce == 0
      || (answer && (sent == st.hellos_sent.end() || sent->second != h.dialler_nonce))
      || !key->second.verify_tag(key->second.tag(from, st.options.self, nonces, 0, hello_bytes()), h.tag)) {
    ++st.counters.bad_tag;
    log(self, "refused a link hello that does not authenticate as node " + std::to_string(h.from));
    return;
  }
  if (answer) {
    st.hellos_sent.erase(sent);
    st.sessions.insert_or_assign(from, crypto::link_session{key->second, st.options.self, from, nonces});
    return;
  }
  const crypto::link_nonces opened{h.dialler_nonce, draw_nonce(st.random)};
  st.sessions.insert_or_assign(from, crypto::link_session{key->second, st.options.self, from, opened});
  auto handle = caf::actor_cast<caf::actor>(self->current_sender());
  self->send(handle, make_hello(st, from, key->second, opened));
  connect_route(self, from, std::move(handle), "it dialled");
}

void on_link_message(gateway_actor* self, link_message& m) {
  auto& st = self->state;
  if (m.payload.size() > network_payload_bytes_max) {
    ++st.counters.oversize;
    return;
  }
  auto session = st.sessions.find(node_id{m.from});
  if (m.to != st.options.self.value() || session == st.sessions.end()) {
    ++st.counters.bad_tag;
    return;
  }
  const std::uint64_t replays = session->second.replays_refused();
  if (!session->second.accept(m.counter, m.payload, m.tag)) {
    ++(session->second.replays_refused() > replays ? st.counters.replayed : st.counters.bad_tag);
    return;
  }
  self->send(st.node, wire_message::make(secrets::endpoint::of(node_id{m.from}),
                                         secrets::endpoint::of(st.options.self), std::move(m.payload)));
}

using dial_signals = std::map<node_id, std::shared_ptr<dial_signal>>;

void say_hello(gateway_actor* self, node_id id, const caf::actor& handle) {
  auto& st = self->state;
  auto key = st.options.keys.find(id);
  if (key == st.options.keys.end()) return;
  const crypto::link_nonces nonces{draw_nonce(st.random), 0};
  st.hellos_sent[id] = nonces.dialler;
  st.sessions.erase(id); // until the answer names the new one
  self->send(handle, make_hello(st, id, key->second, nonces));
}

// A member the view names and the gateway did not know: its key from the
// box key in the catalog (which only an admin's signed add put there).
void add_peer(gateway_actor* self, const member_link& m) {
  auto& st = self->state;
  const node_id id{m.id};
  auto address = deploy::parse_host_port(m.address);
  auto box = crypto::box_public_key::from_bytes(m.box_key);
  auto key = box.ok() && st.options.member_key ? st.options.member_key(*box, id)
                                               : result<crypto::link_key>{error{errc::invalid_argument, "no box key"}};
  if (!address.ok() || !key.ok()) {
    if (st.strangers_logged.size() < client_routes_max && st.strangers_logged.insert(id).second)
      log(self, peer_name(id) + " is in this node's view but cannot be linked: "
                  + (address.ok() ? key.err().message() : address.err().message()));
    return;
  }
  st.options.keys.insert_or_assign(id, std::move(*key));
  peer_route& r = st.peers[id];
  r.address = address->to_string();
  const bool dials = id > st.options.self;
  if (dials && st.start_dial) r.signal = st.start_dial(peer_address{id, address->host, address->port});
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
  st.options.keys.erase(id);
  st.sessions.erase(id);
  st.hellos_sent.erase(id);
}

// The peers follow the applied view. A hello still unanswered since the
// last sync (the other end did not know this node yet) is said again.
void sync_members(gateway_actor* self, const std::vector<member_link>& members) {
  auto& st = self->state;
  if (members.empty()) return; // no view to follow (the node is stopping)
  std::set<node_id> listed;
  for (const auto& m : members) {
    if (node_id{m.id} == st.options.self) continue;
    listed.insert(node_id{m.id});
    if (!st.peers.contains(node_id{m.id})) add_peer(self, m);
  }
  std::vector<node_id> gone;
  for (const auto& [id, p] : st.peers)
    if (!listed.contains(id)) gone.push_back(id);
  for (auto id : gone) drop_peer(self, id);
  const auto outstanding = st.hellos_sent;
  for (const auto& [id, nonce] : outstanding) {
    auto before = st.hellos_at_sync.find(id);
    auto peer = st.peers.find(id);
    if (before != st.hellos_at_sync.end() && before->second == nonce && peer != st.peers.end() && peer->second.handle)
      say_hello(self, id, peer->second.handle);
  }
  st.hellos_at_sync = st.hellos_sent;
}

caf::behavior gateway_behavior(gateway_actor* self, caf::actor node, network_options options, dial_signals signals,
                               start_dial_fn start_dial) {
  self->state.node = std::move(node);
  self->state.start_dial = std::move(start_dial);
  for (const auto& p : options.peers) {
    peer_route& r = self->state.peers[p.id];
    r.address = p.host + ":" + std::to_string(p.port);
    if (auto s = signals.find(p.id); s != signals.end()) r.signal = s->second;
  }
  self->state.options = std::move(options);
  self->set_down_handler([=](caf::down_msg& d) {
    for (auto& [id, p] : self->state.peers) {
      if (!p.handle || p.handle.address() != d.source) continue;
      p.handle = caf::actor{};
      self->state.sessions.erase(id);
      self->state.hellos_sent.erase(id);
      p.last_error = "connection lost: " + self->system().render(d.reason);
      log(self, "link to " + peer_name(id) + " at " + p.address + " is down (" + p.last_error + ")");
      if (p.signal) p.signal->mark_down();
    }
  });
  return {
    [=](wire_message& m) {
      auto& st = self->state;
      if (self->current_sender() == caf::actor_cast<caf::strong_actor_ptr>(st.node)) {
        send_outbound(self, m);
        return;
      }
      // From a client connection: only client traffic addressed to this node.
      if (m.from().is_node() || m.to() != secrets::endpoint::of(st.options.self)) {
        ++st.counters.unknown_sender;
        return;
      }
      if (m.payload.size() > network_payload_bytes_max) {
        ++st.counters.oversize;
        return;
      }
      // Only over the connection that said hello for this client id.
      auto route = st.clients.find(m.from_id);
      if (route == st.clients.end()
          || caf::actor_cast<caf::strong_actor_ptr>(route->second.handle) != self->current_sender()) {
        ++st.counters.unknown_sender;
        return;
      }
      route->second.last_seen = ++st.client_clock;
      self->send(st.node, std::move(m));
    },
    [=](client_hello& h) {
      if (local_sender(self)) return;
      remember_client(self, h);
    },
    [=](link_message& m) { on_link_message(self, m); },
    [=](link_hello& h) { on_link_hello(self, h); },
    [=](peer_up_atom, std::uint64_t id, caf::actor handle) {
      if (!local_sender(self) || !self->state.options.keys.contains(node_id{id})) return;
      say_hello(self, node_id{id}, handle);
      connect_route(self, node_id{id}, std::move(handle), "dialled");
    },
    [=](member_sync_atom) {
      if (!local_sender(self)) return;
      self->request(self->state.node, std::chrono::seconds(2), members_atom::value)
        .then([=](std::vector<member_link>& members) { sync_members(self, members); }, [](caf::error&) {});
      self->delayed_send(self, self->state.options.member_sync, member_sync_atom::value);
    },
    [=](peer_fail_atom, std::uint64_t id, std::string error, std::uint32_t attempts) {
      if (!local_sender(self)) return;
      auto it = self->state.peers.find(node_id{id});
      if (it == self->state.peers.end()) return;
      const bool first = it->second.failed_attempts == 0;
      it->second.failed_attempts = attempts;
      it->second.last_error = error;
      if (first) log(self, "cannot reach " + peer_name(node_id{id}) + " at " + it->second.address + " (" + error
                           + "); retrying with backoff");
    },
    [=](health_atom) -> caf::result<node_health> {
      auto rp = self->make_response_promise<node_health>();
      auto peers_now = [self] {
        std::vector<peer_health> out;
        for (const auto& [id, p] : self->state.peers)
          out.push_back(peer_health{id.value(), p.address, static_cast<bool>(p.handle), p.failed_attempts,
                                    p.last_error});
        return out;
      };
      self->request(self->state.node, std::chrono::seconds(2), health_atom::value)
        .then(
          [=](node_health& h) mutable {
            h.peers = peers_now();
            h.transport_refused = transport_refused(self->state.counters);
            rp.deliver(std::move(h));
          },
          [=](caf::error&) mutable {
            node_health h;
            h.id = self->state.options.self.value();
            h.failure = "the node actor did not answer";
            h.peers = peers_now();
            rp.deliver(std::move(h));
          });
      return rp;
    },
  };
}

// Dials one peer until the node stops; reconnects after every loss.
void dial_loop(caf::actor_system& sys, caf::actor gateway_handle, peer_address peer, bool tls,
               std::chrono::milliseconds backoff_max, std::shared_ptr<dial_signal> signal) {
  caf::scoped_actor self{sys};
  std::chrono::milliseconds backoff = reconnect_backoff_min;
  std::uint32_t attempts = 0;
  while (!signal->is_stopping()) {
    auto handle = dial(sys, tls, peer.host, peer.port);
    if (handle.ok()) {
      attempts = 0;
      backoff = reconnect_backoff_min;
      self->send(gateway_handle, peer_up_atom::value, peer.id.value(), *handle);
      if (!signal->wait_down()) return;
    } else {
      ++attempts;
      self->send(gateway_handle, peer_fail_atom::value, peer.id.value(), handle.err().message(), attempts);
    }
    if (!signal->sleep_for(backoff)) return;
    backoff = std::min(backoff * 2, backoff_max);
  }
}

} // namespace

void configure_transport(caf::actor_system_config& cfg, const transport_options& o) {
  register_message_types(cfg);
  cfg.load<caf::io::middleman>();
  if (o.tls) {
    cfg.load<caf::openssl::manager>();
    cfg.set("openssl.certificate", o.certificate_file);
    cfg.set("openssl.key", o.key_file);
    cfg.set("openssl.cafile", o.ca_file);
  }
  cfg.set("middleman.heartbeat-interval", caf::timespan{o.heartbeat});
  cfg.set("middleman.connection-timeout", caf::timespan{o.connection_timeout});
  cfg.set("logger.verbosity", caf::atom("quiet"));
  cfg.set("logger.console", caf::atom("none"));
  // Idle workers otherwise sleep between steal attempts, which dominates
  // the latency of request/response chains (caf-0.17 notes).
  cfg.set("work-stealing.moderate-sleep-duration", caf::timespan{0});
  cfg.set("scheduler.max-threads", o.worker_threads);
}


result<caf::actor> dial(caf::actor_system& sys, bool tls, const std::string& host, std::uint16_t port) {
  if (auto reachable = tcp_probe(host, port, dial_probe_timeout); !reachable.ok()) return reachable.err();
  auto handle = tls ? caf::openssl::remote_actor(sys, host, port) : sys.middleman().remote_actor(host, port);
  if (!handle) return error{errc::unavailable, sys.render(handle.error())};
  return *handle;
}

// The dialling threads of one node: those of its config's peers, and those
// the gateway starts for members its view adds. Shared with the gateway's
// start_dial, which may run after the node stopped (then it starts none).
struct dialler {
  caf::actor_system* sys = nullptr;
  bool tls = true;
  std::chrono::milliseconds backoff_max{};
  std::mutex mutex;
  caf::actor gateway;
  bool stopped = false;
  std::vector<std::shared_ptr<dial_signal>> signals;
  std::vector<std::thread> threads;

  // Starts dialling `p` with `signal`; false once stopped.
  bool run(const peer_address& p, std::shared_ptr<dial_signal> signal) {
    std::lock_guard lock{mutex};
    if (stopped || !gateway) return false;
    signals.push_back(signal);
    threads.emplace_back(dial_loop, std::ref(*sys), gateway, p, tls, backoff_max, std::move(signal));
    return true;
  }
  void stop() {
    std::vector<std::thread> joining;
    {
      std::lock_guard lock{mutex};
      stopped = true;
      for (auto& s : signals) s->stop();
      signals.clear();
      joining = std::move(threads);
      threads.clear();
    }
    for (auto& t : joining)
      if (t.joinable()) t.join();
  }
};

struct node_network::impl {
  caf::actor gateway;
  std::shared_ptr<dialler> dials = std::make_shared<dialler>();
};

node_network::node_network() : impl_(std::make_unique<impl>()) {}

node_network::~node_network() { stop(); }

status node_network::start(caf::actor_system& sys, caf::actor node, network_options o) {
  const std::string host = o.listen_host;
  const std::uint16_t port = o.listen_port;
  const bool tls = o.tls;
  const node_id self_id = o.self;
  if (auto free = check_port_free(host, port); !free.ok()) return free.err();
  auto dials = impl_->dials;
  dials->sys = &sys;
  dials->tls = tls;
  dials->backoff_max = o.reconnect_max;
  std::vector<peer_address> to_dial;
  for (const auto& p : o.peers)
    if (p.id > self_id) to_dial.push_back(p);
  // The gateway holds each dialled peer's signal, so a down_msg wakes the
  // thread that redials it.
  dial_signals signals;
  for (const auto& p : to_dial) signals[p.id] = std::make_shared<dial_signal>();
  start_dial_fn start_dial = [dials](const peer_address& p) -> std::shared_ptr<dial_signal> {
    auto signal = std::make_shared<dial_signal>();
    return dials->run(p, signal) ? signal : nullptr;
  };
  impl_->gateway = sys.spawn(gateway_behavior, std::move(node), std::move(o), signals, std::move(start_dial));
  {
    std::lock_guard lock{dials->mutex};
    dials->gateway = impl_->gateway;
  }
  auto published = tls ? caf::openssl::publish(impl_->gateway, port, host.c_str(), true)
                       : sys.middleman().publish(impl_->gateway, port, host.c_str(), true);
  if (!published)
    return error{errc::unavailable, "cannot listen on " + host + ":" + std::to_string(port) + ": "
                                      + sys.render(published.error())};
  for (const auto& p : to_dial) (void)dials->run(p, signals.at(p.id));
  // The first member sync; the gateway re-arms it.
  caf::send_as(impl_->gateway, impl_->gateway, member_sync_atom::value);
  return {};
}

caf::actor node_network::gateway() const { return impl_->gateway; }

void node_network::stop() { impl_->dials->stop(); }

} // namespace pss::actors
