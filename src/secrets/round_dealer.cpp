// A dealer's part in rounds (round_member.hpp, docs/refresh.md §3): dealing zero polynomials,
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

#include "secrets/round_detail.hpp"
#include "crypto/batch.hpp"
#include "crypto/seal.hpp"
#include "crypto/sign.hpp"
#include "secrets/round_bundle.hpp"
#include "secrets/round_member.hpp"

namespace pss::secrets {
using detail::contains;
using detail::copy_into;
namespace {

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

// Zero polynomials (a refresh, a recovery's masks), or in a reshare this
// node's own share of every version on a polynomial of the new degree
// (docs/refresh.md §7.5). An empty round deals one row: zero, whose C_0 is
// the identity.
result<crypto::batch_dealing> round_member::make_dealing(const catalog& state, const share_store& shares,
                                                         const round_state& r) {
  const cluster_view& view = state.view();
  if (!r.reshares(view))
    return crypto::deal_batch(own_index(view), std::max<std::size_t>(1, r.secrets.size()), r.threshold,
                              share_index{r.zero_point(view)}, *config_.random);
  std::vector<crypto::scalar> own;
  for (const auto& s : r.secrets) {
    auto rec = state.lookup(s.name, s.version);
    const held_share* held =
      rec.ok() && contains(rec->holders, self())
        ? shares.find_live(s.name, rec->version, rec->epoch, rec->commitments_digest) : nullptr;
    if (held == nullptr) return error{errc::not_found, "this node does not hold every version, so it cannot reshare"};
    own.push_back(held->value.value);
  }
  if (own.empty()) own.push_back(crypto::scalar::zero());
  if (config_.misbehave != round_misbehaviour::none)
    for (auto& v : own) v += crypto::scalar::random(*config_.random);
  auto dealing = crypto::deal_batch_reshare(own_index(view), own, r.threshold, *config_.random);
  return dealing;
}

void round_member::deal(const catalog& state, const share_store& shares, const round_state& r) {
  const cluster_view& view = state.view();
  if (!work_.dealt && r.dealings.contains(self())) {
    work_.dealt = true; // dealt before a restart: that dealing is lost, and this node is left out
    return;
  }
  if (!work_.dealt) {
    work_.dealt = true;
    auto dealing = make_dealing(state, shares, r);
    std::vector<share_index> xs;
    for (node_id p : r.participants) xs.push_back(view.find(p)->index);
    auto bundles = dealing.ok() ? dealing->bundles_for(xs) : result<std::vector<crypto::sub_share_bundle>>{dealing.err()};
    if (!bundles.ok()) {
      note("cannot deal in round " + std::to_string(r.id) + ": " + bundles.err().message());
      return;
    }
    misbehave_in_dealing(r, *bundles);
    work_.sealed_to.clear();
    work_.ephemerals.clear();
    for (std::size_t j = 0; j < r.participants.size(); ++j) {
      auto plain = crypto::encode_bundle_chunks((*bundles)[j], round_chunk_values);
      if (!plain.ok()) {
        note("cannot deal in round " + std::to_string(r.id) + ": " + plain.err().message());
        work_.sealed_to.clear();
        return;
      }
      auto& sealed = work_.sealed_to.emplace_back();
      auto& keys = work_.ephemerals.emplace_back();
      for (std::uint32_t c = 0; c < plain->size(); ++c) {
        keys.push_back(crypto::box_key_pair::generate(*config_.random));
        auto context = bundle_chunk_context(view, r, self(), r.participants[j], c);
        PSS_CHECK(context.ok());
        auto one = crypto::seal_with(keys.back(), r.sealing_key(view, r.participants[j]), (*plain)[c].view(),
                                     *context, *config_.random);
        PSS_CHECK(one.ok()); // a chunk is far below the seal limit, and member keys were validated
        sealed.push_back(std::move(*one));
      }
    }
    if (dealing->reshares()) copy_into(work_.mask_commitment.emplace(), dealing->mask_commitment().bytes());
    work_.dealing = std::move(*dealing);
    ++counters_.dealt;
    send_bundles(state, r, false);
  }
  if (work_.sealed_to.empty()) return; // it could not deal: nothing to commit to
  if (work_.digests.empty()) {
    for (const auto& chunks : work_.sealed_to) {
      std::vector<digest> digests;
      for (const auto& c : chunks) digests.push_back(chunk_digest(c));
      work_.digests.push_back(bundle_digest(digests));
    }
  }
  round_dealing d;
  d.round_id = r.id;
  d.dealer = self();
  d.digests = work_.digests;
  d.mask_commitment = work_.mask_commitment;
  auto sig = crypto::sign(config_.keys->sign, round_signature_context(view.cluster_id), signed_part(view.cluster_id, d));
  PSS_CHECK(sig.ok());
  copy_into(d.signature, sig->bytes());
  emit(round_fx::propose{std::move(d)});
}

void round_member::send_bundles(const catalog& state, const round_state& r, bool only_missing) {
  const auto misbehave = config_.misbehave;
  for (std::size_t j = 0; j < work_.sealed_to.size() && j < r.participants.size(); ++j) {
    const node_id to = r.participants[j];
    if (only_missing && r.responses.contains(to)) continue;
    // garbage_fit reaches only its victims (and itself): anyone else would dispute.
    if (misbehave == round_misbehaviour::garbage_fit && to != self() && !work_.forged.contains(to)) continue;
    const auto& chunks = work_.sealed_to[j];
    for (std::size_t c = 0; c < chunks.size(); ++c) {
      round_chunk m{chunk_kind::bundle, r.id, self(), to, static_cast<std::uint32_t>(c),
                    static_cast<std::uint32_t>(chunks.size()), chunks[c]};
      // Equivocation: this receiver gets bytes other than those committed.
      const bool equivocate = config_.deal_equivocating || misbehave == round_misbehaviour::equivocate;
      if (equivocate && to != self() && j == (r.participants.front() == self() ? 1 : 0) && !m.sealed.empty())
        m.sealed.back() ^= 1;
      if (to == self()) receive(state, self(), std::move(m));
      else emit(round_fx::send{to, std::move(m)});
    }
  }
}

// The dealer's y = ρ + Σ λ_m δ_m as q's coefficients; garbage_fit publishes
// instead the polynomial through what it gave its victims.
bool round_member::holds_committed_dealing(const round_state& r) const {
  auto it = r.dealings.find(self());
  return work_.dealing.has_value() && it != r.dealings.end() && it->second == work_.digests;
}

std::vector<scalar_bytes> round_member::response_polynomial(const catalog& state, const round_state& r,
                                                            std::span<const crypto::scalar> lambdas) const {
  if (!holds_committed_dealing(r)) return {}; // restarted since it dealt: it is left out
  std::vector<crypto::scalar> q;
  const bool reshare = r.reshares(state.view());
  if (work_.forged.empty()) {
    auto mine = work_.dealing->response_polynomial(lambdas);
    PSS_CHECK(mine.ok());
    q = std::move(*mine);
    // A reshare's y(x) = c + x·q(x) is published as c, then q.
    if (reshare) q.insert(q.begin(), *work_.dealing->response_constant(lambdas));
  } else {
    // Through the victims' values: a reshare's polynomial has a free
    // constant, the others vanish at x0 (y = (x - x0)·q).
    const auto x0 = crypto::scalar::from_u64(r.zero_point(state.view()));
    std::vector<crypto::scalar> xs;
    std::vector<crypto::scalar> ys;
    for (const auto& [victim, bundle] : work_.forged) {
      xs.push_back(crypto::scalar::from_u64(bundle.recipient.value()));
      const auto y = *crypto::combine(bundle, lambdas);
      ys.push_back(reshare ? y : y * *(xs.back() - x0).invert());
    }
    q = interpolate_coefficients(xs, ys);
    q.resize(r.threshold - (reshare ? 0 : 1), crypto::scalar::zero());
  }
  std::vector<scalar_bytes> out;
  for (const auto& c : q) copy_into(out.emplace_back(), c.bytes());
  return out;
}

// Every chunk of every open dispute against this node, until the log shows
// it revealed. A node that restarted since it dealt has nothing to reveal.
void round_member::send_reveals(const catalog& state, const round_state& r) {
  if (config_.misbehave == round_misbehaviour::withhold_reveal || !holds_committed_dealing(r)) return;
  const std::string& cluster = state.view().cluster_id;
  for (const auto& d : r.disputes) {
    if (d.dealer != self() || d.verdict != dispute_verdict::open) continue;
    const std::size_t j = r.position(d.receiver);
    const auto& chunks = work_.sealed_to[j];
    std::vector<digest> digests;
    for (const auto& c : chunks) digests.push_back(chunk_digest(c));
    for (std::uint32_t c = 0; c < chunks.size() && c < d.revealed.size(); ++c) {
      if (d.revealed[c] != 0) continue;
      round_reveal v{r.id, self(), d.receiver, c, digests, chunks[c], {}, {}};
      copy_into(v.ephemeral, work_.ephemerals[j][c].secret_key.view());
      auto sig = crypto::sign(config_.keys->sign, round_signature_context(cluster), signed_part(cluster, v));
      PSS_CHECK(sig.ok());
      copy_into(v.signature, sig->bytes());
      ++counters_.reveals_sent;
      emit(round_fx::propose{std::move(v)});
    }
  }
}

void round_member::misbehave_in_answer(dealer_answer& a, std::size_t other) {
  switch (config_.misbehave) {
    case round_misbehaviour::answer_missing:
      if (other < 2) a.status = answer_status::missing;
      break;
    case round_misbehaviour::complain: a.status = answer_status::bad; break;
    case round_misbehaviour::false_y:
      a.status = answer_status::ok;
      copy_into(a.y, crypto::scalar::random(*config_.random).bytes());
      break;
    default: break;
  }
}

void round_member::misbehave_in_dealing(const round_state& r,
                                        std::vector<crypto::sub_share_bundle>& bundles) {
  const auto misbehave = config_.misbehave;
  const std::size_t other = r.participants.front() == self() ? 1 : 0; // another node's bundle
  if ((config_.deal_inconsistent || misbehave == round_misbehaviour::inconsistent
       || misbehave == round_misbehaviour::withhold_reveal)
      && other < bundles.size())
    bundles[other].values.back() += crypto::scalar::one();
  if (misbehave != round_misbehaviour::garbage_fit) return;
  // t-1 victims: any t-1 values fit some polynomial, so the published one
  // passes every victim's check; the others get nothing.
  work_.forged.clear();
  for (std::size_t j = 0; j < bundles.size() && work_.forged.size() + 1 < r.threshold; ++j) {
    if (r.participants[j] == self()) continue;
    for (auto& v : bundles[j].values) v += crypto::scalar::random(*config_.random);
    bundles[j].mask += crypto::scalar::random(*config_.random);
    work_.forged.emplace(r.participants[j], bundles[j]);
  }
}

} // namespace pss::secrets

