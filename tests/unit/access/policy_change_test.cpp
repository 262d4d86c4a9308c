// An admin's change as every replica applies it (access/policy_change.hpp):
// the window against the stamp, the bounded nonce ledger, and the codec.
#include <doctest/doctest.h>

#include "access/policy_change.hpp"
#include "crypto/random_source.hpp"

using namespace pss;
using namespace pss::access;

namespace {

constexpr unix_ms t0 = 1'800'000'000'000;

struct fixture {
  crypto::seeded_random rng{21};
  crypto::sign_key_pair admin = crypto::sign_key_pair::generate(rng);
  crypto::sign_key_pair app = crypto::sign_key_pair::generate(rng);
  policy p = policy::bootstrap(admin.public_key);
  change_ledger ledger;

  signed_request signed_by(const crypto::sign_key_pair& k, unix_ms issued = t0) {
    return sign_request(k, "c", node_id{1}, issued, 60'000, bytes{1}, rng).value();
  }
  policy_change read_grant(std::string pattern = "app/*") {
    return grant_request{app.public_key, std::move(pattern), rights::parse("read").value(), never_expires, ""};
  }
};

} // namespace

TEST_CASE("access: a change applies inside its window only, once, and by an admin only") {
  fixture f;
  const signed_request q = f.signed_by(f.admin);
  CHECK(apply_change(f.p, f.ledger, q, f.read_grant(), t0 + 60'000).err().code() == errc::timeout);
  CHECK(apply_change(f.p, f.ledger, q, f.read_grant(), t0 - change_clock_skew_ms - 1).err().code() == errc::timeout);
  CHECK(apply_change(f.p, f.ledger, f.signed_by(f.app), f.read_grant(), t0).err().code() == errc::unauthorized);
  CHECK(f.p.grants().size() == 1);
  auto first = apply_change(f.p, f.ledger, q, f.read_grant(), t0 + 10);
  REQUIRE(first.ok());
  CHECK(first->grant_id == 2);
  CHECK(apply_change(f.p, f.ledger, q, f.read_grant("other"), t0 + 20).err().code() == errc::duplicate);
  CHECK(f.p.grants().size() == 2);
  auto revoked = apply_change(f.p, f.ledger, f.signed_by(f.admin), revoke_request{2}, t0 + 30);
  REQUIRE(revoked.ok());
  CHECK(revoked->grant_id == 2);
  CHECK(f.p.grants().size() == 1);
}

TEST_CASE("access: a full change ledger refuses a change and leaves the policy as it was") {
  fixture f;
  for (std::size_t i = 0; i < change_ledger_entries_max; ++i)
    REQUIRE(apply_change(f.p, f.ledger, f.signed_by(f.admin), revoke_request{999}, t0).err().code() == errc::not_found);
  CHECK(f.ledger.size() == 0); // refused changes are not remembered
  for (std::size_t i = 0; i < change_ledger_entries_max; ++i) {
    auto g = apply_change(f.p, f.ledger, f.signed_by(f.admin), f.read_grant("n" + std::to_string(i % 100)), t0);
    REQUIRE(g.ok());
    REQUIRE(apply_change(f.p, f.ledger, f.signed_by(f.admin), revoke_request{g->grant_id}, t0).ok());
    if (f.ledger.size() >= change_ledger_entries_max) break;
  }
  REQUIRE(f.ledger.size() == change_ledger_entries_max);
  const policy before = f.p;
  auto full = apply_change(f.p, f.ledger, f.signed_by(f.admin), f.read_grant(), t0 + 1);
  CHECK(full.err().code() == errc::conflict);
  CHECK(f.p == before);
  // Once the remembered envelopes expired, there is room again.
  CHECK(apply_change(f.p, f.ledger, f.signed_by(f.admin, t0 + 61'000), f.read_grant(), t0 + 61'000).ok());
  CHECK(f.ledger.size() == 1);
}

TEST_CASE("access: changes and the ledger round-trip; unknown kinds and bad keys are refused") {
  fixture f;
  for (const policy_change& c : {f.read_grant(), policy_change{revoke_request{7}}}) {
    byte_writer w;
    encode(w, c);
    const bytes b = w.take();
    byte_reader r{b};
    auto back = decode_policy_change(r);
    REQUIRE(back.ok());
    CHECK(*back == c);
  }
  const bytes unknown{9, 0, 0};
  byte_reader r{unknown};
  CHECK_FALSE(decode_policy_change(r).ok());
  byte_writer w;
  w.u8(1);
  w.raw(bytes(32, 0xFF)); // not a point
  w.str("x");
  w.u8(1);
  w.u64(0);
  w.str("");
  const bytes bad_key = w.take();
  byte_reader rk{bad_key};
  CHECK_FALSE(decode_policy_change(rk).ok());

  REQUIRE(apply_change(f.p, f.ledger, f.signed_by(f.admin), f.read_grant(), t0).ok());
  byte_writer lw;
  f.ledger.encode(lw);
  const bytes lb = lw.take();
  byte_reader lr{lb};
  auto ledger = change_ledger::decode(lr);
  REQUIRE(ledger.ok());
  CHECK(*ledger == f.ledger);
}
