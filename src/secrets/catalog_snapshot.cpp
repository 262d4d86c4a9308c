// The catalog's snapshot format, one visitor (core/fields.hpp) that both
// catalog::snapshot and catalog::restore walk. Older formats stay readable:
// a field added in format N is read only when the snapshot's format is N or
// later. restore then rebuilds what snapshots do not carry (version numbers
// inside their records, commitment digests, the retired dealings' index) and
// checks that every node the snapshot names is a member.
#include "secrets/catalog.hpp"

#include <algorithm>

#include "core/fields.hpp"
#include "crypto/feldman.hpp"
#include "crypto/point.hpp"
#include "crypto/scalar.hpp"

namespace pss::secrets {
namespace {

// 3: rejoins; 4: the access policy; 5: round disputes; 6: shares_lost nonces;
// 7: the retired dealings; 8: the committee change, members removed and
// added, and the next share index; 9: a round's threshold, thresholds raised;
// 10: sealing keys (the members' and a round's), seal keys recorded;
// 11: a reshare round's mask commitments, thresholds lowered
constexpr std::uint32_t snapshot_format = 12;
constexpr std::uint32_t snapshot_format_oldest = 4;

void seal_key_map(auto& io, auto& map) {
  io.map(map, members_max, "more sealing keys than members_max", [&](auto& kv) {
    io.id(kv.first);
    io.convert(kv.second, [](const crypto::box_public_key& k) { return k.bytes(); }, crypto::box_public_key::from_bytes);
  });
}

void ids(auto& io, auto& list) {
  io.list(list, members_max, "more ids than members_max", [&](auto& n) { io.id(n); });
}

// A map from a node to a list, each bounded by members_max.
void per_node(auto& io, auto& map, const char* too_many, auto&& each) {
  io.map(map, members_max, too_many, [&](auto& kv) {
    io.id(kv.first);
    io.list(kv.second, members_max, too_many, each);
  });
}

} // namespace

void fields(auto& io, like<round_secret> auto& m) {
  io.str(m.name, secret_name_bytes_max);
  io.id(m.version);
}

void fields(auto& io, like<round_dispute> auto& m) {
  io.id(m.dealer);
  io.id(m.receiver);
  io.enumeration(m.verdict, dispute_verdict::open, dispute_verdict::receiver_lied, "unknown verdict");
  io.blob(m.revealed, reveal_chunks_max);
  io.raw(m.sum);
  io.raw(m.mask);
}

void fields(auto& io, like<rejoin_record> auto& m) {
  io.list(m.nonces, rejoin_nonces_kept_max, "a snapshot's rejoin keeps too many nonces", [&](auto& x) { io.u64(x); });
  io.bits(m.removed, m.done);
}

void fields(auto& io, like<secret_record> auto& m) {
  io.id(m.latest);
  io.flag(m.deleted);
  io.map(m.versions, versions_kept_max, "too many versions of a secret", [&](auto& kv) {
    io.id(kv.first);
    version_fields(io, kv.second);
  });
}

namespace {

void round_fields(auto& io, auto& s, std::uint32_t format) {
  io.enumeration(s.kind, round_kind::refresh, round_kind::recovery, "a snapshot's round has an unknown kind");
  io.u64(s.id);
  io.id(s.target);
  io.id(s.epoch);
  io.enumeration(s.phase, round_phase::dealing, round_phase::disputing, "a snapshot's round has an unknown phase");
  ids(io, s.participants);
  io.list(s.secrets, secrets_max_decode * versions_kept_max, "a round with too many secrets",
          [&](auto& x) { fields(io, x); });
  per_node(io, s.dealings, "too many dealings", [&](auto& d) { io.raw(d); });
  ids(io, s.dealers);
  io.raw(s.challenge);
  per_node(io, s.responses, "too many responses", [&](auto& a) { fields(io, a); });
  ids(io, s.qualified);
  ids(io, s.receivers);
  ids(io, s.ready);
  if (format < 5) return;
  per_node(io, s.polynomials, "too many polynomials", [&](auto& c) { io.raw(c); });
  io.list(s.disputes, members_max * members_max, "too many disputes", [&](auto& d) { fields(io, d); });
  ids(io, s.convicted);
  ids(io, s.liars);
  if (format >= 9) io.u32(s.threshold);
  if (format >= 10) seal_key_map(io, s.seal_keys);
  if (format >= 11) io.map(s.mask_commitments, members_max, "too many mask commitments", [&](auto& kv) {
    io.id(kv.first);
    io.raw(kv.second);
  });
}

void stats_fields(auto& io, auto& s, std::uint32_t format) {
  io.u64(s.refresh_epochs_committed);
  io.u64(s.rounds_aborted);
  io.u64(s.recoveries);
  io.u64(s.dealers_excluded);
  io.u64(s.rejoins);
  if (format < 5) return;
  io.u64(s.complaints_resolved);
  io.u64(s.dealers_convicted);
  io.u64(s.liars_excluded);
  io.u64(s.disputes_unanswered);
}

} // namespace

void snapshot_fields(auto& io, like<catalog> auto& m, std::uint32_t& format) {
  io.u32(format);
  io.check([&] { return format >= snapshot_format_oldest && format <= snapshot_format; },
           "unknown catalog snapshot format");
  io.id(m.applied_);
  io.nested(m.view_, [](byte_writer& w, const cluster_view& v) { encode(w, v); }, decode_cluster_view);
  io.nested(m.policy_, [](byte_writer& w, const access::policy& p) { p.encode(w); }, access::policy::decode);
  io.nested(m.changes_, [](byte_writer& w, const access::change_ledger& c) { c.encode(w); },
            access::change_ledger::decode);
  io.map(m.secrets_, secrets_max_decode, "a catalog with too many secrets", [&](auto& kv) {
    io.str(kv.first, secret_name_bytes_max);
    fields(io, kv.second);
  });
  io.nested(m.sessions_, [](byte_writer& w, const raft::session_table& t) { t.encode(w); }, raft::session_table::decode);
  io.u64(m.last_round_id_);
  stats_fields(io, m.stats_, format);
  io.map(m.rejoins_, members_max, "a snapshot with more rejoins than members", [&](auto& kv) {
    io.id(kv.first);
    fields(io, kv.second);
  });
  if (format >= 6) {
    io.u64(m.stats_.shares_lost_replayed);
    io.u64(m.stats_.holder_floor_refusals);
    io.map(m.lost_nonces_, members_max, "a snapshot with shares_lost nonces of more nodes than members", [&](auto& kv) {
      io.id(kv.first);
      io.list(kv.second, rejoin_nonces_kept_max, "a snapshot keeps too many shares_lost nonces", [&](auto& x) { io.u64(x); });
    });
  }
  if (format >= 7)
    io.list(m.retired_, retired_dealings_max, "a snapshot with too many retired dealings", [&](auto& r) {
      io.str(r.first, secret_name_bytes_max);
      io.raw(r.second);
    });
  if (format >= 8) {
    io.u64(m.stats_.members_removed);
    io.u64(m.stats_.members_added);
    io.u32(m.next_index_);
    io.optional(m.committee_, [&](auto& c) {
      io.nested(c.change, [](byte_writer& w, const committee_change& x) { encode(w, x); }, decode_committee_change);
      io.enumeration(c.step, committee_step::excluding, committee_step::raising, "a snapshot's committee change has an unknown step");
    });
  }
  if (format >= 9) io.u64(m.stats_.thresholds_raised);
  if (format >= 10) {
    io.u64(m.stats_.seal_keys_recorded);
    io.map(m.seal_keys_, members_max, "more sealing keys than members_max", [&](auto& kv) {
      io.id(kv.first);
      fields(io, kv.second);
    });
  }
  if (format >= 11) {
    io.u64(m.stats_.thresholds_lowered);
    io.flag(m.reshare_backoff_);
  }
  if (format >= 12) {
    io.u64(m.stats_.keys_rotated);
    io.list(m.retired_keys_, retired_keys_max, "a snapshot with too many retired keys", [&](auto& k) {
      io.convert(k.box, [](const crypto::box_public_key& x) { return x.bytes(); }, crypto::box_public_key::from_bytes);
      io.convert(k.sign, [](const crypto::sign_public_key& x) { return x.bytes(); }, crypto::sign_public_key::from_bytes);
    });
  }
  io.optional(m.round_, [&](auto& r) { round_fields(io, r, format); });
}

bytes catalog::snapshot() const {
  byte_writer w;
  field_writer io{w};
  std::uint32_t format = snapshot_format;
  snapshot_fields(io, *this, format);
  return w.take();
}

// What a snapshot implies but does not carry, and the rules that tie its
// parts to its members.
status catalog::derive_after_restore() {
  for (auto& [name, s] : secrets_)
    for (auto& [v, rec] : s.versions) {
      rec.version = v;
      auto decoded = version_commitments(rec, view_.threshold);
      if (!decoded.ok()) return error{errc::malformed, "a snapshot's commitments: " + decoded.err().message()};
      rec.commitments_digest = decoded->digest();
    }
  for (const auto& [name, d] : retired_) retired_index_.emplace(d, name);
  const auto member = [&](node_id n) { return view_.find(n) != nullptr; };
  for (const auto& [n, r] : rejoins_)
    if (!member(n)) return error{errc::malformed, "a snapshot's rejoin names a non-member"};
  for (const auto& [n, nonces] : lost_nonces_)
    if (!member(n)) return error{errc::malformed, "a snapshot's shares_lost names a non-member"};
  if (round_ && !std::all_of(round_->participants.begin(), round_->participants.end(), member))
    return error{errc::malformed, "a snapshot's round names a non-member"};
  for (const auto& [n, a] : seal_keys_)
    if (!member(n) || a.node != n) return error{errc::malformed, "a snapshot's sealing key names a non-member"};
  if (round_ && !std::all_of(round_->seal_keys.begin(), round_->seal_keys.end(), [&](const auto& kv) { return member(kv.first); }))
    return error{errc::malformed, "a snapshot's round fixes a non-member's sealing key"};
  if (round_ && round_->threshold == 0) round_->threshold = view_.threshold; // formats before 9
  if (round_ && round_->threshold != view_.threshold
      && (round_->threshold != new_threshold() || round_->kind != round_kind::refresh))
    return error{errc::malformed, "a snapshot's round deals for neither the view's t nor a recorded change of t"};
  if (round_) {
    const bool each = std::all_of(round_->dealings.begin(), round_->dealings.end(),
                                  [&](const auto& kv) { return round_->mask_commitments.contains(kv.first); });
    const bool matched = round_->reshares(view_) ? each && round_->mask_commitments.size() == round_->dealings.size()
                                                 : round_->mask_commitments.empty();
    if (!matched) return error{errc::malformed, "a snapshot's round does not have one mask commitment per dealing "
                                                "exactly when it reshares"};
    for (const auto& [n, a] : round_->mask_commitments)
      if (!crypto::point::from_bytes({a.data(), a.size()}, crypto::identity_policy::reject).ok())
        return error{errc::malformed, "a snapshot's round has a mask commitment that is not a group element"};
    const std::size_t size = round_->threshold - (round_->reshares(view_) ? 0 : 1);
    for (const auto& [n, poly] : round_->polynomials)
      if (poly.size() != size || !std::all_of(poly.begin(), poly.end(), [](const scalar_bytes& c) {
            return crypto::scalar::from_bytes({c.data(), c.size()}).ok();
          }))
        return error{errc::malformed, "a snapshot's round has a response polynomial of the wrong size or not canonical"};
  }
  for (const auto& x : view_.members) next_index_ = std::max(next_index_, x.index.value() + 1); // formats before 8
  if (leaving() != no_node && !member(leaving())) return error{errc::malformed, "a snapshot's removal names a non-member"};
  if (joining() != no_node && !member(joining()))
    return error{errc::malformed, "a snapshot's new member is not in its view"};
  if (committee_ && committee_->change.kind == committee_change_kind::rotate)
    return error{errc::malformed, "a snapshot records a key rotation as running (a rotation is one entry)"};
  const bool raise = committee_ && committee_->change.kind == committee_change_kind::threshold;
  if (committee_ && (raise != (committee_->step == committee_step::raising)
                     || (raise && (committee_->change.threshold == view_.threshold
                                   || committee_->change.threshold < crypto::threshold_min
                                   || committee_->change.threshold + std::size_t{1} > view_.members.size()))))
    return error{errc::malformed, "a snapshot's new t is not a change of t, or its step does not match its kind"};
  return ok_status();
}

result<catalog> catalog::restore(byte_view data) {
  byte_reader r{data};
  field_reader io{r};
  catalog out;
  std::uint32_t format = 0;
  snapshot_fields(io, out, format);
  PSS_TRY(r.finish("catalog snapshot"));
  PSS_TRY(out.derive_after_restore());
  return out;
}

} // namespace pss::secrets
