// A full batched refresh epoch, in one process on one thread, next to the
// scalar-field floor it implies.
//
// n = 5 nodes, t = 3, M secrets. Every node deals one batch (M polynomials
// and the mask), evaluates a bundle for each of the 5 receivers (itself
// included), encodes it in chunks and seals each chunk to the receiver.
// Every receiver opens and reassembles each bundle, derives the challenge
// coefficients, computes its response for every dealer; the public check runs
// for every dealer; every receiver adds the 5 bundles to its M shares.
//
// The table printed at the end splits the epoch into phases and prices each
// phase by its count of libsodium calls (scalar mul, scalar add, 64-byte
// reduction, BLAKE2b block, AEAD byte) measured in the same run.
#include <benchmark/benchmark.h>
#include <sodium.h>

#include <chrono>
#include <ctime>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "crypto/batch.hpp"
#include "crypto/context.hpp"
#include "crypto/seal.hpp"
#include "crypto/sodium.hpp"

using namespace pss;
using namespace pss::crypto;

namespace {

constexpr std::size_t nodes = 5;
constexpr std::size_t threshold = 3;

share_index idx(std::size_t i) { return share_index{static_cast<std::uint32_t>(i)}; }

// ---- floor operations -------------------------------------------------------

void floor_scalar_mul(benchmark::State& state) {
  seeded_random rng{1};
  const auto a = scalar::random(rng);
  const auto b = scalar::random(rng);
  std::uint8_t out[32];
  for (auto _ : state) {
    crypto_core_ristretto255_scalar_mul(out, a.data(), b.data());
    benchmark::ClobberMemory();
  }
}

void floor_scalar_add(benchmark::State& state) {
  seeded_random rng{2};
  const auto a = scalar::random(rng);
  const auto b = scalar::random(rng);
  std::uint8_t out[32];
  for (auto _ : state) {
    crypto_core_ristretto255_scalar_add(out, a.data(), b.data());
    benchmark::ClobberMemory();
  }
}

void floor_scalar_reduce(benchmark::State& state) {
  std::uint8_t wide[64];
  randombytes_buf(wide, sizeof wide);
  std::uint8_t out[32];
  for (auto _ : state) {
    crypto_core_ristretto255_scalar_reduce(out, wide);
    benchmark::ClobberMemory();
  }
}

// One BLAKE2b-512 of a short message (one compression).
void floor_blake2b(benchmark::State& state) {
  std::uint8_t in[64]{};
  std::uint8_t out[64];
  for (auto _ : state) {
    crypto_generichash(out, sizeof out, in, sizeof in, nullptr, 0);
    benchmark::ClobberMemory();
  }
}

// BLAKE2b over 512 KiB (the transcript digest); the table divides by the bytes.
void floor_blake2b_512k(benchmark::State& state) {
  std::vector<std::uint8_t> in(512 * 1024, 7);
  std::uint8_t out[32];
  for (auto _ : state) {
    crypto_generichash(out, sizeof out, in.data(), in.size(), nullptr, 0);
    benchmark::ClobberMemory();
  }
}

// XChaCha20-Poly1305 over 512 KiB; the table divides by the bytes.
void floor_aead_512k(benchmark::State& state) {
  std::vector<std::uint8_t> in(512 * 1024, 7);
  std::vector<std::uint8_t> out(in.size() + 16);
  std::uint8_t key[32]{};
  std::uint8_t nonce[24]{};
  for (auto _ : state) {
    unsigned long long len = 0;
    crypto_aead_xchacha20poly1305_ietf_encrypt(out.data(), &len, in.data(), in.size(),
                                               nullptr, 0, nullptr, nonce, key);
    benchmark::ClobberMemory();
  }
}

// ---- the epoch ----------------------------------------------------------------

struct phases {
  double deal = 0;      // deal_batch and bundles_for (draw + evaluate)
  double seal = 0;      // encode chunks + seal
  double open = 0;      // open + reassemble (decode)
  double challenge = 0; // transcript digest + λ, once per receiver
  double combine = 0;   // every receiver's response for every dealer
  double check = 0;     // the public check per dealer
  double apply = 0;     // s + Σ δ
  double total = 0;     // CPU
  double wall = 0;
};

std::map<std::size_t, phases> measured; // by M, seconds per epoch

// Phases are timed in this thread's CPU time: the development machine is
// shared, and wall time there includes other processes. The epoch's wall
// time is reported next to it.
struct cpu_clock {
  using time_point = double;
  static double now() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
  }
};
using clock_type = cpu_clock;
double since(double start) { return clock_type::now() - start; }
using wall_clock = std::chrono::steady_clock;

void fail(benchmark::State& state, const char* what) { state.SkipWithError(what); }

void batch_refresh(benchmark::State& state) {
  const auto m_count = static_cast<std::size_t>(state.range(0));
  seeded_random rng{10};
  std::vector<box_key_pair> keys;
  std::vector<share_index> receivers;
  for (std::size_t j = 1; j <= nodes; ++j) {
    keys.push_back(box_key_pair::generate(rng));
    receivers.push_back(idx(j));
  }
  // Each node's current shares: values do not matter for the cost.
  std::vector<std::vector<scalar>> shares(nodes);
  for (auto& s : shares)
    for (std::size_t m = 0; m < m_count; ++m)
      s.push_back(scalar::random(rng));
  phases sum;
  std::size_t epochs = 0;

  for (auto _ : state) {
    const auto epoch_start = clock_type::now();
    const auto wall_start = wall_clock::now();
    // Deal: bundles[dealer][receiver].
    auto start = clock_type::now();
    std::vector<std::vector<sub_share_bundle>> bundles;
    for (std::size_t d = 1; d <= nodes; ++d) {
      auto dealing = deal_batch(idx(d), m_count, threshold, refresh_point, rng);
      if (!dealing.ok())
        return fail(state, "deal");
      auto b = dealing->bundles_for(receivers);
      if (!b.ok())
        return fail(state, "bundles_for");
      bundles.push_back(std::move(*b));
    }
    sum.deal += since(start);

    // Seal: sealed[dealer][receiver] is a list of sealed chunks.
    start = clock_type::now();
    std::vector<std::vector<std::vector<bytes>>> sealed(nodes);
    for (std::size_t d = 0; d < nodes; ++d) {
      for (std::size_t j = 0; j < nodes; ++j) {
        auto associated = encode_context({"refresh/batch_chunk", "bench", epoch_id{1}, {},
                                          secret_version{}, node_id{d + 1}, node_id{j + 1}});
        auto chunks = encode_bundle_chunks(bundles[d][j]);
        if (!associated.ok() || !chunks.ok())
          return fail(state, "encode");
        std::vector<bytes> out;
        for (const auto& c : *chunks) {
          auto s = seal(keys[j].public_key, c.view(), *associated, rng);
          if (!s.ok())
            return fail(state, "seal");
          out.push_back(std::move(*s));
        }
        sealed[d].push_back(std::move(out));
      }
    }
    bundles.clear();
    sum.seal += since(start);

    // Open: received[receiver][dealer].
    start = clock_type::now();
    std::vector<std::vector<sub_share_bundle>> received(nodes);
    for (std::size_t j = 0; j < nodes; ++j) {
      for (std::size_t d = 0; d < nodes; ++d) {
        auto associated = encode_context({"refresh/batch_chunk", "bench", epoch_id{1}, {},
                                          secret_version{}, node_id{d + 1}, node_id{j + 1}});
        if (!associated.ok())
          return fail(state, "context");
        std::vector<secure_bytes> plain;
        std::vector<byte_view> views;
        for (const auto& s : sealed[d][j]) {
          auto p = open_sealed(keys[j], s, *associated);
          if (!p.ok())
            return fail(state, "open");
          plain.push_back(std::move(*p));
        }
        for (const auto& p : plain)
          views.push_back(p.view());
        auto b = reassemble_bundle(views);
        if (!b.ok())
          return fail(state, "reassemble");
        received[j].push_back(std::move(*b));
      }
    }
    sum.open += since(start);

    // Challenge: one BLAKE2b pass over every sealed chunk stands for the
    // protocol's binding of the dealings (each dealer digests what it sends);
    // then each receiver derives λ itself.
    start = clock_type::now();
    crypto_generichash_state h;
    crypto_generichash_init(&h, nullptr, 0, 32);
    for (const auto& per_dealer : sealed)
      for (const auto& per_receiver : per_dealer)
        for (const auto& chunk : per_receiver)
          crypto_generichash_update(&h, chunk.data(), chunk.size());
    std::uint8_t digest[32];
    crypto_generichash_final(&h, digest, sizeof digest);
    std::vector<std::vector<scalar>> lambdas;
    for (std::size_t j = 0; j < nodes; ++j) {
      auto l = challenge_coefficients(byte_view{digest, sizeof digest}, m_count);
      if (!l.ok())
        return fail(state, "challenge");
      lambdas.push_back(std::move(*l));
    }
    sealed.clear();
    sum.challenge += since(start);

    // Combine: responses[dealer] = the points from every receiver.
    start = clock_type::now();
    std::vector<std::vector<batch_point>> responses(nodes);
    for (std::size_t j = 0; j < nodes; ++j) {
      for (std::size_t d = 0; d < nodes; ++d) {
        auto c = combine(received[j][d], lambdas[j]);
        if (!c.ok())
          return fail(state, "combine");
        responses[d].emplace_back(receivers[j], *c);
      }
    }
    sum.combine += since(start);

    start = clock_type::now();
    for (std::size_t d = 0; d < nodes; ++d)
      if (!check_batch_points(responses[d], threshold, refresh_point).ok())
        return fail(state, "check");
    sum.check += since(start);

    start = clock_type::now();
    for (std::size_t j = 0; j < nodes; ++j)
      for (std::size_t d = 0; d < nodes; ++d)
        if (!add_bundle(shares[j], received[j][d]).ok())
          return fail(state, "apply");
    sum.apply += since(start);
    sum.total += since(epoch_start);
    sum.wall += std::chrono::duration<double>(wall_clock::now() - wall_start).count();
    ++epochs;
  }
  const double e = static_cast<double>(epochs);
  measured[m_count] = {sum.deal / e,    sum.seal / e,  sum.open / e,  sum.challenge / e,
                       sum.combine / e, sum.check / e, sum.apply / e, sum.total / e, sum.wall / e};
  state.counters["us_per_secret_node"] = benchmark::Counter(
    sum.total * 1e6 / (e * static_cast<double>(m_count * nodes)));
}

class floor_reporter : public benchmark::ConsoleReporter {
public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const auto& run : runs)
      if (!run.error_occurred && run.iterations > 0 && run.run_type == Run::RT_Iteration)
        seconds_[run.run_name.str()] =
          run.GetAdjustedCPUTime() / benchmark::GetTimeUnitMultiplier(run.time_unit);
    ConsoleReporter::ReportRuns(runs);
  }

  [[nodiscard]] double ns(const char* name) const {
    const auto it = seconds_.find(name);
    return it == seconds_.end() ? -1.0 : it->second * 1e9;
  }

private:
  std::map<std::string, double> seconds_;
};

void print_table(const floor_reporter& reporter) {
  const double mul = reporter.ns("floor/scalar_mul");
  const double add = reporter.ns("floor/scalar_add");
  const double reduce = reporter.ns("floor/scalar_reduce");
  const double blake = reporter.ns("floor/blake2b_512");
  const double aead_byte = reporter.ns("floor/aead_512KiB") / (512.0 * 1024.0);
  const double blake_byte = reporter.ns("floor/blake2b_512KiB") / (512.0 * 1024.0);
  std::printf("\nfloor (ns): scalar_mul %.1f, scalar_add %.1f, reduce64 %.1f, blake2b-512 "
              "%.1f, aead per byte %.3f, blake2b per byte %.3f (CPU time)\n",
              mul, add, reduce, blake, aead_byte, blake_byte);
  if (mul < 0 || add < 0 || reduce < 0 || blake < 0 || aead_byte < 0 || blake_byte < 0) {
    std::printf("(a floor benchmark was filtered out; the table needs all of them)\n");
    return;
  }
  const double n = nodes;
  const double t = threshold;
  std::printf("\nEpoch: n=%zu, t=%zu, single thread; CPU ms per epoch (floor ms, ratio)\n",
              nodes, threshold);
  std::printf("\n| M | deal | seal | open | challenge | combine | check | apply | epoch CPU | "
              "floor | epoch wall | CPU us/secret/node |\n"
              "|---|---|---|---|---|---|---|---|---|---|---|---|\n");
  for (const auto& [m_count, p] : measured) {
    const double m = static_cast<double>(m_count);
    const double rows = m + 1;
    // deal: n(M+1)(t-1) reductions; n·n·(M+1) evaluations of (t-1) mul, (t-2) add.
    const double deal_floor = n * rows * (t - 1) * reduce + n * n * rows * ((t - 1) * mul + (t - 2) * add);
    // seal/open: the AEAD over n·n·(M+1)·32 bytes; open also decodes each
    // value (one reduction for the canonical check).
    const double bytes_sealed = n * n * rows * 32;
    const double seal_floor = bytes_sealed * aead_byte;
    const double open_floor = bytes_sealed * aead_byte + n * n * rows * reduce;
    // challenge: one pass over the sealed bytes, then each of n receivers
    // makes M hashes and M reductions.
    const double challenge_floor = bytes_sealed * blake_byte + n * m * (blake + reduce);
    // combine: n·n·M multiplications and additions.
    const double combine_floor = n * n * m * (mul + add);
    // apply: n·n·M additions.
    const double apply_floor = n * n * m * add;
    const double floor_total =
      deal_floor + seal_floor + open_floor + challenge_floor + combine_floor + apply_floor;
    auto cell = [](double seconds, double floor_ns) {
      static char buf[64];
      std::snprintf(buf, sizeof buf, "%.1f (%.1f, %.2f)", seconds * 1e3, floor_ns / 1e6,
                    floor_ns > 0 ? seconds * 1e9 / floor_ns : 0.0);
      return std::string{buf};
    };
    std::printf("| %zu | %s | %s | %s | %s | %s | %.2f | %s | %.1f | %.1f | %.1f | %.2f |\n",
                m_count, cell(p.deal, deal_floor).c_str(), cell(p.seal, seal_floor).c_str(),
                cell(p.open, open_floor).c_str(), cell(p.challenge, challenge_floor).c_str(),
                cell(p.combine, combine_floor).c_str(), p.check * 1e3,
                cell(p.apply, apply_floor).c_str(), p.total * 1e3, floor_total / 1e6,
                p.wall * 1e3, p.total * 1e6 / (m * n));
  }
}

} // namespace

BENCHMARK(floor_scalar_mul)->Name("floor/scalar_mul");
BENCHMARK(floor_scalar_add)->Name("floor/scalar_add");
BENCHMARK(floor_scalar_reduce)->Name("floor/scalar_reduce");
BENCHMARK(floor_blake2b)->Name("floor/blake2b_512");
BENCHMARK(floor_blake2b_512k)->Name("floor/blake2b_512KiB")->Unit(benchmark::kMicrosecond);
BENCHMARK(floor_aead_512k)->Name("floor/aead_512KiB")->Unit(benchmark::kMicrosecond);
BENCHMARK(batch_refresh)
  ->Name("batch_refresh_epoch/n:5/t:3")
  ->ArgName("M")
  ->Arg(1000)->Iterations(10)
  ->Unit(benchmark::kMillisecond);
BENCHMARK(batch_refresh)
  ->Name("batch_refresh_epoch/n:5/t:3")
  ->ArgName("M")
  ->Arg(10000)->Iterations(3)
  ->Unit(benchmark::kMillisecond);
BENCHMARK(batch_refresh)
  ->Name("batch_refresh_epoch/n:5/t:3")
  ->ArgName("M")
  ->Arg(100000)->Iterations(1)
  ->Unit(benchmark::kMillisecond);

int main(int argc, char** argv) {
  if (!pss::crypto::init().ok()) {
    std::fprintf(stderr, "batch_bench: libsodium failed to initialise\n");
    return 1;
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv))
    return 1;
  floor_reporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  print_table(reporter);
  benchmark::Shutdown();
  return 0;
}
