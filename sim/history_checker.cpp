// The simulator's history (history_event) fed to the pure linearizability
// checker (sim/checkers), for both engines: one register per key, puts of
// unique values, gets of the latest value (nothing, for a name never put or
// deleted), deletes as tombstones. A failed operation took no effect and is
// dropped; a timed-out one is info (it may or may not have taken effect).
#include <map>

#include "sim/checkers/linearizability.hpp"
#include "sim/simulator.hpp"

namespace pss::sim {

history_checker linearizability_checker() {
  return [](const std::vector<history_event>& events) -> std::optional<std::string> {
    history h;
    std::map<bytes, value_id> ids;
    auto id_of = [&](const bytes& v) {
      auto [it, fresh] = ids.try_emplace(v, value_id{ids.size() + 1});
      (void)fresh;
      return it->second;
    };
    for (const auto& e : events) {
      const std::uint64_t us = static_cast<std::uint64_t>(e.time.count()) * 1000;
      const client_id c{e.client};
      if (e.invoke) {
        h.invoke(us, c, e.kind == actors::op_kind::put      ? operation::put(e.key, id_of(e.value))
                        : e.kind == actors::op_kind::remove ? operation::remove(e.key)
                                                            : operation::get(e.key));
        continue;
      }
      if (e.outcome == actors::op_outcome::info) {
        h.info(us, c);
      } else if (e.outcome == actors::op_outcome::fail) {
        h.fail(us, c);
      } else if (e.kind == actors::op_kind::put) {
        h.ok(us, c, response::put_ok());
      } else if (e.kind == actors::op_kind::remove) {
        h.ok(us, c, response::removed());
      } else if (e.value.empty()) {
        h.ok(us, c, response::not_found());
      } else {
        h.ok(us, c, response::read(id_of(e.value)));
      }
    }
    const auto report = check_linearizability(h);
    if (report.overall == verdict::ok || report.overall == verdict::unknown) return std::nullopt;
    return "not linearizable: " + report.describe();
  };
}

} // namespace pss::sim
