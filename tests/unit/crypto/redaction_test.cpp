// Secret material must never reach a log line or an error message. These
// tests provoke the failures a caller could log and search the messages for
// the hex of every secret involved.
#include <doctest/doctest.h>

#include <sstream>
#include <string>

#include "crypto/envelope.hpp"
#include "crypto/feldman.hpp"
#include "crypto/recovery.hpp"
#include "crypto/refresh.hpp"
#include "crypto/reshare.hpp"
#include "test_support.hpp"

using namespace pss;
using namespace pss::crypto;

namespace {
share_index idx(std::size_t i) { return share_index{static_cast<std::uint32_t>(i)}; }

void check_clean(const std::string& text, const scalar& secret) {
  CAPTURE(text);
  CHECK(text.find(to_hex(secret.bytes())) == std::string::npos);
  // Neither half of the encoding, in case a message truncates it.
  CHECK(text.find(to_hex(secret.bytes().first(16))) == std::string::npos);
  CHECK(text.find(to_hex(secret.bytes().last(16))) == std::string::npos);
}

template <class T>
std::string message_of(const result<T>& r) {
  REQUIRE_FALSE(r.ok());
  return r.err().describe();
}
} // namespace

TEST_CASE("redaction: error messages never contain share, sub-share or key material") {
  seeded_random rng{81};
  const auto k = scalar::random(rng);
  auto d = deal(k, 3, 5, rng);
  REQUIRE(d.ok());
  share bad = d->shares[2];
  bad.value += scalar::one();
  check_clean(message_of(d->commitments.verify(bad)), bad.value);
  check_clean(message_of(d->commitments.verify(bad)), d->shares[2].value);

  auto refresh = deal_refresh(idx(1), 3, rng);
  REQUIRE(refresh.ok());
  sub_share bad_sub = *refresh->sub_share_for(idx(2));
  bad_sub.value += scalar::one();
  check_clean(message_of(verify_refresh_sub_share(refresh->commitments, bad_sub, 3)),
              bad_sub.value);

  auto reshare = deal_reshare(bad, 3, rng); // deals a wrong share
  REQUIRE(reshare.ok());
  check_clean(message_of(validate_reshare_commitment(d->commitments, idx(3),
                                                     reshare->commitments, 3)),
              bad.value);

  std::vector<share> too_few{d->shares[0], bad, d->shares[3]};
  auto r = reconstruct(d->commitments, too_few);
  check_clean(message_of(r), k);
  check_clean(message_of(r), bad.value);

  auto sealed = envelope_seal(k, as_bytes("payload"), {"c", "n", secret_version{1}}, rng);
  REQUIRE(sealed.ok());
  const auto wrong_k = k + scalar::one();
  auto opened = envelope_open(wrong_k, *sealed, {"c", "n", secret_version{1}});
  check_clean(message_of(opened), k);
  check_clean(message_of(opened), wrong_k);
}

TEST_CASE("redaction: every secret-bearing type prints <redacted>") {
  seeded_random rng{82};
  auto dealing = deal_refresh(idx(1), 3, rng);
  REQUIRE(dealing.ok());
  const auto sub = *dealing->sub_share_for(idx(2));
  std::ostringstream os;
  os << scalar::from_u64(99) << ' ' << share{idx(1), scalar::from_u64(99)} << ' ' << sub << ' '
     << dealing->poly << ' ' << *dealing;
  const auto text = os.str();
  CHECK(text.find("<redacted>") != std::string::npos);
  check_clean(text, sub.value);
  for (const auto& a : dealing->poly.coefficients())
    check_clean(text, a);
  CHECK(text.find(to_hex(scalar::from_u64(99).bytes())) == std::string::npos);
}
