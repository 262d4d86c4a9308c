// The Byzantine nodes of `--byzantine K` (sim/byzantine.hpp), as the
// simulation hosts them: building the adversary, its moves at nemesis steps,
// and its shares checker. The network hooks that feed it are in
// simulator.cpp (route, deliver) and the node checks (check_node).
#include "sim/simulation_impl.hpp"

#include <array>

#include "access/signed_request.hpp"

namespace pss::sim {

// The K highest ids are the adversary's. Its randomness is drawn from the
// seed only here, so that runs without --byzantine keep their schedules.
void simulation::impl::make_adversary() {
  byzantine_rng = prng{master.next_u64()};
  adversary::setup a;
  a.view = cluster.view;
  for (std::size_t i = 0; i < static_cast<std::size_t>(opts.byzantine); ++i) a.corrupted.insert(node_id{opts.nodes - i});
  a.self = endpoint::of(client_id{adversary_client()});
  crypto::seeded_random key_random{byzantine_rng.next_u64()};
  a.own_key = std::make_shared<const crypto::sign_key_pair>(crypto::sign_key_pair::generate(key_random));
  a.admin_key = sim_admin_identity()->public_key;
  a.wall_offset = sim_wall_clock_offset;
  a.seed = byzantine_rng.next_u64();
  a.box_key = [this](node_id n) -> const crypto::box_key_pair& { return cluster.keys.at(n.value() - 1).box; };
  a.engine = [this](node_id n) -> const secrets::node_engine* {
    auto it = nodes.find(n);
    if (it == nodes.end() || !it->second.up || !it->second.engine) return nullptr;
    return &static_cast<const secrets_node_host&>(*it->second.engine).engine();
  };
  if (fills_stores()) a.fill = make_filler();
  byzantine = std::make_unique<adversary>(std::move(a));
}

// The filler's key, and the one thing of the admin's the adversary gets: the
// admin's grant of write on "byz/*" to that key, signed for any member it
// asks, as an admin who once trusted this client would have sent it.
adversary::setup::filler simulation::impl::make_filler() {
  crypto::seeded_random key_random{byzantine_rng.next_u64()};
  adversary::setup::filler f;
  f.self = endpoint::of(client_id{filler_client()});
  f.key = std::make_shared<const crypto::sign_key_pair>(crypto::sign_key_pair::generate(key_random));
  auto nonces = std::make_shared<crypto::seeded_random>(byzantine_rng.next_u64());
  const access::grant_request g{f.key->public_key, std::string{adversary::filler_pattern},
                                access::rights{}.add(access::right::write), access::never_expires, "byzantine filler"};
  f.grant = [this, g, nonces](millis now, node_id to) {
    bytes body = secrets::encode(secrets::wire_message{secrets::access_request{1, sequence_number{1}, g}});
    const access::unix_ms wall = sim_wall_clock_offset + static_cast<access::unix_ms>(now.count());
    auto r = access::sign_request(*sim_admin_identity(), cluster.view.cluster_id, to, wall,
                                  access::request_lifetime_ms_default, std::move(body), *nonces);
    PSS_CHECK_MSG(r.ok(), "signing the filler's grant cannot fail");
    return access::encode_signed_request(*r);
  };
  return f;
}

bool simulation::impl::fills_stores() const {
  if (opts.byzantine <= 0 || refresh_interval <= millis{0}) return false;
  std::uint64_t h = (opts.seed + 0x5F111) * 0xD1B54A32D192ED03ull;
  h ^= h >> 33;
  return h % 3 == 0;
}

// Every strategy in turn over seeds and ids, hashed so that a sweep meets
// each with every cluster size; the draw takes nothing from the master
// stream, so runs without these strategies keep their schedules.
secrets::round_misbehaviour simulation::impl::misbehaviour_of(node_id n) const {
  using secrets::round_misbehaviour;
  static constexpr std::array strategies{round_misbehaviour::complain,        round_misbehaviour::false_y,
                                         round_misbehaviour::inconsistent,    round_misbehaviour::garbage_fit,
                                         round_misbehaviour::withhold_reveal, round_misbehaviour::equivocate,
                                         round_misbehaviour::false_masked,    round_misbehaviour::spam_recovery,
                                         round_misbehaviour::answer_missing};
  if (!is_byzantine(n) || refresh_interval <= millis{0}) return round_misbehaviour::none;
  std::uint64_t h = opts.seed * 0x9E3779B97F4A7C15ull + n.value();
  h ^= h >> 31;
  h *= 0xBF58476D1CE4E5B9ull;
  h ^= h >> 29;
  return strategies[h % strategies.size()];
}

void simulation::impl::byzantine_step() {
  if (!byzantine_rng.chance(0.3)) return;
  for (auto& m : byzantine->act(now(), byzantine_rng)) {
    // Its filler's stores are a client's: the durability checker holds every
    // acknowledgement of them to the journal, as it does the workload's.
    if (!m.from.is_node() && m.from != byzantine->self()) on_send(now(), m.from, m.to, m.payload);
    caf::anon_send(network, wire_message::make(m.from, m.to, std::move(m.payload)));
  }
}

// The adversary-shares checker: t shares of one dealing in one epoch would
// let the adversary rebuild the secret.
void simulation::impl::check_adversary_shares() {
  counters.adversary_shares_max = std::max<std::uint64_t>(counters.adversary_shares_max, byzantine->shares_max());
  if (byzantine->shares_max() >= opts.threshold)
    violation("adversary: the Byzantine nodes held " + std::to_string(byzantine->shares_max()) + " shares of "
              + byzantine->shares_max_of() + ", t is " + std::to_string(opts.threshold));
}

} // namespace pss::sim
