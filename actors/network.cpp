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
#include "actors/gateway.hpp"
#include "actors/messages.hpp"
#include "actors/sockets.hpp"
#include "crypto/random_source.hpp"
#include "deploy/config.hpp"

namespace pss::actors {

namespace gateway {

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

} // namespace gateway

namespace {

using namespace gateway;
using dial_signals = std::map<node_id, std::shared_ptr<dial_signal>>;

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
    const auto stamp = session->second.link.next(m.payload);
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
  auto own = crypto::box_public_key::from_bytes(st.own_box);
  auto key = own.ok() ? st.options.client_key(*own, *client_key, h.client)
                      : result<crypto::link_key>{error{errc::invalid_argument, "no identity key"}};
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

void on_link_message(gateway_actor* self, link_message& m) {
  auto& st = self->state;
  if (m.payload.size() > network_payload_bytes_max) {
    ++st.counters.oversize;
    return;
  }
  auto session = st.sessions.find(node_id{m.from});
  if (m.to != st.options.self.value() || session == st.sessions.end()) {
    ++st.counters.bad_tag;
    // A dialler still sending on a session this end dropped says hello again.
    if (m.to == st.options.self.value()) ask_rehello(self, node_id{m.from});
    return;
  }
  crypto::link_session& link = session->second.link;
  const std::uint64_t replays = link.replays_refused();
  if (!link.accept(m.counter, m.payload, m.tag)) {
    ++(link.replays_refused() > replays ? st.counters.replayed : st.counters.bad_tag);
    return;
  }
  self->send(st.node, wire_message::make(secrets::endpoint::of(node_id{m.from}),
                                         secrets::endpoint::of(st.options.self), std::move(m.payload)));
}

caf::behavior gateway_behavior(gateway_actor* self, caf::actor node, network_options options, dial_signals signals,
                               start_dial_fn start_dial) {
  self->state.node = std::move(node);
  self->state.start_dial = std::move(start_dial);
  for (const auto& p : options.peers) {
    peer_route& r = self->state.peers[p.id];
    r.address = p.host + ":" + std::to_string(p.port);
    r.box_key = p.box_key;
    if (auto s = signals.find(p.id); s != signals.end()) r.signal = s->second;
  }
  self->state.options = std::move(options);
  adopt_configured_keys(self->state);
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
      if (!local_sender(self) || !self->state.keys.contains(node_id{id})) return;
      say_hello(self, node_id{id}, handle);
      connect_route(self, node_id{id}, std::move(handle), "dialled");
    },
    [=](member_sync_atom) {
      if (!local_sender(self)) return;
      self->request(self->state.node, std::chrono::seconds(2), members_atom::value)
        .then([=](member_view& view) { sync_members(self, view); }, [](caf::error&) {});
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
