// The simulator's parts that need no CAF: the profiles, the options a sweep
// draws per seed, the reproduce line, the JSON summary and the exit code.
#include <algorithm>
#include <cstdio>
#include <sstream>

#include "core/check.hpp"
#include "core/prng.hpp"
#include "sim/simulator.hpp"

namespace pss::sim {

bool is_refresh_profile(const std::string& name) {
  return name == "refresh" || name == "refresh-faults" || name == "membership";
}

bool is_profile(const std::string& name) {
  for (const char* p : profile_names)
    if (name == p) return true;
  return false;
}

bool is_membership_change(const std::string& name) {
  for (const char* c : {"any", "add", "remove", "replace", "call-off", "raise", "lower", "rotate"})
    if (name == c) return true;
  return false;
}

namespace {

std::string number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

// A JSON string literal, escaped by hand (RFC 8259 §7).
std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

} // namespace

sim_options options_for_seed(sim_options base, const sweep_draw& draw, std::uint64_t seed) {
  base.seed = seed;
  prng r{seed ^ 0x5EEDD4A7u};
  if (draw.nodes) base.nodes = static_cast<std::size_t>(r.between(draw.nodes->min, draw.nodes->max));
  if (draw.clients) base.clients = static_cast<std::size_t>(r.between(draw.clients->min, draw.clients->max));
  if (draw.threshold_from_nodes) {
    base.threshold = base.nodes / 2 + 1;
    if (base.engine == "secrets") base.threshold = std::max<std::size_t>(2, base.threshold);
    // membership: t+1 members must remain after a removal, where n allows.
    if (base.profile == "membership" && base.nodes >= 4)
      base.threshold = std::max<std::size_t>(2, std::min(base.threshold, base.nodes - 2));
  }
  PSS_CHECK(base.threshold <= base.nodes);
  return base;
}

std::string reproduce_command(const sim_options& o) {
  std::ostringstream out;
  out << "pss sim --seed " << o.seed << " --nodes " << o.nodes << " --threshold " << o.threshold
      << " --clients " << o.clients << " --seconds " << number(o.seconds) << " --profile "
      << o.profile;
  out << " --engine " << o.engine; // always: the CLI's default engine changed once
  if (o.planted != planted::bug::none) out << " --planted-bug " << planted::name(o.planted);
  if (o.faulty_dealers >= 0) out << " --faulty-dealers " << o.faulty_dealers;
  if (o.stranger) out << " --stranger";
  if (o.byzantine > 0 && o.profile != "byzantine") out << " --byzantine " << o.byzantine;
  if (o.membership_change != "any") out << " --membership-change " << o.membership_change;
  if (!o.shuffle) out << " --no-shuffle";
  return out.str();
}

std::string to_json(const sim_report& r) {
  std::ostringstream out;
  out << "{\"seed\":" << r.options.seed << ",\"ok\":" << (r.ok && r.live ? "true" : "false")
      << ",\"safe\":" << (r.ok ? "true" : "false") << ",\"live\":" << (!r.ok ? "null" : r.live ? "true" : "false")
      << ",\"engine\":" << (r.options.engine == "raft" ? std::string{"\"raft-only\""} : quoted(r.options.engine))
      << ",\"profile\":" << quoted(r.options.profile)
      << ",\"planted_bug\":"
      << (r.options.planted == planted::bug::none ? std::string{"null"}
                                                  : quoted(std::string{planted::name(r.options.planted)}))
      << ",\"nodes\":" << r.options.nodes << ",\"threshold\":" << r.options.threshold
      << ",\"clients\":" << r.options.clients << ",\"sim_seconds\":" << number(r.options.seconds)
      << ",\"leaders_elected\":" << r.leaders_elected
      << ",\"entries_committed\":" << r.entries_committed << ",\"puts_acked\":" << r.puts_acked
      << ",\"gets_ok\":" << r.gets_ok << ",\"secrets_verified\":" << r.secrets_verified
      << ",\"refresh_epochs_committed\":" << r.refresh_epochs_committed
      << ",\"refresh_rounds_aborted\":" << r.refresh_rounds_aborted << ",\"recoveries\":" << r.recoveries << ",\"rejoins\":" << r.rejoins
      << ",\"dealers_excluded\":" << r.dealers_excluded << ",\"complaints_resolved\":" << r.complaints_resolved
      << ",\"liars_excluded\":" << r.liars_excluded << ",\"dealers_convicted\":" << r.dealers_convicted
      << ",\"honest_excluded\":" << r.honest_excluded << ",\"shares_lost_refused\":" << r.shares_lost_refused
      << ",\"shares_lost_throttled\":" << r.shares_lost_throttled << ",\"max_epoch_age_ms\":" << r.max_epoch_age_ms
      << ",\"share_epochs_checked\":" << r.share_epochs_checked
      << ",\"unauthorised_grants\":" << r.unauthorised_grants
      << ",\"byzantine\":" << std::max(r.options.byzantine, 0)
      << ",\"adversary_shares_max\":" << r.adversary_shares_max
      << ",\"forgeries_accepted\":" << r.forgeries_accepted
      << ",\"ops_info\":" << r.ops_info << ",\"ops_failed\":" << r.ops_failed
      << ",\"messages_delivered\":" << r.messages_delivered
      << ",\"timer_firings\":" << r.timer_firings << ",\"inputs_per_instant_max\":" << r.inputs_per_instant_max
      << ",\"liveness_ms\":" << number(r.liveness_ms) << ",\"faults\":{";
  const auto counts = [&out](const std::map<std::string, std::uint64_t>& m) {
    bool first = true;
    for (const auto& [kind, count] : m) {
      out << (first ? "" : ",") << quoted(kind) << ":" << count;
      first = false;
    }
  };
  counts(r.faults);
  out << "},\"adversary\":{";
  counts(r.adversary);
  out << "},\"checks\":{";
  counts(r.checks);
  out << "},\"fault_plan\":" << quoted(r.fault_plan) << ",\"violations\":[";
  bool first = true;
  for (const auto& v : r.violations) {
    out << (first ? "" : ",") << quoted(v);
    first = false;
  }
  char hash[24];
  std::snprintf(hash, sizeof hash, "%016llx", static_cast<unsigned long long>(r.trace_hash));
  out << "],\"trace_hash\":\"" << hash << "\"}";
  return out.str();
}

int exit_code_of(const sim_report& r) {
  if (!r.ok) return 1;
  if (!r.live) return 3;
  return 0;
}

} // namespace pss::sim
