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

using namespace pss;
using namespace pss::sim;

namespace {

std::uint64_t env_or(const char* name, std::uint64_t fallback) {
  const char* v = std::getenv(name);
  return v ? std::strtoull(v, nullptr, 10) : fallback;
}

sim_options secrets_options(std::uint64_t seed, double seconds) {
  sim_options o;
  o.engine = "secrets";
  o.seed = seed;
  o.profile = profile_names[seed % 5];
  o.nodes = seed % 2 == 0 ? 5 : 3;
  o.threshold = seed % 2 == 0 ? 3 : 2;
  o.seconds = seconds;
  return o;
}

} // namespace

TEST_CASE("secrets sim sweep: every seed stays safe, recovers, and reads its acknowledged secrets back") {
  const std::uint64_t seeds = env_or("PSS_SIM_SECRETS_SEEDS", 100);
  const std::uint64_t start = env_or("PSS_SIM_SEED_START", 1);
  const double seconds = static_cast<double>(env_or("PSS_SIM_SECONDS", 2));
  const auto began = std::chrono::steady_clock::now();
  std::uint64_t puts = 0, gets = 0, verified = 0, faults = 0, ok = 0;
  for (std::uint64_t seed = start; seed < start + seeds; ++seed) {
    const sim_options o = secrets_options(seed, seconds);
    simulation s{o};
    const auto r = s.run();
    puts += r.puts_acked;
    gets += r.gets_ok;
    verified += r.secrets_verified;
    for (const auto& [kind, n] : r.faults) faults += n;
    if (r.ok && r.live) {
      ++ok;
      continue;
    }
    std::printf("secrets sim sweep: seed %llu failed: %s\nreproduce: %s\n",
                static_cast<unsigned long long>(seed),
                r.ok ? "lost liveness after healing" : r.violations.front().c_str(),
                reproduce_command(o).c_str());
    CHECK_MESSAGE(false, "seed ", seed);
  }
  CHECK(ok == seeds);
  CHECK(puts > 0);
  CHECK(verified > 0);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - began).count();
  std::printf("secrets sim sweep: %llu/%llu seeds ok in %lld ms; %llu puts acked, %llu gets ok, "
              "%llu secrets verified, %llu faults injected\n",
              static_cast<unsigned long long>(ok), static_cast<unsigned long long>(seeds),
              static_cast<long long>(ms), static_cast<unsigned long long>(puts),
              static_cast<unsigned long long>(gets), static_cast<unsigned long long>(verified),
              static_cast<unsigned long long>(faults));
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
