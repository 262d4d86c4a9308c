// The round checker of `pss sim --engine secrets` (issue 13): what every
// honest node saw when it applied a round's qualification must show
//
// - no honest node convicted: neither an honest dealer proven wrong by a
//   reveal, nor an honest receiver judged to have lied (`honest_excluded`,
//   which must stay 0);
// - no dealer qualified for a refresh unless at least t members other than
//   itself (t'+1 in a reshare, whose polynomials have a free constant), none
//   of them a proven liar, confirmed its published polynomial with their y
//   (the qualified-dealers check, recomputed here from the round's public
//   record, independently of the catalog's own code);
// - no Byzantine dealer qualified for a reshare (lowering t): every one deals
//   its shares plus one there, which the check against C_0 must leave out.
//
// It also sums what the sweep reports: disputes resolved, liars excluded.
// The simulator knows which nodes are Byzantine; the catalog does not.
// CAF-free and deterministic.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "secrets/cluster.hpp"
#include "secrets/node_engine.hpp"

namespace pss::sim {

class round_checker {
public:
  round_checker(secrets::cluster_view view, std::set<node_id> byzantine);

  // Looks at the rounds `e` (an honest node) qualified since the last call.
  void observe(const secrets::node_engine& e, std::vector<std::string>& violations);

  [[nodiscard]] bool is_faulty(node_id n) const { return byzantine_.contains(n); }
  [[nodiscard]] std::uint64_t rounds_checked() const noexcept { return seen_.size(); }
  [[nodiscard]] std::uint64_t honest_excluded() const noexcept { return honest_excluded_; }
  [[nodiscard]] std::uint64_t qualified_checked() const noexcept { return qualified_checked_; }

private:
  void check_round(const secrets::round_state& r, std::vector<std::string>& violations);
  [[nodiscard]] std::size_t confirmations(const secrets::round_state& r, node_id dealer, bool reshare) const;

  secrets::cluster_view view_;
  std::map<node_id, share_index> indices_; // every member seen in any view, by id
  std::set<node_id> byzantine_;
  std::set<std::uint64_t> seen_; // round ids checked
  std::uint64_t honest_excluded_ = 0;
  std::uint64_t qualified_checked_ = 0;
};

} // namespace pss::sim
