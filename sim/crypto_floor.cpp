#include "sim/crypto_floor.hpp"

#include <algorithm>
#include <chrono>
#include <vector>

#include "core/check.hpp"
#include "crypto/envelope.hpp"
#include "crypto/feldman.hpp"
#include "crypto/random_source.hpp"
#include "crypto/seal.hpp"
#include "crypto/sign.hpp"

namespace pss::sim {
namespace {

using clock = std::chrono::steady_clock;

const byte_view context = as_bytes("pss crypto floor");
const byte_view request = as_bytes("a signed request of about the size of a store, 64 bytes........");

struct parties {
  crypto::seeded_random rng{1};
  crypto::sign_key_pair client = crypto::sign_key_pair::generate(rng);
  crypto::box_key_pair reader = crypto::box_key_pair::generate(rng);
  std::vector<crypto::box_key_pair> nodes;
  explicit parties(std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) nodes.push_back(crypto::box_key_pair::generate(rng));
  }
};

// A request signed by the client and checked by the node that takes it.
void signed_request(parties& p) {
  auto sig = crypto::sign(p.client, context, request);
  PSS_CHECK(sig.ok());
  PSS_CHECK(crypto::verify_signature(p.client.public_key, context, request, *sig).ok());
}

void one_put(parties& p, std::size_t t) {
  const crypto::scalar k = crypto::scalar::random_nonzero(p.rng);
  auto dealt = crypto::deal(k, t, p.nodes.size(), p.rng);
  PSS_CHECK(dealt.ok());
  PSS_CHECK(crypto::envelope_seal(k, request, {"c", "name", {}, nullptr}, p.rng).ok());
  const crypto::box_key_pair ephemeral = crypto::box_key_pair::generate(p.rng);
  for (std::size_t i = 0; i < p.nodes.size(); ++i) {
    const secure_bytes plain = crypto::encode_share(dealt->shares[i]);
    auto box = crypto::seal_with(ephemeral, p.nodes[i].public_key, plain.view(), context, p.rng);
    PSS_CHECK(box.ok());
    signed_request(p);
    auto opened = crypto::open_sealed(p.nodes[i], *box, context);
    PSS_CHECK(opened.ok());
    auto share = crypto::decode_share(opened->view());
    PSS_CHECK(share.ok() && dealt->commitments.verify(*share).ok());
  }
  signed_request(p); // the propose
}

void one_get(parties& p, const crypto::dealing& d, const crypto::envelope& env, std::size_t t) {
  std::vector<crypto::share> got;
  for (std::size_t i = 0; i < t; ++i) {
    signed_request(p);
    const secure_bytes plain = crypto::encode_share(d.shares[i]);
    auto box = crypto::seal_from(p.nodes[i], p.reader.public_key, plain.view(), context, p.rng);
    PSS_CHECK(box.ok());
    auto opened = crypto::open_sealed_from(p.reader, p.nodes[i].public_key, *box, context);
    PSS_CHECK(opened.ok());
    auto share = crypto::decode_share(opened->view());
    PSS_CHECK(share.ok());
    got.push_back(*share);
  }
  auto rebuilt = crypto::reconstruct(d.commitments, got);
  PSS_CHECK(rebuilt.ok());
  PSS_CHECK(crypto::envelope_open(rebuilt->secret, env, {"c", "name", {}, nullptr}).ok());
}

template <class F>
double median_us(int reps, F&& f) {
  std::vector<double> times;
  for (int i = 0; i < reps; ++i) {
    const auto began = clock::now();
    f();
    times.push_back(std::chrono::duration<double, std::micro>(clock::now() - began).count());
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

} // namespace

crypto_floor measure_crypto_floor(std::size_t n, std::size_t t, int reps) {
  PSS_CHECK(t >= 1 && t <= n && reps > 0);
  parties p{n};
  const crypto::scalar k = crypto::scalar::random_nonzero(p.rng);
  auto dealt = crypto::deal(k, t, n, p.rng);
  PSS_CHECK(dealt.ok());
  auto env = crypto::envelope_seal(k, request, {"c", "name", {}, nullptr}, p.rng);
  PSS_CHECK(env.ok());
  crypto_floor f;
  f.put_us = median_us(reps, [&] { one_put(p, t); });
  f.get_us = median_us(reps, [&] { one_get(p, *dealt, *env, t); });
  return f;
}

} // namespace pss::sim
