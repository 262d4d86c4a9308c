#include "checkers/register_model.hpp"

#include <algorithm>

#include "core/check.hpp"

namespace pss::sim {

std::size_t register_state::hash() const noexcept {
  // FNV-style mixing; only used for hash lookups, never for ordering.
  std::uint64_t h = 0xcbf29ce484222325ull;
  auto mix = [&h](std::uint64_t v) { h = (h ^ v) * 0x100000001b3ull; };
  mix(exists ? latest.value() : ~std::uint64_t{0});
  mix(versions_used);
  for (const auto& [version, value] : remembered) {
    mix(version);
    mix(value.value());
  }
  return static_cast<std::size_t>(h ^ (h >> 29));
}

register_model register_model::for_operations(const std::vector<const op_record*>& ops) {
  register_model model{false, {}};
  for (const op_record* r : ops) {
    if (r->op.version) model.asked_versions.push_back(r->op.version->value());
    if (r->op.version || (r->result == outcome::ok && r->reply.version))
      model.counts_versions = true;
  }
  std::sort(model.asked_versions.begin(), model.asked_versions.end());
  model.asked_versions.erase(std::unique(model.asked_versions.begin(), model.asked_versions.end()),
                             model.asked_versions.end());
  return model;
}

namespace {

// The value version `wanted` holds in `state`, or nullopt if that version
// was never written or has been deleted.
std::optional<value_id> value_of(const register_state& state, std::uint64_t wanted) {
  if (state.exists && wanted == state.versions_used) return state.latest;
  for (const auto& [version, value] : state.remembered)
    if (version == wanted) return value;
  return std::nullopt;
}

bool get_matches(const register_model& model, const register_state& state,
                 const op_record& record) {
  const std::optional<secret_version>& asked = record.op.version;
  const response& reply = record.reply;
  std::optional<value_id> expected;
  std::uint64_t expected_version = state.versions_used;
  if (asked) {
    PSS_CHECK(std::binary_search(model.asked_versions.begin(), model.asked_versions.end(),
                                 asked->value()));
    expected_version = asked->value();
    expected = value_of(state, expected_version);
  } else if (state.exists) {
    expected = state.latest;
  }
  if (reply.value != expected) return false;
  if (reply.version) {
    PSS_CHECK(model.counts_versions);
    return reply.version->value() == expected_version;
  }
  return true;
}

} // namespace

std::optional<register_state> register_model::step(const register_state& state,
                                                   const op_record& record) const {
  PSS_CHECK(record.result != outcome::fail);
  PSS_CHECK_MSG(counts_versions || asked_versions.empty(),
                "versions asked for by number need the version count");
  const bool ok = record.result == outcome::ok;
  switch (record.op.kind) {
  case op_kind::get:
    PSS_CHECK_MSG(ok, "gets without an ok result observe nothing and must be dropped");
    if (!get_matches(*this, state, record)) return std::nullopt;
    return state;
  case op_kind::put: {
    register_state next = state;
    if (counts_versions) ++next.versions_used;
    if (ok && record.reply.version && record.reply.version->value() != next.versions_used)
      return std::nullopt;
    next.exists = true;
    next.latest = record.op.value;
    if (std::binary_search(asked_versions.begin(), asked_versions.end(), next.versions_used))
      next.remembered.emplace_back(next.versions_used, record.op.value);
    return next;
  }
  case op_kind::remove: {
    if (ok && record.reply.existed && *record.reply.existed != state.exists) return std::nullopt;
    register_state next = state;
    next.exists = false;
    next.latest = value_id{};
    next.remembered.clear();
    return next;
  }
  }
  PSS_UNREACHABLE();
}

} // namespace pss::sim
