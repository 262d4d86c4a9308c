// What signed requests cost per request (docs/access.md, issue 12): the
// client signs each request for its node (Ed25519 over the encoded request),
// and the node decodes the envelope, verifies the signature, checks the
// policy and remembers the nonce. A get of a secret with t = 3 on 5 nodes
// signs 1 read and up to 5 share requests; each node admits one. The floor
// benchmarks are libsodium's own Ed25519 sign and verify over the same bytes,
// measured in the same run, so the wrapper's overhead is the difference.
#include <benchmark/benchmark.h>
#include <sodium.h>

#include <memory>
#include <vector>

#include "access/policy.hpp"
#include "access/request_guard.hpp"
#include "access/signed_request.hpp"
#include "audit/audit_log.hpp"
#include "crypto/random_source.hpp"
#include "storage/posix_file_system.hpp"

#include <filesystem>
#include <unistd.h>

using namespace pss;
using namespace pss::access;

namespace {

constexpr unix_ms start = 1'700'000'000'000;
// About the size of a get_share_request (type, request id, name, version, reader key).
const bytes body(80, 0x42);

void floor_ed25519_sign(benchmark::State& state) {
  crypto::seeded_random rng{1};
  const auto key = crypto::sign_key_pair::generate(rng);
  std::uint8_t sig[crypto_sign_BYTES];
  for (auto _ : state) {
    crypto_sign_detached(sig, nullptr, body.data(), body.size(), key.secret_key.data());
    benchmark::DoNotOptimize(sig);
  }
}

void floor_ed25519_verify(benchmark::State& state) {
  crypto::seeded_random rng{2};
  const auto key = crypto::sign_key_pair::generate(rng);
  std::uint8_t sig[crypto_sign_BYTES];
  crypto_sign_detached(sig, nullptr, body.data(), body.size(), key.secret_key.data());
  for (auto _ : state)
    benchmark::DoNotOptimize(crypto_sign_verify_detached(sig, body.data(), body.size(), key.public_key.bytes().data()));
}

void client_signs_request(benchmark::State& state) {
  crypto::seeded_random rng{3};
  const auto key = crypto::sign_key_pair::generate(rng);
  for (auto _ : state) {
    auto q = sign_request(key, "pss-bench", node_id{2}, start, request_lifetime_ms_default, body, rng);
    benchmark::DoNotOptimize(encode_signed_request(*q));
  }
}

// Fresh requests, signed ahead of the timed loop; the guard's replay cache
// grows as in a busy node (entries expire after a minute of wall time).
void node_admits_request(benchmark::State& state) {
  crypto::seeded_random rng{4};
  const auto key = crypto::sign_key_pair::generate(rng);
  const policy p = policy::bootstrap(key.public_key);
  std::vector<bytes> requests;
  for (int i = 0; i < 4096; ++i)
    requests.push_back(encode_signed_request(
      *sign_request(key, "pss-bench", node_id{2}, start, request_lifetime_ms_default, body, rng)));
  std::size_t next = 0;
  auto guard = std::make_unique<request_guard>("pss-bench", node_id{2}, start);
  for (auto _ : state) {
    if (next == requests.size()) {
      state.PauseTiming();
      guard = std::make_unique<request_guard>("pss-bench", node_id{2}, start);
      next = 0;
      state.ResumeTiming();
    }
    auto a = guard->admit(requests[next++], start + 1, p);
    benchmark::DoNotOptimize(a.request.has_value() && p.allows(key.public_key, right::read, "app/db", start + 1));
  }
}

// The audit record of one share release, made durable: one fdatasync per
// record (a lone get), or one per batch of `state.range(0)` records (group
// commit across concurrent gets). The log lives in the working directory,
// on the same disk a node's data would be (/tmp may be memory).
void node_audits_release(benchmark::State& state) {
  const std::string dir = (std::filesystem::current_path() / (".audit-bench." + std::to_string(::getpid()))).string();
  std::filesystem::remove_all(dir);
  storage::posix_file_system fs;
  auto log = audit::log::open(fs, dir, {"pss-bench", node_id{2}}, storage::open_mode::initialise);
  if (!log.ok()) {
    state.SkipWithError(log.err().message().c_str());
    return;
  }
  audit::record r;
  r.what = audit::action::share_released;
  r.name = "app/db";
  r.version = 1;
  const auto batch = static_cast<std::size_t>(state.range(0));
  for (auto _ : state) {
    for (std::size_t i = 0; i < batch; ++i) benchmark::DoNotOptimize((*log)->append(r).ok());
    benchmark::DoNotOptimize((*log)->sync().ok());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * batch));
  log->reset();
  std::filesystem::remove_all(dir);
}

} // namespace

BENCHMARK(node_audits_release)->Arg(1)->Arg(16);
BENCHMARK(floor_ed25519_sign);
BENCHMARK(floor_ed25519_verify);
BENCHMARK(client_signs_request);
BENCHMARK(node_admits_request);
BENCHMARK_MAIN();
