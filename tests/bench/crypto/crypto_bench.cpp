// Costs of the verified-sharing core, next to the libsodium floor they imply.
//
// Every protocol benchmark is a known count of Ristretto255 operations (base
// and variable-base scalar multiplications, point additions) plus scalar
// arithmetic. The floor benchmarks measure those libsodium primitives in the
// same run, and the table printed at the end multiplies them out: a ratio
// near 1 means the wrapper adds nothing; well above 1 means overhead worth
// finding. libsodium has no multi-scalar multiplication, so the floor is the
// sum of single operations.
#include <benchmark/benchmark.h>
#include <sodium.h>

#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "crypto/feldman.hpp"
#include "crypto/refresh.hpp"
#include "crypto/shamir.hpp"
#include "crypto/sodium.hpp"

using namespace pss;
using namespace pss::crypto;

namespace {

share_index idx(std::size_t i) { return share_index{static_cast<std::uint32_t>(i)}; }

// ---- libsodium floor operations ------------------------------------------

void floor_scalarmult_base(benchmark::State& state) {
  seeded_random rng{1};
  const auto s = scalar::random_nonzero(rng);
  std::uint8_t out[32];
  for (auto _ : state) {
    benchmark::DoNotOptimize(crypto_scalarmult_ristretto255_base(out, s.data()));
    benchmark::ClobberMemory();
  }
}

void floor_scalarmult(benchmark::State& state) {
  seeded_random rng{2};
  const auto s = scalar::random_nonzero(rng);
  const auto p = point::base_mul(scalar::random_nonzero(rng));
  std::uint8_t out[32];
  for (auto _ : state) {
    benchmark::DoNotOptimize(crypto_scalarmult_ristretto255(out, s.data(), p.bytes().data()));
    benchmark::ClobberMemory();
  }
}

void floor_point_add(benchmark::State& state) {
  seeded_random rng{3};
  const auto p = point::base_mul(scalar::random_nonzero(rng));
  const auto q = point::base_mul(scalar::random_nonzero(rng));
  std::uint8_t out[32];
  for (auto _ : state) {
    benchmark::DoNotOptimize(
      crypto_core_ristretto255_add(out, p.bytes().data(), q.bytes().data()));
    benchmark::ClobberMemory();
  }
}

void floor_scalar_mul(benchmark::State& state) {
  seeded_random rng{4};
  const auto a = scalar::random(rng);
  const auto b = scalar::random(rng);
  std::uint8_t out[32];
  for (auto _ : state) {
    crypto_core_ristretto255_scalar_mul(out, a.data(), b.data());
    benchmark::ClobberMemory();
  }
}

void floor_scalar_invert(benchmark::State& state) {
  seeded_random rng{5};
  const auto a = scalar::random_nonzero(rng);
  std::uint8_t out[32];
  for (auto _ : state) {
    benchmark::DoNotOptimize(crypto_core_ristretto255_scalar_invert(out, a.data()));
    benchmark::ClobberMemory();
  }
}

// ---- the protocol operations ---------------------------------------------

std::size_t arg_t(const benchmark::State& state) { return static_cast<std::size_t>(state.range(0)); }
std::size_t arg_n(const benchmark::State& state) { return static_cast<std::size_t>(state.range(1)); }

// The client's work per secret: draw the polynomial, evaluate n shares,
// commit to t coefficients.
void deal_commit(benchmark::State& state) {
  seeded_random rng{10};
  const auto secret = scalar::random(rng);
  for (auto _ : state) {
    auto d = deal(secret, arg_t(state), arg_n(state), rng);
    benchmark::DoNotOptimize(d.ok());
  }
}

// A node checking one share against its commitments.
void verify_share(benchmark::State& state) {
  seeded_random rng{11};
  auto d = deal(scalar::random(rng), arg_t(state), arg_n(state), rng);
  const auto& s = d->shares.back();
  for (auto _ : state) {
    auto ok = d->commitments.verify(s);
    benchmark::DoNotOptimize(ok.ok());
  }
}

// The client reconstructing k from t verified shares.
void interpolate(benchmark::State& state) {
  seeded_random rng{12};
  const std::size_t t = arg_t(state);
  auto d = deal(scalar::random(rng), t, arg_n(state), rng);
  const std::vector<share> picked(d->shares.end() - static_cast<std::ptrdiff_t>(t),
                                  d->shares.end());
  for (auto _ : state) {
    auto k = interpolate_secret(picked, t);
    benchmark::DoNotOptimize(k.ok());
  }
}

// One node's refresh work for one secret: deal its zero polynomial and
// commit, verify the n-1 sub-shares it receives, add them to its share, and
// sum the n refresh commitments into the new epoch's commitments.
void refresh_node(benchmark::State& state) {
  seeded_random rng{13};
  const std::size_t t = arg_t(state);
  const std::size_t n = arg_n(state);
  auto d = deal(scalar::random(rng), t, n, rng);
  const share own = d->shares[0];
  std::vector<sub_share> incoming;
  std::vector<commitment> incoming_commitments;
  for (std::size_t i = 2; i <= n; ++i) {
    auto dealing = deal_refresh(idx(i), t, rng);
    incoming.push_back(*dealing->sub_share_for(own.index));
    incoming_commitments.push_back(dealing->commitments);
  }
  for (auto _ : state) {
    auto mine = deal_refresh(own.index, t, rng);
    std::vector<sub_share> received = incoming;
    received.push_back(*mine->sub_share_for(own.index));
    std::vector<commitment> commitments = incoming_commitments;
    commitments.push_back(mine->commitments);
    bool all_ok = true;
    for (std::size_t i = 0; i + 1 < n; ++i)
      all_ok &= verify_refresh_sub_share(incoming_commitments[i], incoming[i], t).ok();
    auto next = add_sub_shares(own, received);
    auto next_commitments = refresh_commitments(d->commitments, commitments);
    benchmark::DoNotOptimize(all_ok && next.ok() && next_commitments.ok());
  }
}

// ---- floor accounting ----------------------------------------------------

struct op_count {
  double base = 0;      // crypto_scalarmult_ristretto255_base
  double variable = 0;  // crypto_scalarmult_ristretto255
  double add = 0;       // crypto_core_ristretto255_add
  double scalar_op = 0; // scalar mul/add/sub, all priced as one scalar_mul
  double invert = 0;    // crypto_core_ristretto255_scalar_invert
};

op_count count_for(const std::string& kind, double t, double n) {
  if (kind == "deal_commit")
    // t base multiplications; n Horner evaluations of 2(t-1) scalar ops.
    return {t, 0, 0, n * 2 * (t - 1), 0};
  if (kind == "verify_share")
    // f(i)·G, then Horner over the commitments: t-1 multiplications and adds.
    return {1, t - 1, t - 1, 0, 0};
  if (kind == "interpolate")
    // Batched Lagrange at 0: 4t^2 + 2t - 2 scalar ops and one inversion.
    return {0, 0, 0, 4 * t * t + 2 * t - 2, 1};
  if (kind == "refresh_node")
    // Deal (t base), verify n-1 sub-shares, sum n commitment vectors of t.
    return {t + (n - 1), (n - 1) * (t - 1), (n - 1) * (t - 1) + n * t, 0, 0};
  return {};
}

class floor_reporter : public benchmark::ConsoleReporter {
public:
  // Records seconds per iteration for each benchmark; with
  // --benchmark_repetitions the median is used, which resists the noise of a
  // shared machine.
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const auto& run : runs) {
      if (run.error_occurred || run.iterations == 0)
        continue;
      const std::string name = run.run_name.str();
      const double seconds =
        run.GetAdjustedRealTime() / benchmark::GetTimeUnitMultiplier(run.time_unit);
      if (run.run_type == Run::RT_Aggregate) {
        if (run.aggregate_name == "median") {
          seconds_[name] = seconds;
          medians_[name] = true;
        }
      } else if (!medians_[name]) {
        seconds_[name] = seconds;
      }
    }
    ConsoleReporter::ReportRuns(runs);
  }

  void print_table() const {
    const auto cost = [&](const char* name) {
      const auto it = seconds_.find(name);
      return it == seconds_.end() ? -1.0 : it->second * 1e6;
    };
    const double base = cost("floor/scalarmult_base");
    const double variable = cost("floor/scalarmult");
    const double add = cost("floor/point_add");
    const double smul = cost("floor/scalar_mul");
    const double inv = cost("floor/scalar_invert");
    std::printf("\nlibsodium floor (us): scalarmult_base %.2f, scalarmult %.2f, add %.2f, "
                "scalar_mul %.3f, scalar_invert %.2f\n",
                base, variable, add, smul, inv);
    if (base < 0 || variable < 0 || add < 0 || smul < 0 || inv < 0) {
      std::printf("(a floor benchmark was filtered out; ratios need all five)\n");
      return;
    }
    std::printf("\n| benchmark | base | var | add | scalar | inv | measured us | floor us "
                "| ratio |\n|---|---|---|---|---|---|---|---|---|\n");
    for (const auto& [name, seconds] : seconds_) {
      if (name.rfind("floor/", 0) == 0)
        continue;
      // Names look like "verify_share/t:3/n:5".
      const auto slash = name.find('/');
      const std::string kind = name.substr(0, slash);
      double t = 0;
      double n = 0;
      std::sscanf(name.c_str() + slash, "/t:%lf/n:%lf", &t, &n);
      const auto c = count_for(kind, t, n);
      const double floor_us = c.base * base + c.variable * variable + c.add * add
                              + c.scalar_op * smul + c.invert * inv;
      const double measured = seconds * 1e6;
      std::printf("| %s | %.0f | %.0f | %.0f | %.0f | %.0f | %.1f | %.1f | %.2f |\n",
                  name.c_str(), c.base, c.variable, c.add, c.scalar_op, c.invert, measured,
                  floor_us, floor_us > 0 ? measured / floor_us : 0.0);
    }
  }

private:
  std::map<std::string, double> seconds_;
  std::map<std::string, bool> medians_;
};

void shapes(benchmark::internal::Benchmark* b) {
  b->ArgNames({"t", "n"})->Args({3, 5})->Args({5, 9})->Unit(benchmark::kMicrosecond);
}

} // namespace

BENCHMARK(floor_scalarmult_base)->Name("floor/scalarmult_base")->Unit(benchmark::kMicrosecond);
BENCHMARK(floor_scalarmult)->Name("floor/scalarmult")->Unit(benchmark::kMicrosecond);
BENCHMARK(floor_point_add)->Name("floor/point_add")->Unit(benchmark::kMicrosecond);
BENCHMARK(floor_scalar_mul)->Name("floor/scalar_mul")->Unit(benchmark::kMicrosecond);
BENCHMARK(floor_scalar_invert)->Name("floor/scalar_invert")->Unit(benchmark::kMicrosecond);
BENCHMARK(deal_commit)->Apply(shapes);
BENCHMARK(verify_share)->Apply(shapes);
BENCHMARK(interpolate)->Apply(shapes);
BENCHMARK(refresh_node)->Apply(shapes);

int main(int argc, char** argv) {
  if (!pss::crypto::init()) {
    std::fprintf(stderr, "crypto_bench: libsodium failed to initialise\n");
    return 1;
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv))
    return 1;
  floor_reporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  reporter.print_table();
  benchmark::Shutdown();
  return 0;
}
