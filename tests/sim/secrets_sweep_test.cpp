// The simulator with the real secrets engines (`--engine secrets`): a seed
// sweep across every profile and both cluster sizes, each a full run with
// the Raft checker after every input and the secrets checkers at the end
// (acknowledged puts read back from the share stores; no share in Raft),
// and a determinism check.
//
// PSS_SIM_SECRETS_SEEDS (default 100) sets how many seeds run;
// PSS_SIM_SEED_START (default 1) where they start; PSS_SIM_SECONDS
// (default 2) the simulated safety phase of each.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "sim/simulator.hpp"
#include "sweep_support.hpp"

using namespace pss;
using namespace pss::sim;

namespace {

sim_options secrets_options(std::uint64_t seed, double seconds) {
  sim_options o;
  o.engine = "secrets";
  o.profile = profile_names[seed % 5];
  o.seconds = seconds;
  return options_for_seed(o, testing::ci_draw, seed);
}

} // namespace

TEST_CASE("secrets sim sweep: every seed stays safe, recovers, and reads its acknowledged secrets back") {
  const std::uint64_t seeds = testing::env_or("PSS_SIM_SECRETS_SEEDS", 100);
  const std::uint64_t start = testing::env_or("PSS_SIM_SEED_START", 1);
  const double seconds = static_cast<double>(testing::env_or("PSS_SIM_SECONDS", 2));
  const auto t = testing::run_seeds("secrets sim sweep", start, seeds,
                                    [&](std::uint64_t seed) { return secrets_options(seed, seconds); });
  CHECK(t.ok == seeds);
  CHECK(t.sum("puts_acked") > 0);
  CHECK(t.sum("secrets_verified") > 0);
  for (const char* kind : {"fault:share_reply_corrupted", "check:probe_reads", "check:holder_listings",
                           "check:names_deleted", "check:durable_sends"})
    CHECK_MESSAGE(t.sum(kind) > 0, kind);
}

// The byzantine profile (issue 12): t-1 Byzantine nodes under the swarm
// faults. Every seed must stay safe (no forgery accepted, no share released
// to the adversary, fewer than t shares of any dealing in its hands), and the
// sweep must have tried every attack. PSS_SIM_BYZANTINE_SEEDS (default 40).
TEST_CASE("byzantine sim sweep: t-1 lying nodes neither read, forge nor get a grant") {
  const std::uint64_t seeds = testing::env_or("PSS_SIM_BYZANTINE_SEEDS", 40);
  const std::uint64_t start = testing::env_or("PSS_SIM_SEED_START", 1);
  const double seconds = static_cast<double>(testing::env_or("PSS_SIM_SECONDS", 2)) + 1;
  const auto t = testing::run_seeds("byzantine sim sweep", start, seeds, [&](std::uint64_t seed) {
    sim_options o;
    o.engine = "secrets";
    o.profile = "byzantine";
    o.seconds = seconds;
    return options_for_seed(o, testing::ci_draw, seed);
  });
  CHECK(t.ok == seeds);
  CHECK(t.sum("puts_acked") > 0);
  CHECK(t.sum("adversary_shares_max") >= 1);
  for (const char* kind : {"adversary:requests_seen", "adversary:redirects", "adversary:own_requests",
                           "adversary:rollbacks", "adversary:fabricated_records", "adversary:forged_shares",
                           "adversary:forged_versions", "adversary:impersonations", "adversary:link_replays",
                           "fault:unbound_reply_dropped",
                           "check:byzantine_served_gets", "check:byzantine_acked_puts"})
    CHECK_MESSAGE(t.sum(kind) > 0, kind);
}

// Byzantine nodes in refresh rounds (issue 13): under the refresh profile,
// one Byzantine node on even seeds and t-1 on odd ones, each running a
// round strategy drawn from the seed. No honest node may be convicted, every
// qualified dealer must be confirmed by t others, and, once healed with
// enough honest nodes, a refresh must commit (the epoch-age checker).
// PSS_SIM_BYZANTINE_REFRESH_SEEDS (default 40).
TEST_CASE("byzantine refresh sweep: lying members neither stop refresh nor get an honest member excluded") {
  const std::uint64_t seeds = testing::env_or("PSS_SIM_BYZANTINE_REFRESH_SEEDS", 40);
  const std::uint64_t start = testing::env_or("PSS_SIM_SEED_START", 1);
  const double seconds = static_cast<double>(testing::env_or("PSS_SIM_SECONDS", 2)) + 1;
  const auto t = testing::run_seeds("byzantine refresh sweep", start, seeds, [&](std::uint64_t seed) {
    sim_options o;
    o.engine = "secrets";
    o.profile = "refresh";
    o.seconds = seconds;
    o = options_for_seed(o, testing::ci_draw, seed);
    o.byzantine = seed % 2 == 0 ? 1 : static_cast<int>(o.threshold - 1);
    return o;
  });
  CHECK(t.ok == seeds);
  CHECK(t.sum("honest_excluded") == 0);
  CHECK(t.sum("complaints_resolved") > 0);
  CHECK(t.sum("liars_excluded") > 0);
  CHECK(t.sum("dealers_convicted") > 0);
  CHECK(t.sum("refresh_epochs_committed") > 0);
  CHECK(t.sum("shares_lost_refused") > 0);   // spam_recovery's replays
  CHECK(t.sum("shares_lost_throttled") > 0); // and its fresh declarations, held back
  CHECK(t.sum("adversary:stores_filled") > 0);  // the store filler's dealings up to the quota
  CHECK(t.sum("adversary:stores_refused") > 0); // and past it
  for (const char* kind : {"check:epoch_age", "check:qualified_dealers", "check:rounds_qualified"})
    CHECK_MESSAGE(t.sum(kind) > 0, kind);
  MESSAGE("byzantine refresh sweep totals: complaints_resolved=" << t.sum("complaints_resolved")
          << " liars_excluded=" << t.sum("liars_excluded") << " dealers_convicted=" << t.sum("dealers_convicted")
          << " honest_excluded=" << t.sum("honest_excluded") << " max_epoch_age_ms=" << t.sum("max_epoch_age_ms")
          << " shares_lost_refused=" << t.sum("shares_lost_refused")
          << " shares_lost_throttled=" << t.sum("shares_lost_throttled") << " recoveries=" << t.sum("recoveries")
          << " filler_stores_refused=" << t.sum("adversary:stores_refused"));
}

TEST_CASE("secrets sim: the same seed gives the same trace hash and report") {
  const sim_options o = secrets_options(11, 3);
  simulation a{o};
  const auto ra = a.run();
  simulation b{o};
  const auto rb = b.run();
  CHECK(ra.ok);
  CHECK(ra.trace_hash == rb.trace_hash);
  CHECK(ra.puts_acked == rb.puts_acked);
  CHECK(ra.secrets_verified == rb.secrets_verified);
  CHECK(to_json(ra) == to_json(rb));
  simulation c{secrets_options(12, 3)};
  CHECK(c.run().trace_hash != ra.trace_hash);
}

TEST_CASE("secrets sim: the linearizability hook flags a stale read and passes a fresh one") {
  auto ev = [](std::int64_t t, std::uint64_t c, std::uint64_t op, bool invoke, actors::op_kind k, std::string v,
               actors::op_outcome o = actors::op_outcome::ok) {
    return history_event{millis{t}, c, op, invoke, k, "k", bytes(v.begin(), v.end()), o};
  };
  using actors::op_kind;
  std::vector<history_event> h{
    ev(0, 1, 1, true, op_kind::put, "a"),  ev(10, 1, 1, false, op_kind::put, "a"),
    ev(20, 1, 2, true, op_kind::put, "b"), ev(30, 1, 2, false, op_kind::put, "b"),
    ev(40, 2, 3, true, op_kind::get, ""),  ev(50, 2, 3, false, op_kind::get, "a"),
  };
  const auto check = linearizability_checker();
  CHECK(check(h).has_value());
  h.back().value = bytes{'b'};
  CHECK_FALSE(check(h).has_value());
}
