// The simulator's nemesis: partitions (including a stuck leader), crashes
// (aimed, mid-flush), data loss and wipes, leadership transfers, and the
// operator's rejoin of a wiped node.
#include "sim/simulation_impl.hpp"

namespace pss::sim {

auto simulation::impl::pick_nodes(bool up) -> std::vector<node_slot*> {
  std::vector<node_slot*> out;
  for (auto& [id, n] : nodes)
    if (n.up == up && !(n.wiped && !up)) out.push_back(&n);
  return out;
}

// `deaf`: only the other nodes' messages to the lone node are cut, so what it
// sends still arrives (a transfer's timeout_now), and it never hears that it
// was deposed.
void simulation::impl::stuck_leader_partition(node_id lone, bool deaf) {
  ++counters.faults[deaf ? "partition_deaf_leader" : "partition_stuck_clients"];
  for (node_id b : node_ids)
    if (b != lone) {
      if (!deaf) cuts.insert({lone, b});
      cuts.insert({b, lone});
    }
  for (std::uint64_t c = 1; c <= opts.clients; ++c) {
    const bool stuck = chaos_rng.chance(0.5);
    for (node_id b : node_ids)
      if (stuck != (b == lone)) client_cuts.insert({c, b});
    trace.add(stuck ? c : 0);
  }
}

void simulation::impl::partition() {
  cuts.clear();
  client_cuts.clear();
  ++counters.faults["partition"];
  if (plan.stick > 0 && chaos_rng.chance(plan.stick))
    if (auto l = leader()) {
      stuck_leader_partition(*l);
      trace.add(0x571C);
      return;
    }
  switch (chaos_rng.below(3)) {
    case 0: { // symmetric split into two sides
      std::set<node_id> side;
      for (node_id id : node_ids)
        if (chaos_rng.chance(0.5)) side.insert(id);
      for (node_id a : node_ids)
        for (node_id b : node_ids)
          if (side.contains(a) != side.contains(b)) cuts.insert({a, b});
      break;
    }
    case 1: { // one node isolated
      const node_id lone = node_ids[chaos_rng.below(node_ids.size())];
      for (node_id b : node_ids)
        if (b != lone) {
          cuts.insert({lone, b});
          cuts.insert({b, lone});
        }
      break;
    }
    default: { // asymmetric: a few one-way cuts
      ++counters.faults["partition_asymmetric"];
      for (int k = 0; k < 3; ++k) {
        const node_id a = node_ids[chaos_rng.below(node_ids.size())];
        const node_id b = node_ids[chaos_rng.below(node_ids.size())];
        if (a != b) cuts.insert({a, b});
      }
    }
  }
  trace.add(0x9A97);
  for (const auto& [a, b] : cuts) trace.add((a.value() << 32) ^ b.value());
}

void simulation::impl::chaos() {
  if (!cuts.empty() && chaos_rng.chance(plan.heal)) {
    cuts.clear();
    client_cuts.clear();
    ++counters.faults["heal"];
    trace.add(0x4EA1);
  } else if (chaos_rng.chance(plan.partition)) {
    partition();
  }
  if (plan.figure8) crash_leader_with_unreplicated_entries();
  crash_after_commits();
  if (chaos_rng.chance(plan.crash)) {
    auto up = pick_nodes(true);
    if (!up.empty()) {
      node_slot* victim = up[chaos_rng.below(up.size())];
      if (plan.prefer_leader && chaos_rng.chance(0.7))
        if (auto l = leader()) victim = &nodes.at(*l);
      if (chaos_rng.chance(plan.mid_flush)) {
        arm_mid_flush_crash(*victim);
      } else {
        crash_node(*victim, "crash");
        if (secrets_mode) {
          if (chaos_rng.chance(plan.wipe)) lose_data_once(*victim);
        } else if (chaos_rng.chance(plan.wipe) && 2 * (wiped_count() + 1) < opts.nodes) {
          wipe_disk(*victim);
        }
      }
    }
  }
  if (plan.transfer > 0 && chaos_rng.chance(plan.transfer)) transfer_leadership();
  if (chaos_rng.chance(plan.restart)) {
    auto down = pick_nodes(false);
    if (!down.empty()) restart_node(*down[chaos_rng.below(down.size())]);
  }
}

void simulation::impl::watch_commits(node_slot& n, const secrets::node_engine& e) {
  const std::uint64_t committed = e.state().stats().refresh_epochs_committed;
  if (committed <= n.epochs_committed_seen) return;
  n.epochs_committed_seen = committed;
  if (opts.profile != "refresh-faults" || plan.crash <= 0 || !commit_crash_rng.chance(0.5)) return;
  commit_crashes.emplace_back(now() + millis{20 + commit_crash_rng.below(800)}, n.id);
}

void simulation::impl::crash_after_commits() {
  const millis t = now();
  std::erase_if(commit_crashes, [&](const auto& c) {
    if (c.first > t) return false;
    crash_node(nodes.at(c.second), "commit_crash");
    return true;
  });
}

void simulation::impl::crash_leader_with_unreplicated_entries() {
  const auto l = leader();
  if (!l) return;
  const raft::node& core = nodes.at(*l).engine->core();
  std::size_t holders = 1; // the leader
  for (const auto& [id, pr] : core.progresses())
    if (id != *l && pr.match >= core.log().last_index()) ++holders;
  if (2 * holders <= core.config().voters.size() && chaos_rng.chance(0.1)) crash_node(nodes.at(*l), "crash");
}

void simulation::impl::arm_mid_flush_crash(node_slot& victim) {
  if (victim.sync_failure_armed) return;
  const std::string raft_dir = secrets_mode ? "/data/raft" : "/raft";
  std::string target;
  switch (chaos_rng.below(secrets_mode ? 3 : 2)) {
    case 1: target = raft_dir; break;
    case 2: target = "/data/shares"; break;
    default: break;
  }
  victim.disk.fail_next_syncs(1, chaos_rng.below(4), target);
  victim.sync_failure_armed = true;
  ++counters.faults["mid_flush_armed"];
}

void simulation::impl::lose_data_once(node_slot& victim) {
  if (fault_count("shares_wiped") + fault_count("wipe") > 0) return;
  if (chaos_rng.chance(0.5) && 2 * (wiped_count() + 1) < opts.nodes) {
    wipe_disk(victim);
    return;
  }
  wipe_share_journal(victim.disk);
  holders.on_data_lost(victim.id);
  ++counters.faults["shares_wiped"];
  trace.add(0x5A9E);
}

void simulation::impl::wipe_disk(node_slot& victim) {
  victim.disk.wipe();
  if (secrets_mode) holders.on_data_lost(victim.id);
  victim.disk_wiped = true;
  checker.on_disk_lost(victim.id);
  ++counters.faults["wipe"];
  trace.add(0x3A9E);
}

void simulation::impl::transfer_leadership() {
  const auto l = leader();
  if (!l) return;
  const auto& voters = nodes.at(*l).engine->core().config().voters;
  if (voters.size() < 2) return;
  const node_id target = voters[chaos_rng.below(voters.size())];
  if (target == *l) return;
  ++counters.faults["transfer"];
  trace.add(0x7A5F);
  trace.add(target.value());
  const endpoint admin = endpoint::of(client_id{0});
  caf::anon_send(nodes.at(*l).actor, wire_message::make(admin, endpoint::of(*l), encode_sim_transfer(target)));
  // Sometimes the old leader then hears no one, with clients stuck on it:
  // it must not serve them from its lease once its timeout_now went out
  // (the planted bug lease-through-transfer).
  if (plan.stick > 0 && chaos_rng.chance(0.5)) {
    cuts.clear();
    client_cuts.clear();
    stuck_leader_partition(*l, true);
    trace.add(0xDEAF);
  }
}

void simulation::impl::send_admin(node_id to, raft::config_change change) {
  const auto& target = nodes.at(to);
  if (!target.up) return;
  membership_request r{next_admin_op++, change};
  const endpoint admin = endpoint::of(client_id{0});
  caf::anon_send(target.actor, wire_message::make(admin, endpoint::of(to), encode(r)));
}

void simulation::impl::drive_rejoins() {
  // Secrets mode: a wiped node rejoins under its id by itself (--rejoin).
  if (rejoins.empty() || secrets_mode) return;
  const auto l = leader();
  if (!l) return;
  const raft::configuration& cfg = nodes.at(*l).engine->core().config();
  rejoin& r = rejoins.front();
  if (cfg.contains(r.old_id)) {
    if (r.old_id != *l) send_admin(*l, {raft::config_change_kind::remove, r.old_id});
    return;
  }
  if (r.new_id == no_node) {
    r.new_id = node_id{node_ids.back().value() + 1};
    node_ids.push_back(r.new_id);
    auto& fresh = nodes[r.new_id];
    fresh.id = r.new_id;
    fresh.joining = true;
    ++counters.faults["rejoin_started"];
    trace.add(0x7E70);
    trace.add(r.new_id.value());
    boot(fresh, true);
    // The operator adds the new member to the clients' cluster file.
    for (auto& c : clients) c.raft_client->learn_node(r.new_id);
  }
  if (!cfg.contains(r.new_id)) {
    send_admin(*l, {raft::config_change_kind::add_learner, r.new_id});
  } else if (cfg.is_learner(r.new_id)) {
    send_admin(*l, {raft::config_change_kind::promote_learner, r.new_id});
  } else {
    ++counters.faults["rejoined"];
    rejoins.erase(rejoins.begin());
  }
}

} // namespace pss::sim
