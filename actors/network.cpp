#include "actors/network.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <mutex>
#include <thread>

#include "caf/actor_system.hpp"
#include "caf/actor_system_config.hpp"
#include "caf/event_based_actor.hpp"
#include "caf/io/middleman.hpp"
#include "caf/openssl/manager.hpp"
#include "caf/openssl/publish.hpp"
#include "caf/openssl/remote_actor.hpp"
#include "caf/scoped_actor.hpp"
#include "caf/stateful_actor.hpp"

#include "actors/engine_actor.hpp"
#include "actors/messages.hpp"
#include "crypto/random_source.hpp"

namespace pss::actors {

namespace {

using peer_up_atom = caf::atom_constant<caf::atom("peer_up")>;
using peer_fail_atom = caf::atom_constant<caf::atom("peer_fail")>;

constexpr std::string_view hello_marker = "pss link hello v1";

byte_view hello_bytes() {
  return {reinterpret_cast<const std::uint8_t*>(hello_marker.data()), hello_marker.size()};
}

// Wakes a dialling thread when its link went down or the node stops.
struct dial_signal {
  std::mutex mutex;
  std::condition_variable changed;
  bool down = false;
  bool stopping = false;

  void mark_down() {
    std::lock_guard lock{mutex};
    down = true;
    changed.notify_all();
  }
  void stop() {
    std::lock_guard lock{mutex};
    stopping = true;
    changed.notify_all();
  }
  // Waits until the link is down (returns true) or the node stops.
  bool wait_down() {
    std::unique_lock lock{mutex};
    changed.wait(lock, [&] { return down || stopping; });
    const bool was_down = down && !stopping;
    down = false;
    return was_down;
  }
  // Sleeps for `d` unless the node stops; returns false when stopping.
  bool sleep_for(std::chrono::milliseconds d) {
    std::unique_lock lock{mutex};
    changed.wait_for(lock, d, [&] { return stopping; });
    return !stopping;
  }
  bool is_stopping() {
    std::lock_guard lock{mutex};
    return stopping;
  }
};

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

struct gateway_state {
  network_options options;
  caf::actor node;
  std::map<node_id, peer_route> peers;
  std::map<std::uint64_t, client_route> clients;
  std::uint64_t client_clock = 0;
  gateway_counters counters;
  // One link session per peer, from the hello exchange on its connection;
  // nothing is sent to a peer before it exists (Raft and rounds resend).
  std::map<node_id, crypto::link_session> sessions;
  std::map<node_id, std::uint64_t> hellos_sent; // the dialler's nonce, until answered
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
  if (h.to != st.options.self.value() || key == st.options.keys.end() || h.dialler_nonce == 0
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

caf::behavior gateway_behavior(gateway_actor* self, caf::actor node, network_options options, dial_signals signals) {
  self->state.node = std::move(node);
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
      if (!local_sender(self)) return;
      auto& st = self->state;
      auto key = st.options.keys.find(node_id{id});
      if (key == st.options.keys.end()) return;
      const crypto::link_nonces nonces{draw_nonce(st.random), 0};
      st.hellos_sent[node_id{id}] = nonces.dialler;
      st.sessions.erase(node_id{id}); // until the answer names the new one
      self->send(handle, make_hello(st, node_id{id}, key->second, nonces));
      connect_route(self, node_id{id}, std::move(handle), "dialled");
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

namespace {

using addresses = std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)>;

// The TCP addresses of host:port; `passive` for binding.
result<addresses> resolve(const std::string& host, std::uint16_t port, bool passive) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = passive ? AI_PASSIVE : 0;
  addrinfo* found = nullptr;
  if (int rc = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found); rc != 0)
    return error{errc::unavailable, "cannot resolve " + host + ": " + ::gai_strerror(rc)};
  return addresses{found, &::freeaddrinfo};
}

// Whether a TCP connection to host:port opens within `timeout`. CAF's dial
// connects in the middleman's one connecting actor with a blocking
// connect(), so a single peer that drops packets (a partition) would stall
// every other dial of the process for the kernel's SYN timeout; probing
// first keeps a dead peer from blocking the live ones.
status tcp_probe(const std::string& host, std::uint16_t port, std::chrono::milliseconds timeout) {
  auto found = resolve(host, port, false);
  if (!found.ok()) return found.err();
  const std::string service = std::to_string(port);
  std::string last = "no address";
  for (const addrinfo* a = found->get(); a != nullptr; a = a->ai_next) {
    const int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    int rc = ::connect(fd, a->ai_addr, a->ai_addrlen);
    if (rc != 0 && errno == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      rc = ::poll(&p, 1, static_cast<int>(timeout.count()));
      if (rc == 1) {
        int so_error = 0;
        socklen_t len = sizeof so_error;
        ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &len);
        rc = so_error == 0 ? 0 : -1;
        if (so_error != 0) last = std::strerror(so_error);
      } else {
        rc = -1;
        last = "no answer within " + std::to_string(timeout.count()) + " ms";
      }
    } else if (rc != 0) {
      last = std::strerror(errno);
    }
    ::close(fd);
    if (rc == 0) return {};
  }
  return error{errc::unavailable, "cannot connect to " + host + ":" + service + ": " + last};
}

// CAF publishes with SO_REUSEPORT (its `reuse` flag), which would let a
// second process listen on the same port and take half the connections.
// A bind with SO_REUSEADDR alone still succeeds over TIME_WAIT leftovers of
// a restarted node but fails while anyone listens there.
status check_port_free(const std::string& host, std::uint16_t port) {
  auto found = resolve(host, port, true);
  if (!found.ok()) return error{errc::invalid_argument, "the listen address: " + found.err().message()};
  const std::string service = std::to_string(port);
  status out;
  for (const addrinfo* a = found->get(); a != nullptr; a = a->ai_next) {
    const int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(fd, a->ai_addr, a->ai_addrlen) != 0)
      out = error{errc::unavailable, host + ":" + service + " is not free (" + std::strerror(errno)
                                       + "); is another node or program listening there?"};
    ::close(fd);
    break;
  }
  return out;
}

} // namespace

result<caf::actor> dial(caf::actor_system& sys, bool tls, const std::string& host, std::uint16_t port) {
  if (auto reachable = tcp_probe(host, port, dial_probe_timeout); !reachable.ok()) return reachable.err();
  auto handle = tls ? caf::openssl::remote_actor(sys, host, port) : sys.middleman().remote_actor(host, port);
  if (!handle) return error{errc::unavailable, sys.render(handle.error())};
  return *handle;
}

struct node_network::impl {
  caf::actor gateway;
  std::vector<std::shared_ptr<dial_signal>> signals;
  std::vector<std::thread> threads;
};

node_network::node_network() : impl_(std::make_unique<impl>()) {}

node_network::~node_network() { stop(); }

status node_network::start(caf::actor_system& sys, caf::actor node, network_options o) {
  const std::string host = o.listen_host;
  const std::uint16_t port = o.listen_port;
  const bool tls = o.tls;
  const auto backoff_max = o.reconnect_max;
  const node_id self_id = o.self;
  if (auto free = check_port_free(host, port); !free.ok()) return free.err();
  std::vector<peer_address> to_dial;
  for (const auto& p : o.peers)
    if (p.id > self_id) to_dial.push_back(p);
  // The gateway holds each dialled peer's signal, so a down_msg wakes the
  // thread that redials it.
  dial_signals signals;
  for (const auto& p : to_dial) signals[p.id] = std::make_shared<dial_signal>();
  impl_->gateway = sys.spawn(gateway_behavior, std::move(node), std::move(o), signals);
  auto published = tls ? caf::openssl::publish(impl_->gateway, port, host.c_str(), true)
                       : sys.middleman().publish(impl_->gateway, port, host.c_str(), true);
  if (!published)
    return error{errc::unavailable, "cannot listen on " + host + ":" + std::to_string(port) + ": "
                                      + sys.render(published.error())};
  for (const auto& p : to_dial) {
    auto signal = signals.at(p.id);
    impl_->signals.push_back(signal);
    impl_->threads.emplace_back(dial_loop, std::ref(sys), impl_->gateway, p, tls, backoff_max, signal);
  }
  return {};
}

caf::actor node_network::gateway() const { return impl_->gateway; }

void node_network::stop() {
  for (auto& s : impl_->signals) s->stop();
  for (auto& t : impl_->threads)
    if (t.joinable()) t.join();
  impl_->threads.clear();
  impl_->signals.clear();
}

} // namespace pss::actors
