#include "secrets/node_engine.hpp"

#include <algorithm>
#include <array>

#include "core/planted.hpp"
#include "crypto/feldman.hpp"
#include "crypto/seal.hpp"
#include "storage/data_dir.hpp"
#include "storage/segmented_raft_storage.hpp"

namespace pss::secrets {
namespace {


raft::configuration initial_configuration(const cluster_view& view) {
  raft::configuration c;
  c.voters = view.node_ids();
  return c;
}

error wiped_disk_refusal(node_id id, const std::string& raft_dir) {
  return error{errc::not_found,
               node_name(id) + " refuses to start: its Raft directory " + raft_dir +
                 " is empty (a wiped disk?). It has lost its term, vote and log, so it must not "
                 "vote again as if nothing happened. If its disk was wiped, restart it with the "
                 "rejoin option (--rejoin): it is then re-admitted under its id and recovers its "
                 "shares. [" + storage::empty_data_dir_error(raft_dir).message() + "]"};
}

constexpr std::string_view rejoin_marker_label = "pss rejoin v1";
constexpr std::uint64_t rejoin_marker_bytes_max = 64;

// The rejoin marker holds the rejoin's nonce. Nothing else.
result<std::optional<std::uint64_t>> read_rejoin_marker(storage::file_system& fs, const std::string& path) {
  auto present = fs.exists(path);
  if (!present.ok()) return present.err();
  if (!*present) return std::optional<std::uint64_t>{};
  auto data = fs.read_file(path, rejoin_marker_bytes_max);
  if (!data.ok()) return data.err();
  byte_reader r{*data};
  const bool labelled = r.str(rejoin_marker_label.size()) == rejoin_marker_label;
  const std::uint64_t nonce = r.u64();
  if (!labelled || !r.finish("rejoin marker").ok())
    return error{errc::corrupt, path + " is not a rejoin marker; if this node's disk was wiped, remove "
                                       "its data directory and restart it with the rejoin option"};
  return std::optional<std::uint64_t>{nonce};
}

// A rejoin starts only on a node whose Raft directory is empty and whose
// operator said so (options.rejoin). Its marker is written durably before any
// Raft state exists, so a crash at any later point restarts the node still
// rejoining, never as a voter of the bootstrap configuration. A marker left
// by an earlier start is resumed with its nonce, whatever the options say.
result<std::optional<std::uint64_t>> start_or_resume_rejoin(storage::file_system& fs, const node_options& o,
                                                            bool raft_exists, crypto::random_source& random) {
  const auto path = storage::join_path(o.data_dir, rejoin_marker_name);
  auto marker = read_rejoin_marker(fs, path);
  if (!marker.ok() || marker->has_value() || !o.rejoin || o.first_start || raft_exists) return marker;
  std::array<std::uint8_t, 8> raw{};
  random.fill(raw);
  std::uint64_t nonce = 0;
  for (auto b : raw) nonce = (nonce << 8) | b;
  byte_writer w;
  w.str(rejoin_marker_label);
  w.u64(nonce);
  PSS_TRY(storage::ensure_directory(fs, o.data_dir));
  PSS_TRY(storage::write_file_atomically(fs, path, w.data()));
  return std::optional<std::uint64_t>{nonce};
}

} // namespace

result<std::unique_ptr<node_engine>> node_engine::open(node_options options, node_keys keys,
                                                       storage::file_system& fs,
                                                       std::unique_ptr<crypto::random_source> random,
                                                       millis now) {
  PSS_TRY(options.cluster.validate());
  // A new member is not in the cluster's first view: the catalog it applies
  // names it (follow_committee checks its keys there).
  const member* self = options.cluster.find(keys.id);
  if (self == nullptr && !options.joining)
    return error{errc::invalid_argument, node_name(keys.id) + " is not a member of the cluster"};
  if (self != nullptr && options.joining)
    return error{errc::invalid_argument, node_name(keys.id) + " is a member already: it does not join again"};
  PSS_TRY(check_own_keys(options, self, keys));
  PSS_CHECK(random != nullptr);
  const storage::data_dir_identity identity{options.cluster.cluster_id, keys.id};
  const auto mode = options.first_start ? storage::open_mode::initialise : storage::open_mode::existing;
  auto raft_dir = storage::join_path(options.data_dir, "raft");
  auto share_dir = storage::join_path(options.data_dir, "shares");
  // The share journal is opened first and initialised only when the Raft
  // directory has no identity yet (a first start, or one a crash
  // interrupted): a node whose Raft state exists but whose journal is gone
  // must not start with silently missing shares.
  auto raft_exists = fs.exists(storage::join_path(raft_dir, storage::identity_file_name));
  if (!raft_exists.ok()) return raft_exists.err();
  auto marker = start_or_resume_rejoin(fs, options, *raft_exists, *random);
  if (!marker.ok()) return marker.err();
  const bool rejoining = marker->has_value();
  const bool new_node = (options.first_start || rejoining) && !*raft_exists;
  if (!new_node && !*raft_exists) return wiped_disk_refusal(keys.id, raft_dir);
  auto shares = share_store::open(fs, share_dir, identity,
                                  new_node ? storage::open_mode::initialise : storage::open_mode::existing);
  if (!shares.ok() && *raft_exists && storage::is_empty_data_dir(shares.err())) {
    // The share journal is gone but the Raft state is not: start with no
    // shares; the node then leaves the holder lists and is recovered.
    shares = share_store::open(fs, share_dir, identity, storage::open_mode::initialise);
  }
  if (!shares.ok()) return shares.err();
  if (options.test_only.store_limits) (*shares)->set_limits(*options.test_only.store_limits);
  auto audit_log = audit::log::open(fs, storage::join_path(options.data_dir, "audit"), identity,
                                    new_node ? storage::open_mode::initialise : storage::open_mode::existing);
  if (!audit_log.ok() && storage::is_empty_data_dir(audit_log.err()))
    return error{errc::corrupt, node_name(keys.id) + ": the audit log under " + options.data_dir
                                  + "/audit is gone while the Raft state is not; a node never serves shares "
                                    "without its audit log (restore the directory, or wipe the node and rejoin)"};
  if (!audit_log.ok()) return audit_log.err();
  // With first_start still set on a restart, an existing directory is
  // reopened as it is, never initialised again.
  auto opened = storage::open_raft_storage(fs, raft_dir, identity,
                                           rejoining ? storage::open_mode::initialise : mode, options.log);
  if (!opened.ok()) {
    if (storage::is_empty_data_dir(opened.err())) return wiped_disk_refusal(keys.id, raft_dir);
    return opened.err();
  }
  PSS_CHECK(!opened->initialised || options.first_start || rejoining);
  auto snapshot_data = opened->storage->read_snapshot();
  if (!snapshot_data.ok()) return snapshot_data.err();
  catalog initial{options.cluster, options.admin_key, options.session_expiry};
  if (!snapshot_data->empty()) {
    auto restored = catalog::restore(*snapshot_data);
    if (!restored.ok()) return error{errc::corrupt, "the catalog snapshot does not restore: " + restored.err().message()};
    initial = std::move(*restored);
  }
  auto seals = seal_keyring::open(fs, options.data_dir);
  if (!seals.ok()) return seals.err();
  auto engine = std::make_unique<node_engine>(std::move(options), std::move(keys), fs, std::move(*opened),
                                              std::move(*shares), std::move(initial), std::move(random),
                                              std::move(*snapshot_data), *marker,
                                              std::make_unique<seal_keyring>(std::move(*seals)), now);
  engine->audit_ = std::move(*audit_log);
  return engine;
}

namespace {
round_member_config member_config(const node_options& o, const node_keys& keys, crypto::random_source& random,
                                  std::function<const crypto::box_key_pair*(const crypto::box_public_key&)> pair) {
  return round_member_config{&keys, &random, o.round_phase_timeout, o.test_only.deal_inconsistent,
                             o.test_only.deal_equivocating, o.test_only.misbehave, std::move(pair)};
}
} // namespace

node_engine::node_engine(node_options options, node_keys keys, storage::file_system& fs,
                         storage::opened_raft_storage opened, std::unique_ptr<share_store> shares,
                         catalog initial, std::unique_ptr<crypto::random_source> random,
                         bytes snapshot_data, std::optional<std::uint64_t> rejoin_nonce,
                         std::unique_ptr<seal_keyring> seals, millis now)
  : options_(std::move(options)), keys_(std::move(keys)), fs_(&fs),
    shares_(std::move(shares)), catalog_(std::move(initial)),
    guard_(options_.cluster.cluster_id, keys_.id, static_cast<access::unix_ms>(now.count()) + options_.wall_clock_offset),
    random_(std::move(random)),
    prng_(options_.prng_seed),
    member_(member_config(options_, keys_, *random_,
                          [this](const crypto::box_public_key& k) { return sealing_pair(k); })),
    rejoin_(keys_.id, rejoin_nonce, rejoin_request_interval, options_.round_resend_interval),
    seals_(std::move(seals)) {
  raft::host_boot boot;
  // A rejoining node, and a new member, start with an empty configuration:
  // they learn the cluster's from the leader once it added them.
  if (!rejoining() && !options_.joining) boot.boot_config = initial_configuration(options_.cluster);
  boot.snapshot_data = std::move(snapshot_data);
  boot.opened = std::move(opened);
  applied_ = boot.opened.state.snapshot.last_index;
  last_snapshot_ = applied_;
  PSS_CHECK(catalog_.applied_index() == applied_);
  options_.raft.id = keys_.id;
  boot.raft = options_.raft;
  host_ = std::make_unique<raft::host>(std::move(boot), prng_, now);
  for (const auto& w : host_->warnings()) event("storage: " + w);
  core().suspend_voting(rejoining());
  if (rejoining()) event("rejoining after a wiped disk: never votes until re-admitted as a voter");
  if (options_.record_apply_events) apply_events_.push_back(apply_event{true, applied_, {}});
  shares_->reconcile(catalog_);
  // A member that joined before this restart is admitted by its restored
  // catalog, and one being removed erases what it is no longer listed for.
  follow_committee();
  if (auto st = flush_shares(); !st.ok()) fail(st.err());
  drain(now);
}

node_engine::~node_engine() = default;


void node_engine::event(std::string text) {
  output_.events.push_back(node_name(keys_.id) + ": " + std::move(text));
}

void node_engine::fail(const error& e) {
  if (failed_) return;
  failed_ = e;
  event("the node stops until restarted: " + e.describe());
}

void node_engine::send(endpoint to, const wire_message& m) {
  output_.messages.push_back(outgoing{to, encode(m)});
}

engine_output node_engine::take_output() {
  engine_output out = std::move(output_);
  output_ = {};
  return out;
}

raft::node_observation node_engine::observe() const {
  // A storage failure can stop a flush halfway, leaving memory ahead of the
  // disk; such a node is not settled and the checker must not compare them.
  return host_->observe(!failed_.has_value());
}

std::vector<apply_event> node_engine::take_apply_events() {
  auto out = std::move(apply_events_);
  apply_events_.clear();
  return out;
}

// ---- inputs -------------------------------------------------------------

void node_engine::on_tick(millis now) {
  if (failed_) {
    ++counters_.dropped_after_failure;
    return;
  }
  core().tick(now);
  drain(now);
  release_held(now); // a host that never delivers on_flush still releases at its next tick
}

void node_engine::campaign(millis now) {
  if (failed_) return;
  core().campaign(now);
  drain(now);
}

void node_engine::on_message(millis now, endpoint from, byte_view payload) {
  if (failed_) {
    ++counters_.dropped_after_failure;
    return;
  }
  if (!from.is_node() && !payload.empty() && payload[0] == access::signed_request_tag) {
    on_signed_request(now, from, payload);
    drain(now);
    return;
  }
  auto decoded = decode_wire_message(payload);
  if (!decoded.ok()) {
    ++counters_.malformed;
    return;
  }
  wire_message& m = *decoded;
  if (auto* r = std::get_if<raft_message>(&m)) {
    on_raft(now, from, std::move(*r));
  } else if (from.is_node()) {
    if (catalog_.view().find(from.as_node()) == nullptr || from.as_node() == keys_.id) {
      ++counters_.unknown_sender;
    } else if (auto* p = std::get_if<node_proposal>(&m)) {
      on_node_proposal(now, from, std::move(*p));
    } else if (auto* c = std::get_if<round_chunk>(&m)) {
      on_round_chunk(from, std::move(*c));
    } else if (auto* j = std::get_if<rejoin_request>(&m)) {
      on_rejoin_request(now, from, *j);
    } else {
      ++counters_.unexpected; // nodes speak Raft and rounds to each other
    }
  } else if (auto* v = std::get_if<get_view_request>(&m)) {
    on_get_view(from, *v);
  } else if (std::holds_alternative<refresh_request>(m) || std::holds_alternative<store_share_request>(m)
             || std::holds_alternative<propose_request>(m) || std::holds_alternative<read_request>(m)
             || std::holds_alternative<get_share_request>(m) || std::holds_alternative<access_request>(m)
             || std::holds_alternative<audit_request>(m) || std::holds_alternative<member_request>(m)) {
    on_unsigned_request(from, m);
  } else {
    ++counters_.unexpected; // a response type sent to a node
  }
  drain(now);
}

void node_engine::on_raft(millis now, endpoint from, raft_message&& m) {
  const raft::envelope& e = m.envelope;
  if (!from.is_node() || catalog_.view().find(from.as_node()) == nullptr
      || e.from != from.as_node() || e.to != keys_.id || e.from == keys_.id) {
    ++counters_.unknown_sender;
    return;
  }
  heard_[e.from] = now; // bounded: members only
  core().step(now, e);
}

void node_engine::on_propose(millis now, endpoint from, propose_request&& m, const requester& who) {
  pending_proposal p{from, m.request_id, {}, who, audit::action::registered, {}};
  if (const auto* r = std::get_if<register_secret>(&m.body)) p.name = r->name;
  if (const auto* d = std::get_if<delete_secret>(&m.body)) {
    p.what = audit::action::deleted;
    p.name = d->name;
  }
  propose(now, from, command{session_header{from.as_client(), m.sequence, now}, std::move(m.body)}, std::move(p));
}

// The leader proposes the admin's envelope as it came, stamped with its own
// wall clock: every node checks the signature again when it applies it.
void node_engine::on_access_request(millis now, endpoint from, const access_request& m, byte_view envelope,
                                    const requester& who) {
  access_change change{wall(now), bytes(envelope.begin(), envelope.end())};
  const bool grant = std::holds_alternative<access::grant_request>(m.change);
  pending_proposal p{from, m.request_id, {}, who, grant ? audit::action::grant : audit::action::revoke, {}};
  propose(now, from, command{session_header{from.as_client(), m.sequence, now}, std::move(change)}, std::move(p));
}

void node_engine::propose(millis now, endpoint from, const command& c, pending_proposal p) {
  propose_response reply;
  reply.request_id = p.request_id;
  if (desk_.proposals_full()) {
    reply.code = reply_code::unavailable;
    reply.reason = node_name(keys_.id) + ": too many proposals in flight; retry later";
    return send(from, reply);
  }
  auto proposed = core().propose(now, encode_command(c));
  if (!proposed.ok()) {
    decline(reply, proposed.err().code() == errc::not_leader ? reply_code::not_leader : reply_code::unavailable,
            proposed.err().message());
    return send(from, reply);
  }
  ++counters_.proposals;
  if (auto displaced = desk_.proposed(proposed->term, proposed->index, std::move(p))) answer_unknown(*displaced);
}

// A proposal this node can no longer match to its result (a snapshot took
// its index): the client retries under the same sequence, and the session
// answers it if it was applied.
void node_engine::answer_unknown(const pending_proposal& p) {
  propose_response reply;
  reply.request_id = p.request_id;
  reply.code = reply_code::unavailable;
  reply.reason = node_name(keys_.id) + ": the outcome is unknown here; retry with the same sequence";
  send(p.client, reply);
}

void node_engine::on_read(millis now, endpoint from, read_request&& m, const crypto::sign_public_key& client) {
  const std::uint64_t id = desk_.next_read_id();
  status st = desk_.reads_full()
                ? status{error{errc::unavailable, "too many reads in flight"}}
                : core().read_index(now, id);
  if (!st.ok()) {
    read_response reply;
    reply.request_id = m.request_id;
    decline(reply, st.err().code() == errc::not_leader ? reply_code::not_leader : reply_code::unavailable,
            st.err().message());
    return send(from, reply);
  }
  desk_.reading(id, pending_read{from, std::move(m), std::nullopt, client, wall(now)});
}

read_response node_engine::answer(const pending_read& pending) const {
  const read_request& m = pending.request;
  read_response r;
  r.request_id = m.request_id;
  r.threshold = catalog_.view().threshold;
  if (m.kind == read_kind::list) {
    r.items = listable(pending.key, pending.asked_at);
    return r;
  }
  if (m.kind == read_kind::policy) {
    r.grants = catalog_.policy().grants();
    return r;
  }
  const secret_record* s = catalog_.find(m.name);
  if (s == nullptr) {
    r.code = reply_code::not_found;
    r.reason = "unknown secret";
    return r;
  }
  r.latest = s->latest;
  r.deleted = s->deleted;
  auto rec = catalog_.lookup(m.name, m.version);
  if (!rec.ok()) {
    r.code = reply_code::not_found;
    r.reason = rec.err().message();
    return r;
  }
  r.record = std::move(*rec);
  return r;
}

// ---- the shell contract ---------------------------------------------------

// Pending shares whose register never came are erased after their lifetime.
// Runs on any input, since a follower that hears heartbeats is rarely ticked.
// Only a caught-up node may judge that a register never came: after a
// restart its catalog is behind its own log until the committed entries are
// applied again, and a share whose register is among them (its promotion
// lost with the crash) must not be taken for an orphan.
void node_engine::maybe_collect_garbage(millis now) {
  if (now < next_share_gc_) return;
  next_share_gc_ = now + share_gc_interval; // also when behind: no busy wake-ups
  if (!caught_up()) return;
  shares_->collect_garbage(catalog_, now, options_.pending_share_lifetime);
  if (auto st = flush_shares(); !st.ok()) fail(st.err());
}

// Runs the Raft shell (raft::host), then the rounds and rejoin, whose
// proposals and messages the shell runs again at once.
void node_engine::drain(millis now) {
  watch_proactivity(now);
  if (failed_) return;
  if (auto st = host_->drain(now, *this); !st.ok()) return fail(st.err());
  maybe_collect_garbage(now);
  if (failed_) return;
  drive_rounds(now);
  drive_seal_keys(now);
  drive_rejoin(now);
  lead_rejoins(now);
  if (failed_) return;
  if (auto st = host_->drain(now, *this); !st.ok()) return fail(st.err());
  if (failed_) return;
  serve_reads();
  maybe_compact();
  if (core().role() != last_role_ && core().role() == raft::role::leader)
    event("leader in term " + std::to_string(core().term().value()));
  if (core().role() != last_role_ && last_role_ == raft::role::leader)
    event("no longer leader (term " + std::to_string(core().term().value()) + ")");
  last_role_ = core().role();
  check_invariants();
  // From the core itself, not from the last ready: a tick that passes a
  // CheckQuorum round moves no output, and a wake-up read from an old ready
  // left the leader asleep past its heartbeats (swarm seed 157246426).
  millis wake = core().next_wakeup();
  if (shares_->has_pending()) wake = std::min(wake, next_share_gc_);
  wake = std::min(wake, rounds_wakeup(now));
  if (audit_ && audit_->has_unsynced()) wake = std::min(wake, audit_sync_due_); // no log yet while opening
  if (auto due = rejoin_.wakeup(catalog_)) wake = std::min(wake, *due);
  output_.next_wakeup = std::max(wake, now + millis{1});
}

// ---- raft::host_client: the shell's calls for each ready -------------------

void node_engine::send(const raft::envelope& m) {
  send(endpoint::of(m.to), raft_message{m});
}

status node_engine::install(millis, const raft::snapshot& s) {
  install_snapshot(s);
  return failed_ ? status{*failed_} : ok_status();
}

void node_engine::apply(millis now, const raft::entry& e) {
  apply_committed(now, e);
}

// The share store follows the catalog: every share of a changed catalog, or
// of the names the batch touched, then one flush for the batch.
status node_engine::applied(millis) {
  if (failed_) return *failed_;
  const bool changed = catalog_changed_ || !changed_names_.empty();
  if (catalog_changed_) {
    shares_->reconcile(catalog_);
    catalog_changed_ = false;
    changed_names_.clear();
  }
  for (const auto& name : changed_names_) shares_->reconcile(catalog_, &name);
  changed_names_.clear();
  if (changed) follow_committee();
  return flush_shares();
}

void node_engine::reads(std::span<const raft::read_state> ready, std::span<const std::uint64_t> failed) {
  for (const auto& r : desk_.confirmed(ready, failed)) {
    read_response reply;
    reply.request_id = r.request.request_id;
    decline(reply, reply_code::not_leader, "leadership changed during the read; retry");
    send(r.client, reply);
  }
}

// Erasing shares is the one change the store cannot take back, so it waits
// until the commit index that decided it is durable: the commit is saved
// without a sync (raft::host), and a crash could otherwise bring back a
// catalog older than what the store already forgot (a listed holder with no
// share). Promotions need no such care: reconcile redoes them.
status node_engine::flush_shares() {
  if (shares_->rewrite_pending()) PSS_TRY(host_->make_commit_durable());
  return shares_->flush();
}

// Applied all the log this node knows committed, and follows a leader.
bool node_engine::caught_up() const {
  return applied_ == core().commit_index() && core().leader_hint() != node_id{};
}

void node_engine::check_invariants() const {
  PSS_CHECK(catalog_.applied_index() == applied_);
  PSS_CHECK(applied_ == core().applied_index() || applied_ == core().log().snapshot_index());
  PSS_CHECK(applied_ <= core().commit_index() || applied_ == core().log().snapshot_index());
  PSS_CHECK(last_snapshot_ <= applied_);
  desk_.check_invariants(applied_);
}

void node_engine::install_snapshot(const raft::snapshot& s) {
  if (s.data.empty()) {
    catalog_ = catalog{options_.cluster, options_.admin_key, options_.session_expiry};
  } else {
    auto restored = catalog::restore(s.data);
    if (!restored.ok()) {
      // The leader's snapshot is replicated state we cannot read: stop rather
      // than run with a state machine that differs from the others.
      fail(error{errc::corrupt, "an installed catalog snapshot does not restore: " + restored.err().message()});
      return;
    }
    catalog_ = std::move(*restored);
  }
  applied_ = s.meta.last_index;
  last_snapshot_ = applied_;
  catalog_changed_ = true;
  holder_check_all_ = true;
  // Proposals inside the snapshot can no longer be matched to their result.
  for (const auto& p : desk_.overtaken(applied_)) answer_unknown(p);
  if (options_.record_apply_events) apply_events_.push_back(apply_event{true, applied_, {}});
  event("installed a catalog snapshot at index " + std::to_string(applied_.value()));
}

// What holds_less_than_listed must look at again: the names a register,
// delete or trim named; after any other command (a round's step or end, a
// declaration, a rejoin, a refused register), every name.
void node_engine::note_holder_changes(const raft::entry& e, const apply_effects& fx) {
  if (e.kind != raft::entry_kind::command) return;
  const bool named = fx.registered || fx.deleted_name || !fx.dropped_versions.empty();
  if (!named || fx.round_changed || fx.round_finished) {
    holder_check_all_ = true;
    return;
  }
  if (fx.registered) holder_check_names_.insert(fx.registered->name);
  if (fx.deleted_name) holder_check_names_.insert(*fx.deleted_name);
  for (const auto& [name, v] : fx.dropped_versions) holder_check_names_.insert(name);
}

void node_engine::apply_committed(millis now, const raft::entry& e) {
  if (failed_) return;
  PSS_CHECK(e.index == applied_.next());
  applied_command a = catalog_.apply(e);
  applied_ = e.index;
  if (options_.record_apply_events) apply_events_.push_back(apply_event{false, e.index, e});
  if (a.effects.round_finished) catalog_changed_ = true;
  if (a.effects.qualified_round) {
    qualified_rounds_.push_back(std::move(a.effects.qualified_round));
    if (qualified_rounds_.size() > qualified_rounds_kept) qualified_rounds_.pop_front();
  }
  if (a.effects.policy_changed) event("access policy changed: " + a.result.message);
  if (a.effects.committee_changed) note_committee(a);
  if (a.effects.seal_key_recorded && seals_ && admitted_) follow_seal_record(now); // the grace starts at the apply
  if (a.effects.registered) changed_names_.insert(a.effects.registered->name);
  if (a.effects.deleted_name) changed_names_.insert(*a.effects.deleted_name);
  for (const auto& [name, v] : a.effects.dropped_versions) changed_names_.insert(name);
  note_holder_changes(e, a.effects);
  auto settled = desk_.applied(e);
  if (!settled) return;
  const pending_proposal& p = settled->proposal;
  propose_response reply;
  reply.request_id = p.request_id;
  if (!settled->ours) {
    decline(reply, reply_code::not_leader, "the proposal was overwritten by a new leader; retry");
    return send(p.client, reply);
  }
  reply.code = reply_code::ok;
  reply.result = a.result;
  const auto result = a.result.code == result_code::ok ? audit::outcome::ok : audit::outcome::refused;
  // Committed in the log already: the answer waits for nothing, and its
  // record rides the audit log's next sync (record() reports an append that
  // fails; the write stands either way).
  (void)record(now, p.what, p.who, p.name, a.result.version.value(), result);
  send(p.client, reply);
}

void node_engine::serve_reads() {
  for (const auto& r : desk_.due(applied_)) {
    ++counters_.reads_served;
    send(r.client, answer(r));
  }
}

void node_engine::maybe_compact() {
  if (applied_.value() < last_snapshot_.value() + options_.snapshot_every_entries) return;
  auto taken = host_->compact(applied_, catalog_.snapshot());
  if (!taken.ok()) return fail(taken.err());
  if (!*taken) return;
  last_snapshot_ = applied_;
  ++counters_.snapshots_taken;
}

} // namespace pss::secrets
