#include <doctest/doctest.h>

#include "access/policy.hpp"
#include "crypto/random_source.hpp"

using namespace pss;
using namespace pss::access;

namespace {

struct keys {
  crypto::seeded_random rng{7};
  crypto::sign_key_pair admin = crypto::sign_key_pair::generate(rng);
  crypto::sign_key_pair app = crypto::sign_key_pair::generate(rng);
  crypto::sign_key_pair other = crypto::sign_key_pair::generate(rng);
};

grant_request request(const crypto::sign_key_pair& k, std::string pattern, std::string_view rights_text,
                      unix_ms expires = never_expires) {
  return grant_request{k.public_key, std::move(pattern), rights::parse(rights_text).value(), expires, "test"};
}

} // namespace

TEST_CASE("access: the bootstrap admin may do everything, nobody else anything") {
  keys k;
  const policy p = policy::bootstrap(k.admin.public_key);
  for (right r : {right::read, right::write, right::remove, right::list, right::refresh, right::admin})
    CHECK(p.allows(k.admin.public_key, r, "any/name", 1000));
  CHECK_FALSE(p.allows(k.app.public_key, right::read, "any/name", 1000));
}

TEST_CASE("access: a grant allows its rights on the names its pattern matches, until it expires") {
  keys k;
  policy p = policy::bootstrap(k.admin.public_key);
  auto id = p.apply_grant(k.admin.public_key, request(k.app, "app/*", "read,list", 5000), 1000);
  REQUIRE(id.ok());
  CHECK(*id == 2);
  CHECK(p.allows(k.app.public_key, right::read, "app/db", 4999));
  CHECK(p.allows(k.app.public_key, right::list, "app/db", 4999));
  CHECK_FALSE(p.allows(k.app.public_key, right::write, "app/db", 4999));
  CHECK_FALSE(p.allows(k.app.public_key, right::read, "billing/db", 4999));
  CHECK_FALSE(p.allows(k.app.public_key, right::read, "app/db", 5000)); // expired
  CHECK_FALSE(p.allows(k.other.public_key, right::read, "app/db", 4999));
}

TEST_CASE("access: refresh and admin are granted only for every name") {
  keys k;
  policy p = policy::bootstrap(k.admin.public_key);
  auto narrow = p.apply_grant(k.admin.public_key, request(k.app, "app/*", "refresh,admin"), 1);
  CHECK(narrow.err().code() == errc::invalid_argument);
  CHECK(narrow.err().message().find("'*'") != std::string::npos);
  REQUIRE(p.apply_grant(k.admin.public_key, request(k.app, "app/*", "read"), 1).ok());
  CHECK_FALSE(p.allows(k.app.public_key, right::refresh, "app/x", 2));
  CHECK_FALSE(p.allows(k.app.public_key, right::admin, "", 2));
  CHECK(p.apply_grant(k.app.public_key, request(k.other, "*", "read"), 2).err().code() == errc::unauthorized);
  REQUIRE(p.apply_grant(k.admin.public_key, request(k.app, "*", "refresh"), 3).ok());
  CHECK(p.allows(k.app.public_key, right::refresh, "", 4));
}

TEST_CASE("access: only an admin changes the policy, and a refused change changes nothing") {
  keys k;
  policy p = policy::bootstrap(k.admin.public_key);
  const policy before = p;
  CHECK(p.apply_grant(k.app.public_key, request(k.app, "*", "all"), 10).err().code() == errc::unauthorized);
  CHECK(p.apply_revoke(k.app.public_key, 1, 10).err().code() == errc::unauthorized);
  CHECK(p.apply_grant(k.admin.public_key, request(k.app, "a b", "read"), 10).err().code() == errc::invalid_argument);
  CHECK(p.apply_grant(k.admin.public_key, request(k.app, "x", "read", 10), 10).err().message().find("already past")
        != std::string::npos);
  CHECK(p.apply_revoke(k.admin.public_key, 99, 10).err().code() == errc::not_found);
  CHECK(p == before);
}

TEST_CASE("access: revoking takes effect at once; the last lasting admin cannot be revoked") {
  keys k;
  policy p = policy::bootstrap(k.admin.public_key);
  auto app = p.apply_grant(k.admin.public_key, request(k.app, "*", "read"), 1);
  REQUIRE(app.ok());
  REQUIRE(p.apply_revoke(k.admin.public_key, *app, 2).ok());
  CHECK_FALSE(p.allows(k.app.public_key, right::read, "x", 3));
  auto lock = p.apply_revoke(k.admin.public_key, 1, 3);
  CHECK(lock.err().code() == errc::conflict);
  CHECK(lock.err().message().find("lock out the last admin") != std::string::npos);
  // An expiring admin is not enough: time alone would lock everyone out.
  REQUIRE(p.apply_grant(k.admin.public_key, request(k.other, "*", "admin", 100'000), 4).ok());
  CHECK(p.apply_revoke(k.admin.public_key, 1, 5).err().code() == errc::conflict);
  auto lasting = p.apply_grant(k.admin.public_key, request(k.other, "*", "admin"), 6);
  REQUIRE(lasting.ok());
  REQUIRE(p.apply_revoke(k.other.public_key, 1, 7).ok()); // the new admin removes the bootstrap one
  CHECK_FALSE(p.allows(k.admin.public_key, right::read, "x", 8));
  CHECK(p.allows(k.other.public_key, right::admin, "", 8));
  p.check_invariants();
}

TEST_CASE("access: expiry is judged at the latest stamp applied, never earlier") {
  keys k;
  policy p = policy::bootstrap(k.admin.public_key);
  REQUIRE(p.apply_grant(k.admin.public_key, request(k.app, "*", "read", 2000), 1000).ok());
  REQUIRE(p.apply_grant(k.admin.public_key, request(k.other, "*", "read"), 3000).ok());
  CHECK(p.clock_floor() == 3000);
  // A later entry stamped by a leader whose clock is behind does not revive it.
  CHECK_FALSE(p.allows(k.app.public_key, right::read, "x", 1500));
}

TEST_CASE("access: the policy round-trips through its encoding, and decode refuses what apply never makes") {
  keys k;
  policy p = policy::bootstrap(k.admin.public_key);
  REQUIRE(p.apply_grant(k.admin.public_key, request(k.app, "app/*", "read,write", 9000), 10).ok());
  bytes out;
  byte_writer w{out};
  p.encode(w);
  byte_reader r{out};
  auto back = policy::decode(r);
  REQUIRE(back.ok());
  CHECK(*back == p);
  CHECK(r.finish("policy").ok());
  for (std::size_t cut = 0; cut < out.size(); ++cut) {
    byte_reader part{byte_view{out.data(), cut}};
    auto d = policy::decode(part);
    CHECK((!d.ok() || !part.finish("policy").ok()));
  }
  bytes swapped = out;
  REQUIRE(swapped[8 + 8 + 4] == 1); // grant 1's id, little-endian, after next_id, floor and count
  swapped[8 + 8 + 4] = 0;           // id 0 is never assigned
  byte_reader bad{swapped};
  CHECK_FALSE(policy::decode(bad).ok());
}
