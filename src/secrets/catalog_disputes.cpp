// Disputes and the final qualification of a round (docs/refresh.md §3,
// "Disputes"): which receiver's answer disputes which dealer, how a dealer's
// reveal is judged, and QUAL and R from the verdicts. Everything here is a
// deterministic function of the log, so every replica reaches the same
// verdicts.
#include <algorithm>
#include <functional>
#include <map>

#include "core/planted.hpp"
#include "crypto/batch.hpp"
#include "crypto/scalar.hpp"
#include "crypto/seal.hpp"
#include "crypto/sign.hpp"
#include "secrets/catalog.hpp"
#include "secrets/catalog_detail.hpp"
#include "secrets/round_bundle.hpp"

namespace pss::secrets {
namespace {

using detail::contains;
using detail::make;
using detail::name_of;

void insert_sorted(std::vector<node_id>& v, node_id n) {
  if (contains(v, n)) return;
  v.push_back(n);
  std::sort(v.begin(), v.end());
}

crypto::scalar scalar_of(const scalar_bytes& b) {
  auto s = crypto::scalar::from_bytes({b.data(), b.size()});
  PSS_CHECK(s.ok()); // every stored scalar was checked canonical when applied
  return *s;
}

scalar_bytes bytes_of(const crypto::scalar& s) {
  scalar_bytes out{};
  std::copy(s.bytes().begin(), s.bytes().end(), out.begin());
  return out;
}

// The dealer's published polynomial at a receiver's index.
crypto::scalar polynomial_at(const cluster_view& view, const round_state& r, node_id dealer, node_id receiver) {
  return published_polynomial_at(view, r, r.polynomials.at(dealer), view.find(receiver)->index);
}

bool signed_by_dealer(const cluster_view& view, const round_reveal& v) {
  auto sig = crypto::signature::from_bytes({v.signature.data(), v.signature.size()});
  return sig.ok() && crypto::verify_signature(view.find(v.dealer)->sign_key, round_signature_context(view.cluster_id),
                                              signed_part(view.cluster_id, v), *sig).ok();
}

// The chunk a reveal shows, if it is the committed one and opens and
// decodes as the receiver would have had to open it; otherwise why not.
result<crypto::bundle_chunk> open_reveal(const cluster_view& view, const round_state& r, const round_reveal& v) {
  const auto& committed = r.dealings.at(v.dealer)[r.position(v.receiver)];
  if (v.chunk_digests.size() != round_chunks_for(r.secrets.size()))
    return error{errc::mismatch, "the bundle has another number of chunks than the round"};
  if (bundle_digest(v.chunk_digests) != committed || chunk_digest(v.sealed) != v.chunk_digests[v.chunk])
    return error{errc::mismatch, "the revealed bytes are not the committed ones"};
  auto context = bundle_chunk_context(view, r, v.dealer, v.receiver, v.chunk);
  if (!context.ok()) return context.err();
  auto plain = crypto::open_revealed(r.sealing_key(view, v.receiver), {v.ephemeral.data(), v.ephemeral.size()},
                                     v.sealed, *context);
  if (!plain.ok()) return plain.err();
  return check_bundle_chunk(view, r, v.dealer, v.receiver, v.chunk, plain->view());
}

} // namespace

// A receiver disputes a dealer when it complained ("bad") or when its y is
// not the dealer's polynomial at its index. A dealer that published no
// polynomial is simply left out at qualification; nothing to dispute.
std::size_t catalog::open_disputes(round_state& r) {
  const std::size_t chunks = round_chunks_for(r.secrets.size());
  for (std::size_t i = 0; i < r.dealers.size(); ++i) {
    const node_id dealer = r.dealers[i];
    if (!r.polynomials.contains(dealer)) continue;
    for (const auto& [receiver, answers] : r.responses) {
      const dealer_answer& a = answers[i];
      if (receiver == dealer || a.status == answer_status::missing) continue;
      if (a.status == answer_status::ok
          && scalar_of(a.y) == polynomial_at(view_, r, dealer, receiver)) continue;
      round_dispute& d = r.disputes.emplace_back();
      d.dealer = dealer;
      d.receiver = receiver;
      d.revealed.assign(chunks, 0);
      if (a.status == answer_status::bad && planted::armed(planted::bug::trust_complaints)) {
        d.verdict = dispute_verdict::dealer_lied;
        ++stats_.complaints_resolved;
        insert_sorted(r.convicted, dealer);
      }
    }
  }
  return static_cast<std::size_t>(std::count_if(r.disputes.begin(), r.disputes.end(), [](const round_dispute& d) {
    return d.verdict == dispute_verdict::open;
  }));
}

command_result catalog::execute(const round_reveal& v, apply_effects& fx) {
  round_state* r = round_for(v.round_id, round_phase::disputing);
  if (r == nullptr) return make(result_code::invalid, "no such round in its disputing phase");
  round_dispute* d = r->dispute(v.dealer, v.receiver);
  if (d == nullptr || d->verdict != dispute_verdict::open)
    return make(result_code::invalid, "no open dispute between this dealer and receiver");
  if (v.chunk >= d->revealed.size() || d->revealed[v.chunk] != 0)
    return make(result_code::invalid, "this chunk is out of range or revealed already");
  if (!signed_by_dealer(view_, v)) return make(result_code::invalid, "the reveal's signature does not verify");
  judge(*r, *d, v);
  fx.round_changed = true;
  switch (d->verdict) {
    case dispute_verdict::open: return make(result_code::ok, "chunk revealed; more to come");
    case dispute_verdict::dealer_lied: return make(result_code::ok, name_of(v.dealer) + " is convicted");
    case dispute_verdict::receiver_lied: break;
  }
  return make(result_code::ok, name_of(v.receiver) + " is convicted of a false dispute");
}

// A reveal that does not check convicts the dealer at once (it signed it).
// Once every chunk is revealed, y = ρ(x) + Σ λ_m δ_m(x) from the revealed
// values decides: the dealer lied if its polynomial disagrees, else the
// receiver did (its complaint or its y was false).
void catalog::judge(round_state& r, round_dispute& d, const round_reveal& v) {
  auto decide = [&](dispute_verdict verdict) {
    d.verdict = verdict;
    ++stats_.complaints_resolved;
    if (verdict == dispute_verdict::dealer_lied) insert_sorted(r.convicted, d.dealer);
    else insert_sorted(r.liars, d.receiver);
  };
  auto chunk = open_reveal(view_, r, v);
  if (!chunk.ok()) return decide(dispute_verdict::dealer_lied);
  const bool first = std::none_of(d.revealed.begin(), d.revealed.end(), [](std::uint8_t x) { return x != 0; });
  if (first) d.mask = bytes_of(chunk->mask);
  else if (!(scalar_of(d.mask) == chunk->mask)) return decide(dispute_verdict::dealer_lied);
  auto lambdas = crypto::challenge_coefficients({r.challenge.data(), r.challenge.size()}, chunk->values.size(),
                                                chunk->first);
  PSS_CHECK(lambdas.ok()); // the range was checked against the round's size
  crypto::scalar sum = scalar_of(d.sum);
  for (std::size_t m = 0; m < chunk->values.size(); ++m) sum += (*lambdas)[m] * chunk->values[m];
  d.sum = bytes_of(sum);
  d.revealed[v.chunk] = 1;
  if (std::any_of(d.revealed.begin(), d.revealed.end(), [](std::uint8_t x) { return x == 0; })) return;
  const crypto::scalar y = scalar_of(d.mask) + sum;
  decide(y == polynomial_at(view_, r, d.dealer, d.receiver) ? dispute_verdict::receiver_lied
                                                            : dispute_verdict::dealer_lied);
}

namespace {

using reach_map = std::map<node_id, std::vector<node_id>>;

// The dealers that published a polynomial, are neither convicted nor left
// with an unanswered dispute, and whose polynomial at least `fit_min`
// receivers other than themselves confirm, none a proven liar; and whom
// each dealer reached (its confirmers, and itself if it opened its own).
std::vector<node_id> confirmed_dealers(const cluster_view& view, const round_state& r, std::size_t fit_min,
                                       reach_map& reached) {
  std::vector<node_id> out;
  for (std::size_t i = 0; i < r.dealers.size(); ++i) {
    const node_id dealer = r.dealers[i];
    const bool unanswered = std::any_of(r.disputes.begin(), r.disputes.end(), [&](const round_dispute& d) {
      return d.dealer == dealer && d.verdict == dispute_verdict::open;
    });
    if (!r.polynomials.contains(dealer) || contains(r.convicted, dealer) || unanswered) continue;
    std::size_t others = 0;
    for (const auto& [receiver, answers] : r.responses) {
      const dealer_answer& a = answers[i];
      if (a.status != answer_status::ok || contains(r.liars, receiver)) continue;
      if (receiver != dealer && !(scalar_of(a.y) == polynomial_at(view, r, dealer, receiver))) continue;
      reached[dealer].push_back(receiver);
      others += receiver != dealer ? 1 : 0;
    }
    if (others >= fit_min) out.push_back(dealer);
  }
  return out;
}

// The responders that may receive (`eligible`) and every dealer reached.
std::vector<node_id> receivers_of(const round_state& r, const std::vector<node_id>& dealers, const reach_map& reached,
                                  const std::function<bool(node_id)>& eligible) {
  std::vector<node_id> out;
  for (const auto& [receiver, answers] : r.responses) {
    bool all = eligible(receiver);
    for (node_id d : dealers) all = all && contains(reached.at(d), receiver);
    if (all) out.push_back(receiver);
  }
  return out;
}

// While QUAL can spare a dealer, drops the one that failed to reach the
// most of the receivers R lacks but enough dealers did reach (then the one
// that reached the fewest, then the highest id): a dealer that did not
// reach honest receivers costs itself its place, not them their shares. A
// receiver fewer than `dealers_min` dealers reached (one that missed
// everything, say it restarted) drops nobody.
void drop_for_receivers(const round_state& r, std::vector<node_id>& dealers, std::size_t dealers_min,
                        const reach_map& reached, const std::function<bool(node_id)>& eligible) {
  while (dealers.size() > dealers_min) {
    const auto in_r = receivers_of(r, dealers, reached, eligible);
    std::vector<node_id> wanted;
    for (const auto& entry : r.responses) {
      const node_id receiver = entry.first; // a plain name: clang 14 cannot capture a structured binding
      if (!eligible(receiver) || contains(in_r, receiver)) continue;
      const auto by = std::count_if(dealers.begin(), dealers.end(),
                                    [&](node_id d) { return contains(reached.at(d), receiver); });
      if (static_cast<std::size_t>(by) >= dealers_min) wanted.push_back(receiver);
    }
    std::size_t best_missed = 0;
    std::size_t best = 0;
    for (std::size_t k = 0; k < dealers.size(); ++k) {
      const auto missed = static_cast<std::size_t>(std::count_if(
        wanted.begin(), wanted.end(), [&](node_id j) { return !contains(reached.at(dealers[k]), j); }));
      const std::size_t a = reached.at(dealers[k]).size();
      const std::size_t b = reached.at(dealers[best]).size();
      if (missed > best_missed || (missed > 0 && missed == best_missed && (a < b || (a == b && dealers[k] > dealers[best])))) {
        best_missed = missed;
        best = k;
      }
    }
    if (best_missed == 0) return;
    dealers.erase(dealers.begin() + static_cast<std::ptrdiff_t>(best));
  }
}

} // namespace

// QUAL and R from the responses and verdicts (see the helpers above); t
// confirmations for a refresh, t-1 for a recovery, whose result the target
// checks itself.
command_result catalog::qualify(round_state& r, apply_effects& fx) {
  const std::size_t t = r.threshold;
  const bool refresh = r.kind == round_kind::refresh;
  for (const auto& d : r.disputes)
    if (d.verdict == dispute_verdict::open) ++stats_.disputes_unanswered;
  // A reshare's response polynomial has a free constant: t'+1 confirmations.
  const bool reshare = r.reshares(view_);
  std::size_t fit_min = reshare ? t + 1 : refresh ? t : t - 1;
  if (planted::armed(planted::bug::self_response) && refresh) fit_min = t - 1;
  reach_map reached;
  std::vector<node_id> candidates = confirmed_dealers(view_, r, fit_min, reached);
  // A recovery's receivers answer the target with masked shares, so they
  // must hold every version the round rebuilds.
  // Remembered per member: holds_all looks up every version of the round,
  // and the helpers below ask about each member several times.
  std::map<node_id, bool> holds;
  const auto eligible = [&](node_id n) {
    if (contains(r.liars, n)) return false;
    if (refresh) return true;
    auto [it, fresh] = holds.try_emplace(n, false);
    if (fresh) it->second = holds_all(n, r.secrets);
    return it->second;
  };
  const std::size_t dealers_min = r.dealers_min(view_);
  std::optional<std::string> unchecked;
  if (reshare && candidates.size() >= dealers_min) {
    // The check against C_0 comes first: trimming for receivers first would
    // let one liar's "missing" answers drop honest dealers until only sets
    // with the lying dealer were left. Then the trim, kept only if the
    // trimmed set still passes.
    auto checked = reshare_dealers(r, candidates);
    if (checked.ok()) {
      candidates = std::move(*checked);
      auto trimmed = candidates;
      drop_for_receivers(r, trimmed, dealers_min, reached, eligible);
      if (trimmed.size() < candidates.size())
        if (auto again = reshare_dealers(r, trimmed); again.ok()) candidates = std::move(*again);
    } else {
      unchecked = checked.err().message();
      candidates.clear();
    }
  } else {
    drop_for_receivers(r, candidates, dealers_min, reached, eligible);
  }
  std::vector<node_id> receivers = receivers_of(r, candidates, reached, eligible);
  stats_.dealers_excluded += r.dealers.size() - candidates.size();
  stats_.dealers_convicted += r.convicted.size();
  stats_.liars_excluded += r.liars.size();
  const std::size_t receivers_min = r.receivers_min(t, refreshed_any(r.secrets));
  const bool enough = candidates.size() >= dealers_min && receivers.size() >= receivers_min;
  r.qualified = std::move(candidates);
  r.receivers = std::move(receivers);
  if (enough) r.phase = round_phase::finishing;
  fx.qualified_round = std::make_shared<const round_state>(r);
  if (unchecked) return abort_round(abort_kind::reshare_unchecked, *unchecked, fx);
  if (r.qualified.size() < dealers_min)
    return abort_round(abort_kind::too_few_qualified, std::to_string(r.qualified.size()) + " qualified dealers, fewer than " +
                         std::to_string(dealers_min), fx);
  if (r.receivers.size() < receivers_min)
    return abort_round(abort_kind::too_few_receivers, std::to_string(r.receivers.size()) + " receivers, fewer than " + std::to_string(receivers_min) +
                         (receivers_min > t ? " (a recovery after a refresh checks t+1 helpers)" : ""), fx);
  fx.round_changed = true;
  return make(result_code::ok, "qualified");
}

} // namespace pss::secrets
