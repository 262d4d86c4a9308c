// The catalog's check of a reshare, the round that lowers t (docs/refresh.md
// §7.5): which qualified dealers dealt their true shares, decided in the
// group against each version's public C_0. Deterministic, like every rule of
// the catalog; K = Σ_m λ_m·C_{0,m} is computed ahead of the round's qualify
// in slices (advance_reshare_anchor), a cache of a pure function that no
// snapshot carries and no comparison looks at.
#include <algorithm>

#include "core/planted.hpp"
#include "crypto/batch.hpp"
#include "crypto/feldman.hpp"
#include "crypto/point.hpp"
#include "secrets/catalog.hpp"

namespace pss::secrets {
namespace {

crypto::scalar scalar_of(const scalar_bytes& b) {
  auto s = crypto::scalar::from_bytes({b.data(), b.size()});
  PSS_CHECK(s.ok()); // every stored scalar was checked canonical when applied
  return *s;
}

// The dealer sets a reshare tries, in order: every candidate, then each set
// leaving one out, then two, ... (positions in lexicographic order), while
// at least `keep` remain, at most `tries` sets in all.
std::vector<std::vector<std::size_t>> reshare_sets(std::size_t candidates, std::size_t keep, std::size_t tries) {
  std::vector<std::vector<std::size_t>> out;
  for (std::size_t left_out = 0; candidates >= keep + left_out && out.size() < tries; ++left_out) {
    std::vector<std::size_t> drop(left_out);
    for (std::size_t k = 0; k < left_out; ++k) drop[k] = k;
    while (out.size() < tries) {
      std::vector<std::size_t> set;
      for (std::size_t i = 0; i < candidates; ++i)
        if (std::find(drop.begin(), drop.end(), i) == drop.end()) set.push_back(i);
      out.push_back(std::move(set));
      // The next combination of `left_out` positions, or done.
      std::size_t k = left_out;
      while (k > 0 && drop[k - 1] == candidates - left_out + (k - 1)) --k;
      if (k == 0) break;
      ++drop[k - 1];
      for (std::size_t j = k; j < left_out; ++j) drop[j] = drop[j - 1] + 1;
    }
  }
  return out;
}

} // namespace

// K for the running reshare, `budget` versions further (0: to the end). An
// empty round dealt one row of zeros, whose C_0 is the identity. A version
// gone since the round began (deletes wait while it runs; an older log may
// differ) leaves the anchor unusable, with why.
bool catalog::advance_reshare_anchor(std::size_t budget) const {
  if (!round_ || !round_->reshares(view_) || round_->phase == round_phase::dealing) return false;
  reshare_anchor& a = anchor_;
  if (a.round != round_->id || a.challenge != round_->challenge) {
    a = reshare_anchor{};
    a.round = round_->id;
    a.challenge = round_->challenge;
  }
  const std::size_t rows = std::max<std::size_t>(1, round_->secrets.size());
  const std::size_t end = budget == 0 ? rows : std::min(rows, a.next + budget);
  if (a.next >= end || a.failure) return a.next >= rows || a.failure.has_value();
  auto lambdas = crypto::challenge_coefficients({a.challenge.data(), a.challenge.size()}, end - a.next, a.next);
  PSS_CHECK(lambdas.ok());
  for (std::size_t m = a.next; m < end; ++m) {
    if (round_->secrets.empty()) break; // the zero row adds the identity
    const round_secret& v = round_->secrets[m];
    auto rec = lookup(v.name, v.version);
    auto c = rec.ok() ? version_commitments(*rec, view_.threshold) : result<crypto::commitment>{rec.err()};
    if (!c.ok()) {
      a.failure = v.name + " v" + std::to_string(v.version.value()) + ": " + c.err().message();
      return true;
    }
    a.sum += c->constant_term().mul((*lambdas)[m - a.next]);
  }
  a.next = end;
  return a.next >= rows;
}

// A reshare's dealers must each have dealt their true share (docs/refresh.md
// §7.5): y_i(0)·G - A_i is Σ_m λ_m s_{i,m}·G, so over a set B of at least
// the old t dealers, Σ_{i∈B} L_i·(y_i(0)·G - A_i) must be K = Σ_m λ_m·C_{0,m}.
// The first set that passes is QUAL; none: the round aborts (why).
result<std::vector<node_id>> catalog::reshare_dealers(const round_state& r, const std::vector<node_id>& candidates) const {
  (void)advance_reshare_anchor(0);
  if (anchor_.failure) return error{errc::not_found, *anchor_.failure};
  const crypto::point& anchor = anchor_.sum;
  std::vector<crypto::reshare_term> terms;
  for (node_id d : candidates) {
    const auto& a = r.mask_commitments.at(d);
    auto committed = crypto::point::from_bytes({a.data(), a.size()}, crypto::identity_policy::reject);
    PSS_CHECK(committed.ok()); // checked when the dealing applied
    terms.emplace_back(view_.find(d)->index,
                       crypto::point::base_mul(scalar_of(r.polynomials.at(d).front())) - *committed);
  }
  if (planted::armed(planted::bug::reshare_without_check)) return candidates;
  for (const auto& set : reshare_sets(candidates.size(), view_.threshold, reshare_sets_max)) {
    std::vector<crypto::reshare_term> chosen;
    for (std::size_t i : set) chosen.push_back(terms[i]);
    auto holds = crypto::reshare_anchor_holds(chosen, anchor, view_.threshold);
    if (!holds.ok() || !*holds) continue;
    std::vector<node_id> out;
    for (std::size_t i : set) out.push_back(candidates[i]);
    return out;
  }
  return error{errc::mismatch, "no " + std::to_string(view_.threshold) + " of the " + std::to_string(candidates.size())
                                 + " qualified dealers dealt shares that agree with the secrets' commitments (C_0)"};
}

} // namespace pss::secrets
