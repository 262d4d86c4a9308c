// Wire encoding of every Raft message, and hostile input: malformed,
// truncated, oversized, unknown, stale, duplicated or unknown-sender messages
// are rejected or ignored, never trusted, never a crash.
#include "harness.hpp"

using namespace pss;
using namespace pss::raft;
using namespace pss::raft::testing;

namespace {

std::vector<envelope> samples() {
  configuration cfg{{n(1), n(2)}, {n(3)}};
  entry e1{tid(2), li(5), entry_kind::command, data_of("abc")};
  entry e2{tid(3), li(6), entry_kind::config, to_bytes(cfg)};
  return {
    {n(1), n(2), pre_vote_request{tid(4), li(9), tid(3)}},
    {n(2), n(1), pre_vote_response{tid(3), tid(4), true}},
    {n(1), n(2), vote_request{tid(4), li(9), tid(3), true}},
    {n(2), n(1), vote_response{tid(4), false}},
    {n(1), n(2), append_entries{tid(3), li(4), tid(2), li(3), {e1, e2}}},
    {n(2), n(1), append_entries_response{tid(3), false, li(0), li(4), li(2), tid(1), li(3)}},
    {n(1), n(2), heartbeat{tid(3), li(3), 77}},
    {n(2), n(1), heartbeat_response{tid(3), 77}},
    {n(1), n(2), install_snapshot{tid(3), snapshot_meta{li(9), tid(2), cfg}, 10, 4, data_of("wxyz"), false}},
    {n(2), n(1), install_snapshot_response{tid(3), li(9), 8, false}},
    {n(1), n(2), timeout_now{tid(3)}},
  };
}

} // namespace

TEST_CASE("raft codec: every message round trips") {
  for (const auto& e : samples()) {
    CAPTURE(name_of(e.body));
    auto back = decode_envelope(encode(e));
    REQUIRE(back.ok());
    CHECK(*back == e);
  }
}

TEST_CASE("raft codec: every truncation and trailing byte is rejected") {
  for (const auto& e : samples()) {
    auto wire = encode(e);
    for (std::size_t cut = 0; cut < wire.size(); ++cut)
      CHECK_FALSE(decode_envelope(byte_view{wire}.first(cut)).ok());
    wire.push_back(0);
    CHECK_FALSE(decode_envelope(wire).ok());
  }
}

TEST_CASE("raft codec: random byte flips never crash the decoder or the node") {
  prng random{99};
  cluster c{{1, 2, 3}};
  c.elect(1);
  std::size_t accepted = 0;
  for (int round = 0; round < 3000; ++round) {
    auto all = samples();
    auto wire = encode(all[random.below(all.size())]);
    const auto flips = random.between(1, 3);
    for (std::uint64_t f = 0; f < flips; ++f)
      wire[random.below(wire.size())] ^= static_cast<std::uint8_t>(1u << random.below(8));
    auto decoded = decode_envelope(wire);
    if (!decoded) continue;
    ++accepted;
    // Whatever parses is handed to a real node: it must not crash or break
    // an invariant (check_invariants runs inside step).
    decoded->to = n(2);
    if (decoded->from == n(2)) decoded->from = n(3);
    c.raft(2).step(c.now, *decoded);
    c.flush(2);
    c.queue().clear();
  }
  CHECK(accepted > 0);
}

TEST_CASE("raft codec: unknown tags, bad booleans, loops and oversized counts are rejected") {
  auto wire = encode(samples()[0]);
  wire[0] = 0;
  CHECK(decode_envelope(wire).err().code() == errc::malformed);
  wire[0] = 200;
  CHECK(decode_envelope(wire).err().code() == errc::malformed);
  // A bool field holding 2.
  auto vr = encode(samples()[3]);
  vr.back() = 2;
  CHECK_FALSE(decode_envelope(vr).ok());
  // from == to, and a zero sender.
  envelope loop{n(1), n(1), timeout_now{tid(1)}};
  CHECK_FALSE(decode_envelope(encode(loop)).ok());
  envelope zero{no_node, n(1), timeout_now{tid(1)}};
  CHECK_FALSE(decode_envelope(encode(zero)).ok());
  // An entry count above the limit.
  byte_writer w;
  w.u8(5);
  w.u64(1);
  w.u64(2);
  for (int i = 0; i < 4; ++i) w.u64(1);
  w.u32(static_cast<std::uint32_t>(append_entries_count_max + 1));
  CHECK_FALSE(decode_envelope(w.take()).ok());
}

TEST_CASE("raft codec: entries out of order, from a future term, or a snapshot chunk out of bounds are rejected") {
  append_entries gap{tid(3), li(4), tid(2), li(0), {entry{tid(3), li(6), entry_kind::command, {}}}};
  CHECK_FALSE(decode_envelope(encode(envelope{n(1), n(2), gap})).ok());
  append_entries future{tid(3), li(4), tid(2), li(0), {entry{tid(9), li(5), entry_kind::command, {}}}};
  CHECK_FALSE(decode_envelope(encode(envelope{n(1), n(2), future})).ok());
  append_entries backwards{tid(3), li(4), tid(2), li(0), {entry{tid(1), li(5), entry_kind::command, {}}}};
  CHECK_FALSE(decode_envelope(encode(envelope{n(1), n(2), backwards})).ok());
  install_snapshot beyond{tid(3), snapshot_meta{li(9), tid(2), {}}, 10, 8, data_of("abcd"), false};
  CHECK_FALSE(decode_envelope(encode(envelope{n(1), n(2), beyond})).ok());
  install_snapshot early_done{tid(3), snapshot_meta{li(9), tid(2), {}}, 10, 0, data_of("abcd"), true};
  CHECK_FALSE(decode_envelope(encode(envelope{n(1), n(2), early_done})).ok());
}

TEST_CASE("raft: misaddressed, unknown-sender and impossible messages are ignored") {
  cluster c{{1, 2, 3}};
  c.elect(1);
  REQUIRE(c.propose(1, "x").ok());
  c.deliver_all();
  node& l = c.raft(1);
  const term_id t = l.term();
  const auto last = l.log().last_index();
  // A response from a node that is not a member.
  l.step(c.now, envelope{n(9), n(1), append_entries_response{t, true, last, {}, {}, {}, last}});
  // A response claiming more than the leader has.
  l.step(c.now, envelope{n(2), n(1), append_entries_response{t, true, li(last.value() + 100), {}, {}, {}, {}}});
  // A message for someone else, and one claiming to come from the node itself.
  l.step(c.now, envelope{n(2), n(3), heartbeat_response{t, 0}});
  l.step(c.now, envelope{n(1), n(1), heartbeat_response{t, 0}});
  // A second "leader" in the same term.
  l.step(c.now, envelope{n(3), n(1), append_entries{t, li(0), tid(0), li(0), {}}});
  c.flush(1);
  CHECK(l.role() == role::leader);
  CHECK(l.progresses().at(n(2)).match <= last);
  CHECK_FALSE(l.progresses().contains(n(9)));
  // A duplicated vote response changes nothing.
  c.raft(2).step(c.now, envelope{n(3), n(2), vote_response{t, true}});
  c.flush(2);
  CHECK(c.raft(2).role() == role::follower);
  CHECK_FALSE(c.violation());
}

TEST_CASE("raft: impossible messages handed over as structs are ignored by step") {
  cluster c{{1, 2, 3}};
  c.elect(1);
  node& f = c.raft(2);
  const term_id t = f.term();
  const auto last = f.log().last_index();
  // Entries with a gap, from a future term, and a chunk beyond its snapshot:
  // the same checks decode_envelope applies, so another transport cannot
  // smuggle them in.
  f.step(c.now, envelope{n(1), n(2), append_entries{t, last, t, li(0), {entry{t, last.next().next(), entry_kind::command, {}}}}});
  f.step(c.now, envelope{n(1), n(2), append_entries{t, last, t, li(0), {entry{t.next(), last.next(), entry_kind::command, {}}}}});
  f.step(c.now, envelope{n(1), n(2), install_snapshot{t, snapshot_meta{li(9), t, {}}, 4, 2, data_of("abcd"), true}});
  f.step(c.now, envelope{no_node, n(2), heartbeat{t, li(0), 0}});
  CHECK_FALSE(f.has_ready());
  CHECK(f.log().last_index() == last);
  CHECK(validate(envelope{n(1), n(2), heartbeat{t, li(0), 0}}).ok());
}
