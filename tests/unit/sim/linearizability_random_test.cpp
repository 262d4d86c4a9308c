// Randomized tests: histories recorded from a real linearizable register,
// with random concurrency, failures and timeouts, must all check ok; and
// one impossible result planted in each must be caught.
#include <doctest/doctest.h>

#include <map>
#include <string>

#include "checkers/linearizability.hpp"
#include "checkers/register_model.hpp"
#include "core/prng.hpp"

using namespace pss;
using namespace pss::sim;

namespace {

struct workload_config {
  std::size_t clients = 3;
  std::size_t operations = 30;
  std::size_t names = 1;
  bool reports_versions = false;
  bool reports_existed = false;
  bool versioned_gets = false;
};

workload_config random_config(prng& rng) {
  workload_config cfg;
  cfg.clients = 1 + rng.below(5);
  cfg.operations = 10 + rng.below(50);
  cfg.names = 1 + rng.below(2);
  cfg.reports_versions = rng.chance(0.5);
  cfg.reports_existed = rng.chance(0.5);
  cfg.versioned_gets = rng.chance(0.5);
  return cfg;
}

struct recorded {
  std::vector<event> events;
  // The invoke events of the operations that took effect, in the order the
  // store applied them: the true linearization.
  std::vector<std::size_t> linearization;
};

// Clients drive an in-memory store that applies each operation atomically
// at one instant between its invoke and its completion (or, for an
// operation that timed out, at any later instant or never). Whatever it
// records is linearizable by construction.
class workload {
public:
  workload(prng& rng, workload_config cfg) : rng_(rng), cfg_(cfg), clients_(cfg.clients) {}

  recorded run() {
    std::uint64_t now_us = 0;
    std::size_t started = 0;
    while (started < cfg_.operations || any_in_flight()) {
      now_us += rng_.below(3);  // zero included: events may share an instant
      if (started == cfg_.operations && rng_.chance(0.03)) break;  // abandon the rest
      if (!late_.empty() && rng_.chance(0.1)) apply_late(rng_.below(late_.size()));
      const std::size_t c = rng_.below(clients_.size());
      if (!clients_[c].active) {
        if (started < cfg_.operations) {
          invoke(c, now_us);
          ++started;
        }
      } else if (!clients_[c].applied) {
        advance_unapplied(c, now_us);
      } else {
        complete(c, now_us, rng_.chance(0.85) ? outcome::ok : outcome::info);
      }
    }
    // Timed-out operations may still take effect after the last event.
    while (!late_.empty()) {
      if (rng_.chance(0.5)) apply_late(late_.size() - 1);
      else late_.pop_back();
    }
    return std::move(out_);
  }

private:
  struct client_state {
    bool active = false;
    bool applied = false;
    std::size_t invoke_event = 0;
    operation op;
    response reply;
  };
  struct late_effect {
    std::size_t invoke_event;
    operation op;
  };
  struct stored_register {
    std::vector<std::pair<value_id, bool>> versions;  // version k at k-1, with its live flag
  };

  bool any_in_flight() const {
    for (const auto& c : clients_)
      if (c.active) return true;
    return false;
  }

  std::string random_name() { return "name" + std::to_string(rng_.below(cfg_.names)); }

  operation random_operation() {
    std::string name = random_name();
    const std::uint64_t roll = rng_.below(100);
    if (roll < 45) return operation::put(name, value_id{++values_written_});
    if (roll < 80) return operation::get(name);
    if (roll < 90 && cfg_.versioned_gets) {
      const std::uint64_t known = store_[name].versions.size();
      return operation::get_version(name, secret_version{1 + rng_.below(known + 1)});
    }
    return operation::remove(name);
  }

  void invoke(std::size_t c, std::uint64_t now_us) {
    client_state& s = clients_[c];
    s = client_state{true, false, out_.events.size(), random_operation(), {}};
    out_.events.push_back({event_type::invoke, now_us, client_id{c + 1}, s.op, outcome::ok, {}});
  }

  void advance_unapplied(std::size_t c, std::uint64_t now_us) {
    client_state& s = clients_[c];
    const std::uint64_t roll = rng_.below(10);
    if (roll < 7) {
      s.reply = apply(s.op);
      s.applied = true;
      out_.linearization.push_back(s.invoke_event);
    } else if (roll == 7) {
      complete(c, now_us, outcome::fail);
    } else {
      if (rng_.chance(0.5)) late_.push_back({s.invoke_event, s.op});
      complete(c, now_us, outcome::info);
    }
  }

  void complete(std::size_t c, std::uint64_t now_us, outcome result) {
    client_state& s = clients_[c];
    out_.events.push_back({event_type::complete, now_us, client_id{c + 1}, {}, result,
                           result == outcome::ok ? s.reply : response{}});
    s.active = false;
  }

  void apply_late(std::size_t i) {
    (void)apply(late_[i].op);
    out_.linearization.push_back(late_[i].invoke_event);
    late_.erase(late_.begin() + static_cast<std::ptrdiff_t>(i));
  }

  std::optional<secret_version> reported(std::uint64_t version) const {
    if (!cfg_.reports_versions) return std::nullopt;
    return secret_version{version};
  }

  response apply(const operation& op) {
    auto& versions = store_[op.name].versions;
    switch (op.kind) {
    case op_kind::put:
      versions.emplace_back(op.value, true);
      return response::put_ok(reported(versions.size()));
    case op_kind::get: {
      const std::uint64_t wanted = op.version ? op.version->value() : versions.size();
      if (wanted == 0 || wanted > versions.size() || !versions[wanted - 1].second)
        return response::not_found();
      return response::read(versions[wanted - 1].first, reported(wanted));
    }
    case op_kind::remove: {
      const bool existed = !versions.empty() && versions.back().second;
      for (auto& v : versions) v.second = false;
      return response::removed(cfg_.reports_existed ? std::optional<bool>{existed} : std::nullopt);
    }
    }
    return {};
  }

  prng& rng_;
  workload_config cfg_;
  std::vector<client_state> clients_;
  std::vector<late_effect> late_;
  std::map<std::string, stored_register> store_;
  std::uint64_t values_written_ = 0;
  recorded out_;
};

history to_history(const std::vector<event>& events) {
  history h;
  for (const event& e : events) {
    if (e.type == event_type::invoke) h.invoke(e.time_us, e.client, e.op);
    else h.complete(e.time_us, e.client, e.result, e.reply);
  }
  return h;
}

// The operations of one name that the checker keeps (see check_name).
std::vector<const op_record*> checked_ops(const std::vector<op_record>& records,
                                          const std::string& name) {
  std::vector<const op_record*> ops;
  for (const op_record& r : records) {
    if (r.op.name != name || r.result == outcome::fail) continue;
    if (r.op.kind == op_kind::get && r.result != outcome::ok) continue;
    ops.push_back(&r);
  }
  return ops;
}

// The true linearization must step through the model: this checks the
// workload and the model against each other, independently of the search.
void require_model_accepts(const recorded& rec) {
  auto records = collect_operations(to_history(rec.events));
  REQUIRE(records.ok());
  std::map<std::size_t, const op_record*> by_invoke;
  for (const op_record& r : *records) by_invoke[r.invoke_event] = &r;
  std::map<std::string, register_state> states;
  for (std::size_t invoke_event : rec.linearization) {
    const op_record& r = *by_invoke.at(invoke_event);
    REQUIRE(r.result != outcome::fail);
    if (r.op.kind == op_kind::get && r.result != outcome::ok) continue;
    const register_model model = register_model::for_operations(checked_ops(*records, r.op.name));
    auto next = model.step(states[r.op.name], r);
    REQUIRE(next);
    states[r.op.name] = std::move(*next);
  }
}

std::size_t completion_of(const std::vector<event>& events, std::size_t invoke_event) {
  for (std::size_t i = invoke_event + 1; i < events.size(); ++i)
    if (events[i].type == event_type::complete && events[i].client == events[invoke_event].client)
      return i;
  return events.size();
}

struct mutation {
  bool applied = false;
  std::string name;
};

// Plants one result no linearization can produce: a get of a value never
// written, a get of a value whose put was invoked only after the get
// completed, or a put acknowledged with a version beyond every put's.
mutation plant_impossible_result(prng& rng, std::vector<event>& events) {
  auto records = collect_operations(to_history(events));
  REQUIRE(records.ok());
  std::vector<const op_record*> gets, versioned_puts;
  std::map<std::string, std::uint64_t> puts_per_name;
  for (const op_record& r : *records) {
    if (r.op.kind == op_kind::put) ++puts_per_name[r.op.name];
    if (r.result != outcome::ok) continue;
    if (r.op.kind == op_kind::get) gets.push_back(&r);
    if (r.op.kind == op_kind::put && r.reply.version) versioned_puts.push_back(&r);
  }
  if (gets.empty() && versioned_puts.empty()) return {};
  const std::uint64_t kind = rng.below(3);
  if (kind == 2 && !versioned_puts.empty()) {
    const op_record& put = *versioned_puts[rng.below(versioned_puts.size())];
    events[completion_of(events, put.invoke_event)].reply =
        response::put_ok(secret_version{puts_per_name[put.op.name] + 1});
    return {true, put.op.name};
  }
  if (gets.empty()) return {};
  const op_record& get = *gets[rng.below(gets.size())];
  response& reply = events[completion_of(events, get.invoke_event)].reply;
  if (kind == 1 && !get.op.version) {
    for (const op_record& later : *records) {
      if (later.op.kind == op_kind::put && later.op.name == get.op.name &&
          later.invoke_us > *get.complete_us) {
        reply = response::read(later.op.value);
        return {true, get.op.name};
      }
    }
  }
  reply = response::read(value_id{1'000'000'000}, reply.version);
  return {true, get.op.name};
}

} // namespace

TEST_CASE("linearizability: histories of a linearizable register always check ok") {
  prng rng(20261127);
  std::size_t operations = 0;
  for (int i = 0; i < 300; ++i) {
    const workload_config cfg = random_config(rng);
    const recorded rec = workload(rng, cfg).run();
    require_model_accepts(rec);
    auto report = check_linearizability(to_history(rec.events));
    INFO("history " << i << ": " << report.describe());
    REQUIRE(report.overall == verdict::ok);
    operations += report.operations_checked;
  }
  CHECK(operations > 300 * 20);
}

TEST_CASE("linearizability: one impossible result in a random history is caught") {
  prng rng(4242);
  int planted = 0;
  for (int i = 0; i < 300; ++i) {
    const workload_config cfg = random_config(rng);
    recorded rec = workload(rng, cfg).run();
    const mutation m = plant_impossible_result(rng, rec.events);
    if (!m.applied) continue;
    ++planted;
    auto report = check_linearizability(to_history(rec.events));
    INFO("history " << i << ": " << report.describe());
    REQUIRE(report.overall == verdict::violation);
    REQUIRE(report.findings.size() == 1);
    CHECK(report.findings[0].name == m.name);
  }
  CHECK(planted > 250);
}

TEST_CASE("linearizability: a 200-operation history with 5 clients checks within the limit") {
  prng rng(7);
  for (int i = 0; i < 10; ++i) {
    workload_config cfg;
    cfg.clients = 5;
    cfg.operations = 200;
    cfg.reports_versions = i % 2 == 0;
    cfg.versioned_gets = i % 3 == 0;
    const recorded rec = workload(rng, cfg).run();
    auto report = check_linearizability(to_history(rec.events));
    INFO("history " << i << ": " << report.describe());
    REQUIRE(report.overall == verdict::ok);
    CHECK(report.operations_checked == 200);
    CHECK(report.states_explored < 100'000);
  }
}
