// A dealer's part in rounds (docs/refresh.md §3): dealing zero polynomials,
// sealing each chunk with an ephemeral key it keeps, committing to the
// digests, publishing its response polynomial, and revealing a chunk when a
// receiver disputes it. Also what a Byzantine member does instead, for the
// simulator (round_misbehaviour): each is a choice a faulty node could make
// with this engine, so the checkers see the protocol answer the real thing.
//
// SECRET: the dealing, the bundles and the ephemeral keys. They leave this
// node only sealed to their receiver, or, for a disputed chunk, as the
// ephemeral key that opens what that receiver already had.
#include <algorithm>

#include "crypto/batch.hpp"
#include "crypto/seal.hpp"
#include "crypto/sign.hpp"
#include "secrets/node_engine.hpp"

namespace pss::secrets {
namespace {

template <std::size_t N>
void copy_into(std::array<std::uint8_t, N>& out, byte_view in) {
  PSS_CHECK(in.size() == N);
  std::copy(in.begin(), in.end(), out.begin());
}

// q of degree <= k-1 through k points (x_i, q_i), lowest coefficient first.
std::vector<crypto::scalar> interpolate_coefficients(const std::vector<crypto::scalar>& xs,
                                                     const std::vector<crypto::scalar>& ys) {
  const std::size_t k = xs.size();
  std::vector<crypto::scalar> out(k, crypto::scalar::zero());
  for (std::size_t i = 0; i < k; ++i) {
    std::vector<crypto::scalar> basis{crypto::scalar::one()}; // Π_{j≠i} (x - x_j)
    crypto::scalar denominator = crypto::scalar::one();
    for (std::size_t j = 0; j < k; ++j) {
      if (j == i) continue;
      std::vector<crypto::scalar> next(basis.size() + 1, crypto::scalar::zero());
      for (std::size_t c = 0; c < basis.size(); ++c) {
        next[c + 1] += basis[c];
        next[c] += -(xs[j] * basis[c]);
      }
      basis = std::move(next);
      denominator *= xs[i] - xs[j];
    }
    const crypto::scalar w = ys[i] * *denominator.invert();
    for (std::size_t c = 0; c < k; ++c) out[c] += w * basis[c];
  }
  return out;
}

} // namespace

void node_engine::deal(millis now, const round_state& r) {
  const cluster_view& view = catalog_.view();
  if (!work_.dealt && r.dealings.contains(keys_.id)) {
    work_.dealt = true; // dealt before a restart: that dealing is lost, and this node is left out
    return;
  }
  if (!work_.dealt) {
    work_.dealt = true;
    auto dealing = crypto::deal_batch(self_index_, std::max<std::size_t>(1, r.secrets.size()), view.threshold,
                                      share_index{r.zero_point(view)}, *random_);
    std::vector<share_index> xs;
    for (node_id p : r.participants) xs.push_back(view.find(p)->index);
    auto bundles = dealing.ok() ? dealing->bundles_for(xs) : result<std::vector<crypto::sub_share_bundle>>{dealing.err()};
    if (!bundles.ok()) {
      event("cannot deal in round " + std::to_string(r.id) + ": " + bundles.err().message());
      return;
    }
    misbehave_in_dealing(r, *bundles);
    work_.sealed_to.clear();
    work_.ephemerals.clear();
    for (std::size_t j = 0; j < r.participants.size(); ++j) {
      auto plain = crypto::encode_bundle_chunks((*bundles)[j], round_chunk_values);
      if (!plain.ok()) {
        event("cannot deal in round " + std::to_string(r.id) + ": " + plain.err().message());
        work_.sealed_to.clear();
        return;
      }
      auto& sealed = work_.sealed_to.emplace_back();
      auto& keys = work_.ephemerals.emplace_back();
      for (std::uint32_t c = 0; c < plain->size(); ++c) {
        keys.push_back(crypto::box_key_pair::generate(*random_));
        auto context = bundle_chunk_context(view, r, keys_.id, r.participants[j], c);
        PSS_CHECK(context.ok());
        auto one = crypto::seal_with(keys.back(), view.find(r.participants[j])->box_key, (*plain)[c].view(),
                                     *context, *random_);
        PSS_CHECK(one.ok()); // a chunk is far below the seal limit, and member keys were validated
        sealed.push_back(std::move(*one));
      }
    }
    work_.dealing = std::move(*dealing);
    ++counters_.rounds_dealt;
    send_bundles(r, false);
  }
  if (work_.digests.empty()) {
    for (const auto& chunks : work_.sealed_to) {
      std::vector<digest> digests;
      for (const auto& c : chunks) digests.push_back(chunk_digest(c));
      work_.digests.push_back(bundle_digest(digests));
    }
  }
  round_dealing d;
  d.round_id = r.id;
  d.dealer = keys_.id;
  d.digests = work_.digests;
  auto sig = crypto::sign(keys_.sign, round_signature_context(catalog_.view().cluster_id),
                          signed_part(catalog_.view().cluster_id, d));
  PSS_CHECK(sig.ok());
  copy_into(d.signature, sig->bytes());
  forward(now, std::move(d));
}

void node_engine::send_bundles(const round_state& r, bool only_missing) {
  const auto misbehave = options_.test_only.misbehave;
  for (std::size_t j = 0; j < work_.sealed_to.size() && j < r.participants.size(); ++j) {
    const node_id to = r.participants[j];
    if (only_missing && r.responses.contains(to)) continue;
    // garbage_fit reaches only its victims (and itself): anyone else would dispute.
    if (misbehave == round_misbehaviour::garbage_fit && to != keys_.id && !work_.forged.contains(to)) continue;
    const auto& chunks = work_.sealed_to[j];
    for (std::size_t c = 0; c < chunks.size(); ++c) {
      round_chunk m{chunk_kind::bundle, r.id, keys_.id, to, static_cast<std::uint32_t>(c),
                    static_cast<std::uint32_t>(chunks.size()), chunks[c]};
      // Equivocation: this receiver gets bytes other than those committed.
      const bool equivocate = options_.test_only.deal_equivocating || misbehave == round_misbehaviour::equivocate;
      if (equivocate && to != keys_.id && j == (r.participants.front() == keys_.id ? 1 : 0) && !m.sealed.empty())
        m.sealed.back() ^= 1;
      if (to == keys_.id) on_round_chunk(endpoint::of(keys_.id), std::move(m));
      else send(endpoint::of(to), m);
    }
  }
}

// The dealer's y = ρ + Σ λ_m δ_m as q's coefficients; garbage_fit publishes
// instead the polynomial through what it gave its victims.
bool node_engine::holds_committed_dealing(const round_state& r) const {
  auto it = r.dealings.find(keys_.id);
  return work_.dealing.has_value() && it != r.dealings.end() && it->second == work_.digests;
}

std::vector<scalar_bytes> node_engine::response_polynomial(const round_state& r,
                                                           std::span<const crypto::scalar> lambdas) const {
  if (!holds_committed_dealing(r)) return {}; // restarted since it dealt: it is left out
  std::vector<crypto::scalar> q;
  if (work_.forged.empty()) {
    auto mine = work_.dealing->response_polynomial(lambdas);
    PSS_CHECK(mine.ok());
    q = std::move(*mine);
  } else {
    const auto x0 = crypto::scalar::from_u64(r.zero_point(catalog_.view()));
    std::vector<crypto::scalar> xs;
    std::vector<crypto::scalar> ys;
    for (const auto& [victim, bundle] : work_.forged) {
      xs.push_back(crypto::scalar::from_u64(bundle.recipient.value()));
      ys.push_back(*crypto::combine(bundle, lambdas) * *(xs.back() - x0).invert());
    }
    q = interpolate_coefficients(xs, ys);
    q.resize(catalog_.view().threshold - 1, crypto::scalar::zero());
  }
  std::vector<scalar_bytes> out;
  for (const auto& c : q) copy_into(out.emplace_back(), c.bytes());
  return out;
}

// Every chunk of every open dispute against this node, until the log shows
// it revealed. A node that restarted since it dealt has nothing to reveal.
void node_engine::send_reveals(millis now, const round_state& r) {
  if (options_.test_only.misbehave == round_misbehaviour::withhold_reveal || !holds_committed_dealing(r)) return;
  for (const auto& d : r.disputes) {
    if (d.dealer != keys_.id || d.verdict != dispute_verdict::open) continue;
    const std::size_t j = r.position(d.receiver);
    const auto& chunks = work_.sealed_to[j];
    std::vector<digest> digests;
    for (const auto& c : chunks) digests.push_back(chunk_digest(c));
    for (std::uint32_t c = 0; c < chunks.size() && c < d.revealed.size(); ++c) {
      if (d.revealed[c] != 0) continue;
      round_reveal v{r.id, keys_.id, d.receiver, c, digests, chunks[c], {}, {}};
      copy_into(v.ephemeral, work_.ephemerals[j][c].secret_key.view());
      auto sig = crypto::sign(keys_.sign, round_signature_context(catalog_.view().cluster_id),
                              signed_part(catalog_.view().cluster_id, v));
      PSS_CHECK(sig.ok());
      copy_into(v.signature, sig->bytes());
      ++counters_.reveals_sent;
      forward(now, std::move(v));
    }
  }
}

void node_engine::misbehave_in_answer(dealer_answer& a) {
  switch (options_.test_only.misbehave) {
    case round_misbehaviour::complain: a.status = answer_status::bad; break;
    case round_misbehaviour::false_y:
      a.status = answer_status::ok;
      copy_into(a.y, crypto::scalar::random(*random_).bytes());
      break;
    default: break;
  }
}

void node_engine::misbehave_in_dealing(const round_state& r, std::vector<crypto::sub_share_bundle>& bundles) {
  const auto misbehave = options_.test_only.misbehave;
  const std::size_t other = r.participants.front() == keys_.id ? 1 : 0; // another node's bundle
  if ((options_.test_only.deal_inconsistent || misbehave == round_misbehaviour::inconsistent
       || misbehave == round_misbehaviour::withhold_reveal)
      && other < bundles.size())
    bundles[other].values.back() += crypto::scalar::one();
  if (misbehave != round_misbehaviour::garbage_fit) return;
  // t-1 victims: any t-1 values fit some polynomial, so the published one
  // passes every victim's check; the others get nothing.
  work_.forged.clear();
  for (std::size_t j = 0; j < bundles.size() && work_.forged.size() + 1 < catalog_.view().threshold; ++j) {
    if (r.participants[j] == keys_.id) continue;
    for (auto& v : bundles[j].values) v += crypto::scalar::random(*random_);
    bundles[j].mask += crypto::scalar::random(*random_);
    work_.forged.emplace(r.participants[j], bundles[j]);
  }
}

} // namespace pss::secrets

namespace pss::secrets {

// round_misbehaviour::spam_recovery: every resend interval, declare this
// node's shares lost under a fresh nonce, replay its first declaration, and
// ask for its own recovery. The leader admits one declaration per refresh
// interval, the catalog refuses the replay, and refresh keeps its turns.
void node_engine::spam_recovery(millis now) {
  if (now < spam_next_ || core().leader_hint() == node_id{}) return;
  spam_next_ = now + options_.round_resend_interval;
  lost_nonce_.reset();
  const std::uint64_t fresh = lost_nonce();
  if (!spam_first_nonce_) spam_first_nonce_ = fresh;
  forward(now, shares_lost{keys_.id, fresh});
  forward(now, shares_lost{keys_.id, *spam_first_nonce_});
  forward(now, round_begin{round_kind::recovery, catalog_.last_round_id() + 1, keys_.id});
}

} // namespace pss::secrets
