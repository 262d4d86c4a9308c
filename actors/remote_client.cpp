#include "actors/remote_client.hpp"
#include "actors/reply_sender.hpp"

#include <thread>

#include "caf/actor_system.hpp"
#include "caf/allowed_unsafe_message_type.hpp"
#include "caf/event_based_actor.hpp"
#include "caf/send.hpp"
#include "caf/stateful_actor.hpp"

#include "actors/messages.hpp"
#include "actors/network.hpp"
#include "crypto/link.hpp"
#include "crypto/random_source.hpp"

namespace pss::actors {

namespace detail {
// One operation handed to the actor: the request and where its result goes.
// A local-only message (never registered, so it cannot arrive from the
// network).
struct pending_operation {
  client_request request;
  std::promise<secrets::completion> done;
};
using pending_ptr = std::shared_ptr<pending_operation>;
} // namespace detail

} // namespace pss::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(pss::actors::detail::pending_ptr)

namespace pss::actors {

namespace {

using millis = secrets::millis;
using detail::pending_operation;
using detail::pending_ptr;

struct client_state {
  std::shared_ptr<secrets_client_host> engine;
  std::map<node_id, caf::actor> nodes;
  secrets::endpoint self;
  std::map<std::uint64_t, pending_ptr> pending;
  std::uint64_t next_operation = 1;
  std::uint64_t generation = 0;
  std::optional<millis> armed;
  std::shared_ptr<remote_client::dropped_replies> dropped; // not from the pinned member they name
  // Per member: the key of this client's connection to it, derived from the
  // box key its cluster file pins (crypto::link_key::derive_for_client). A
  // reply whose tag does not verify under it did not come from that member.
  std::map<node_id, crypto::link_key> pins;
  static inline const char* name = "pss_remote_client";
};

using client_actor = caf::stateful_actor<client_state>;

struct connection_pins {
  std::vector<std::uint8_t> hello_key; // the ephemeral public key
  std::map<node_id, crypto::link_key> keys;
};

// The member whose connection (the handle the client dialled) sent the
// current message, if any.
std::optional<node_id> sender_node(client_actor* self) {
  const auto& sender = self->current_sender();
  if (sender == nullptr) return std::nullopt;
  for (const auto& [id, handle] : self->state.nodes)
    if (caf::actor_cast<caf::strong_actor_ptr>(handle) == sender) return id;
  return std::nullopt;
}

millis now_of(client_actor* self) {
  return std::chrono::duration_cast<millis>(self->clock().now().time_since_epoch());
}

void flush(client_actor* self, millis now) {
  auto& st = self->state;
  auto out = st.engine->take_output();
  for (auto& m : out.messages) {
    if (!m.to.is_node()) continue;
    auto it = st.nodes.find(m.to.as_node());
    if (it != st.nodes.end()) self->send(it->second, wire_message::make(st.self, m.to, std::move(m.payload)));
  }
  for (auto& c : st.engine->take_engine_completions()) {
    auto it = st.pending.find(c.operation_id);
    if (it == st.pending.end()) continue;
    it->second->done.set_value(std::move(c));
    st.pending.erase(it);
  }
  if (out.next_wakeup && (!st.armed || *out.next_wakeup < *st.armed)) {
    const millis at = std::max(*out.next_wakeup, now + millis{1});
    st.armed = at;
    self->delayed_send(self, at - now, tick_atom::value, ++st.generation);
  }
}

void start_operation(client_actor* self, const pending_ptr& op) {
  auto& st = self->state;
  const millis now = now_of(self);
  const std::uint64_t id = st.next_operation++;
  st.pending.emplace(id, op);
  st.engine->start_request(now, id, std::move(op->request));
  flush(self, now);
}

caf::behavior client_behavior(client_actor* self, std::shared_ptr<secrets_client_host> engine,
                              std::map<node_id, caf::actor> nodes, secrets::endpoint me,
                              std::shared_ptr<connection_pins> pins,
                              std::shared_ptr<remote_client::dropped_replies> dropped) {
  self->state.dropped = std::move(dropped);
  self->state.engine = std::move(engine);
  self->state.nodes = std::move(nodes);
  self->state.self = me;
  // Say hello on every connection before any request: the gateway tags its
  // replies under the key this hello lets it derive.
  for (auto& [id, handle] : self->state.nodes) self->monitor(handle);
  self->set_down_handler([self](caf::down_msg& d) {
    auto& st = self->state;
    for (const auto& [id, handle] : st.nodes)
      if (handle.address() == d.source) {
        const std::lock_guard lock{st.dropped->mutex};
        st.dropped->lost.push_back(id);
      }
  });
  for (auto& [id, key] : pins->keys) {
    auto handle = self->state.nodes.find(id);
    if (handle == self->state.nodes.end()) continue;
    self->state.pins.emplace(id, std::move(key));
    self->send(handle->second, client_hello{me.id, pins->hello_key});
  }
  return {
    [=](pending_ptr& op) { start_operation(self, op); },
    [=](link_message& m) {
      // The sender is the connection the message came over, never the
      // message's own `from`: a node can speak only for itself; and the tag
      // must verify under the key of that member's pinned box key.
      auto& st = self->state;
      const auto link = sender_node(self);
      const auto sender = attributed_sender(secrets::endpoint::of(node_id{m.from}),
                                            link ? std::optional{secrets::endpoint::of(*link)} : std::nullopt);
      auto pin = sender ? st.pins.find(sender->as_node()) : st.pins.end();
      if (!sender || m.to != st.self.id || pin == st.pins.end()
          || !pin->second.verify(node_id{m.from}, node_id{m.to}, m.payload, m.tag)) {
        const std::lock_guard lock{st.dropped->mutex};
        ++st.dropped->by_member[link.value_or(node_id{})];
        return;
      }
      const millis now = now_of(self);
      st.engine->on_message(now, *sender, m.payload);
      flush(self, now);
    },
    [=](tick_atom, std::uint64_t generation) {
      if (generation != self->state.generation) return;
      self->state.armed.reset();
      const millis now = now_of(self);
      self->state.engine->on_tick(now);
      flush(self, now);
    },
  };
}

} // namespace

connected_cluster connect_all(caf::actor_system& sys, const std::vector<member_address>& members, bool tls,
                              std::chrono::milliseconds wait) {
  struct attempt {
    member_address member;
    std::future<result<caf::actor>> outcome;
  };
  std::vector<attempt> attempts;
  for (const auto& m : members) {
    auto task = std::make_shared<std::packaged_task<result<caf::actor>()>>(
      [&sys, tls, host = m.host, port = m.port] { return dial(sys, tls, host, port); });
    attempts.push_back({m, task->get_future()});
    std::thread([task] { (*task)(); }).detach();
  }
  connected_cluster out;
  const auto deadline = std::chrono::steady_clock::now() + wait;
  for (auto& a : attempts) {
    const std::string who = "node " + std::to_string(a.member.id.value()) + " at " + a.member.to_string();
    if (a.outcome.wait_until(deadline) != std::future_status::ready) {
      out.failures.push_back(who + ": no answer within " + std::to_string(wait.count()) + " ms");
      out.failed.push_back(a.member.id);
      continue;
    }
    auto r = a.outcome.get();
    if (r.ok()) {
      out.nodes.emplace(a.member.id, *r);
    } else {
      out.failures.push_back(who + ": " + r.err().message());
      out.failed.push_back(a.member.id);
    }
  }
  return out;
}

client_id random_client_id() {
  crypto::system_random random;
  std::uint64_t id = 0;
  while (id == 0) {
    std::array<std::uint8_t, 8> bytes{};
    random.fill(bytes);
    for (auto b : bytes) id = (id << 8) | b;
  }
  return client_id{id};
}

// An ephemeral X25519 key for this client's connections, and the key of
// each connection from the box key the cluster file pins for its member. A
// member whose key is unknown (no cluster file) gets no pin: its replies are
// refused.
std::shared_ptr<connection_pins> pin_connections(const secrets::client_options& options) {
  crypto::system_random random;
  const crypto::box_key_pair mine = crypto::box_key_pair::generate(random);
  auto out = std::make_shared<connection_pins>();
  out->hello_key.assign(mine.public_key.bytes().begin(), mine.public_key.bytes().end());
  if (!options.expected_members) return out;
  const secrets::cluster_view& members = *options.expected_members;
  const std::string& cluster = options.expected_cluster_id.empty() ? members.cluster_id : options.expected_cluster_id;
  for (const auto& m : members.members)
    if (auto key = crypto::link_key::derive_for_client(mine, m.box_key, false, m.id, options.id.value(), cluster); key.ok())
      out->keys.emplace(m.id, std::move(*key));
  return out;
}

remote_client::remote_client(caf::actor_system& sys, std::map<node_id, caf::actor> nodes,
                             secrets::client_options options) {
  options.nodes.clear();
  for (const auto& [id, handle] : nodes) options.nodes.push_back(id);
  const secrets::endpoint me = secrets::endpoint::of(options.id);
  auto pins = pin_connections(options);
  auto engine = std::make_shared<secrets_client_host>(std::move(options), std::make_unique<crypto::system_random>());
  actor_ = sys.spawn(client_behavior, std::move(engine), std::move(nodes), me, std::move(pins), dropped_);
}

std::map<node_id, std::uint64_t> remote_client::unpinned_replies() const {
  const std::lock_guard lock{dropped_->mutex};
  return dropped_->by_member;
}

std::vector<node_id> remote_client::lost_members() const {
  const std::lock_guard lock{dropped_->mutex};
  return dropped_->lost;
}

remote_client::~remote_client() { caf::anon_send_exit(actor_, caf::exit_reason::user_shutdown); }

std::future<secrets::completion> remote_client::start(client_request r) {
  auto op = std::make_shared<pending_operation>();
  op->request = std::move(r);
  auto future = op->done.get_future();
  caf::anon_send(actor_, std::move(op));
  return future;
}

} // namespace pss::actors
