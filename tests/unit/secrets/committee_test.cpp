// The rules that refuse a committee change before anything changes
// (src/secrets/committee.hpp, docs/refresh.md §7.6): each one refuses alone,
// and a change that meets them all passes.
#include <doctest/doctest.h>

#include "secrets/committee.hpp"
#include "secrets/messages.hpp"

namespace pss::secrets {
namespace {

struct fixture {
  test_cluster tc = make_test_cluster(5, 3, 41);
  test_cluster other = make_test_cluster(6, 3, 42); // its 6th member is a newcomer with fresh keys
  committee_context all_up;

  fixture() {
    for (const auto& m : tc.view.members) all_up.up.insert(m.id);
  }
  member newcomer() const { return other.view.members.back(); }
  std::string refused(const committee_change& c, const committee_context& ctx) const {
    auto st = check_committee_change(tc.view, c, ctx);
    return st.ok() ? "" : st.err().message();
  }
  std::string refused(const committee_change& c) const { return refused(c, all_up); }
};

bool has(const std::string& message, const std::string& part) { return message.find(part) != std::string::npos; }

} // namespace

TEST_CASE("committee: a change that meets every rule passes") {
  fixture f;
  CHECK(f.refused({committee_change_kind::add, {}, f.newcomer(), 0}).empty());
  CHECK(f.refused({committee_change_kind::remove, node_id{5}, {}, 0}).empty());
  CHECK(f.refused({committee_change_kind::replace, node_id{2}, f.newcomer(), 0}).empty());
  CHECK(f.refused({committee_change_kind::threshold, {}, {}, 4}).empty());
  CHECK(f.refused({committee_change_kind::threshold, {}, {}, 2}).empty()); // lowering (docs/refresh.md §7.5)
  // A lowering needs the old t up to reshare, and t'+2 to confirm each
  // dealer (t'+1 others): 4 of 5 here, though t'+1 = 3 would do for a raise.
  committee_context up;
  up.up = {node_id{1}, node_id{2}, node_id{3}};
  CHECK(has(f.refused({committee_change_kind::threshold, {}, {}, 2}, up), "only 3 members are up"));
  up.up.insert(node_id{4});
  CHECK(f.refused({committee_change_kind::threshold, {}, {}, 2}, up).empty());
}

TEST_CASE("committee: one change at a time, and none beside a rejoin") {
  fixture f;
  auto ctx = f.all_up;
  ctx.change_running = true;
  CHECK(has(f.refused({committee_change_kind::threshold, {}, {}, 4}, ctx), "another committee change"));
  ctx.change_running = false;
  ctx.rejoin_running = true;
  CHECK(has(f.refused({committee_change_kind::remove, node_id{5}, {}, 0}, ctx), "rejoining"));
}

TEST_CASE("committee: a removal keeps t+1 members and a Raft majority of them up") {
  fixture f;
  fixture small;
  small.tc = make_test_cluster(4, 3, 43);
  small.all_up.up = {node_id{1}, node_id{2}, node_id{3}, node_id{4}};
  CHECK(has(small.refused({committee_change_kind::remove, node_id{4}, {}, 0}), "fewer than t+1"));
  CHECK(has(f.refused({committee_change_kind::remove, node_id{9}, {}, 0}), "not a member"));
  committee_context two_up;
  two_up.up = {node_id{1}, node_id{2}, node_id{5}}; // without node 5: 2 of 4 up
  CHECK(has(f.refused({committee_change_kind::remove, node_id{5}, {}, 0}, two_up), "fewer than a Raft majority"));
  two_up.up.insert(node_id{3});
  CHECK(f.refused({committee_change_kind::remove, node_id{5}, {}, 0}, two_up).empty());
}

TEST_CASE("committee: a new member's id and keys must be its own") {
  fixture f;
  member m = f.newcomer();
  CHECK(has(f.refused({committee_change_kind::add, {}, std::nullopt, 0}), "needs the new member"));
  m.id = node_id{3};
  CHECK(has(f.refused({committee_change_kind::add, {}, m, 0}), "is a member already"));
  m = f.newcomer();
  m.box_key = f.tc.view.members[1].box_key;
  CHECK(has(f.refused({committee_change_kind::add, {}, m, 0}), "box key is node 2's"));
  m = f.newcomer();
  m.sign_key = f.tc.view.members[3].sign_key;
  CHECK(has(f.refused({committee_change_kind::replace, node_id{1}, m, 0}), "signing key is node 4's"));
}

TEST_CASE("committee: a threshold outside 2..n-1, or unchanged, is refused") {
  fixture f;
  CHECK(has(f.refused({committee_change_kind::threshold, {}, {}, 1}), "t must be 2..4"));
  CHECK(has(f.refused({committee_change_kind::threshold, {}, {}, 5}), "not 5"));
  CHECK(has(f.refused({committee_change_kind::threshold, {}, {}, 3}), "already"));
}

TEST_CASE("committee: a rotation keeps the member's id and address and takes keys no member has") {
  fixture f;
  // Node 2 with node 2's keys of another cluster: fresh keys.
  member next = f.other.view.members[1];
  next.address = f.tc.view.members[1].address;
  CHECK(f.refused({committee_change_kind::rotate, node_id{2}, next, 0}).empty());
  CHECK(has(f.refused({committee_change_kind::rotate, node_id{9}, next, 0}), "node 9 is not a member"));
  CHECK(has(f.refused({committee_change_kind::rotate, node_id{3}, next, 0}), "is node 2's, not node 3's"));
  CHECK(has(f.refused({committee_change_kind::rotate, node_id{2}, std::nullopt, 0}), "needs the member's new keys"));
  member moved = next;
  moved.address = "elsewhere:1";
  CHECK(has(f.refused({committee_change_kind::rotate, node_id{2}, moved, 0}), "does not move a node"));
  member same_box = next;
  same_box.box_key = f.tc.view.members[1].box_key; // its own old key: the rotation exists because it may be known
  CHECK(has(f.refused({committee_change_kind::rotate, node_id{2}, same_box, 0}), "box key is node 2's"));
  member others_sign = next;
  others_sign.sign_key = f.tc.view.members[3].sign_key;
  CHECK(has(f.refused({committee_change_kind::rotate, node_id{2}, others_sign, 0}), "signing key is node 4's"));
  auto ctx = f.all_up;
  ctx.change_running = true;
  CHECK(has(f.refused({committee_change_kind::rotate, node_id{2}, next, 0}, ctx), "another committee change"));
}

} // namespace pss::secrets

namespace pss::secrets {

TEST_CASE("committee: a change and the member request that carries it decode as they were encoded") {
  const test_cluster other = make_test_cluster(6, 3, 42);
  for (const committee_change& c :
       {committee_change{committee_change_kind::remove, node_id{5}, std::nullopt, 0},
        committee_change{committee_change_kind::replace, node_id{2}, other.view.members.back(), 0},
        committee_change{committee_change_kind::threshold, {}, std::nullopt, 4},
        committee_change{committee_change_kind::rotate, node_id{2}, other.view.members[1], 0}}) {
    byte_writer w;
    encode(w, c);
    const bytes b = w.take();
    byte_reader r{b};
    auto back = decode_committee_change(r);
    REQUIRE(back.ok());
    CHECK(*back == c);
    auto m = decode_wire_message(encode(wire_message{member_request{7, sequence_number{3}, c}}));
    REQUIRE(m.ok());
    const auto* got = std::get_if<member_request>(&*m);
    REQUIRE(got != nullptr);
    CHECK(got->change == c);
    CHECK(got->request_id == 7);
  }
  // An unknown kind, and a change cut short, are refused.
  byte_writer w;
  encode(w, committee_change{committee_change_kind::remove, node_id{5}, std::nullopt, 0});
  bytes b = w.take();
  bytes bad = b;
  bad[0] = 9;
  byte_reader r1{bad};
  CHECK_FALSE(decode_committee_change(r1).ok());
  b.pop_back();
  byte_reader r2{b};
  CHECK_FALSE(decode_committee_change(r2).ok());
}


TEST_CASE("committee: a cluster file takes in only a membership t of its members serve alike") {
  fixture f;
  cluster_view next = f.tc.view; // node 5 replaced by a newcomer, at another epoch
  next.members.pop_back();
  member m = f.newcomer();
  m.index = share_index{6};
  next.members.push_back(m);
  next.epoch = epoch_id{7};
  cluster_view lie = f.tc.view;
  lie.members[0].box_key = f.other.view.members[0].box_key;
  using answers = std::vector<std::pair<node_id, cluster_view>>;
  // Two honest answers and two lies: t = 3 do not agree.
  auto few = agreed_view(answers{{node_id{1}, next}, {node_id{2}, next}, {node_id{3}, lie}, {node_id{4}, lie}}, f.tc.view);
  REQUIRE_FALSE(few.ok());
  CHECK(few.err().message().find("at most 2 of them serve the same membership; t = 3") != std::string::npos);
  // One member answering three times counts once; an id the file lacks not at all.
  CHECK_FALSE(agreed_view(answers{{node_id{1}, next}, {node_id{1}, next}, {node_id{1}, next}, {node_id{6}, next}},
                          f.tc.view).ok());
  // Three alike, whatever their epochs: that view.
  cluster_view later = next;
  later.epoch = epoch_id{8};
  auto agreed = agreed_view(answers{{node_id{1}, next}, {node_id{2}, later}, {node_id{3}, lie}, {node_id{4}, next}},
                            f.tc.view);
  REQUIRE(agreed.ok());
  CHECK(agreed->members == next.members);
  CHECK(agreed->threshold == 3);
  // Another cluster's answers never count.
  cluster_view foreign = next;
  foreign.cluster_id = "other";
  CHECK_FALSE(agreed_view(answers{{node_id{1}, foreign}, {node_id{2}, foreign}, {node_id{3}, foreign}}, f.tc.view).ok());
}

} // namespace pss::secrets
