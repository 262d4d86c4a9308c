#include "sim/raft_engine.hpp"

#include <algorithm>

#include "core/planted.hpp"
#include "raft/messages.hpp"
#include "storage/data_dir.hpp"
#include "storage/segmented_raft_storage.hpp"

namespace pss::sim {

// ---- client protocol codec ------------------------------------------------

bytes encode(const client_request& r) {
  byte_writer w;
  w.u8(payload_tag_request);
  w.u64(r.op_id);
  w.u8(static_cast<std::uint8_t>(r.kind));
  w.u64(r.sequence);
  w.str(r.key);
  w.blob(r.value);
  return w.take();
}

bytes encode(const client_reply& r) {
  byte_writer w;
  w.u8(payload_tag_reply);
  w.u64(r.op_id);
  w.u8(static_cast<std::uint8_t>(r.status));
  w.u64(r.leader_hint.value());
  w.blob(r.value);
  return w.take();
}

result<client_request> decode_request(byte_view payload) {
  byte_reader in{payload};
  if (in.u8() != payload_tag_request) in.fail("not a client request");
  client_request r;
  r.op_id = in.u64();
  const auto kind = in.u8();
  if (kind != 1 && kind != 2 && kind != 4) in.fail("unknown operation kind");
  r.kind = static_cast<actors::op_kind>(kind);
  r.sequence = in.u64();
  r.key = in.str(key_bytes_max);
  auto v = in.blob(value_bytes_max);
  r.value.assign(v.begin(), v.end());
  PSS_TRY(in.finish("client request"));
  return r;
}

result<client_reply> decode_reply(byte_view payload) {
  byte_reader in{payload};
  if (in.u8() != payload_tag_reply) in.fail("not a client reply");
  client_reply r;
  r.op_id = in.u64();
  const auto st = in.u8();
  if (st > 2) in.fail("unknown reply status");
  r.status = static_cast<reply_status>(st);
  r.leader_hint = node_id{in.u64()};
  auto v = in.blob(value_bytes_max);
  r.value.assign(v.begin(), v.end());
  PSS_TRY(in.finish("client reply"));
  return r;
}

bytes encode(const membership_request& r) {
  byte_writer w;
  w.u8(payload_tag_membership);
  w.u64(r.op_id);
  w.u8(static_cast<std::uint8_t>(r.change.kind));
  w.u64(r.change.node.value());
  return w.take();
}

result<membership_request> decode_membership(byte_view payload) {
  byte_reader in{payload};
  if (in.u8() != payload_tag_membership) in.fail("not a membership request");
  membership_request r;
  r.op_id = in.u64();
  const auto kind = in.u8();
  if (kind > 2) in.fail("unknown membership change");
  r.change.kind = static_cast<raft::config_change_kind>(kind);
  r.change.node = node_id{in.u64()};
  PSS_TRY(in.finish("membership request"));
  return r;
}

namespace {

// 'K' puts, 'D' removes; both name the client and its sequence number.
bytes write_command(std::uint64_t client, const client_request& r) {
  byte_writer w;
  w.u8(r.kind == actors::op_kind::remove ? 'D' : 'K');
  w.u64(client);
  w.u64(r.sequence);
  w.str(r.key);
  if (r.kind != actors::op_kind::remove) w.blob(r.value);
  return w.take();
}

} // namespace

// ---- node engine ----------------------------------------------------------

result<std::unique_ptr<raft_engine>> raft_engine::open(storage::file_system& fs,
                                                       raft_engine_config config, millis now,
                                                       bool first_boot) {
  const storage::data_dir_identity identity{config.cluster_id, config.id};
  storage::log_options log;
  log.segment_bytes = config.segment_bytes;
  auto opened = storage::open_raft_storage(
    fs, "/raft", identity, first_boot ? storage::open_mode::initialise : storage::open_mode::existing,
    log);
  if (!opened.ok()) return opened.err();
  bytes data;
  if (opened->state.snapshot.last_index > log_index{0}) {
    auto read = opened->storage->read_snapshot();
    if (!read.ok()) return read.err();
    data = std::move(*read);
  }
  auto engine = std::unique_ptr<raft_engine>(new raft_engine(std::move(config), std::move(*opened), std::move(data), now));
  if (engine->halted()) return error{errc::corrupt, *engine->halt_reason()};
  return engine;
}

raft_engine::raft_engine(raft_engine_config config, storage::opened_raft_storage opened, bytes snapshot_data,
                         millis now)
  : config_(std::move(config)), random_(config_.seed) {
  config_.options.id = config_.id;
  raft::host_boot boot;
  boot.raft = config_.options;
  boot.opened = std::move(opened);
  boot.snapshot_data = std::move(snapshot_data);
  if (!config_.joining) boot.boot_config = config_.initial;
  boot_snapshot_index_ = boot.opened.state.snapshot.last_index;
  if (auto st = restore_values(boot.snapshot_data); !st.ok()) halt("snapshot does not decode: " + st.err().describe());
  host_ = std::make_unique<raft::host>(std::move(boot), random_, now);
  drain(now);
}

raft_engine::~raft_engine() = default;

void raft_engine::halt(const std::string& why) {
  if (!halted_) halted_ = why;
  out_ = {};
}

std::optional<raft::envelope> raft_engine::raft_envelope_in(byte_view payload) const {
  if (payload.empty() || payload[0] != payload_tag_raft) return std::nullopt;
  auto decoded = raft::decode_envelope(payload.subspan(1));
  if (!decoded.ok()) return std::nullopt;
  return std::move(*decoded);
}

void raft_engine::on_message(millis now, endpoint from, byte_view payload) {
  if (halted_ || payload.empty()) return;
  if (auto target = decode_sim_transfer(from, payload)) {
    if (host_->core().role() == raft::role::leader) (void)host_->core().transfer_leadership(now, *target);
    drain(now);
    return;
  }
  if (payload[0] == payload_tag_raft && from.is_node()) {
    auto decoded = raft::decode_envelope(payload.subspan(1));
    // The transport authenticated `from`; a payload claiming another sender
    // or another receiver is dropped.
    if (!decoded.ok() || decoded->from != from.as_node() || decoded->to != config_.id) return;
    host_->core().step(now, *decoded);
  } else if (payload[0] == payload_tag_request && !from.is_node()) {
    auto request = decode_request(payload);
    if (!request.ok()) return;
    on_client_request(now, from, *request);
  } else if (payload[0] == payload_tag_membership && !from.is_node()) {
    auto request = decode_membership(payload);
    if (!request.ok()) return;
    if (host_->core().role() != raft::role::leader) {
      reply(from, {request->op_id, reply_status::not_leader, host_->core().leader_hint(), {}});
    } else {
      const bool ok = host_->core().propose_config_change(now, request->change).ok();
      reply(from, {request->op_id, ok ? reply_status::ok : reply_status::retry, host_->core().leader_hint(), {}});
    }
  } else {
    return;
  }
  drain(now);
}

void raft_engine::on_tick(millis now) {
  if (halted_) return;
  host_->core().tick(now);
  drain(now);
}

secrets::engine_output raft_engine::take_output() {
  if (!halted_) {
    // The core wants a tick by its next deadline: ask the node itself, since
    // a tick that moves a deadline without output leaves no ready behind.
    out_.next_wakeup = host_->core().next_wakeup();
  }
  return std::exchange(out_, {});
}

void raft_engine::on_client_request(millis now, endpoint from, const client_request& request) {
  if (host_->core().role() != raft::role::leader) {
    reply(from, {request.op_id, reply_status::not_leader, host_->core().leader_hint(), {}});
    return;
  }
  if (request.kind == actors::op_kind::put || request.kind == actors::op_kind::remove) {
    auto p = host_->core().propose(now, write_command(from.id, request));
    if (!p.ok()) {
      reply(from, {request.op_id, p.err().code() == errc::not_leader ? reply_status::not_leader
                                                                      : reply_status::retry,
                   host_->core().leader_hint(), {}});
      return;
    }
    puts_[p->index] = pending_put{from, request.op_id, p->term};
    return;
  }
  const std::uint64_t read = next_read_++;
  if (auto st = host_->core().read_index(now, read); !st.ok()) {
    reply(from, {request.op_id, reply_status::not_leader, host_->core().leader_hint(), {}});
    return;
  }
  gets_[read] = pending_get{from, request.op_id, request.key, std::nullopt};
}

void raft_engine::reply(endpoint to, client_reply r) {
  out_.messages.push_back(secrets::outgoing{to, encode(r)});
}

void raft_engine::drain(millis now) {
  if (halted_) return;
  // After a failed write or sync nothing on disk can be trusted to match
  // memory: the host stops, sends nothing that depended on it, and the
  // simulator restarts the node from its disk.
  if (auto st = host_->drain(now, *this); !st.ok()) return halt(st.err().describe());
  maybe_compact();
}

// ---- raft::host_client ----------------------------------------------------

void raft_engine::send(const raft::envelope& m) {
  bytes payload{payload_tag_raft};
  const bytes body = raft::encode(m);
  payload.insert(payload.end(), body.begin(), body.end());
  out_.messages.push_back(secrets::outgoing{endpoint::of(m.to), std::move(payload)});
}

status raft_engine::install(millis, const raft::snapshot& s) {
  if (auto st = restore_values(s.data); !st.ok())
    return error{errc::corrupt, "received snapshot does not decode: " + st.err().describe()};
  applied_.push_back(applied_event{true, s.meta.last_index, {}});
  return ok_status();
}

void raft_engine::reads(std::span<const raft::read_state> ready, std::span<const std::uint64_t> failed) {
  for (const auto& rs : ready)
    if (auto it = gets_.find(rs.request_id); it != gets_.end()) it->second.index = rs.index;
  for (auto id : failed) {
    if (auto it = gets_.find(id); it != gets_.end()) {
      reply(it->second.client, {it->second.op_id, reply_status::not_leader, host_->core().leader_hint(), {}});
      gets_.erase(it);
    }
  }
  answer_reads();
}

// Exactly once per (client, sequence): a write whose sequence is not above
// the client's last applied one is a retry that already took effect.
void raft_engine::apply_write(byte_view data) {
  byte_reader in{data};
  const bool remove = in.u8() == 'D';
  const std::uint64_t client = in.u64();
  const std::uint64_t sequence = in.u64();
  std::string key = in.str(key_bytes_max);
  bytes value;
  if (!remove) {
    auto v = in.blob(value_bytes_max);
    value.assign(v.begin(), v.end());
  }
  if (!in.finish("write command").ok()) return;
  auto& last = last_sequence_[client];
  if (sequence <= last && !planted::armed(planted::bug::duplicate_apply)) return;
  last = std::max(last, sequence);
  if (remove) values_.erase(key);
  else values_[std::move(key)] = std::move(value);
}

bytes raft_engine::encode_values() const {
  byte_writer w;
  w.u32(static_cast<std::uint32_t>(values_.size()));
  for (const auto& [key, value] : values_) {
    w.str(key);
    w.blob(value);
  }
  w.u32(static_cast<std::uint32_t>(last_sequence_.size()));
  for (const auto& [client, sequence] : last_sequence_) {
    w.u64(client);
    w.u64(sequence);
  }
  return w.take();
}

status raft_engine::restore_values(byte_view data) {
  values_.clear();
  if (data.empty()) return ok_status();
  byte_reader in{data};
  const std::uint32_t count = in.u32();
  for (std::uint32_t i = 0; i < count && in.ok(); ++i) {
    std::string key = in.str(key_bytes_max);
    auto v = in.blob(value_bytes_max);
    values_[std::move(key)] = bytes(v.begin(), v.end());
  }
  last_sequence_.clear();
  const std::uint32_t clients = in.u32();
  for (std::uint32_t i = 0; i < clients && in.ok(); ++i) {
    const std::uint64_t client = in.u64();
    last_sequence_[client] = in.u64();
  }
  return in.finish("state machine snapshot");
}

// Snapshot the state machine and drop the log it covers (Raft §7), first
// durably, then in the core, then the log segments.
void raft_engine::maybe_compact() {
  if (halted_ || config_.compact_every_entries == 0) return;
  const log_index applied = host_->core().applied_index();
  if (applied.value() < host_->persisted().snapshot_index.value() + config_.compact_every_entries) return;
  if (auto taken = host_->compact(applied, encode_values()); !taken.ok()) halt(taken.err().describe());
}

void raft_engine::apply(millis, const raft::entry& e) {
  applied_.push_back(applied_event{false, e.index, e});
  if (e.kind == raft::entry_kind::command && !e.data.empty() && (e.data[0] == 'K' || e.data[0] == 'D'))
    apply_write(e.data);
  auto it = puts_.find(e.index);
  if (it == puts_.end()) return;
  // The slot holds our proposal only if the terms agree (Log Matching);
  // otherwise it was overwritten and is certainly not committed.
  const bool ours = e.term == it->second.term;
  reply(it->second.client, {it->second.op_id, ours ? reply_status::ok : reply_status::retry,
                            host_->core().leader_hint(), {}});
  puts_.erase(it);
}

void raft_engine::answer_reads() {
  for (auto it = gets_.begin(); it != gets_.end();) {
    if (!it->second.index || *it->second.index > host_->core().applied_index()) {
      ++it;
      continue;
    }
    bytes value;
    if (auto v = values_.find(it->second.key); v != values_.end()) value = v->second;
    reply(it->second.client, {it->second.op_id, reply_status::ok, host_->core().leader_hint(), std::move(value)});
    it = gets_.erase(it);
  }
}

raft::node_observation raft_engine::observation() const {
  return host_->observe(!halted_);
}

std::vector<applied_event> raft_engine::take_applied() { return std::exchange(applied_, {}); }

std::optional<bytes> raft_engine::value_of(const std::string& key) const {
  auto it = values_.find(key);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

// ---- client engine --------------------------------------------------------

raft_client_engine::raft_client_engine(raft_client_config config) : config_(std::move(config)) {
  PSS_CHECK(!config_.nodes.empty());
  target_ = config_.id.value() % config_.nodes.size();
}

void raft_client_engine::start(millis now, std::uint64_t op_id, actors::operation op) {
  PSS_CHECK_MSG(!current_, "a client runs one operation at a time");
  const bool write = op.kind == actors::op_kind::put || op.kind == actors::op_kind::remove;
  current_ = current_op{op_id, std::move(op), now + config_.operation_timeout, std::nullopt};
  if (write) current_->sequence = ++last_sequence_;
  send_attempt(now);
}

void raft_client_engine::send_attempt(millis now) {
  client_request r{current_->op_id, current_->op.kind, current_->sequence, current_->op.key, current_->op.value};
  out_.messages.push_back(secrets::outgoing{endpoint::of(config_.nodes[target_]), encode(r)});
  current_->retry_at = now + config_.attempt_timeout;
  current_->redirected = false;
}

void raft_client_engine::finish(actors::op_outcome outcome, bytes value, std::string note) {
  done_.push_back(actors::completion{current_->op_id, outcome, std::move(value), std::move(note)});
  current_.reset();
}

void raft_client_engine::on_message(millis now, endpoint from, byte_view payload) {
  if (!current_ || !from.is_node()) return;
  auto r = decode_reply(payload);
  if (!r.ok() || r->op_id != current_->op_id) return; // stale or foreign
  switch (r->status) {
    case reply_status::ok: finish(actors::op_outcome::ok, std::move(r->value), {}); return;
    case reply_status::not_leader: {
      auto hint = std::find(config_.nodes.begin(), config_.nodes.end(), r->leader_hint);
      if (hint == config_.nodes.end() && r->leader_hint != no_node
          && config_.nodes.size() < known_nodes_max) {
        // A member that joined after this client started: learn it.
        config_.nodes.push_back(r->leader_hint);
        hint = config_.nodes.end() - 1;
      }
      target_ = hint != config_.nodes.end() ? static_cast<std::size_t>(hint - config_.nodes.begin())
                                            : (target_ + 1) % config_.nodes.size();
      break;
    }
    case reply_status::retry: break;
  }
  current_->retry_at = now + config_.redirect_backoff;
  current_->redirected = true;
}

void raft_client_engine::on_tick(millis now) {
  if (!current_) return;
  if (now >= current_->deadline) {
    finish(actors::op_outcome::info, {}, "timeout: the outcome is unknown");
    return;
  }
  if (current_->retry_at && now >= *current_->retry_at) {
    // No answer from this node: try the next one. A write may then be
    // proposed twice; its sequence number makes it take effect once.
    if (!current_->redirected) target_ = (target_ + 1) % config_.nodes.size();
    send_attempt(now);
  }
}

std::optional<millis> raft_client_engine::wakeup() const {
  if (!current_) return std::nullopt;
  millis at = current_->deadline;
  if (current_->retry_at) at = std::min(at, *current_->retry_at);
  return at;
}

secrets::engine_output raft_client_engine::take_output() {
  out_.next_wakeup = wakeup();
  return std::exchange(out_, {});
}

void raft_client_engine::learn_node(node_id n) {
  if (std::find(config_.nodes.begin(), config_.nodes.end(), n) == config_.nodes.end()
      && config_.nodes.size() < known_nodes_max)
    config_.nodes.push_back(n);
}

std::vector<actors::completion> raft_client_engine::take_completions() {
  return std::exchange(done_, {});
}

} // namespace pss::sim
