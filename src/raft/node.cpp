// The façade of the Raft core: construction from persisted state, input
// dispatch, term handling common to every message (Raft §5.1), the ready
// bundle and the invariants checked after every input.
#include "raft/node.hpp"

#include <algorithm>
#include <string>

#include "core/check.hpp"

namespace pss::raft {
namespace {

template <class... Fs>
struct overloaded : Fs... {
  using Fs::operator()...;
};
template <class... Fs>
overloaded(Fs...) -> overloaded<Fs...>;

bool is_from_leader(const message& m) {
  return std::holds_alternative<append_entries>(m)
         || std::holds_alternative<heartbeat>(m)
         || std::holds_alternative<install_snapshot>(m);
}

} // namespace

node::node(options opts, persisted_state state, prng& random, millis now)
  : opts_(std::move(opts)), random_(random), term_(state.hard.term),
    vote_(state.hard.vote), log_(state.snapshot, std::move(state.entries)) {
  PSS_CHECK_MSG(opts_.id != no_node, "a raft node needs a non-zero id");
  PSS_CHECK(opts_.election_timeout_min.count() > 0);
  PSS_CHECK(opts_.heartbeat_interval.count() > 0);
  PSS_CHECK(opts_.inflight_appends_max > 0 && opts_.snapshot_chunk_bytes_max > 0);
  // The shell persists entries before the hard state, so a crash between the
  // two can leave entries of a term the hard state never reached. The node
  // never voted in that term (it adopted it from a leader), so adopting the
  // term without a vote is safe and restores term >= last log term.
  if (log_.last_term() > term_) {
    term_ = log_.last_term();
    vote_ = no_node;
  }
  snapshot_config_ = state.snapshot.config;
  for (const auto& e : log_.entries()) note_appended(e);
  commit_ = std::min(std::max(state.hard.commit, state.snapshot.last_index), log_.last_index());
  applied_ = state.snapshot.last_index;
  snapshot_data_ = std::move(state.snapshot_data);
  persisted_hard_ = state.hard;
  persisted_hard_.commit = std::min(persisted_hard_.commit, commit_);
  started_at_ = now;
  restarted_ = term_ > term_id{0};
  reset_election_timer(now);
  check_invariants();
}

const configuration& node::config() const noexcept {
  return config_entries_.empty() ? snapshot_config_ : config_entries_.back().second;
}

std::size_t node::quorum() const { return config().voters.size() / 2 + 1; }

// The leader hint travels in the message (as "leader=n3", or "leader=n0"
// when unknown) and through leader_hint().
error node::not_leader_error() const {
  return error{errc::not_leader, "this node is not the leader; retry at leader=n"
                                     + std::to_string(leader_.value())};
}

void node::send(node_id to, message body) {
  PSS_CHECK(to != opts_.id && to != no_node);
  outbox_.push_back(envelope{opts_.id, to, std::move(body)});
}

void node::reset_election_timer(millis now) {
  const auto base = static_cast<std::uint64_t>(opts_.election_timeout_min.count());
  election_deadline_ = now + millis{static_cast<millis::rep>(random_.between(base, 2 * base - 1))};
}

void node::step(millis now, const envelope& m) {
  PSS_CHECK_MSG(!ready_outstanding_, "advance() the last ready before new input");
  // Misaddressed, self-addressed or impossible messages are never trusted.
  if (m.to != opts_.id || !validate(m).ok()) return;
  bool drop = false;
  handle_term(now, m, drop);
  if (!drop) dispatch(now, m);
  check_invariants();
}

// Raft §5.1: a higher term is adopted (stepping down), a lower one is stale.
// PreVote messages (thesis §9.6) never change anyone's term, and a follower
// inside a leader lease ignores disruptive vote requests (thesis §4.2.3).
void node::handle_term(millis now, const envelope& m, bool& drop) {
  const term_id t = term_of(m.body);
  if (t > term_) {
    if (std::holds_alternative<pre_vote_request>(m.body)) return;
    if (const auto* r = std::get_if<pre_vote_response>(&m.body)) {
      if (!r->granted) become_follower(now, t, no_node);
      drop = true;
      return;
    }
    if (const auto* r = std::get_if<vote_request>(&m.body);
        r != nullptr && !r->leadership_transfer && in_lease(now)) {
      drop = true;
      return;
    }
    become_follower(now, t, is_from_leader(m.body) ? m.from : no_node);
    return;
  }
  if (t < term_) {
    if (std::holds_alternative<pre_vote_request>(m.body)
        || std::holds_alternative<pre_vote_response>(m.body))
      return;
    if (is_from_leader(m.body)) reply_to_stale_leader(m);
    drop = true;
  }
}

// A deposed leader (or a leader whose term is behind a stuck candidate's)
// learns the newer term from this reply and steps down. Without it a node
// whose term ran ahead could stay stuck forever under PreVote and
// CheckQuorum (etcd-io/raft's "stuck candidate" case, checklist item 12).
void node::reply_to_stale_leader(const envelope& m) {
  if (!opts_.check_quorum && !opts_.pre_vote) return;
  send(m.from, heartbeat_response{term_, 0});
}

void node::dispatch(millis now, const envelope& m) {
  const node_id from = m.from;
  std::visit(overloaded{
    [&](const pre_vote_request& b) { on_pre_vote_request(now, from, b); },
    [&](const pre_vote_response& b) { on_pre_vote_response(now, from, b); },
    [&](const vote_request& b) { on_vote_request(now, from, b); },
    [&](const vote_response& b) { on_vote_response(now, from, b); },
    [&](const append_entries& b) { on_append_entries(now, from, b); },
    [&](const append_entries_response& b) { on_append_entries_response(now, from, b); },
    [&](const heartbeat& b) { on_heartbeat(now, from, b); },
    [&](const heartbeat_response& b) { on_heartbeat_response(now, from, b); },
    [&](const install_snapshot& b) { on_install_snapshot(now, from, b); },
    [&](const install_snapshot_response& b) { on_install_snapshot_response(now, from, b); },
    [&](const timeout_now& b) { on_timeout_now(now, from, b); },
  }, m.body);
}

void node::tick(millis now) {
  PSS_CHECK_MSG(!ready_outstanding_, "advance() the last ready before new input");
  if (role_ == role::leader)
    tick_leader(now);
  else
    tick_election(now);
  check_invariants();
}

void node::campaign(millis now) {
  PSS_CHECK_MSG(!ready_outstanding_, "advance() the last ready before new input");
  start_campaign(now, false);
  check_invariants();
}

result<proposal> node::propose(millis now, bytes data) {
  PSS_CHECK_MSG(!ready_outstanding_, "advance() the last ready before new input");
  if (role_ != role::leader)
    return not_leader_error();
  if (transfer_target_)
    return error{errc::unavailable, "leadership transfer in progress; retry shortly"};
  if (data.size() > opts_.proposal_bytes_max)
    return error{errc::too_large, "a proposal above proposal_bytes_max; split it"};
  append_own(now, entry_kind::command, std::move(data));
  check_invariants();
  return proposal{log_.last_index(), term_};
}

status node::compact(log_index index, bytes data) {
  if (index <= log_.snapshot_index()) return ok_status();
  if (index > applied_)
    return error{errc::invalid_argument, "a snapshot must not cover unapplied entries"};
  const configuration config_then = config_at(index);
  const auto term = log_.term_at(index);
  PSS_CHECK(term.has_value());
  log_.compact(index, *term);
  snapshot_config_ = config_then;
  std::erase_if(config_entries_, [&](const auto& c) { return c.first <= index; });
  snapshot_data_ = std::move(data);
  check_invariants();
  return ok_status();
}

bool node::has_ready() const {
  return !outbox_.empty() || log_.has_unstable() || pending_install_.has_value()
         || current_hard_state() != persisted_hard_ || commit_ > applied_
         || !reads_ready_.empty() || !reads_failed_.empty();
}

millis node::next_wakeup() const {
  if (role_ != role::leader) return election_deadline_;
  millis next = heartbeat_deadline_;
  if (opts_.check_quorum) next = std::min(next, check_quorum_deadline_);
  if (transfer_target_) next = std::min(next, transfer_deadline_);
  return next;
}

ready node::take_ready(millis now) {
  PSS_CHECK_MSG(!ready_outstanding_, "advance() the last ready before taking another");
  (void)now;
  ready r;
  log_index apply_from = applied_.next();
  if (pending_install_) {
    apply_from = pending_install_->meta.last_index.next();
    r.install_snapshot = std::move(pending_install_);
    pending_install_.reset();
  }
  r.entries = log_.take_unstable();
  if (!r.entries.empty()) r.truncate_from = r.entries.front().index;
  const hard_state hs = current_hard_state();
  if (hs != persisted_hard_) r.hard = hs;
  r.messages = std::move(outbox_);
  outbox_.clear();
  // Entries committed up to commit_ are in the log; the shell persists this
  // ready's entries before it applies, so all of them are durable by then.
  for (log_index i = apply_from; i <= commit_; i = i.next()) r.committed.push_back(log_.at(i));
  r.reads = std::move(reads_ready_);
  reads_ready_.clear();
  r.failed_reads = std::move(reads_failed_);
  reads_failed_.clear();
  r.next_wakeup = next_wakeup();
  ready_outstanding_ = true;
  ready_persist_to_ = log_.last_index();
  ready_applied_to_ = std::max(commit_, apply_from.prev());
  persisted_hard_ = hs;
  return r;
}

void node::advance(millis now) {
  PSS_CHECK_MSG(ready_outstanding_, "advance() without a ready");
  ready_outstanding_ = false;
  log_.mark_persisted(ready_persist_to_);
  applied_ = std::max(applied_, ready_applied_to_);
  // Durable acks only: the leader's own log counts toward commit only now
  // that the shell has reported it persisted (Raft §5.4, checklist item 23).
  if (role_ == role::leader) maybe_commit(now);
  check_invariants();
}

void node::check_invariants() const {
  PSS_CHECK(commit_ <= log_.last_index());
  PSS_CHECK(applied_ <= commit_);
  PSS_CHECK(log_.snapshot_index() <= commit_);
  PSS_CHECK(pending_install_ || applied_ >= log_.snapshot_index());
  PSS_CHECK(log_.persisted_last() <= log_.last_index());
  PSS_CHECK(term_ >= persisted_hard_.term);
  PSS_CHECK(term_ >= log_.last_term());
  PSS_CHECK(commit_ >= persisted_hard_.commit);
  switch (role_) {
    case role::leader:
      PSS_CHECK(leader_ == opts_.id && vote_ == opts_.id);
      for (const auto& [id, pr] : progress_) {
        PSS_CHECK(id != opts_.id);
        PSS_CHECK(pr.match <= log_.last_index());
        PSS_CHECK(pr.next > pr.match);
      }
      break;
    case role::candidate:
      PSS_CHECK(vote_ == opts_.id && leader_ == no_node);
      break;
    case role::pre_candidate:
      PSS_CHECK(leader_ == no_node);
      break;
    case role::follower:
      PSS_CHECK(leader_ != opts_.id && progress_.empty());
      break;
  }
  PSS_CHECK(role_ == role::leader || pending_reads_.empty());
  PSS_CHECK(config_entries_.empty() || config_entries_.back().first <= log_.last_index());
}

} // namespace pss::raft
