#include "access/policy.hpp"

#include <algorithm>

#include "core/check.hpp"
#include "core/fields.hpp"

namespace pss::access {
namespace {

bool grant_matches(const grant& g, right r, std::string_view name) {
  if (!g.granted.has(r)) return false;
  if (is_cluster_wide(r)) return g.pattern == "*";
  return pattern_matches(g.pattern, name);
}

status check_label(std::string_view label) {
  if (label.size() > label_bytes_max)
    return error{errc::invalid_argument, "a grant's label is at most " + std::to_string(label_bytes_max) + " bytes"};
  for (char c : label)
    if (c < 0x20 || c > 0x7e) return error{errc::invalid_argument, "a grant's label may hold only printable ASCII"};
  return ok_status();
}

status check_grant_fields(const std::string& pattern, rights granted, std::string_view label) {
  PSS_TRY(check_pattern(pattern));
  PSS_TRY(check_label(label));
  if (granted.empty()) return error{errc::invalid_argument, "a grant must give at least one right"};
  if (pattern != "*" && (granted.has(right::refresh) || granted.has(right::admin)))
    return error{errc::invalid_argument, "refresh and admin concern the whole cluster: grant them with the pattern '*'"};
  return ok_status();
}

} // namespace

// The policy's format (core/fields.hpp); the grants' is in the header.

void fields(auto& io, like<policy> auto& m) {
  io.u64(m.next_id_);
  io.u64(m.clock_floor_);
  io.list(m.grants_, grants_max, "policy: more grants than grants_max", [&](auto& g) { fields(io, g); });
  io.check([&] { return m.check_decoded(); }, "policy");
}

void encode_grant_request(byte_writer& w, const grant_request& g) { write_fields(w, g); }

result<grant_request> decode_grant_request(byte_reader& r) {
  auto g = read_fields<grant_request>(r);
  if (!r.ok()) return r.finish("grant").err();
  return g;
}

void encode_grant(byte_writer& w, const grant& g) { write_fields(w, g); }

result<grant> decode_grant(byte_reader& r) {
  auto g = read_fields<grant>(r);
  if (!r.ok()) return r.finish("policy grant").err();
  return g;
}

policy policy::bootstrap(const crypto::sign_public_key& admin) {
  policy p;
  auto all = rights::from_mask(all_rights_mask);
  p.grants_.push_back(grant{1, admin, "*", *all, never_expires, "bootstrap admin"});
  p.next_id_ = 2;
  p.check_invariants();
  return p;
}

bool policy::allows(const crypto::sign_public_key& key, right r, std::string_view name, unix_ms now) const {
  const unix_ms t = judge_time(now);
  return std::any_of(grants_.begin(), grants_.end(), [&](const grant& g) {
    return g.key == key && (g.expires_at == never_expires || t < g.expires_at) && grant_matches(g, r, name);
  });
}

const crypto::sign_public_key* policy::known_key(byte_view raw, unix_ms now) const {
  const unix_ms t = judge_time(now);
  for (const auto& g : grants_)
    if ((g.expires_at == never_expires || t < g.expires_at) && std::ranges::equal(g.key.bytes(), raw)) return &g.key;
  return nullptr;
}

bool policy::allows_some(const crypto::sign_public_key& key, right r, unix_ms now) const {
  const unix_ms t = judge_time(now);
  return std::any_of(grants_.begin(), grants_.end(), [&](const grant& g) {
    return g.key == key && (g.expires_at == never_expires || t < g.expires_at) && g.granted.has(r);
  });
}

bool policy::has_lasting_admin() const {
  return std::any_of(grants_.begin(), grants_.end(), [](const grant& g) {
    return g.expires_at == never_expires && grant_matches(g, right::admin, "");
  });
}

result<std::uint64_t> policy::apply_grant(const crypto::sign_public_key& by, const grant_request& req, unix_ms now) {
  if (!allows(by, right::admin, "", now)) return error{errc::unauthorized, "the key that signed this change is not an admin"};
  PSS_TRY(check_grant_fields(req.pattern, req.granted, req.label));
  const unix_ms t = judge_time(now);
  if (req.expires_at != never_expires && req.expires_at <= t)
    return error{errc::invalid_argument, "the grant's expiry is already past"};
  if (grants_.size() >= grants_max)
    return error{errc::conflict, "the policy holds " + std::to_string(grants_max) + " grants; revoke some first"};
  clock_floor_ = t;
  grants_.push_back(grant{next_id_, req.key, req.pattern, req.granted, req.expires_at, req.label});
  ++next_id_;
  check_invariants();
  return grants_.back().id;
}

status policy::apply_revoke(const crypto::sign_public_key& by, std::uint64_t grant_id, unix_ms now) {
  if (!allows(by, right::admin, "", now)) return error{errc::unauthorized, "the key that signed this change is not an admin"};
  auto it = std::find_if(grants_.begin(), grants_.end(), [&](const grant& g) { return g.id == grant_id; });
  if (it == grants_.end()) return error{errc::not_found, "no grant has id " + std::to_string(grant_id)};
  grant removed = *it;
  grants_.erase(it);
  if (!has_lasting_admin()) {
    grants_.insert(std::lower_bound(grants_.begin(), grants_.end(), removed,
                                    [](const grant& a, const grant& b) { return a.id < b.id; }),
                   std::move(removed));
    return error{errc::conflict, "revoking grant " + std::to_string(grant_id)
                                     + " would lock out the last admin; grant another admin (pattern *, no expiry) first"};
  }
  clock_floor_ = judge_time(now);
  check_invariants();
  return ok_status();
}

void policy::check_invariants() const {
  PSS_CHECK(grants_.size() <= grants_max);
  PSS_CHECK(has_lasting_admin());
  std::uint64_t previous = 0;
  for (const auto& g : grants_) {
    PSS_CHECK(g.id > previous && g.id < next_id_);
    PSS_CHECK(check_grant_fields(g.pattern, g.granted, g.label).ok());
    previous = g.id;
  }
}

status policy::check_decoded() const {
  if (grants_.empty()) return error{errc::malformed, "no grant"};
  std::uint64_t previous = 0;
  for (const auto& g : grants_) {
    if (g.id <= previous || g.id >= next_id_ || !check_grant_fields(g.pattern, g.granted, g.label).ok())
      return error{errc::malformed, "grant " + std::to_string(g.id) + " is out of order or invalid"};
    previous = g.id;
  }
  if (!has_lasting_admin()) return error{errc::malformed, "no admin grant that never expires"};
  return ok_status();
}

void policy::encode(byte_writer& w) const { write_fields(w, *this); }

result<policy> policy::decode(byte_reader& r) {
  auto p = read_fields<policy>(r);
  if (!r.ok()) return r.finish("policy").err();
  return p;
}

} // namespace pss::access
