#include "raft/cluster_checker.hpp"

#include <sstream>

namespace pss::raft {
namespace {

std::uint64_t digest(const entry& e) {
  std::uint64_t h = 1469598103934665603ull ^ static_cast<std::uint64_t>(e.kind);
  for (std::uint8_t b : e.data) {
    h ^= b;
    h *= 1099511628211ull;
  }
  return h;
}

template <class... Ts>
std::string say(const Ts&... parts) {
  std::ostringstream out;
  (out << ... << parts);
  return out.str();
}

} // namespace

node_observation observe(const node& n) {
  node_observation o;
  o.id = n.id();
  o.term = n.term();
  o.vote = n.vote();
  o.role = n.role();
  o.commit = n.commit_index();
  o.snapshot_index = n.log().snapshot_index();
  o.snapshot_term = n.log().snapshot_term();
  o.entries = n.log().entries();
  return o;
}

void cluster_checker::fail(std::string what) {
  if (!violation_) violation_ = std::move(what);
}

std::optional<std::string> cluster_checker::observe(const node_observation& o) {
  if (violation_) return violation_;
  per_node& p = nodes_[o.id];
  if (o.role == role::leader) {
    auto [it, fresh] = leaders_.emplace(o.term, o.id);
    if (!fresh && it->second != o.id)
      fail(say("two leaders in ", o.term, ": ", it->second, " and ", o.id));
  }
  check_hard_state(p, o);
  check_log(p, o);
  if (o.settled) check_persisted(o);
  p.seen = true;
  p.term = o.term;
  p.commit = o.commit;
  p.role = o.role;
  return violation_;
}

void cluster_checker::check_hard_state(per_node& p, const node_observation& o) {
  if (p.seen && o.term < p.term) fail(say(o.id, "'s term went back from ", p.term, " to ", o.term));
  if (p.seen && o.commit < p.commit)
    fail(say(o.id, "'s commit index went back from ", p.commit, " to ", o.commit));
  const hard_state& hs = o.persisted_hard;
  if (hs.term < p.persisted_term)
    fail(say(o.id, "'s persisted term went back from ", p.persisted_term, " to ", hs.term));
  p.persisted_term = hs.term;
  if (hs.vote != no_node) {
    auto [it, fresh] = p.votes.emplace(hs.term, hs.vote);
    if (!fresh && it->second != hs.vote)
      fail(say(o.id, " voted twice in ", hs.term, ": for ", it->second, " and ", hs.vote));
  }
}

void cluster_checker::check_log(per_node& p, const node_observation& o) {
  const log_index first = o.snapshot_index.next();
  // Leader Append-Only: a leader that stays leader in the same term keeps
  // every entry it had (compaction may drop a committed prefix).
  if (p.seen && p.role == role::leader && o.role == role::leader && p.term == o.term) {
    const std::uint64_t old_last = p.first_index.value() + p.terms.size() - 1;
    if (first.value() + o.entries.size() - 1 < old_last)
      fail(say("leader ", o.id, " shrank its log in ", o.term));
    for (std::uint64_t i = std::max(first.value(), p.first_index.value()); i <= old_last; ++i) {
      if (i - first.value() >= o.entries.size()) break;
      if (o.entries[i - first.value()].term.value() != p.terms[i - p.first_index.value()])
        fail(say("leader ", o.id, " rewrote index ", i, " in ", o.term));
    }
  }
  // Log Matching, inductively: only look at entries that changed since the
  // last observation of this node.
  std::uint64_t previous_term = o.snapshot_term.value();
  std::vector<std::uint64_t> terms;
  terms.reserve(o.entries.size());
  for (std::size_t k = 0; k < o.entries.size(); ++k) {
    const entry& e = o.entries[k];
    const std::uint64_t i = e.index.value();
    terms.push_back(e.term.value());
    const bool unchanged = p.first_index.value() <= i && i - p.first_index.value() < p.terms.size()
                           && p.terms[i - p.first_index.value()] == e.term.value()
                           && (k > 0 || first == p.first_index);
    if (!unchanged) {
      const entry_fact fact{previous_term, digest(e)};
      auto [it, fresh] = entries_.emplace(std::pair{i, e.term.value()}, fact);
      if (!fresh && (it->second.digest != fact.digest || it->second.previous_term != fact.previous_term))
        fail(say("log matching broken at index ", i, " term ", e.term, " on ", o.id));
    }
    previous_term = e.term.value();
  }
  p.first_index = first;
  p.terms = std::move(terms);
}

void cluster_checker::check_persisted(const node_observation& o) {
  if (o.persisted_hard != hard_state{o.term, o.vote, o.commit})
    fail(say(o.id, "'s persisted hard state differs from memory after a flush"));
  if (o.persisted_snapshot_index != o.snapshot_index
      || o.persisted_entries.size() != o.entries.size()) {
    fail(say(o.id, "'s persisted log differs from memory after a flush"));
    return;
  }
  for (std::size_t k = 0; k < o.entries.size(); ++k)
    if (!(o.entries[k] == o.persisted_entries[k]))
      fail(say(o.id, "'s persisted entry ", o.entries[k].index, " differs from memory"));
}

void cluster_checker::on_restart(node_id id, log_index snapshot_index) {
  per_node& p = nodes_[id];
  p.seen = false;
  p.role = role::follower;
  p.terms.clear();
  p.first_index = log_index{1};
  p.applied = snapshot_index;
}

void cluster_checker::on_disk_lost(node_id id) {
  per_node& p = nodes_[id];
  p.persisted_term = term_id{};
  p.seen = false;
}

std::optional<std::string> cluster_checker::on_applied(node_id id, const entry& e) {
  if (violation_) return violation_;
  per_node& p = nodes_[id];
  if (e.index != p.applied.next())
    fail(say(id, " applied ", e.index, " after ", p.applied, " (not exactly once, in order)"));
  p.applied = e.index;
  const std::pair fact{e.term, digest(e)};
  auto [it, fresh] = applied_.emplace(e.index, fact);
  if (!fresh && it->second != fact)
    fail(say("state machine safety: ", id, " applied a different entry at ", e.index,
             " (", e.term, " vs ", it->second.first, ")"));
  return violation_;
}

std::optional<std::string> cluster_checker::on_snapshot_installed(node_id id, log_index index) {
  if (violation_) return violation_;
  per_node& p = nodes_[id];
  if (index < p.applied) fail(say(id, " installed a snapshot at ", index, " behind applied ", p.applied));
  p.applied = index;
  return violation_;
}

log_index cluster_checker::applied_max() const noexcept {
  return applied_.empty() ? log_index{0} : applied_.rbegin()->first;
}

} // namespace pss::raft
