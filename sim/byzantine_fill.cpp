// The Byzantine adversary's store filler (sim/byzantine.hpp): a client it
// owns, which an admin once granted write on "byz/*", dealing valid shares
// of names it never registers to every honest member. What it must never
// achieve is a node that stops, or a refresh that cannot commit: the
// per-client quota of pending shares and the rounds' half of each store
// (secrets/share_store.hpp) stand in its way. The planted bug
// unbounded-pending takes both away, and the epoch-age checker sees it.
#include <algorithm>

#include "access/signed_request.hpp"
#include "core/check.hpp"
#include "crypto/feldman.hpp"
#include "crypto/scalar.hpp"
#include "crypto/shamir.hpp"
#include "secrets/messages.hpp"
#include "sim/byzantine.hpp"

namespace pss::sim {
namespace {

// Dealings per move while the members take them (one after a refusal).
constexpr std::size_t filler_batch_max = 32;
// How often it asks for its grant again until its nodes see it applied.
constexpr millis filler_grant_interval{500};

} // namespace

bool adversary::filler_granted(millis now, const secrets::node_engine& e) const {
  const access::unix_ms wall = setup_.wall_offset + static_cast<access::unix_ms>(now.count());
  return e.state().policy().allows(setup_.fill->key->public_key, access::right::write, "byz/0", wall);
}

// One move: until the grant shows in its nodes' catalog, the admin's signed
// grant to every member (the leader proposes it, the others point there);
// then a batch of dealings.
void adversary::fill_stores(millis now, std::vector<adversary_message>& out) {
  PSS_CHECK(setup_.fill.has_value());
  const secrets::node_engine* e = nullptr;
  for (node_id n : setup_.corrupted)
    if ((e = setup_.engine(n)) != nullptr) break;
  if (e == nullptr) return;
  const auto& f = *setup_.fill;
  if (!filler_granted(now, *e)) {
    if (now < filler_grant_next_) return;
    filler_grant_next_ = now + filler_grant_interval;
    for (const auto& m : setup_.view.members)
      out.push_back(adversary_message{f.self, f.self, secrets::endpoint::of(m.id), f.grant(now, m.id), millis{0}});
    return;
  }
  for (std::size_t i = 0; i < filler_batch_; ++i) deal_filler_share(now, e->state(), out);
}

// A secret of its own under a fresh name, dealt as a client deals (the same
// seal context, the same commitments), to the honest members only.
void adversary::deal_filler_share(millis now, const secrets::catalog& state,
                                  std::vector<adversary_message>& out) {
  const secrets::cluster_view& view = state.view();
  const auto& f = *setup_.fill;
  const std::string name = "byz/" + std::to_string(filler_names_++);
  auto dealt = crypto::deal(crypto::scalar::random_nonzero(random_), view.threshold, view.members.size(), random_);
  if (!dealt.ok()) return;
  const bytes commitments = dealt->commitments.encode();
  const secrets::digest dealing = dealt->commitments.digest();
  const access::unix_ms wall = setup_.wall_offset + static_cast<access::unix_ms>(now.count());
  for (const auto& m : view.members) {
    if (controls(m.id)) continue;
    const auto s = std::find_if(dealt->shares.begin(), dealt->shares.end(),
                                [&](const crypto::share& c) { return c.index == m.index; });
    auto context = secrets::share_context_for_store(view.cluster_id, view.epoch, name, dealing, m.id);
    if (s == dealt->shares.end() || !context.ok()) continue;
    secure_bytes plain = crypto::encode_share(*s);
    auto box = crypto::seal(state.sealing_key(m.id), plain.view(), *context, random_);
    if (!box.ok()) continue;
    secrets::store_share_request q{next_request_id_++, name, view.epoch, commitments, std::move(*box)};
    auto r = access::sign_request(*f.key, view.cluster_id, m.id, wall, access::request_lifetime_ms_default,
                                  secrets::encode(secrets::wire_message{std::move(q)}), random_);
    if (!r.ok()) continue;
    out.push_back(adversary_message{f.self, f.self, secrets::endpoint::of(m.id), access::encode_signed_request(*r),
                                    millis{0}});
  }
  for (auto& s : dealt->shares) s.value = crypto::scalar::zero();
}

// A member took a dealing (so it may take more, faster) or refused it.
void adversary::on_filler_reply(const secrets::wire_message& m) {
  const auto* r = std::get_if<secrets::store_share_response>(&m);
  if (r == nullptr) return;
  if (r->code == secrets::reply_code::ok) {
    ++counters_.stores_filled;
    filler_batch_ = std::min(filler_batch_max, 2 * filler_batch_);
  } else {
    ++counters_.stores_refused;
    filler_batch_ = 1;
  }
}

} // namespace pss::sim
