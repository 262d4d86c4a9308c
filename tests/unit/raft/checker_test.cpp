// The cluster checker must catch each violation it claims to check (a
// checker that cannot fail is a defect). Checklist items 7, 18, 19 are
// enforced by it in every other test; here each rule is shown to fire.
#include "harness.hpp"

using namespace pss;
using namespace pss::raft;
using namespace pss::raft::testing;

namespace {

node_observation obs(std::uint64_t id, std::uint64_t term, role r, std::uint64_t commit,
                     const std::vector<entry>& log, node_id vote = no_node) {
  node_observation o;
  o.id = n(id);
  o.term = tid(term);
  o.vote = vote;
  o.role = r;
  o.commit = li(commit);
  o.entries = log;
  o.persisted_hard = hard_state{tid(term), vote, li(commit)};
  o.persisted_entries = log;
  o.settled = true;
  return o;
}

} // namespace

TEST_CASE("raft checker: two leaders in one term are reported (item 7)") {
  cluster_checker k;
  const auto log = log_of({1});
  CHECK_FALSE(k.observe(obs(1, 1, role::leader, 0, log, n(1))));
  auto v = k.observe(obs(2, 1, role::leader, 0, log, n(2)));
  REQUIRE(v);
  CHECK(v->find("two leaders") != std::string::npos);
}

TEST_CASE("raft checker: a second vote in one term is reported (item 3)") {
  cluster_checker k;
  const auto log = log_of({});
  CHECK_FALSE(k.observe(obs(1, 2, role::follower, 0, log, n(2))));
  CHECK(k.observe(obs(1, 2, role::follower, 0, log, n(3))));
}

TEST_CASE("raft checker: term or commit going back is reported (item 18)") {
  cluster_checker a;
  const auto log = log_of({1, 1});
  CHECK_FALSE(a.observe(obs(1, 3, role::follower, 2, log)));
  CHECK(a.observe(obs(1, 2, role::follower, 2, log)));
  cluster_checker b;
  CHECK_FALSE(b.observe(obs(1, 3, role::follower, 2, log)));
  CHECK(b.observe(obs(1, 3, role::follower, 1, log)));
}

TEST_CASE("raft checker: a leader rewriting or dropping its entries is reported (item 19)") {
  cluster_checker k;
  const auto before = log_of({1, 2});
  const auto after = log_of({1});
  CHECK_FALSE(k.observe(obs(1, 2, role::leader, 0, before, n(1))));
  CHECK(k.observe(obs(1, 2, role::leader, 0, after, n(1))));
}

TEST_CASE("raft checker: logs that disagree before a shared (index, term) are reported (item 14)") {
  cluster_checker k;
  const auto one = log_of({1, 2, 3});
  const auto two = log_of({1, 1, 3});
  CHECK_FALSE(k.observe(obs(1, 3, role::follower, 0, one)));
  CHECK(k.observe(obs(2, 3, role::follower, 0, two)));
}

TEST_CASE("raft checker: different entries applied at one index, or out of order, are reported (item 18)") {
  cluster_checker k;
  const auto a = log_of({1, 1});
  const auto b = log_of({1, 2});
  CHECK_FALSE(k.on_applied(n(1), a[0]));
  CHECK_FALSE(k.on_applied(n(1), a[1]));
  CHECK_FALSE(k.on_applied(n(2), b[0]));
  CHECK(k.on_applied(n(2), b[1]));
  cluster_checker twice;
  CHECK_FALSE(twice.on_applied(n(1), a[0]));
  CHECK(twice.on_applied(n(1), a[0]));
}

TEST_CASE("raft checker: memory that differs from disk after a flush is reported") {
  cluster_checker k;
  const auto log = log_of({1}); // the observation only borrows the entries
  auto o = obs(1, 2, role::follower, 1, log);
  o.persisted_hard.term = tid(1);
  CHECK(k.observe(o));
}

TEST_CASE("raft: a wiped disk rejoining and voting again is caught by the checker (item 27)") {
  // Refusing a wiped data directory is the storage layer's job; this shows
  // what happens without it, and that the checker notices.
  options o;
  o.pre_vote = false;
  cluster c{{1, 2, 3}, o};
  c.cut(1, 3);
  c.campaign(1);
  c.deliver_all();
  REQUIRE(c.m(2).d.hard.vote == n(1));
  c.queue().clear();
  disk wiped;
  c.reboot_with(2, wiped);
  c.cut(3, 1);
  c.campaign(3);
  c.deliver_all();
  // The checker notices the disk going back in time as soon as the node
  // restarts (its persisted term drops), before the double vote.
  auto v = c.violation();
  REQUIRE(v);
  MESSAGE("checker reported: ", *v);
  CHECK((v->find("persisted term went back") != std::string::npos
         || v->find("voted twice") != std::string::npos));
}
