#include "sim/byzantine.hpp"

#include <array>
#include <utility>

#include "access/signed_request.hpp"
#include "core/check.hpp"
#include "crypto/envelope.hpp"
#include "crypto/feldman.hpp"
#include "crypto/scalar.hpp"
#include "crypto/shamir.hpp"
#include "secrets/messages.hpp"

namespace pss::sim {
namespace {

// What it remembers is bounded: the most recent requests only.
constexpr std::size_t captured_max = 256;
constexpr std::size_t remembered_max = 1 << 12;
// How many request ids past the last one seen it answers in advance.
constexpr std::uint64_t predicted_ids = 4;

template <class Map>
void cap(Map& m) {
  while (m.size() > remembered_max) m.erase(m.begin());
}

// The body of a signed envelope, if it is one.
std::optional<secrets::wire_message> request_in(byte_view payload) {
  auto q = access::decode_signed_request_wire(payload);
  if (!q.ok()) return std::nullopt;
  auto m = secrets::decode_wire_message(q->body);
  if (!m.ok()) return std::nullopt;
  return std::move(*m);
}

} // namespace

adversary::adversary(setup s)
  : setup_(std::move(s)), random_(setup_.seed), reader_(crypto::box_key_pair::generate(random_)) {
  PSS_CHECK(!setup_.corrupted.empty() && setup_.corrupted.size() < setup_.view.threshold);
  PSS_CHECK(!setup_.self.is_node() && setup_.own_key && setup_.box_key && setup_.engine);
}

void adversary::learn(const dealing_key& key, std::uint64_t index) {
  auto& held = known_[key];
  held.insert(index);
  if (held.size() > shares_max_) {
    shares_max_ = held.size();
    shares_max_of_ = std::get<0>(key) + " version " + std::to_string(std::get<1>(key).value()) + " epoch "
                     + std::to_string(std::get<2>(key).value());
  }
}

void adversary::observe_link(node_id from, node_id to, byte_view payload) {
  sent_.push_back(sent_link{from, to, bytes(payload.begin(), payload.end())});
  while (sent_.size() > captured_max) sent_.pop_front();
}

// One of its nodes' earlier messages to a member, sent again over that
// node's own link, after the protocol has moved on.
std::optional<adversary_message> adversary::replay_link(prng& rng) {
  if (sent_.empty()) return std::nullopt;
  const sent_link& l = sent_[rng.below(sent_.size())];
  ++counters_.link_replays;
  const auto from = secrets::endpoint::of(l.from);
  return adversary_message{from, from, secrets::endpoint::of(l.to), l.payload, millis{0}};
}

void adversary::observe_request(secrets::endpoint client, node_id to, byte_view payload) {
  ++counters_.requests_seen;
  captured_.push_back(captured{to, bytes(payload.begin(), payload.end())});
  while (captured_.size() > captured_max) captured_.pop_front();
  auto m = request_in(payload);
  if (!m) return;
  std::uint64_t id = 0;
  if (auto* g = std::get_if<secrets::get_share_request>(&*m)) {
    id = g->request_id;
    client_asks_[{client.id, to, id}] = asked{g->name, g->version, g->reader_key, {}};
    last_name_[client.id] = g->name;
  } else if (auto* r = std::get_if<secrets::read_request>(&*m)) {
    id = r->request_id;
    client_reads_[{client.id, to, id}] = r->name;
    last_name_[client.id] = r->name;
  } else if (auto* s = std::get_if<secrets::store_share_request>(&*m)) {
    id = s->request_id;
    last_name_[client.id] = s->name;
  } else if (auto* p = std::get_if<secrets::propose_request>(&*m)) {
    id = p->request_id;
    if (std::holds_alternative<secrets::register_secret>(p->body)) client_puts_.insert({client.id, to, id});
  }
  cap(client_asks_);
  cap(client_reads_);
  cap(client_puts_);
  auto& last = last_request_id_[client.id];
  last = std::max(last, id);
}

void adversary::observe_node(node_id n) {
  const secrets::node_engine* e = setup_.engine(n);
  const secrets::member* me = setup_.view.find(n);
  if (e == nullptr || me == nullptr) return;
  if (!credential_ && e->requests().held_credential()) credential_ = e->requests().held_credential();
  for (const auto& info : e->shares().inventory())
    learn({info.key.name, info.key.version, info.key.epoch, info.key.commitments_digest}, me->index.value());
}

// ---- answers to clients ---------------------------------------------------------

std::optional<secrets::version_record> adversary::older_record(const std::string& name, node_id at) const {
  const secrets::node_engine* e = setup_.engine(at);
  if (e == nullptr) return std::nullopt;
  const secrets::secret_record* s = e->state().find(name);
  if (s == nullptr || s->versions.size() < 2) return std::nullopt;
  return std::prev(s->versions.end(), 2)->second; // the newest but one: the likeliest to pass as current
}

// A record of its own for one client's read of `name`: its key, its
// ciphertext, its polynomial, and half the time a threshold its own nodes
// can meet; its nodes then serve shares consistent with it.
const adversary::fake_record* adversary::fabricate(secrets::endpoint client, const std::string& name,
                                                   secret_version version, epoch_id epoch, prng& rng) {
  const std::size_t own = std::max<std::size_t>(2, setup_.corrupted.size());
  const std::size_t t = rng.chance(0.5) && own < setup_.view.threshold ? own : setup_.view.threshold;
  const crypto::scalar k = crypto::scalar::random_nonzero(random_);
  auto dealt = crypto::deal(k, t, setup_.view.members.size(), random_);
  if (!dealt.ok()) return nullptr;
  static constexpr std::string_view forged_value = "forged by the adversary";
  const crypto::digest256 dealing = dealt->commitments.digest();
  auto sealed = crypto::envelope_seal(
    k, byte_view{reinterpret_cast<const std::uint8_t*>(forged_value.data()), forged_value.size()},
    crypto::envelope_context{setup_.view.cluster_id, name, secret_version{}, &dealing}, random_);
  if (!sealed.ok()) return nullptr;
  fake_record fake{version, epoch, t, dealt->commitments.encode(), dealt->commitments.digest(), sealed->encode(), {}};
  for (const auto& sh : dealt->shares) fake.shares.emplace(sh.index.value(), sh);
  ++counters_.fabricated;
  auto& slot = fakes_[{client.id, name}];
  slot = std::move(fake);
  cap(fakes_);
  auto it = fakes_.find({client.id, name});
  return it == fakes_.end() ? nullptr : &it->second;
}

std::optional<bytes> adversary::forge_read(node_id from, secrets::endpoint client, secrets::read_response m,
                                           prng& rng) {
  auto asked_name = client_reads_.find({client.id, from, m.request_id});
  if (asked_name == client_reads_.end()) return std::nullopt;
  const std::string& name = asked_name->second;
  if (m.code == secrets::reply_code::not_leader) { // it answers as if it led, from its own catalog
    const secrets::node_engine* e = setup_.engine(from);
    const secrets::secret_record* s = e == nullptr ? nullptr : e->state().find(name);
    if (s == nullptr || s->versions.empty()) return std::nullopt;
    m.code = secrets::reply_code::ok;
    m.latest = s->latest;
    m.threshold = static_cast<std::uint32_t>(setup_.view.threshold);
    m.record = s->versions.rbegin()->second;
  }
  if (m.code != secrets::reply_code::ok || !m.record) return std::nullopt;
  auto fake = fakes_.find({client.id, name});
  const fake_record* made = fake != fakes_.end() && fake->second.version == m.record->version ? &fake->second : nullptr;
  const auto choice = made ? 1 : rng.below(3);
  if (choice == 0) { // an older version served as the latest
    auto old = older_record(name, from);
    if (!old || old->version >= m.record->version) return std::nullopt;
    m.latest = old->version;
    m.record = std::move(*old);
    ++counters_.rollbacks;
  } else if (choice == 1) { // a record of its own making
    if (!made) made = fabricate(client, name, m.record->version, m.record->epoch, rng);
    if (made == nullptr) return std::nullopt;
    m.threshold = static_cast<std::uint32_t>(made->threshold);
    m.record->commitments = made->commitments;
    m.record->commitments_digest = made->digest;
    m.record->ciphertext = made->ciphertext;
    m.record->epoch = made->epoch;
    m.record->dealt_epoch = made->epoch;
  } else { // another version than the one it asked for, or the latest
    m.record->version = m.record->version.next();
    ++counters_.forged_versions;
  }
  return secrets::encode(secrets::wire_message{std::move(m)});
}

std::optional<bytes> adversary::forge_share(node_id from, secrets::endpoint client, secrets::get_share_response m,
                                            prng& rng) {
  auto it = client_asks_.find({client.id, from, m.request_id});
  const secrets::member* me = setup_.view.find(from);
  if (m.code != secrets::reply_code::ok || it == client_asks_.end() || me == nullptr) return std::nullopt;
  const asked& q = it->second;
  // A request for the latest names no version; the reply says which.
  const secret_version version = q.version == secret_version{} ? m.version : q.version;
  auto reader = crypto::box_public_key::from_bytes(q.reader_key);
  auto fake = fakes_.find({client.id, q.name});
  // The client read the record from this node just before asking for shares
  // (a get sends both at once): fabricate the record now, so that the
  // shares its node serves fit it.
  if (fake == fakes_.end() && read_pending(client, from, q.name, m.request_id) && rng.chance(0.5)) {
    fabricate(client, q.name, version, m.epoch, rng);
    fake = fakes_.find({client.id, q.name});
  }
  const bool consistent = fake != fakes_.end() && fake->second.version == version;
  if (!reader.ok() || (!consistent && !rng.chance(0.3))) return std::nullopt;
  // The share of its own polynomial for a record it fabricated, or a wrong
  // value; both sealed by the node itself, as the client requires.
  const crypto::share forged = consistent && fake->second.shares.contains(me->index.value())
                                 ? fake->second.shares.at(me->index.value())
                                 : crypto::share{me->index, crypto::scalar::random_nonzero(random_)};
  if (consistent) {
    m.epoch = fake->second.epoch;
    m.version = fake->second.version;
  }
  auto context = secrets::share_context_for_read(setup_.view.cluster_id, m.epoch, q.name,
                                                 consistent ? fake->second.version : version, from);
  if (!context.ok()) return std::nullopt;
  const secure_bytes plain = crypto::encode_share(forged);
  auto sealed = crypto::seal_from(setup_.box_key(from), *reader, plain.view(), *context, random_);
  if (!sealed.ok()) return std::nullopt;
  m.sealed_share = std::move(*sealed);
  ++counters_.forged_shares;
  return secrets::encode(secrets::wire_message{std::move(m)});
}

bool adversary::read_pending(secrets::endpoint client, node_id at, const std::string& name,
                             std::uint64_t share_request) const {
  const std::uint64_t window = setup_.view.members.size() + 1;
  for (std::uint64_t id = share_request > window ? share_request - window : 0; id < share_request; ++id)
    if (auto it = client_reads_.find({client.id, at, id}); it != client_reads_.end() && it->second == name) return true;
  return false;
}

// Replies that claim to come from the leader its node knows of, at the
// request ids the client will use next and at several moments, so that one
// lands while the client waits: an older record as the latest for the name
// the client used last, or a share stored. Only a client that trusts `from`
// hears them.
std::vector<adversary_message> adversary::impersonate(node_id link, secrets::endpoint client, prng& rng) {
  static constexpr std::array<millis::rep, 5> moments{3, 10, 20, 35, 55};
  std::vector<adversary_message> out;
  const secrets::node_engine* e = setup_.engine(link);
  auto name = last_name_.find(client.id);
  if (e == nullptr || name == last_name_.end()) return out;
  const node_id leader = e->raft().leader_hint();
  if (leader == node_id{} || controls(leader)) return out;
  auto old = older_record(name->second, link);
  const std::uint64_t last = last_request_id_[client.id];
  for (std::uint64_t id = last + 1; id <= last + predicted_ids; ++id)
    for (const millis::rep at : moments) {
      secrets::wire_message forged;
      if (old && rng.chance(0.7)) {
        secrets::read_response r;
        r.request_id = id;
        r.latest = old->version;
        r.threshold = static_cast<std::uint32_t>(setup_.view.threshold);
        r.record = *old;
        forged = std::move(r);
      } else {
        secrets::store_share_response s;
        s.request_id = id;
        forged = std::move(s);
      }
      out.push_back(adversary_message{secrets::endpoint::of(leader), secrets::endpoint::of(link), client,
                                      secrets::encode(forged), millis{at}});
      ++counters_.impersonations;
    }
  return out;
}

std::vector<adversary_message> adversary::rewrite_reply(node_id from, secrets::endpoint client, bytes payload,
                                                        prng& rng) {
  const secrets::endpoint me = secrets::endpoint::of(from);
  std::vector<adversary_message> out;
  if (rng.chance(0.5)) {
    if (auto m = secrets::decode_wire_message(payload); m.ok()) {
      std::optional<bytes> forged;
      if (auto* r = std::get_if<secrets::read_response>(&*m)) forged = forge_read(from, client, std::move(*r), rng);
      else if (auto* g = std::get_if<secrets::get_share_response>(&*m))
        forged = forge_share(from, client, std::move(*g), rng);
      else if (auto* p = std::get_if<secrets::propose_response>(&*m);
               p != nullptr && p->code == secrets::reply_code::ok && p->result.code == secrets::result_code::ok
               && client_puts_.contains({client.id, from, p->request_id})) {
        p->result.version = p->result.version.next();
        ++counters_.forged_versions;
        forged = secrets::encode(secrets::wire_message{std::move(*p)});
      }
      if (forged) payload = std::move(*forged);
    }
  }
  out.push_back(adversary_message{me, me, client, std::move(payload), millis{0}});
  if (rng.chance(0.2))
    for (auto& m : impersonate(from, client, rng)) out.push_back(std::move(m));
  return out;
}

// ---- its own requests -------------------------------------------------------------

std::optional<adversary_message> adversary::ask_for_share(millis now, node_id holder, const asked& what) {
  secrets::get_share_request q;
  q.request_id = next_request_id_++;
  q.name = what.name;
  q.version = what.version;
  std::copy(reader_.public_key.bytes().begin(), reader_.public_key.bytes().end(), q.reader_key.begin());
  bytes body = secrets::encode(secrets::wire_message{std::move(q)});
  const access::unix_ms wall = setup_.wall_offset + static_cast<access::unix_ms>(now.count());
  bytes envelope;
  if (credential_) { // a bearer credential needs no signature of its own
    access::signed_request r{setup_.admin_key, holder, {}, wall, wall + access::request_lifetime_ms_default,
                             std::move(body), *credential_};
    random_.fill(r.nonce);
    envelope = access::encode_signed_request(r);
    ++counters_.credential_uses;
  } else {
    auto r = access::sign_request(*setup_.own_key, setup_.view.cluster_id, holder, wall,
                                  access::request_lifetime_ms_default, std::move(body), random_);
    if (!r.ok()) return std::nullopt;
    envelope = access::encode_signed_request(*r);
  }
  own_asks_[next_request_id_ - 1] = {holder, what};
  cap(own_asks_);
  ++counters_.own_requests;
  return adversary_message{self(), self(), secrets::endpoint::of(holder), std::move(envelope), millis{0}};
}

std::vector<adversary_message> adversary::act(millis now, prng& rng) {
  std::vector<adversary_message> out;
  if (setup_.fill) fill_stores(now, out);
  if (auto replay = replay_link(rng)) out.push_back(std::move(*replay));
  // A request one of its nodes received, sent on to another member.
  if (!captured_.empty()) {
    const captured& c = captured_[rng.below(captured_.size())];
    const auto& members = setup_.view.members;
    const node_id to = members[rng.below(members.size())].id;
    if (to != c.to) {
      out.push_back(adversary_message{self(), self(), secrets::endpoint::of(to), c.envelope, millis{0}});
      ++counters_.redirects;
    }
  }
  // The shares its nodes hold, asked of every honest holder.
  std::vector<node_id> mine(setup_.corrupted.begin(), setup_.corrupted.end());
  const node_id at = mine[rng.below(mine.size())];
  const secrets::node_engine* e = setup_.engine(at);
  if (e == nullptr) return out;
  const auto inventory = e->shares().inventory();
  if (inventory.empty()) return out;
  const auto& key = inventory[rng.below(inventory.size())].key;
  auto record = e->state().lookup(key.name, key.version);
  if (!record.ok()) return out;
  const asked what{key.name, key.version, {}, record->commitments_digest};
  for (node_id holder : record->holders)
    if (!controls(holder))
      if (auto m = ask_for_share(now, holder, what)) out.push_back(std::move(*m));
  return out;
}

void adversary::on_reply(node_id from, secrets::endpoint to, byte_view payload) {
  auto m = secrets::decode_wire_message(payload);
  if (!m.ok()) return;
  if (to != self()) return on_filler_reply(*m);
  auto* g = std::get_if<secrets::get_share_response>(&*m);
  if (g == nullptr || g->code != secrets::reply_code::ok) return;
  auto it = own_asks_.find(g->request_id);
  const secrets::member* holder = setup_.view.find(from);
  if (it == own_asks_.end() || it->second.first != from || holder == nullptr) return;
  const asked& q = it->second.second;
  auto context = secrets::share_context_for_read(setup_.view.cluster_id, g->epoch, q.name, q.version, from);
  if (!context.ok()) return;
  auto plain = crypto::open_sealed_from(reader_, holder->box_key, g->sealed_share, *context);
  if (!plain.ok()) return;
  auto s = crypto::decode_share(plain->view());
  if (!s.ok()) return;
  ++counters_.shares_opened;
  learn({q.name, q.version, g->epoch, q.dealing}, s->index.value());
}

} // namespace pss::sim
