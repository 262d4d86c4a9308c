#include <doctest/doctest.h>

#include <string>

#include "access/request_guard.hpp"
#include "crypto/random_source.hpp"

using namespace pss;
using namespace pss::access;

namespace {

constexpr unix_ms started = 10'000'000;

struct fixture {
  crypto::seeded_random rng{23};
  crypto::sign_key_pair client = crypto::sign_key_pair::generate(rng);
  crypto::sign_key_pair stranger = crypto::sign_key_pair::generate(rng);
  policy known = policy::bootstrap(client.public_key); // knows `client`, not `stranger`
  request_guard guard{"cluster-a", node_id{2}, started};

  bytes make(unix_ms issued = started + 1000, unix_ms lifetime = 60'000, node_id target = node_id{2},
             std::string_view cluster = "cluster-a") {
    return encode_signed_request(sign_request(client, cluster, target, issued, lifetime, {16, 1, 2}, rng).value());
  }
};

} // namespace

TEST_CASE("access: the guard admits a fresh request once and refuses its replay") {
  fixture f;
  const bytes q = f.make();
  auto first = f.guard.admit(q, started + 2000, f.known);
  REQUIRE(first.request.has_value());
  CHECK(first.request->body == bytes{16, 1, 2});
  auto again = f.guard.admit(q, started + 3000, f.known);
  CHECK_FALSE(again.request.has_value());
  CHECK(again.why == refusal::replayed);
  CHECK(again.reason.find("n2 refused the request (replayed)") != std::string::npos);
  CHECK(f.guard.admitted() == 1);
  CHECK(f.guard.refused(refusal::replayed) == 1);
}

TEST_CASE("access: the guard refuses each bad request with its named reason") {
  fixture f;
  const unix_ms now = started + 100'000;
  CHECK(f.guard.admit(bytes{30, 1, 2}, now, f.known).why == refusal::malformed);
  CHECK(f.guard.admit(f.make(now, 60'000, node_id{3}), now, f.known).why == refusal::wrong_target);
  CHECK(f.guard.admit(f.make(now - 61'000), now, f.known).why == refusal::expired);
  CHECK(f.guard.admit(f.make(now + 31'000), now, f.known).why == refusal::not_yet_valid);
  CHECK(f.guard.admit(f.make(started - 31'000, 200'000), now, f.known).why == refusal::issued_before_start);
  CHECK(f.guard.admit(f.make(now, 60'000, node_id{2}, "cluster-b"), now, f.known).why == refusal::bad_signature);
  // A window longer than allowed, forged into a valid envelope (the
  // signature is checked after the window, so it is refused for the window).
  auto long_window = decode_signed_request(f.make(now)).value();
  long_window.expires_at = long_window.issued_at + request_lifetime_ms_max + 1;
  CHECK(f.guard.admit(encode_signed_request(long_window), now, f.known).why == refusal::lifetime_too_long);
  for (refusal r : {refusal::malformed, refusal::wrong_target, refusal::expired, refusal::not_yet_valid,
                    refusal::issued_before_start, refusal::bad_signature, refusal::lifetime_too_long})
    CHECK(f.guard.refused(r) == 1);
  CHECK(f.guard.admitted() == 0);
  CHECK(f.guard.replay_cache_size() == 0); // nothing unsigned or refused is remembered
}

TEST_CASE("access: a stranger's validly signed requests are refused and never fill the replay cache") {
  fixture f;
  request_guard small{"cluster-a", node_id{2}, started, guard_options{clock_skew_ms_default, 1}};
  const unix_ms now = started + 1000;
  for (int i = 0; i < 5; ++i) {
    auto q = sign_request(f.stranger, "cluster-a", node_id{2}, now, 60'000, {16, 1}, f.rng).value();
    const auto a = small.admit(encode_signed_request(q), now, f.known);
    CHECK(a.why == refusal::not_allowed);
    CHECK(a.reason.find("grants this key nothing") != std::string::npos);
  }
  CHECK(small.replay_cache_size() == 0);
  CHECK(small.refused(refusal::not_allowed) == 5);
  CHECK(small.admit(f.make(now), now, f.known).request.has_value()); // the one slot is still free
}

TEST_CASE("access: a client clock within the skew is accepted either way") {
  fixture f;
  // Issued "before" this node started, by a client clock 29 s behind.
  CHECK(f.guard.admit(f.make(started - 29'000), started + 1000, f.known).request.has_value());
  const unix_ms now = started + 100'000;
  CHECK(f.guard.admit(f.make(now + 29'000), now, f.known).request.has_value());
  CHECK(f.guard.admit(f.make(now - 59'000), now, f.known).request.has_value());
}

TEST_CASE("access: a full replay cache refuses rather than forgets, and frees entries as they expire") {
  fixture f;
  request_guard small{"cluster-a", node_id{2}, started, guard_options{clock_skew_ms_default, 2}};
  const unix_ms now = started + 1000;
  const bytes a = f.make(now, 10'000), b = f.make(now, 20'000), c = f.make(now, 20'000);
  REQUIRE(small.admit(a, now, f.known).request.has_value());
  REQUIRE(small.admit(b, now, f.known).request.has_value());
  CHECK(small.admit(c, now, f.known).why == refusal::busy);
  CHECK(small.admit(a, now + 1, f.known).why == refusal::replayed); // still remembered
  CHECK(small.admit(c, now + 10'000, f.known).request.has_value()); // a expired and left the cache
  CHECK(small.admit(b, now + 10'000, f.known).why == refusal::replayed);
  CHECK(small.replay_cache_size() == 2);
}

TEST_CASE("access: a wall clock that steps back cannot reopen a replay") {
  fixture f;
  const unix_ms now = started + 1000;
  const bytes q = f.make(now, 10'000);
  REQUIRE(f.guard.admit(q, now, f.known).request.has_value());
  CHECK(f.guard.admit(f.make(now + 20'000, 10'000), now + 20'000, f.known).request.has_value()); // evicts q
  CHECK(f.guard.admit(q, now + 5000, f.known).why == refusal::expired); // the clock went back 15 s
}

TEST_CASE("access: one key that floods fills only its own share of the replay cache") {
  fixture f;
  crypto::sign_key_pair other = crypto::sign_key_pair::generate(f.rng);
  policy both = policy::bootstrap(f.client.public_key);
  REQUIRE(both.apply_grant(f.client.public_key, grant_request{other.public_key, "*", rights::parse("read").value(),
                                                               never_expires, "other"}, started).ok());
  guard_options o;
  o.replay_cache_entries = 16;
  o.replay_cache_entries_per_key = 3;
  request_guard g{"cluster-a", node_id{2}, started, o};
  const unix_ms now = started + 1000;
  for (int i = 0; i < 3; ++i) REQUIRE(g.admit(f.make(now, 10'000), now, both).request.has_value());
  auto flood = g.admit(f.make(now, 10'000), now, both);
  CHECK(flood.why == refusal::busy);
  CHECK(flood.reason.find("for this key") != std::string::npos);
  const bytes theirs =
    encode_signed_request(sign_request(other, "cluster-a", node_id{2}, now, 10'000, {16, 1}, f.rng).value());
  CHECK(g.admit(theirs, now, both).request.has_value()); // another key is still served
  CHECK(g.admit(f.make(now + 10'000, 10'000), now + 10'000, both).request.has_value()); // expired entries free it
  CHECK(g.replay_cache_size() == 1); // the four earlier entries expired together
}
