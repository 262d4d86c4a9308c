// The same engine actors on CAF's real, threaded scheduler (as in the
// one-process demo): three Raft-only nodes elect a leader and a client's put
// commits. Waits through a scoped actor's receive with a timeout, never
// through sleeps.
#include <doctest/doctest.h>

#include <array>
#include <chrono>

#include "caf/actor_system.hpp"
#include "caf/actor_system_config.hpp"
#include "caf/exit_reason.hpp"
#include "caf/scoped_actor.hpp"
#include "caf/send.hpp"

#include "actors/engine_actor.hpp"
#include "actors/messages.hpp"
#include "sim/raft_engine.hpp"
#include "storage/sim_disk.hpp"

using namespace pss;

TEST_CASE("actors: on the real scheduler, node actors elect a leader and a put commits") {
  std::array<storage::sim_disk, 3> disks; // outlive the actors that write them
  caf::actor_system_config cfg;
  actors::register_message_types(cfg);
  cfg.set("logger.verbosity", caf::atom("quiet"));
  caf::actor_system sys{cfg};
  auto directory = std::make_shared<actors::local_peer_directory>();
  raft::configuration initial;
  for (std::uint64_t i = 1; i <= 3; ++i) initial.voters.push_back(node_id{i});
  const auto now = std::chrono::duration_cast<actors::millis>(sys.clock().now().time_since_epoch());
  std::vector<caf::actor> all;
  for (std::uint64_t i = 1; i <= 3; ++i) {
    sim::raft_engine_config c;
    c.id = node_id{i};
    c.initial = initial;
    c.seed = i;
    auto engine = sim::raft_engine::open(disks[i - 1], c, now, true);
    REQUIRE(engine.ok());
    auto slot = std::make_shared<actors::host_slot>();
    slot->self = secrets::endpoint::of(node_id{i});
    slot->engine = std::shared_ptr<sim::raft_engine>(std::move(*engine));
    slot->directory = directory;
    auto a = actors::spawn_node_actor(sys, slot);
    directory->set(slot->self, a);
    all.push_back(a);
  }
  sim::raft_client_config cc;
  cc.id = client_id{1};
  cc.nodes = initial.voters;
  auto client_slot = std::make_shared<actors::client_slot>();
  client_slot->self = secrets::endpoint::of(client_id{1});
  client_slot->engine = std::make_shared<sim::raft_client_engine>(cc);
  client_slot->directory = directory;
  auto client = actors::spawn_client_actor(sys, client_slot);
  directory->set(client_slot->self, client);
  all.push_back(client);

  bool committed = false;
  {
    caf::scoped_actor self{sys};
    for (std::uint64_t attempt = 1; attempt <= 5 && !committed; ++attempt) {
      self->send(client, actors::client_operation_request{attempt, 1, "k", {'v'}});
      self->receive(
        [&](actors::client_operation_result& r) {
          committed = r.op_id == attempt && r.outcome == static_cast<std::uint8_t>(actors::op_outcome::ok);
        },
        caf::after(std::chrono::seconds(10)) >> [] {});
    }
  }
  CHECK(committed);
  directory->clear();
  for (auto& a : all) caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
}
