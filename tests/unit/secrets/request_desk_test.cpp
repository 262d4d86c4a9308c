// The node's request desk (src/secrets/request_desk.hpp): proposals matched
// to the entries they became, reads released once their index applied, and
// what is handed back when a leader change or a snapshot overtakes them.
#include <doctest/doctest.h>

#include "secrets/request_desk.hpp"

namespace pss::secrets {
namespace {

pending_proposal proposal(std::uint64_t client, std::uint64_t request_id) {
  pending_proposal p;
  p.client = endpoint::of(client_id{client});
  p.request_id = request_id;
  p.name = "n" + std::to_string(request_id);
  return p;
}

pending_read read_of(std::uint64_t client, std::uint64_t request_id) {
  pending_read r;
  r.client = endpoint::of(client_id{client});
  r.request.request_id = request_id;
  return r;
}

raft::entry entry_at(std::uint64_t term, std::uint64_t index, raft::entry_kind kind = raft::entry_kind::command) {
  return raft::entry{term_id{term}, log_index{index}, kind, {}};
}

TEST_CASE("request desk: a proposal settles when its own entry applies, and only once") {
  request_desk d;
  CHECK_FALSE(d.proposed(term_id{2}, log_index{5}, proposal(7, 1)));
  CHECK(d.proposals_in_flight() == 1);
  CHECK_FALSE(d.applied(entry_at(2, 4))); // another index: nothing waits there
  auto s = d.applied(entry_at(2, 5));
  REQUIRE(s);
  CHECK(s->ours);
  CHECK(s->proposal.request_id == 1);
  CHECK(s->proposal.term == term_id{2});
  CHECK(s->proposal.client == endpoint::of(client_id{7}));
  CHECK(d.proposals_in_flight() == 0);
  CHECK_FALSE(d.applied(entry_at(2, 5)));
}

TEST_CASE("request desk: an entry of another term or kind at the proposal's index settles it as overwritten") {
  request_desk d;
  CHECK_FALSE(d.proposed(term_id{2}, log_index{5}, proposal(7, 1)));
  CHECK_FALSE(d.proposed(term_id{2}, log_index{6}, proposal(7, 2)));
  auto other_term = d.applied(entry_at(3, 5));
  REQUIRE(other_term);
  CHECK_FALSE(other_term->ours);
  auto noop = d.applied(entry_at(2, 6, raft::entry_kind::noop));
  REQUIRE(noop);
  CHECK_FALSE(noop->ours);
}

TEST_CASE("request desk: a snapshot hands back the proposals it overtook and keeps the later ones") {
  request_desk d;
  for (std::uint64_t i = 1; i <= 4; ++i) CHECK_FALSE(d.proposed(term_id{1}, log_index{10 + i}, proposal(1, i)));
  const auto gone = d.overtaken(log_index{12});
  REQUIRE(gone.size() == 2);
  CHECK(gone[0].request_id == 1);
  CHECK(gone[1].request_id == 2);
  CHECK(d.proposals_in_flight() == 2);
  d.check_invariants(log_index{12});
  CHECK(d.applied(entry_at(1, 13))->proposal.request_id == 3);
}

TEST_CASE("request desk: a later term's proposal at an index still held displaces the old one") {
  request_desk d;
  CHECK_FALSE(d.proposed(term_id{2}, log_index{10}, proposal(7, 1)));
  // A snapshot replaced this node's log below index 10; as leader again it
  // hands out index 10 anew.
  auto displaced = d.proposed(term_id{4}, log_index{10}, proposal(8, 2));
  REQUIRE(displaced);
  CHECK(displaced->request_id == 1);
  CHECK(d.proposals_in_flight() == 1);
  auto s = d.applied(entry_at(4, 10));
  REQUIRE(s);
  CHECK(s->ours);
  CHECK(s->proposal.request_id == 2);
}

TEST_CASE("request desk: reads wait for their confirmed index to apply; failed ones come back at once") {
  request_desk d;
  const auto a = d.next_read_id(), b = d.next_read_id(), c = d.next_read_id();
  CHECK(a != b);
  d.reading(a, read_of(1, 100));
  d.reading(b, read_of(2, 200));
  d.reading(c, read_of(3, 300));
  CHECK(d.due(log_index{1'000}).empty()); // nothing confirmed yet
  const raft::read_state ready[] = {{a, log_index{8}}, {c, log_index{9}}};
  const std::uint64_t failed[] = {b, 999};  // 999: unknown, ignored
  const auto lost = d.confirmed(ready, failed);
  REQUIRE(lost.size() == 1);
  CHECK(lost[0].request.request_id == 200);
  CHECK(d.due(log_index{7}).empty());
  auto now_due = d.due(log_index{8});
  REQUIRE(now_due.size() == 1);
  CHECK(now_due[0].request.request_id == 100);
  CHECK(now_due[0].index == log_index{8});
  CHECK(d.reads_in_flight() == 1);
  CHECK(d.due(log_index{9}).size() == 1);
  CHECK(d.reads_in_flight() == 0);
}

TEST_CASE("request desk: it says when full, and holds at most the limit") {
  request_desk d;
  for (std::uint64_t i = 0; i < pending_proposals_max; ++i) {
    CHECK_FALSE(d.proposals_full());
    CHECK_FALSE(d.proposed(term_id{1}, log_index{i + 1}, proposal(1, i)));
  }
  CHECK(d.proposals_full());
  for (std::uint64_t i = 0; i < pending_reads_max; ++i) d.reading(d.next_read_id(), read_of(1, i));
  CHECK(d.reads_full());
  d.check_invariants(log_index{0});
}

} // namespace
} // namespace pss::secrets
