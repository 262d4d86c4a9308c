#include "sim/round_checker.hpp"

#include <algorithm>

#include "crypto/batch.hpp"
#include "crypto/scalar.hpp"

namespace pss::sim {
namespace {

std::string n_name(node_id n) { return "n" + std::to_string(n.value()); }

bool contains(const std::vector<node_id>& v, node_id n) { return std::find(v.begin(), v.end(), n) != v.end(); }

std::optional<crypto::scalar> scalar_of(const secrets::scalar_bytes& b) {
  auto s = crypto::scalar::from_bytes({b.data(), b.size()});
  if (!s.ok()) return std::nullopt;
  return *s;
}

} // namespace

round_checker::round_checker(secrets::cluster_view view, std::set<node_id> byzantine)
  : view_(std::move(view)), byzantine_(std::move(byzantine)) {
  for (const auto& m : view_.members) indices_[m.id] = m.index;
}

void round_checker::observe(const secrets::node_engine& e, std::vector<std::string>& violations) {
  // Members added since the first view answer too: their indices, as the
  // catalog gave them (an index is never given twice).
  for (const auto& m : e.state().view().members) indices_[m.id] = m.index;
  for (const auto& r : e.qualified_rounds()) {
    if (!seen_.insert(r->id).second) continue; // every honest replica saw the same record
    check_round(*r, violations);
  }
}

void round_checker::check_round(const secrets::round_state& r, std::vector<std::string>& violations) {
  const std::string round = "round " + std::to_string(r.id);
  for (node_id d : r.convicted)
    if (!byzantine_.contains(d)) {
      ++honest_excluded_;
      violations.push_back("rounds: honest " + n_name(d) + " was convicted as a dealer in " + round);
    }
  for (node_id j : r.liars)
    if (!byzantine_.contains(j)) {
      ++honest_excluded_;
      violations.push_back("rounds: honest " + n_name(j) + " was judged to have lied in " + round);
    }
  if (r.phase != secrets::round_phase::finishing || r.kind != secrets::round_kind::refresh) return;
  // A reshare (lowering t, docs/refresh.md §7.5) is the round whose dealings
  // carry mask commitments; its polynomials have a free constant, so each
  // needs t'+1 confirmations, and every Byzantine dealer deals a share other
  // than its own there, which the check against C_0 must leave out.
  const bool reshare = !r.mask_commitments.empty();
  for (node_id d : r.qualified) {
    ++qualified_checked_;
    const std::size_t c = confirmations(r, d, reshare);
    // The round's t: a raise deals for the new one (docs/refresh.md §7.4),
    // and after a lowering every round deals for the lower t (§7.5).
    const std::size_t dealt = r.threshold != 0 ? r.threshold : view_.threshold;
    const std::size_t t = reshare ? dealt + 1 : dealt;
    if (c < t)
      violations.push_back("rounds: " + n_name(d) + " qualified in " + round + " with " + std::to_string(c) +
                           " confirmations by other members, fewer than " + std::to_string(t));
    if (reshare && byzantine_.contains(d))
      violations.push_back("rounds: Byzantine " + n_name(d) + " dealt a share other than its own and qualified in "
                           + round + ", a reshare");
  }
}

// Members other than the dealer, no proven liars, whose y equals the
// dealer's published polynomial (x - 0)·q(x) at their index.
std::size_t round_checker::confirmations(const secrets::round_state& r, node_id dealer, bool reshare) const {
  const auto position = std::find(r.dealers.begin(), r.dealers.end(), dealer);
  const auto poly = r.polynomials.find(dealer);
  if (position == r.dealers.end() || poly == r.polynomials.end()) return 0;
  std::vector<crypto::scalar> q;
  for (const auto& c : poly->second) {
    auto s = scalar_of(c);
    if (!s) return 0;
    q.push_back(*s);
  }
  // A reshare publishes y(x) = c + x·q(x) as c, then q.
  const crypto::scalar constant = reshare && !q.empty() ? q.front() : crypto::scalar::zero();
  if (reshare && !q.empty()) q.erase(q.begin());
  const auto i = static_cast<std::size_t>(position - r.dealers.begin());
  std::size_t count = 0;
  for (const auto& [receiver, answers] : r.responses) {
    if (receiver == dealer || contains(r.liars, receiver) || i >= answers.size()) continue;
    const auto& a = answers[i];
    auto y = scalar_of(a.y);
    if (a.status != secrets::answer_status::ok || !y) continue;
    const auto m = indices_.find(receiver);
    if (m != indices_.end() && *y == constant + crypto::evaluate_vanishing(q, crypto::refresh_point, m->second)) ++count;
  }
  return count;
}

} // namespace pss::sim
