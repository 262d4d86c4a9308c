#include <doctest/doctest.h>

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

#include "core/prng.hpp"
#include "crypto/batch.hpp"
#include "crypto/shamir.hpp"
#include "test_support.hpp"

using namespace pss;
using namespace pss::crypto;
using pss::crypto::testing::random_subset;

namespace {
share_index idx(std::size_t i) { return share_index{static_cast<std::uint32_t>(i)}; }

const bytes digest(32, 0x5a);

// The receivers of a round: 1..n without x0.
std::vector<share_index> receivers_of(std::size_t n, special_point x0) {
  std::vector<share_index> out;
  for (std::size_t i = 1; i <= n; ++i)
    if (idx(i) != x0)
      out.push_back(idx(i));
  return out;
}

std::vector<sub_share_bundle> deal_bundles(std::size_t m, std::size_t t, special_point x0,
                                           const std::vector<share_index>& receivers,
                                           random_source& rng, share_index dealer = idx(1)) {
  if (dealer == x0)
    dealer = idx(2);
  auto d = deal_batch(dealer, m, t, x0, rng);
  REQUIRE(d.ok());
  auto bundles = d->bundles_for(receivers);
  REQUIRE(bundles.ok());
  return std::move(*bundles);
}

// Every receiver's response, then the public check.
status run_check(const std::vector<sub_share_bundle>& bundles, std::size_t t,
                 special_point x0) {
  auto lambdas = challenge_coefficients(digest, bundles.front().values.size());
  REQUIRE(lambdas.ok());
  std::vector<batch_point> points;
  for (const auto& b : bundles) {
    auto c = combine(b, *lambdas);
    REQUIRE(c.ok());
    points.emplace_back(b.recipient, *c);
  }
  return check_batch_points(points, t, x0);
}

scalar x_of(share_index i) { return scalar::from_u64(i.value()); }

scalar power(const scalar& x, std::size_t e) {
  scalar out = scalar::one();
  for (std::size_t i = 0; i < e; ++i)
    out *= x;
  return out;
}

struct shape {
  std::size_t t;
  std::size_t n;
  special_point x0;
};

std::vector<shape> shapes() {
  std::vector<shape> out;
  for (std::size_t t : {2u, 3u, 5u})
    for (std::size_t n : {t, t + 1, std::size_t{9}}) {
      out.push_back({t, n, refresh_point});
      out.push_back({t, n + 1, idx(n + 1 > 4 ? 4 : n + 1)}); // recovery: n helpers
    }
  return out;
}
} // namespace

TEST_CASE("batch: honest dealings pass the public check for refresh and recovery") {
  seeded_random rng{101};
  for (const auto& s : shapes()) {
    CAPTURE(s.t);
    CAPTURE(s.n);
    CAPTURE(s.x0.value());
    const auto receivers = receivers_of(s.n, s.x0);
    REQUIRE(receivers.size() >= s.t);
    const auto bundles = deal_bundles(17, s.t, s.x0, receivers, rng);
    CHECK(run_check(bundles, s.t, s.x0).ok());
  }
}

TEST_CASE("batch: every dealt polynomial vanishes at x0 and has degree at most t-1") {
  seeded_random rng{102};
  for (const auto& s : shapes()) {
    const auto receivers = receivers_of(s.n, s.x0);
    const auto bundles = deal_bundles(5, s.t, s.x0, receivers, rng);
    for (std::size_t m = 0; m < 5; ++m) {
      std::vector<batch_point> points;
      for (const auto& b : bundles)
        points.emplace_back(b.recipient, b.values[m]);
      CHECK(check_batch_points(points, s.t, s.x0).ok());
    }
  }
}

TEST_CASE("batch: a value altered for one secret and one receiver is caught") {
  seeded_random rng{103};
  prng pick{104};
  for (const auto& s : shapes()) {
    CAPTURE(s.t);
    CAPTURE(s.n);
    const auto receivers = receivers_of(s.n, s.x0);
    auto bundles = deal_bundles(20, s.t, s.x0, receivers, rng);
    const std::size_t j = pick.below(bundles.size());
    const std::size_t m = pick.below(20);
    bundles[j].values[m] += scalar::one();
    const auto checked = run_check(bundles, s.t, s.x0);
    REQUIRE_FALSE(checked.ok());
    CHECK(checked.err().code() == errc::verification_failed);
  }
}

TEST_CASE("batch: a polynomial that does not vanish at x0 is caught") {
  seeded_random rng{105};
  for (const auto& s : shapes()) {
    const auto receivers = receivers_of(s.n, s.x0);
    auto bundles = deal_bundles(20, s.t, s.x0, receivers, rng);
    // δ_7 + c: still degree <= t-1, but δ_7(x0) = c.
    const auto c = scalar::random_nonzero(rng);
    for (auto& b : bundles)
      b.values[7] += c;
    CHECK_FALSE(run_check(bundles, s.t, s.x0).ok());
  }
}

TEST_CASE("batch: a polynomial of degree t that vanishes at x0 is caught") {
  seeded_random rng{106};
  for (const auto& s : shapes()) {
    CAPTURE(s.t);
    CAPTURE(s.n);
    const auto receivers = receivers_of(s.n, s.x0);
    auto bundles = deal_bundles(20, s.t, s.x0, receivers, rng);
    // δ_3 + c·(x - x0)·x^{t-1}: zero at x0, degree t.
    const auto c = scalar::random_nonzero(rng);
    for (auto& b : bundles)
      b.values[3] += c * (x_of(b.recipient) - x_of(s.x0)) * power(x_of(b.recipient), s.t - 1);
    CHECK_FALSE(run_check(bundles, s.t, s.x0).ok());
  }
}

TEST_CASE("batch: an inconsistent mask is caught") {
  seeded_random rng{107};
  for (const auto& s : shapes()) {
    const auto receivers = receivers_of(s.n, s.x0);
    auto bundles = deal_bundles(20, s.t, s.x0, receivers, rng);
    bundles.back().mask += scalar::one();
    CHECK_FALSE(run_check(bundles, s.t, s.x0).ok());
    // A mask that is off at x0 for everyone.
    auto again = deal_bundles(20, s.t, s.x0, receivers, rng);
    for (auto& b : again)
      b.mask += scalar::one();
    CHECK_FALSE(run_check(again, s.t, s.x0).ok());
  }
}

TEST_CASE("batch: the check is not vacuous: t-1 responses are refused, t catch a fault") {
  seeded_random rng{108};
  const std::size_t t = 3;
  const auto receivers = receivers_of(5, refresh_point);
  auto bundles = deal_bundles(10, t, refresh_point, receivers, rng);
  bundles[0].values[0] += scalar::one();
  auto lambdas = challenge_coefficients(digest, 10);
  REQUIRE(lambdas.ok());
  std::vector<batch_point> points;
  for (const auto& b : bundles)
    points.emplace_back(b.recipient, *combine(b, *lambdas));
  // t-1 points: every dealing fits, so the check must refuse, not pass.
  const auto few = check_batch_points(std::span{points}.first(t - 1), t, refresh_point);
  REQUIRE_FALSE(few.ok());
  CHECK(few.err().code() == errc::insufficient);
  CHECK(few.err().message().find("cannot check") != std::string::npos);
  // Exactly t points include the altered receiver and catch it.
  const auto exact = check_batch_points(std::span{points}.first(t), t, refresh_point);
  REQUIRE_FALSE(exact.ok());
  CHECK(exact.err().code() == errc::verification_failed);
}

TEST_CASE("batch: the error names the first response that does not fit") {
  seeded_random rng{109};
  const auto receivers = receivers_of(6, refresh_point);
  auto bundles = deal_bundles(4, 3, refresh_point, receivers, rng);
  bundles[4].values[2] += scalar::one(); // receiver x5, after the 2 base points
  const auto checked = run_check(bundles, 3, refresh_point);
  REQUIRE_FALSE(checked.ok());
  CHECK(checked.err().message().find("x5") != std::string::npos);
}

TEST_CASE("batch: the check refuses zero, duplicate and special-point indices") {
  seeded_random rng{110};
  const auto a = scalar::random(rng);
  const std::vector<batch_point> zero{{idx(0), a}, {idx(1), a}, {idx(2), a}};
  CHECK(check_batch_points(zero, 2, refresh_point).err().code() == errc::invalid_argument);
  const std::vector<batch_point> dup{{idx(1), a}, {idx(1), a}, {idx(2), a}};
  CHECK(check_batch_points(dup, 2, refresh_point).err().code() == errc::duplicate);
  const std::vector<batch_point> special{{idx(1), a}, {idx(3), a}, {idx(2), a}};
  CHECK(check_batch_points(special, 2, idx(3)).err().code() == errc::invalid_argument);
  CHECK_FALSE(check_batch_points(special, 1, refresh_point).ok()); // t = 1
}

TEST_CASE("batch: dealing refuses bad shapes") {
  seeded_random rng{111};
  CHECK(deal_batch(idx(1), 0, 3, refresh_point, rng).err().code() == errc::invalid_argument);
  CHECK(deal_batch(idx(1), batch_secrets_max + 1, 3, refresh_point, rng).err().code()
        == errc::too_large);
  CHECK_FALSE(deal_batch(idx(1), 4, 1, refresh_point, rng).ok());
  CHECK_FALSE(deal_batch(idx(2), 4, 3, idx(2), rng).ok()); // the lost node deals
  CHECK_FALSE(deal_batch(idx(1), 4, 3, idx(256), rng).ok());
  auto d = deal_batch(idx(1), 4, 3, idx(2), rng);
  REQUIRE(d.ok());
  CHECK_FALSE(d->bundle_for(idx(2)).ok()); // the special point
  CHECK_FALSE(d->bundle_for(idx(0)).ok());
  CHECK(d->bundle_for(idx(3)).ok());
}

TEST_CASE("batch: challenge coefficients are deterministic and bound to the digest") {
  auto a = challenge_coefficients(digest, 50);
  auto b = challenge_coefficients(digest, 50);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(std::equal(a->begin(), a->end(), b->begin()));
  auto other_digest = digest;
  other_digest[0] ^= 1;
  auto c = challenge_coefficients(other_digest, 50);
  REQUIRE(c.ok());
  CHECK_FALSE((*a)[0] == (*c)[0]);
  CHECK_FALSE((*a)[0] == (*a)[1]);
  // A prefix of a longer challenge is the shorter challenge.
  auto d = challenge_coefficients(digest, 60);
  REQUIRE(d.ok());
  CHECK(std::equal(a->begin(), a->end(), d->begin()));
  CHECK_FALSE(challenge_coefficients(bytes(31, 1), 5).ok());
  CHECK_FALSE(challenge_coefficients(bytes(65, 1), 5).ok());
  CHECK_FALSE(challenge_coefficients(digest, 0).ok());
}

TEST_CASE("batch: combine refuses a coefficient count that does not match the bundle") {
  seeded_random rng{112};
  const auto bundles = deal_bundles(5, 3, refresh_point, receivers_of(3, refresh_point), rng);
  auto lambdas = challenge_coefficients(digest, 4);
  REQUIRE(lambdas.ok());
  CHECK(combine(bundles[0], *lambdas).err().code() == errc::mismatch);
}

TEST_CASE("batch: a bundle survives encode and decode") {
  seeded_random rng{113};
  const auto bundles = deal_bundles(9, 3, idx(2), receivers_of(5, idx(2)), rng, idx(4));
  for (const auto& b : bundles) {
    auto encoded = encode_bundle(b);
    REQUIRE(encoded.ok());
    CHECK(encoded->size() == bundle_header_bytes + 10 * scalar::size);
    auto decoded = decode_bundle(encoded->view());
    REQUIRE(decoded.ok());
    CHECK(decoded->dealer == idx(4));
    CHECK(decoded->recipient == b.recipient);
    CHECK(decoded->x0 == idx(2));
    CHECK(decoded->mask == b.mask);
    CHECK(std::equal(b.values.begin(), b.values.end(), decoded->values.begin(),
                     decoded->values.end()));
  }
}

TEST_CASE("batch: the bundle decoder rejects truncation, trailing bytes and tampering") {
  seeded_random rng{114};
  const auto bundles = deal_bundles(6, 3, refresh_point, receivers_of(3, refresh_point), rng);
  auto encoded = encode_bundle(bundles[1]);
  REQUIRE(encoded.ok());
  const bytes good(encoded->view().begin(), encoded->view().end());
  for (std::size_t len = 0; len < good.size(); ++len) {
    const auto r = decode_bundle(byte_view{good}.first(len));
    REQUIRE_FALSE(r.ok());
    CHECK(r.err().code() == errc::malformed);
  }
  auto longer = good;
  longer.push_back(0);
  CHECK(decode_bundle(longer).err().code() == errc::malformed);

  auto tamper = [&](std::size_t at, std::uint8_t value) {
    auto copy = good;
    copy[at] = value;
    return decode_bundle(copy);
  };
  CHECK_FALSE(tamper(0, 2).ok());   // version
  CHECK_FALSE(tamper(1, 0).ok());   // dealer 0
  CHECK_FALSE(tamper(5, 0).ok());   // recipient 0
  CHECK_FALSE(tamper(9, 2).ok());   // x0 == recipient (x2)
  CHECK_FALSE(tamper(13, 7).ok());  // total != count
  CHECK_FALSE(tamper(21, 1).ok());  // first != 0: outside the bundle
  CHECK_FALSE(tamper(29, 5).ok());  // count disagrees with the body
  CHECK_FALSE(tamper(29, 0).ok());  // count 0
  // A non-canonical value (>= L) in the mask and in a value.
  for (std::size_t at : {bundle_header_bytes, bundle_header_bytes + 3 * scalar::size}) {
    auto copy = good;
    std::fill(copy.begin() + static_cast<std::ptrdiff_t>(at),
              copy.begin() + static_cast<std::ptrdiff_t>(at + scalar::size), 0xff);
    const auto r = decode_bundle(copy);
    REQUIRE_FALSE(r.ok());
    CHECK(r.err().code() == errc::malformed);
    CHECK(r.err().message().find("canonical") != std::string::npos);
  }
  // A huge declared total and count with a short body fails without allocating.
  auto huge = good;
  std::fill(huge.begin() + 13, huge.begin() + 21, 0xff);
  CHECK_FALSE(decode_bundle(huge).ok());
}

TEST_CASE("batch: chunks reassemble in any order with duplicates, and gaps are named") {
  seeded_random rng{115};
  prng shuffle{116};
  const auto bundles = deal_bundles(50, 3, refresh_point, receivers_of(3, refresh_point), rng);
  const auto& b = bundles[2];
  auto chunks = encode_bundle_chunks(b, 7);
  REQUIRE(chunks.ok());
  REQUIRE(chunks->size() == 8);
  std::vector<byte_view> views;
  for (const auto& c : *chunks)
    views.push_back(c.view());
  views.push_back(views[3]); // a duplicate
  for (std::size_t i = views.size(); i > 1; --i)
    std::swap(views[i - 1], views[shuffle.below(i)]);
  auto whole = reassemble_bundle(views);
  REQUIRE(whole.ok());
  CHECK(whole->mask == b.mask);
  CHECK(std::equal(b.values.begin(), b.values.end(), whole->values.begin(),
                   whole->values.end()));

  // A chunk alone is not a bundle.
  CHECK(decode_bundle((*chunks)[1].view()).err().code() == errc::insufficient);

  // Chunk 2 (secrets 14..20) missing.
  std::vector<byte_view> missing;
  for (std::size_t i = 0; i < chunks->size(); ++i)
    if (i != 2)
      missing.push_back((*chunks)[i].view());
  const auto gap = reassemble_bundle(missing);
  REQUIRE_FALSE(gap.ok());
  CHECK(gap.err().code() == errc::insufficient);
  CHECK(gap.err().message().find("secret 14") != std::string::npos);
  CHECK(reassemble_bundle({}).err().code() == errc::insufficient);

  // A chunk of another receiver's bundle does not mix in.
  auto foreign = encode_bundle_chunks(bundles[0], 7);
  REQUIRE(foreign.ok());
  std::vector<byte_view> mixed{(*chunks)[0].view(), (*foreign)[1].view()};
  CHECK(reassemble_bundle(mixed).err().code() == errc::mismatch);

  // A duplicate that disagrees is a mismatch, not silently overwritten.
  auto altered = b;
  altered.values[0] += scalar::one();
  auto altered_chunks = encode_bundle_chunks(altered, 7);
  REQUIRE(altered_chunks.ok());
  std::vector<byte_view> conflict{(*chunks)[0].view(), (*altered_chunks)[0].view()};
  CHECK(reassemble_bundle(conflict).err().code() == errc::mismatch);

  CHECK_FALSE(encode_bundle_chunks(b, 0).ok());
  CHECK_FALSE(encode_bundle_chunks(b, bundle_chunk_secrets + 1).ok());
}

TEST_CASE("batch: the default chunk fits one seal") {
  CHECK(bundle_header_bytes + (bundle_chunk_secrets + 1) * scalar::size
        <= 1024 * 1024);
}

TEST_CASE("batch: refresh end to end keeps every secret and changes every share") {
  seeded_random rng{117};
  prng cases{118};
  for (const auto& [t, n] : {std::pair<std::size_t, std::size_t>{2, 3}, {3, 5}, {5, 9}}) {
    CAPTURE(t);
    const std::size_t m_count = 12;
    std::vector<scalar> secrets;
    std::vector<std::vector<scalar>> shares(n); // shares[node][m]
    for (std::size_t m = 0; m < m_count; ++m) {
      secrets.push_back(scalar::random(rng));
      auto split_shares = split(secrets.back(), t, n, rng);
      REQUIRE(split_shares.ok());
      for (std::size_t j = 0; j < n; ++j)
        shares[j].push_back((*split_shares)[j].value);
    }
    const auto receivers = receivers_of(n, refresh_point);
    auto lambdas = challenge_coefficients(digest, m_count);
    REQUIRE(lambdas.ok());
    auto next = shares;
    for (std::size_t dealer = 1; dealer <= n; ++dealer) {
      auto d = deal_batch(idx(dealer), m_count, t, refresh_point, rng);
      REQUIRE(d.ok());
      auto bundles = d->bundles_for(receivers);
      REQUIRE(bundles.ok());
      std::vector<batch_point> points;
      for (std::size_t j = 0; j < n; ++j) {
        // Through the codec, as on the wire.
        auto chunks = encode_bundle_chunks((*bundles)[j], 5);
        REQUIRE(chunks.ok());
        std::vector<byte_view> views;
        for (const auto& c : *chunks)
          views.push_back(c.view());
        auto received = reassemble_bundle(views);
        REQUIRE(received.ok());
        points.emplace_back(received->recipient, *combine(*received, *lambdas));
        REQUIRE(add_bundle(next[j], *received).ok());
      }
      REQUIRE(check_batch_points(points, t, refresh_point).ok());
    }
    for (std::size_t m = 0; m < m_count; ++m) {
      std::vector<share> subset;
      for (auto i : random_subset(cases, n, t))
        subset.push_back(share{i, next[i.value() - 1][m]});
      auto k = interpolate_secret(subset, t);
      REQUIRE(k.ok());
      CHECK(*k == secrets[m]);
      for (std::size_t j = 0; j < n; ++j)
        CHECK_FALSE(next[j][m] == shares[j][m]);
    }
  }
}

TEST_CASE("batch: recovery end to end restores the lost shares from masked values") {
  seeded_random rng{119};
  const std::size_t t = 3;
  const std::size_t n = 6;
  const share_index lost = idx(4);
  const std::size_t m_count = 8;
  std::vector<std::vector<share>> shares; // shares[m][node]
  for (std::size_t m = 0; m < m_count; ++m) {
    auto s = split(scalar::random(rng), t, n, rng);
    REQUIRE(s.ok());
    shares.push_back(std::move(*s));
  }
  const auto helpers = receivers_of(n, lost);
  // masked[m][h] = s_h + Σ_d μ_d(h)
  std::vector<std::vector<share>> masked(m_count);
  for (std::size_t m = 0; m < m_count; ++m)
    for (auto h : helpers)
      masked[m].push_back(shares[m][h.value() - 1]);
  auto lambdas = challenge_coefficients(digest, m_count);
  REQUIRE(lambdas.ok());
  for (auto dealer : helpers) {
    auto d = deal_batch(dealer, m_count, t, lost, rng);
    REQUIRE(d.ok());
    auto bundles = d->bundles_for(helpers);
    REQUIRE(bundles.ok());
    std::vector<batch_point> points;
    for (std::size_t j = 0; j < helpers.size(); ++j) {
      points.emplace_back(helpers[j], *combine((*bundles)[j], *lambdas));
      for (std::size_t m = 0; m < m_count; ++m)
        masked[m][j].value += (*bundles)[j].values[m];
    }
    REQUIRE(check_batch_points(points, t, lost).ok());
  }
  for (std::size_t m = 0; m < m_count; ++m) {
    CHECK(check_consistent(masked[m], t).ok());
    auto restored = interpolate_at(std::span{masked[m]}.last(t), t, lost);
    REQUIRE(restored.ok());
    CHECK(*restored == shares[m][lost.value() - 1].value);
    // The masked values are not the helpers' shares.
    CHECK_FALSE(masked[m][0].value == shares[m][0].value);
  }
  // A corrupted masked value is caught by the consistency check.
  masked[0][2].value += scalar::one();
  const auto bad = check_consistent(masked[0], t);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.err().code() == errc::verification_failed);
  CHECK(check_consistent(std::span{masked[1]}.first(t), t).err().code()
        == errc::insufficient);
}

TEST_CASE("batch: bundles and dealings print without their values") {
  seeded_random rng{122};
  auto d = deal_batch(idx(1), 3, 3, refresh_point, rng);
  REQUIRE(d.ok());
  auto b = d->bundle_for(idx(2));
  REQUIRE(b.ok());
  std::ostringstream os;
  os << *d << *b;
  for (const auto& v : b->values)
    CHECK(os.str().find(to_hex(v.bytes())) == std::string::npos);
  CHECK(os.str().find(to_hex(b->mask.bytes())) == std::string::npos);
  CHECK(os.str().find("<redacted>") != std::string::npos);
}

TEST_CASE("batch: the dealer's response polynomial gives every receiver's response") {
  seeded_random rng{9101};
  for (special_point x0 : {refresh_point, idx(3)}) {
    for (std::size_t t : {2u, 3u, 5u}) {
      const auto receivers = receivers_of(7, x0);
      auto d = deal_batch(x0 == idx(1) ? idx(2) : idx(1), 40, t, x0, rng);
      REQUIRE(d.ok());
      auto lambdas = challenge_coefficients(digest, 40);
      REQUIRE(lambdas.ok());
      auto q = d->response_polynomial(*lambdas);
      REQUIRE(q.ok());
      CHECK(q->size() == t - 1);
      auto bundles = d->bundles_for(receivers);
      REQUIRE(bundles.ok());
      for (const auto& b : *bundles) CHECK(evaluate_vanishing(*q, x0, b.recipient) == *combine(b, *lambdas));
      CHECK(evaluate_vanishing(*q, x0, x0) == scalar::zero());
      // Another challenge gives another polynomial, so it cannot be chosen early.
      auto other = challenge_coefficients(bytes(32, 0x11), 40);
      CHECK(!(*d->response_polynomial(*other) == *q));
      CHECK(d->response_polynomial(std::span{*lambdas}.first(39)).err().code() == errc::mismatch);
    }
  }
}

TEST_CASE("batch: chunks decode one at a time with their range and mask") {
  seeded_random rng{9102};
  auto bundles = deal_bundles(10, 3, refresh_point, receivers_of(3, refresh_point), rng);
  auto chunks = encode_bundle_chunks(bundles[1], 4);
  REQUIRE(chunks.ok());
  REQUIRE(chunks->size() == 3);
  for (std::size_t c = 0; c < chunks->size(); ++c) {
    auto chunk = decode_bundle_chunk((*chunks)[c].view());
    REQUIRE(chunk.ok());
    CHECK(chunk->first == 4 * c);
    CHECK(chunk->total == 10);
    CHECK(chunk->recipient == bundles[1].recipient);
    CHECK(chunk->mask == bundles[1].mask);
    for (std::size_t i = 0; i < chunk->values.size(); ++i) CHECK(chunk->values[i] == bundles[1].values[4 * c + i]);
  }
  CHECK(!decode_bundle_chunk(byte_view{(*chunks)[0].data(), 20}).ok());
}
