// The simulator's workload: client actors, the workload actor that issues
// random operations, and the history of invocations and completions.
#include "sim/simulation_impl.hpp"

namespace pss::sim {

void simulation::impl::spawn_client(std::size_t c) {
  client_info info;
  if (secrets_mode) {
    secrets::client_options co;
    co.id = client_id{c};
    co.identity = c == stranger_client() ? sim_stranger_identity() : sim_admin_identity();
    co.wall_clock_offset = sim_wall_clock_offset;
    co.nodes = node_ids;
    co.expected_cluster_id = cluster.view.cluster_id;
    // membership: long-lived clients learn the view again, to deal to a
    // member added since and not to one removed.
    if (opts.profile == "membership") co.view_max_age = millis{1'000};
    info.secrets_client = std::make_shared<secrets_client_host>(co, master.next_u64());
    info.engine = info.secrets_client;
  } else {
    raft_client_config cc;
    cc.id = client_id{c};
    cc.nodes = node_ids;
    info.raft_client = std::make_shared<raft_client_engine>(cc);
    info.engine = info.raft_client;
  }
  info.slot = std::make_shared<actors::client_slot>();
  info.slot->self = endpoint::of(client_id{c});
  info.slot->engine = info.engine;
  info.slot->directory = relay;
  info.slot->hooks = this;
  info.actor = actors::spawn_client_actor(*sys, info.slot);
  targets->set(info.slot->self, info.actor);
  clients.push_back(std::move(info));
}

void simulation::impl::spawn_workload() {
  workload = sys->spawn([](caf::event_based_actor* self, impl* sim) -> caf::behavior {
    if (sim->opts.workload)
      for (std::size_t c = 1; c <= sim->stranger_client(); ++c)
        if (sim->is_workload_client(c))
          self->delayed_send(self, millis{static_cast<millis::rep>(1 + sim->workload_rng.below(100))},
                           actors::next_atom::value, static_cast<std::uint64_t>(c));
    return {
      [sim, self](actors::client_operation_result& r) { sim->on_result(self, r); },
      [sim, self](actors::next_atom, std::uint64_t c) { sim->issue_random(self, c); },
    };
  }, this);
}

std::uint64_t simulation::impl::start_op(caf::event_based_actor* self, std::size_t c, actors::operation op) {
  client_info& info = clients.at(c - 1);
  const std::uint64_t id = next_op++;
  info.busy = true;
  op_client[id] = c;
  history.push_back({now(), c, id, true, op.kind, op.key, op.value, actors::op_outcome::info});
  if (op.kind == actors::op_kind::put) values_put[op.key].insert(op.value);
  actors::client_operation_request req{id, static_cast<std::uint8_t>(op.kind), op.key, op.value};
  if (self)
    self->send(info.actor, std::move(req));
  else
    caf::send_as(workload, info.actor, std::move(req));
  return id;
}

void simulation::impl::issue_random(caf::event_based_actor* self, std::uint64_t c) {
  if (!safety_phase || clients.at(c - 1).busy) return;
  actors::operation op;
  // Refresh profiles spread puts over more names, so that versions live
  // long enough (versions_kept_max per name) to be refreshed.
  const std::size_t keys = is_refresh_profile(opts.profile) ? keys_in_refresh_workload : keys_in_workload;
  op.key = "k" + std::to_string(workload_rng.below(keys));
  const std::uint64_t roll = workload_rng.below(100);
  if (roll < 65) {
    op.kind = actors::op_kind::put;
    const std::string v = "c" + std::to_string(c) + "-" + std::to_string(++clients.at(c - 1).seq);
    op.value.assign(v.begin(), v.end());
  } else if (roll < 92) {
    op.kind = actors::op_kind::get;
  } else {
    op.kind = actors::op_kind::remove; // a tombstone: later gets find nothing
  }
  start_op(self, c, std::move(op));
}

void simulation::impl::on_result(caf::event_based_actor* self, actors::client_operation_result& r) {
  auto it = op_client.find(r.op_id);
  if (it == op_client.end()) return;
  const std::size_t c = it->second;
  clients.at(c - 1).busy = false;
  const auto outcome = static_cast<actors::op_outcome>(r.outcome);
  const history_event* invoke = nullptr;
  for (auto h = history.rbegin(); h != history.rend(); ++h)
    if (h->op_id == r.op_id && h->invoke) {
      invoke = &*h;
      break;
    }
  PSS_CHECK(invoke != nullptr);
  history_event done = *invoke;
  done.time = now();
  done.invoke = false;
  done.outcome = outcome;
  if (done.kind == actors::op_kind::get) done.value = r.value;
  trace.add(0x0F00 + r.outcome);
  trace.add(r.op_id);
  if (outcome == actors::op_outcome::ok && done.kind == actors::op_kind::put) ++counters.puts_acked;
  if (outcome == actors::op_outcome::ok && done.kind == actors::op_kind::get) {
    ++counters.gets_ok;
    if (!done.value.empty()) {
      // The weak value check the Raft-only engine affords: a read returns
      // only something some client wrote to that key.
      auto w = values_put.find(done.key);
      if (w == values_put.end() || !w->second.contains(done.value)) {
        ++counters.forgeries_accepted;
        violation("client " + std::to_string(c) + " read a value nobody wrote to " + done.key);
      } else
        if (!secrets_mode) ++counters.secrets_verified; // secrets mode: counted by check_secrets
    }
  }
  if (outcome == actors::op_outcome::info) ++counters.ops_info;
  if (outcome == actors::op_outcome::fail) ++counters.ops_failed;
  // A Byzantine node that served the catalog answer a get went on can make
  // it stale (an older version, or "none"), never forged (the value check
  // above): the history takes such a get as one that may have read anything.
  // Likewise a put's version number is the word of the leader that
  // answered (the catalog numbers it at apply): a Byzantine leader can
  // misnumber it, never forge the value, so such a put may have written any
  // version and is taken as info (and left out of the read-back).
  if (byzantine && outcome == actors::op_outcome::ok
      && (done.kind == actors::op_kind::get || done.kind == actors::op_kind::put))
    if (auto served = clients.at(c - 1).secrets_client->served_by(r.op_id); served && byzantine->controls(*served)) {
      done.outcome = actors::op_outcome::info;
      ++counters.checks[done.kind == actors::op_kind::get ? "byzantine_served_gets" : "byzantine_acked_puts"];
    }
  completions[r.op_id] = actors::completion{r.op_id, outcome, r.value, r.note};
  history.push_back(std::move(done));
  if (opts.workload && safety_phase && is_workload_client(c))
    self->delayed_send(self, millis{static_cast<millis::rep>(workload_rng.below(think_max().count()) + 1)},
                       actors::next_atom::value, static_cast<std::uint64_t>(c));
}

} // namespace pss::sim
