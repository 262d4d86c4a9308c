#include "checkers/linearizability.hpp"

#include <algorithm>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <unordered_set>
#include <utility>

#include "checkers/register_model.hpp"
#include "core/check.hpp"

namespace pss::sim {

std::string_view to_string(verdict v) noexcept {
  switch (v) {
  case verdict::ok: return "ok";
  case verdict::violation: return "violation";
  case verdict::unknown: return "unknown (search limit reached)";
  case verdict::malformed: return "malformed history";
  }
  PSS_UNREACHABLE();
}

namespace {

constexpr std::size_t no_node = std::numeric_limits<std::size_t>::max();
constexpr std::uint64_t never_us = std::numeric_limits<std::uint64_t>::max();

// Which operations are linearized so far: one bit per operation.
class op_set {
public:
  explicit op_set(std::size_t count) : words_((count + 63) / 64, 0) {}
  void set(std::size_t i) { words_[i / 64] |= bit(i); }
  void reset(std::size_t i) { words_[i / 64] &= ~bit(i); }
  [[nodiscard]] bool test(std::size_t i) const { return (words_[i / 64] & bit(i)) != 0; }
  [[nodiscard]] const std::vector<std::uint64_t>& words() const noexcept { return words_; }

private:
  static std::uint64_t bit(std::size_t i) { return std::uint64_t{1} << (i % 64); }
  std::vector<std::uint64_t> words_;
};

std::size_t configuration_hash(const std::vector<std::uint64_t>& linearized,
                               const register_state& state) {
  std::uint64_t h = state.hash();
  for (std::uint64_t w : linearized) h = (h ^ w) * 0x9e3779b97f4a7c15ull;
  return static_cast<std::size_t>(h ^ (h >> 31));
}

// Lowe's memo entry: a configuration already explored, which need not be
// explored again because the search from it depends on nothing else.
struct memo_key {
  std::vector<std::uint64_t> linearized;
  register_state state;
  std::size_t hash = 0;
};

// The same configuration by reference, to look up without copying.
struct memo_probe {
  const std::vector<std::uint64_t>& linearized;
  const register_state& state;
  std::size_t hash = 0;
};

struct memo_hash {
  using is_transparent = void;
  std::size_t operator()(const memo_key& key) const noexcept { return key.hash; }
  std::size_t operator()(const memo_probe& probe) const noexcept { return probe.hash; }
};

struct memo_equal {
  using is_transparent = void;
  template <class A, class B>
  bool operator()(const A& a, const B& b) const {
    return a.hash == b.hash && a.linearized == b.linearized && a.state == b.state;
  }
};

// The call and return entries of the unlinearized operations, in time
// order, as a doubly linked list over a vector (Wing and Gong). Linearizing
// an operation lifts both its entries out; backtracking puts them back in
// the reverse order, so the list is restored exactly.
class entry_list {
public:
  struct node {
    std::size_t op = 0;
    bool is_call = false;
    std::size_t prev = no_node;
    std::size_t next = no_node;
    std::size_t match = no_node;
  };

  explicit entry_list(const std::vector<const op_record*>& ops) {
    struct entry { std::uint64_t time_us; bool is_return; std::size_t op; };
    std::vector<entry> order;
    for (std::size_t i = 0; i < ops.size(); ++i) {
      const op_record& r = *ops[i];
      order.push_back({r.invoke_us, false, i});
      // An info operation may take effect until the end of the history, so
      // its return sorts after every real completion.
      const bool completed = r.result == outcome::ok;
      order.push_back({completed ? *r.complete_us : never_us, true, i});
    }
    // At equal times calls come first: intervals are closed, and two
    // operations that touch at one instant count as concurrent. This errs
    // towards ok, never towards a false violation, and it keeps an
    // operation that completed at its invoke instant after its own call.
    std::sort(order.begin(), order.end(), [](const entry& a, const entry& b) {
      if (a.time_us != b.time_us) return a.time_us < b.time_us;
      if (a.is_return != b.is_return) return !a.is_return;
      return a.op < b.op;
    });
    nodes_.resize(order.size() + 1);  // node 0 is the head sentinel
    std::vector<std::size_t> call_of(ops.size(), no_node);
    for (std::size_t k = 0; k < order.size(); ++k) {
      node& n = nodes_[k + 1];
      n.op = order[k].op;
      n.is_call = !order[k].is_return;
      n.prev = k;
      n.next = k + 2 < nodes_.size() ? k + 2 : no_node;
      if (n.is_call) {
        call_of[n.op] = k + 1;
      } else {
        n.match = call_of[n.op];
        nodes_[n.match].match = k + 1;
      }
    }
    nodes_[0].next = order.empty() ? no_node : 1;
  }

  [[nodiscard]] const node& at(std::size_t i) const { return nodes_[i]; }
  [[nodiscard]] std::size_t first() const { return nodes_[0].next; }

  void lift(std::size_t call) {
    unlink(call);
    unlink(nodes_[call].match);
  }
  void unlift(std::size_t call) {
    relink(nodes_[call].match);
    relink(call);
  }

private:
  void unlink(std::size_t i) {
    nodes_[nodes_[i].prev].next = nodes_[i].next;
    if (nodes_[i].next != no_node) nodes_[nodes_[i].next].prev = nodes_[i].prev;
  }
  void relink(std::size_t i) {
    nodes_[nodes_[i].prev].next = i;
    if (nodes_[i].next != no_node) nodes_[nodes_[i].next].prev = i;
  }

  std::vector<node> nodes_;
};

// The deepest dead end, kept to explain a violation.
struct dead_end {
  bool found = false;
  std::vector<std::size_t> prefix; // operations in linearization order
  std::size_t blocked = 0;         // the operation whose completion was reached
  register_state state;            // the model state after the prefix
};

class register_search {
public:
  register_search(const std::vector<const op_record*>& ops, const check_options& options,
                  value_id unread)
    : ops_(ops), options_(options), model_(register_model::for_operations(ops)),
      entries_(ops), linearized_(ops.size()), must_follow_(chain_interchangeable(unread)) {}

  // Wing and Gong's loop: take the first unlinearized call whose step the
  // model accepts and whose configuration is new, or backtrack when the
  // first remaining entry is a return (that operation had to be linearized
  // before its completion and was not).
  verdict run() {
    const register_state initial;
    const register_state* state = &initial;  // otherwise owned by the memo
    std::vector<std::pair<std::size_t, const register_state*>> stack;
    std::size_t cursor = entries_.first();
    while (cursor != no_node) {
      const entry_list::node& n = entries_.at(cursor);
      if (n.is_call) {
        if (const register_state* next = try_linearize(*state, n.op)) {
          stack.emplace_back(cursor, state);
          state = next;
          entries_.lift(cursor);
          cursor = entries_.first();
        } else if (explored_ >= options_.states_max) {
          return verdict::unknown;
        } else {
          cursor = n.next;
        }
        continue;
      }
      // Every info operation's return sorts last, so reaching one means
      // only info operations are left: they never took effect.
      if (ops_[n.op]->result == outcome::info) return verdict::ok;
      note_dead_end(stack, n.op, *state);
      if (stack.empty()) return verdict::violation;
      const auto [call, previous] = stack.back();
      stack.pop_back();
      state = previous;
      linearized_.reset(entries_.at(call).op);
      entries_.unlift(call);
      cursor = entries_.at(call).next;
    }
    return verdict::ok;
  }

  [[nodiscard]] std::uint64_t explored() const noexcept { return explored_; }
  [[nodiscard]] const dead_end& deepest() const noexcept { return deepest_; }

private:
  // Info puts of an unread value are interchangeable, and so are info
  // deletes: each has the same effect as any other of its kind and may take
  // effect at any time after its invoke. So if a linearization uses one of
  // them, it can use the earliest invoked instead, in invoke order. Chaining
  // each to its predecessor cuts the 2^k subsets of k such operations down
  // to k+1 prefixes without losing any linearization.
  std::vector<std::size_t> chain_interchangeable(value_id unread) const {
    std::vector<std::size_t> must_follow(ops_.size(), no_node);
    std::size_t last_put = no_node;
    std::size_t last_delete = no_node;
    for (std::size_t i = entries_.first(); i != no_node; i = entries_.at(i).next) {
      const entry_list::node& n = entries_.at(i);
      const op_record& r = *ops_[n.op];
      if (!n.is_call || r.result != outcome::info) continue;
      if (r.op.kind == op_kind::put && r.op.value == unread) {
        must_follow[n.op] = std::exchange(last_put, n.op);
      } else if (r.op.kind == op_kind::remove) {
        must_follow[n.op] = std::exchange(last_delete, n.op);
      }
    }
    return must_follow;
  }

  // The memo's copy of the state after linearizing `op`, or nullptr when
  // the model rejects it or the configuration was explored before. Memo
  // entries never move, so the search keeps pointers to their states.
  const register_state* try_linearize(const register_state& state, std::size_t op) {
    if (explored_ >= options_.states_max) return nullptr;
    if (must_follow_[op] != no_node && !linearized_.test(must_follow_[op])) return nullptr;
    std::optional<register_state> next = model_.step(state, *ops_[op]);
    if (!next) return nullptr;
    linearized_.set(op);
    const std::size_t hash = configuration_hash(linearized_.words(), *next);
    if (memo_.contains(memo_probe{linearized_.words(), *next, hash})) {
      linearized_.reset(op);
      return nullptr;
    }
    ++explored_;
    return &memo_.insert(memo_key{linearized_.words(), std::move(*next), hash}).first->state;
  }

  void note_dead_end(const std::vector<std::pair<std::size_t, const register_state*>>& stack,
                     std::size_t blocked, const register_state& state) {
    if (deepest_.found && stack.size() <= deepest_.prefix.size()) return;
    deepest_.found = true;
    deepest_.prefix.clear();
    for (const auto& frame : stack) deepest_.prefix.push_back(entries_.at(frame.first).op);
    deepest_.blocked = blocked;
    deepest_.state = state;
  }

  const std::vector<const op_record*>& ops_;
  const check_options& options_;
  register_model model_;
  entry_list entries_;
  op_set linearized_;
  std::vector<std::size_t> must_follow_;  // op -> the op it may only follow, or no_node
  std::unordered_set<memo_key, memo_hash, memo_equal> memo_;  // looked up, never iterated
  std::uint64_t explored_ = 0;
  dead_end deepest_;
};

std::set<value_id> returned_values(const std::vector<const op_record*>& ops) {
  std::set<value_id> returned;
  for (const op_record* r : ops)
    if (r->op.kind == op_kind::get && r->reply.value) returned.insert(*r->reply.value);
  return returned;
}

// A value id that no ok get returned, to stand for every such value.
value_id unread_value(const std::set<value_id>& returned) {
  value_id unread{std::numeric_limits<std::uint64_t>::max()};
  while (returned.contains(unread)) unread = unread.prev();
  return unread;
}

// Copies of the operations in which every put of a value that no get
// returned writes `unread` instead. No operation can tell such values
// apart (gets compare values only with what they returned; deletes only
// ask whether the name exists), so the verdict is unchanged, while states
// that differed only in an unobserved value now meet in the memo.
std::vector<op_record> with_unread_values(const std::vector<const op_record*>& ops,
                                          const std::set<value_id>& returned, value_id unread) {
  std::vector<op_record> copies;
  copies.reserve(ops.size());
  for (const op_record* r : ops) {
    copies.push_back(*r);
    if (r->op.kind == op_kind::put && !returned.contains(r->op.value)) copies.back().op.value = unread;
  }
  return copies;
}

void print_state(std::ostream& os, const register_state& state, value_id unread) {
  if (!state.exists) os << "not found";
  else if (state.latest == unread) os << "a value no get returned";
  else os << state.latest;
  if (state.versions_used > 0) os << " (versions used: " << state.versions_used << ')';
}

std::string explain(const std::string& name, verdict v, const register_search& search,
                    const std::vector<const op_record*>& ops, value_id unread) {
  std::ostringstream os;
  const dead_end& end = search.deepest();
  os << "name \"" << name << "\": " << to_string(v) << " after " << search.explored()
     << " states\n";
  if (!end.found) return os.str();
  // After a violation the deepest dead end is the best explanation there
  // is; after hitting the limit it is only the deepest one found so far.
  const bool is_violation = v == verdict::violation;
  os << (is_violation ? "  could not linearize: " : "  deepest dead end so far: ") << *ops[end.blocked]
     << '\n';
  os << "  longest linearizable prefix" << (is_violation ? "" : " found") << " (" << end.prefix.size()
     << " of " << ops.size() << " operations):\n";
  for (std::size_t i = 0; i < end.prefix.size(); ++i)
    os << "    " << (i + 1) << ". " << *ops[end.prefix[i]] << '\n';
  os << "  model state after the prefix: ";
  print_state(os, end.state, unread);
  os << '\n';
  return os.str();
}

} // namespace

name_finding check_name(const std::string& name, const std::vector<const op_record*>& all,
                        const check_options& options) {
  // A failed operation took no effect, and a get that did not complete ok
  // observed nothing, so neither constrains the order.
  std::vector<const op_record*> ops;
  for (const op_record* r : all) {
    PSS_CHECK(r->op.name == name);
    if (r->result == outcome::fail) continue;
    if (r->op.kind == op_kind::get && r->result != outcome::ok) continue;
    ops.push_back(r);
  }
  const std::set<value_id> returned = returned_values(ops);
  const value_id unread = unread_value(returned);
  const std::vector<op_record> canonical = with_unread_values(ops, returned, unread);
  std::vector<const op_record*> canonical_ops;
  for (const op_record& r : canonical) canonical_ops.push_back(&r);
  register_search search(canonical_ops, options, unread);
  const verdict v = search.run();
  name_finding finding{name, v, {}, search.explored()};
  if (v != verdict::ok) finding.explanation = explain(name, v, search, ops, unread);
  return finding;
}

linearizability_report check_linearizability(const history& h, const check_options& options) {
  linearizability_report report;
  auto records = collect_operations(h);
  if (!records.ok()) {
    report.overall = verdict::malformed;
    report.malformed_reason = records.err().message();
    return report;
  }
  // std::map, so names are visited and reported in a stable order.
  std::map<std::string, std::vector<const op_record*>> by_name;
  for (const op_record& r : *records) by_name[r.op.name].push_back(&r);
  for (const auto& [name, ops] : by_name) {
    name_finding finding = check_name(name, ops, options);
    ++report.names_checked;
    report.operations_checked += ops.size();
    report.states_explored += finding.states_explored;
    if (finding.result == verdict::violation) report.overall = verdict::violation;
    if (finding.result == verdict::unknown && report.overall == verdict::ok)
      report.overall = verdict::unknown;
    if (finding.result != verdict::ok) report.findings.push_back(std::move(finding));
  }
  return report;
}

std::string linearizability_report::describe() const {
  std::ostringstream os;
  os << "linearizability: " << to_string(overall);
  if (overall == verdict::malformed) {
    os << ": " << malformed_reason << '\n';
    return os.str();
  }
  os << " (" << names_checked << " names, " << operations_checked << " operations, "
     << states_explored << " states explored)\n";
  for (const name_finding& f : findings) os << f.explanation;
  return os.str();
}

} // namespace pss::sim
