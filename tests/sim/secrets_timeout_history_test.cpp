// A secrets put that times out after it was proposed is an `info` event in
// the client history, and the linearizability checker accepts the history
// whether or not the put took effect. The client is cut off from every node
// right after the leader accepted its register proposal, so the register
// commits but no answer reaches the client: the put ends as unknown
// (client_error::timeout), which history_outcome maps to info. A later get
// reads the value, which is linearizable only because the put is info: the
// same history with the put recorded as fail must be rejected.
#include <doctest/doctest.h>

#include "../unit/secrets/network.hpp"
#include "sim/secrets_engine.hpp"
#include "sim/simulator.hpp"

using namespace pss;
using namespace pss::secrets;
using namespace pss::secrets::testing;

namespace {

sim::history_event invoke(millis at, std::uint64_t op, actors::op_kind kind, const std::string& value) {
  sim::history_event e;
  e.time = at;
  e.client = 1;
  e.op_id = op;
  e.invoke = true;
  e.kind = kind;
  e.key = "k";
  e.value.assign(value.begin(), value.end());
  return e;
}

sim::history_event done(millis at, sim::history_event e, actors::op_outcome o, const std::string& read = {}) {
  e.time = at;
  e.invoke = false;
  e.outcome = o;
  if (e.kind == actors::op_kind::get) e.value.assign(read.begin(), read.end());
  return e;
}

} // namespace

TEST_CASE("sim: a secrets put that times out after proposing is info, and the checker accepts it") {
  network net{5, 3, 11};
  net.elect(1);
  net.add_client(1);
  std::vector<sim::history_event> history;

  // A first put that completes: the register's first value.
  const auto put1 = invoke(net.now, 1, actors::op_kind::put, "v1");
  history.push_back(put1);
  const completion first = net.put(1, 1, "k", "v1");
  REQUIRE(first.outcome == operation_outcome::ok);
  history.push_back(done(net.now, put1, sim::history_outcome(first.outcome)));

  // The second put: cut the client off once the leader has its proposal.
  const auto put2 = invoke(net.now, 2, actors::op_kind::put, "v2");
  history.push_back(put2);
  const std::uint64_t proposals_before = net.node(1).counters().proposals;
  net.client(1).put(net.now, 2, "k", value_of("v2"));
  net.flush_client(1);
  net.run_until([&] { return net.node(1).counters().proposals > proposals_before; }, millis{5'000});
  REQUIRE(net.node(1).counters().proposals > proposals_before);
  for (const auto& m : net.cluster().view.members) net.cut(endpoint::of(client_id{1}), endpoint::of(m.id));
  const completion second = net.await(1, 2);
  CHECK(second.outcome == operation_outcome::unknown);
  CHECK(second.error == client_error::timeout);
  CHECK(sim::history_outcome(second.outcome) == actors::op_outcome::info);
  const auto put2_done = done(net.now, put2, sim::history_outcome(second.outcome));
  history.push_back(put2_done);

  // Healed, a read shows the timed-out put took effect.
  net.heal();
  const auto get = invoke(net.now, 3, actors::op_kind::get, "");
  history.push_back(get);
  const completion read = net.get(1, 3, "k");
  REQUIRE(read.outcome == operation_outcome::ok);
  REQUIRE(read.value.has_value());
  CHECK(text_of(*read.value) == "v2");
  history.push_back(done(net.now, get, sim::history_outcome(read.outcome), text_of(*read.value)));

  const auto checker = sim::linearizability_checker();
  const auto verdict = checker(history);
  CHECK_MESSAGE(!verdict.has_value(), (verdict ? *verdict : std::string{}));

  // Control: had the timeout been recorded as a definite failure, reading
  // v2 would not be linearizable, so the checker must object.
  auto as_failure = history;
  for (auto& e : as_failure)
    if (!e.invoke && e.op_id == 2) e.outcome = actors::op_outcome::fail;
  CHECK(checker(as_failure).has_value());
}
