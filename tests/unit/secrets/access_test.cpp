// The replicated access policy end to end: an admin's grants and revokes go
// through Raft inside the admin's signed envelope, every node checks that
// envelope itself when it applies it, and a change takes effect on every node
// with no restart (docs/access.md, "Changing the policy").
#include <doctest/doctest.h>

#include "network.hpp"
#include "secrets/catalog.hpp"

namespace pss::secrets {
namespace {

using testing::admin_identity;
using testing::network;
using testing::test_identity;
using testing::test_wall_clock_offset;

access::grant_request grant_for(const crypto::sign_key_pair& who, std::string pattern, std::string_view rights) {
  return access::grant_request{who.public_key, std::move(pattern), access::rights::parse(rights).value(),
                               access::never_expires, "test"};
}

completion run(network& net, std::uint64_t client, std::uint64_t op, auto start) {
  start(net.client(client), net.now, op);
  return net.await(client, op);
}

TEST_CASE("access: a grant lets another key read its names only, and a revoke ends it on every node") {
  network net;
  net.elect(1);
  net.add_client(1);
  REQUIRE(net.put(1, 1, "app/db", "v1").outcome == operation_outcome::ok);
  REQUIRE(net.put(1, 2, "other/x", "v2").outcome == operation_outcome::ok);
  const auto bob = test_identity(0xB0B);
  client_options o;
  o.identity = bob;
  net.add_client(2, o);
  CHECK(net.get(2, 1, "app/db").error == client_error::not_authorised);

  auto granted = run(net, 1, 3, [&](client_engine& c, millis now, std::uint64_t op) {
    c.grant(now, op, grant_for(*bob, "app/*", "read,list"));
  });
  REQUIRE(granted.outcome == operation_outcome::ok);
  const std::uint64_t grant_id = granted.version.value();
  CHECK(grant_id == 2);
  auto read = net.get(2, 2, "app/db");
  REQUIRE_MESSAGE(read.outcome == operation_outcome::ok, read.message);
  CHECK(testing::text_of(*read.value) == "v1");
  CHECK(net.get(2, 3, "other/x").error == client_error::not_authorised);
  auto listed = run(net, 2, 4, [](client_engine& c, millis now, std::uint64_t op) { c.list(now, op); });
  REQUIRE(listed.items.size() == 1);
  CHECK(listed.items[0].name == "app/db");
  auto peek = run(net, 2, 5, [](client_engine& c, millis now, std::uint64_t op) { c.read_policy(now, op); });
  CHECK(peek.error == client_error::not_authorised);
  auto policy = run(net, 1, 4, [](client_engine& c, millis now, std::uint64_t op) { c.read_policy(now, op); });
  REQUIRE(policy.grants.size() == 2);
  CHECK(policy.grants[1].key == bob->public_key);

  auto revoked = run(net, 1, 5, [&](client_engine& c, millis now, std::uint64_t op) { c.revoke(now, op, grant_id); });
  REQUIRE(revoked.outcome == operation_outcome::ok);
  net.run_for(millis{200});
  const access::unix_ms wall = static_cast<access::unix_ms>(net.now.count()) + test_wall_clock_offset;
  for (std::uint64_t i = 1; i <= 5; ++i)
    CHECK_FALSE(net.node(i).state().policy().allows(bob->public_key, access::right::read, "app/db", wall));
  CHECK(net.get(2, 6, "app/db").error == client_error::not_authorised);
  net.check();
}

TEST_CASE("access: the last admin cannot be revoked, and a non-admin's change is refused at the leader") {
  network net;
  net.elect(1);
  net.add_client(1);
  auto lockout = run(net, 1, 1, [](client_engine& c, millis now, std::uint64_t op) { c.revoke(now, op, 1); });
  CHECK(lockout.outcome == operation_outcome::fail);
  CHECK(lockout.message.find("lock out the last admin") != std::string::npos);
  const auto mallory = test_identity(0x3A1);
  client_options o;
  o.identity = mallory;
  net.add_client(2, o);
  auto self_grant = run(net, 2, 1, [&](client_engine& c, millis now, std::uint64_t op) {
    c.grant(now, op, grant_for(*mallory, "*", "all"));
  });
  CHECK(self_grant.error == client_error::not_authorised);
  CHECK(net.node(1).state().policy().grants().size() == 1);
}

// The catalog alone: what a lying leader could propose.
struct change_fixture {
  test_cluster tc = make_test_cluster(3, 2, 11);
  catalog c{tc.view, tc.admin.public_key};
  crypto::seeded_random rng{3};
  std::uint64_t index = 0;
  const access::unix_ms t0 = 1'800'000'000'000;

  bytes signed_change(const crypto::sign_key_pair& by, std::uint64_t sequence, access::policy_change change,
                      access::unix_ms issued = 0) {
    const bytes body = encode(wire_message{access_request{1, sequence_number{sequence}, std::move(change)}});
    auto q = access::sign_request(by, tc.view.cluster_id, node_id{1}, issued ? issued : t0, 60'000, body, rng);
    return access::encode_signed_request(q.value());
  }

  applied_command apply(std::uint64_t client, std::uint64_t seq, bytes envelope, access::unix_ms stamp = 0) {
    const command cmd{session_header{client_id{client}, sequence_number{seq}, millis{0}},
                      access_change{stamp ? stamp : t0 + 1'000, std::move(envelope)}};
    return c.apply(raft::entry{term_id{1}, log_index{++index}, raft::entry_kind::command, encode_command(cmd)});
  }
};

TEST_CASE("access: every replica checks a change's envelope; forged, replayed, stale or unsigned changes change nothing") {
  change_fixture f;
  crypto::seeded_random r{9};
  const auto bob = crypto::sign_key_pair::generate(r);
  const access::policy before = f.c.policy();

  CHECK(f.apply(1, 1, f.signed_change(bob, 1, grant_for(bob, "*", "all"))).result.code == result_code::invalid);
  bytes tampered = f.signed_change(f.tc.admin, 2, grant_for(bob, "*", "read"));
  tampered[tampered.size() - 70] ^= 1; // inside the body
  CHECK(f.apply(1, 2, tampered).result.code == result_code::invalid);
  CHECK(f.apply(1, 3, f.signed_change(f.tc.admin, 9, grant_for(bob, "*", "read"))).result.message.find("sequence")
        != std::string::npos);
  CHECK(f.apply(1, 4, f.signed_change(f.tc.admin, 4, grant_for(bob, "*", "read")), f.t0 + 61'000).result.code
        == result_code::invalid); // stamped after the envelope expired
  CHECK(f.apply(1, 5, bytes{1, 2, 3}).result.code == result_code::invalid);
  CHECK(f.c.policy() == before);

  const bytes good = f.signed_change(f.tc.admin, 1, grant_for(bob, "app/*", "read"));
  auto applied = f.apply(3, 1, good);
  REQUIRE(applied.result.code == result_code::ok);
  CHECK(applied.effects.policy_changed);
  CHECK(applied.result.version == secret_version{2});
  // The same envelope proposed again under another session: applied once.
  auto again = f.apply(4, 1, good);
  CHECK(again.result.code == result_code::invalid);
  CHECK(again.result.message.find("applied already") != std::string::npos);
  CHECK(f.c.policy().grants().size() == 2);

  auto restored = catalog::restore(f.c.snapshot());
  REQUIRE(restored.ok());
  CHECK(restored->policy() == f.c.policy());
  CHECK(restored->policy_changes() == f.c.policy_changes());
  CHECK(*restored == f.c);
}

TEST_CASE("access: a change's nonce is remembered until its envelope expires, then forgotten") {
  change_fixture f;
  crypto::seeded_random r{10};
  const auto bob = crypto::sign_key_pair::generate(r);
  REQUIRE(f.apply(1, 1, f.signed_change(f.tc.admin, 1, grant_for(bob, "a", "read"))).result.code == result_code::ok);
  CHECK(f.c.policy_changes().size() == 1);
  const bytes later = f.signed_change(f.tc.admin, 2, grant_for(bob, "b", "read"), f.t0 + 120'000);
  REQUIRE(f.apply(1, 2, later, f.t0 + 121'000).result.code == result_code::ok);
  CHECK(f.c.policy_changes().size() == 1); // the first expired at t0 + 60 s
}

} // namespace
} // namespace pss::secrets
