// The public share fingerprint: stable for one share, different for
// another, short, and it changes with a refresh while the share's secret
// still reads.
#include <doctest/doctest.h>

#include <set>

#include "crypto/random_source.hpp"
#include "network.hpp"
#include "secrets/share_fingerprint.hpp"

namespace pss::secrets::testing {
namespace {

TEST_CASE("share_fingerprint: stable for one share, different for different shares") {
  crypto::seeded_random random{7};
  const crypto::share a{share_index{1}, crypto::scalar::random_nonzero(random)};
  const crypto::share b{share_index{1}, crypto::scalar::random_nonzero(random)};
  const crypto::share a_at_2{share_index{2}, a.value};
  const std::string fa = share_fingerprint(a);
  CHECK(fa.size() == 2 * share_fingerprint_bytes);
  CHECK(fa.find_first_not_of("0123456789abcdef") == std::string::npos);
  CHECK(share_fingerprint(a) == fa);
  crypto::share a_copy{a.index, a.value};
  CHECK(share_fingerprint(a_copy) == fa);
  CHECK(share_fingerprint(b) != fa);
  CHECK(share_fingerprint(a_at_2) != fa); // the index is part of the share
  // The fingerprint is not a prefix of the share's own bytes.
  const std::string value_hex = to_hex(byte_view{a.value.bytes().data(), a.value.bytes().size()});
  CHECK(value_hex.find(fa) == std::string::npos);
  // 64 random shares give 64 distinct 32-bit fingerprints.
  std::set<std::string> seen;
  for (int i = 0; i < 64; ++i)
    seen.insert(share_fingerprint(crypto::share{share_index{1}, crypto::scalar::random_nonzero(random)}));
  CHECK(seen.size() == 64);
}

TEST_CASE("describe_share: a holder's fingerprint changes with a refresh; an unknown name has none") {
  network net{5, 3, 41};
  net.elect(1);
  net.add_client(100);
  REQUIRE(net.put(100, 1, "s", "value").outcome == operation_outcome::ok);
  net.run_for(millis{100});
  const auto before = describe_share(net.node(2).state(), net.node(2).shares(), "s");
  REQUIRE(before.fingerprint.has_value());
  CHECK(before.epoch == net.node(2).state().view().epoch);
  CHECK_FALSE(describe_share(net.node(2).state(), net.node(2).shares(), "unknown").fingerprint);

  net.client(100).refresh(net.now, 2);
  REQUIRE(net.await(100, 2).outcome == operation_outcome::ok);
  net.run_until([&] { return net.node(2).state().stats().refresh_epochs_committed == 1; }, millis{20'000});
  net.run_for(millis{200});
  const auto after = describe_share(net.node(2).state(), net.node(2).shares(), "s");
  REQUIRE(after.fingerprint.has_value());
  CHECK(after.epoch == before.epoch.next());
  CHECK(after.share_epoch == after.epoch);
  CHECK(*after.fingerprint != *before.fingerprint);
  CHECK(after.stats.refresh_epochs_committed == 1);
  auto got = net.get(100, 3, "s");
  REQUIRE_MESSAGE(got.outcome == operation_outcome::ok, got.message);
  CHECK(text_of(*got.value) == "value");
}

} // namespace
} // namespace pss::secrets::testing

namespace pss::secrets::testing {
namespace {

TEST_CASE("share_set_fingerprint: one per node, new after a refresh, none above the cap or without shares") {
  network net{5, 3, 43};
  net.elect(1);
  net.add_client(100);
  CHECK_FALSE(share_set_fingerprint(net.node(2).shares()).has_value()); // nothing held yet
  REQUIRE(net.put(100, 1, "a", "one").outcome == operation_outcome::ok);
  REQUIRE(net.put(100, 2, "b", "two").outcome == operation_outcome::ok);
  net.run_for(millis{100});
  const auto n2 = share_set_fingerprint(net.node(2).shares());
  const auto n3 = share_set_fingerprint(net.node(3).shares());
  REQUIRE(n2.has_value());
  REQUIRE(n3.has_value());
  CHECK(*n2 != *n3); // each node's own shares
  CHECK(share_set_fingerprint(net.node(2).shares()) == n2); // stable while nothing changes
  CHECK_FALSE(share_set_fingerprint(net.node(2).shares(), 1).has_value()); // above the cap

  net.client(100).refresh(net.now, 3);
  REQUIRE(net.await(100, 3).outcome == operation_outcome::ok);
  net.run_until([&] { return net.node(2).state().stats().refresh_epochs_committed == 1; }, millis{20'000});
  net.run_for(millis{200});
  const auto after = share_set_fingerprint(net.node(2).shares());
  REQUIRE(after.has_value());
  CHECK(*after != *n2);
}

} // namespace
} // namespace pss::secrets::testing
