#include "secrets/share_store.hpp"

#include <algorithm>
#include <tuple>

#include "core/check.hpp"
#include "core/fields.hpp"
#include "core/planted.hpp"
#include "core/secure.hpp"

namespace pss::secrets {
namespace {

// op_put records (no round id) are still read; new records are op_put_round.
// op_assign moves a client's share from version 0 (dealt, not registered)
// to the version the catalog gave its dealing: the key, then the version.
enum op : std::uint8_t { op_put = 1, op_promote = 2, op_put_round = 3, op_assign = 4 };

// A share as its fixed-size encoding; the temporary is zeroized (secure_bytes).
void write_share(byte_writer& w, const crypto::share& s) { w.raw(crypto::encode_share(s).view()); }
result<crypto::share> read_share(byte_reader& r) {
  const byte_view encoded = r.raw(crypto::share_encoded_bytes);
  if (!r.ok()) return error{errc::corrupt, "a truncated share"};
  return crypto::decode_share(encoded);
}

} // namespace

// The formats of the share journal's records (core/fields.hpp): the kind,
// the key, then what the kind carries.

void fields(auto& io, like<share_key> auto& m) {
  io.str(m.name, secret_name_bytes_max);
  io.id(m.version);
  io.id(m.epoch);
  io.raw(m.commitments_digest);
}

namespace {

// A held share; op_put records (no round id) are still read.
void held_fields(auto& io, auto& h, bool with_round) {
  io.enumeration(h.state, share_state::pending, share_state::live, "a share of unknown state");
  io.duration(h.stored_at);
  if (with_round) io.u64(h.round_id);
  io.nested(h.value, write_share, read_share);
}

// Record buffers are reserved up front so that no reallocation leaves a
// stray copy of share bytes in freed memory; they are zeroized after use.
// The largest record, a put: kind, key (name with its u32 length, version,
// epoch, digest), state, stored_at, round id, share.
constexpr std::size_t record_reserve_bytes =
  1 + (4 + secret_name_bytes_max + 8 + 8 + std::tuple_size_v<digest>) + 1 + 8 + 8 + crypto::share_encoded_bytes;

// One journal record: the kind, the key, then the held share (a put) or
// the version assigned (an assign); a promotion carries the key only.
bytes record_of(std::uint8_t kind, const share_key& key, const held_share* share, secret_version assigned = {}) {
  bytes buffer;
  buffer.reserve(record_reserve_bytes);
  byte_writer w{buffer};
  field_writer io{w};
  w.u8(kind);
  fields(io, key);
  if (share != nullptr) held_fields(io, *share, kind == op_put_round);
  if (kind == op_assign) io.id(assigned);
  PSS_CHECK(buffer.size() <= record_reserve_bytes);
  return w.take();
}

} // namespace

result<std::unique_ptr<share_store>> share_store::open(storage::file_system& fs,
                                                       const std::string& dir,
                                                       const storage::data_dir_identity& identity,
                                                       storage::open_mode mode) {
  auto opened = storage::open_journal(fs, dir, identity, mode);
  if (!opened.ok()) return opened.err();
  auto store = std::make_unique<share_store>(std::move(opened->journal));
  for (const auto& record : opened->records) PSS_TRY(store->replay(record.view()));
  return store;
}

status share_store::replay(byte_view record) {
  byte_reader r{record};
  field_reader io{r};
  const auto kind = r.u8();
  share_key key;
  fields(io, key);
  if (kind == op_put || kind == op_put_round) {
    held_share h;
    held_fields(io, h, kind == op_put_round);
    if (!r.ok()) return error{errc::corrupt, "a share journal record does not parse; recover this node's shares: "
                                                 + r.finish("record").err().message()};
    if (auto old = shares_.find(key); old != shares_.end()) erase_in_memory(old);
    if (h.state == share_state::pending) pending_keys_.insert(key);
    shares_.emplace(key, std::move(h));
    ++mutations_;
  } else if (kind == op_promote) {
    if (auto it = shares_.find(key); it != shares_.end()) mark_live(*it);
  } else if (kind == op_assign) {
    secret_version version;
    io.id(version);
    if (!r.ok() || key.version != secret_version{} || version == secret_version{})
      return error{errc::corrupt, "a share journal assign record does not parse; recover this node's shares"};
    if (auto it = shares_.find(key); it != shares_.end()) rekey(it, version);
  } else {
    return error{errc::corrupt, "a share journal record of unknown kind"};
  }
  return r.finish("share journal record");
}

status share_store::append(std::uint8_t kind, const share_key& key, const held_share* share) {
  bytes record = record_of(kind, key, share);
  auto st = journal_->append(record);
  zeroize(record);
  if (!st.ok()) failed_ = st.err();
  // A promotion needs no sync of its own (see the header): reconcile redoes it.
  if (kind != op_promote) needs_sync_ = true;
  return st;
}

status share_store::append_assign(const share_key& from, secret_version version) {
  auto st = journal_->append(record_of(op_assign, from, nullptr, version));
  if (!st.ok()) failed_ = st.err();
  return st; // like a promotion, never synced on its own: reconcile redoes it
}

status share_store::insert_pending(const share_key& key, held_share h) {
  PSS_CHECK(h.state == share_state::pending);
  PSS_CHECK(!shares_.contains(key));
  if (shares_.size() >= limits_.held_max)
    return error{errc::too_large, "this node's share store is full"};
  PSS_TRY(append(op_put_round, key, &h));
  if (h.owner != share_owner{}) ++pending_by_owner_[h.owner];
  shares_.emplace(key, std::move(h));
  ++mutations_;
  pending_keys_.insert(key);
  return ok_status();
}

void share_store::forget_pending(const share_key& key, const held_share& h) {
  PSS_CHECK(pending_keys_.erase(key) == 1);
  if (h.owner == share_owner{}) return;
  auto it = pending_by_owner_.find(h.owner);
  PSS_CHECK(it != pending_by_owner_.end() && it->second > 0);
  if (--it->second == 0) pending_by_owner_.erase(it);
}

status share_store::store_pending(const share_key& key, const crypto::share& value, millis now, bool sync,
                                  const share_owner& owner) {
  if (failed_) return *failed_;
  if (shares_.contains(key)) return ok_status();
  // The rounds' half stays free: see client_shares_max.
  const bool bounded = !planted::armed(planted::bug::unbounded_pending);
  if (bounded && shares_.size() >= limits_.client_max)
    return error{errc::too_large, "this node's share store is full for clients (half is kept for refresh rounds)"};
  if (bounded && owner != share_owner{}) {
    auto it = pending_by_owner_.find(owner);
    if (it != pending_by_owner_.end() && it->second >= limits_.pending_per_client_max)
      return error{errc::too_large, "this client key holds too many pending shares here; register or let them expire"};
  }
  PSS_TRY(insert_pending(key, held_share{share_state::pending, now, value, 0, owner}));
  return sync ? flush() : ok_status();
}

status share_store::store_round_share(const share_key& key, const crypto::share& value, millis now,
                                      std::uint64_t round_id) {
  PSS_CHECK(round_id != 0);
  if (failed_) return *failed_;
  if (auto it = shares_.find(key); it != shares_.end()) {
    if (it->second.round_id == round_id) return ok_status(); // the same round, again
    erase(it); // another origin's value never stands in for this round's
  }
  return insert_pending(key, held_share{share_state::pending, now, value, round_id});
}

void share_store::mark_live(std::pair<const share_key, held_share>& entry) {
  if (entry.second.state == share_state::pending) forget_pending(entry.first, entry.second);
  entry.second.state = share_state::live;
  ++mutations_;
}

void share_store::erase_in_memory(std::map<share_key, held_share>::iterator it) {
  if (it->second.state == share_state::pending) forget_pending(it->first, it->second);
  shares_.erase(it);
  ++mutations_;
}

namespace {

// Whether a share whose epoch differs from the one the catalog gives its
// version stays. Erasure needs positive evidence, and the catalog can be
// behind the store: after a restart it is restored from a snapshot and the
// entries after it are re-applied one batch at a time, while the store
// already reflects them (seed 5242539 of refresh-faults: three nodes erased
// their live new-epoch shares on reopening and a dozen secrets were lost).
bool other_epoch_share_stays(const catalog& c, epoch_id current, const share_key& key, const held_share& h) {
  if (key.epoch < current) return planted::armed(planted::bug::skip_erasure); // superseded by a committed refresh
  // A newer epoch than the catalog knows. Only applying a commit makes such
  // a share live, so a live one means the catalog is behind.
  if (h.state == share_state::live) return !planted::armed(planted::bug::erase_newer_epoch);
  const auto& round = c.round();
  if (h.round_id == 0) // written before rounds were recorded: keep it while a round of its epoch runs
    return round && round->kind == round_kind::refresh && key.epoch == round->epoch;
  if (round && round->id == h.round_id) return true; // its round still runs
  return h.round_id > c.last_round_id();             // its round is not applied here yet
}

} // namespace

void share_store::erase(std::map<share_key, held_share>::iterator it) {
  erase_in_memory(it);
  needs_rewrite_ = true;
}

void share_store::reconcile(const catalog& c, const std::string* only_name) {
  auto it = only_name ? shares_.lower_bound(share_key{*only_name, {}, {}, {}}) : shares_.begin();
  for (; it != shares_.end();) {
    if (only_name && it->first.name != *only_name) break;
    auto current = it++;
    const secret_record* s = c.find(current->first.name);
    // Erase only on positive evidence: the catalog moves forward only, so a
    // name or version it does not know yet (it may be restored from an older
    // snapshot and not yet re-applied) is left alone.
    if (s == nullptr) continue;
    if (current->first.version == secret_version{} &&
        c.dealing_retired(current->first.name, current->first.commitments_digest)) {
      erase(current); // its version was registered and deleted or dropped since
      continue;
    }
    if (current->first.version == secret_version{}) {
      // A client's share, dealt before its version existed: once the
      // catalog registered its dealing, it moves to that version (and is
      // then reconciled there; the map may place it before `it`).
      auto assigned = assign(*s, current);
      if (assigned != shares_.end()) reconcile_one(c, *s, assigned);
      continue;
    }
    reconcile_one(c, *s, current);
  }
}

std::size_t share_store::erase_unlisted(const catalog& c, node_id self) {
  const bool member = c.view().find(self) != nullptr;
  std::size_t erased = 0;
  for (auto it = shares_.begin(); it != shares_.end();) {
    auto current = it++;
    const share_key& key = current->first;
    if (key.version == secret_version{}) {
      ++erased;
      erase(current);
      continue;
    }
    auto rec = c.lookup(key.name, key.version);
    // A round that began before the removal was recorded may still make
    // this node a holder of its new epoch: its share waits for that end.
    const bool newer = rec.ok() && key.epoch > rec->epoch;
    const bool listed = member && rec.ok() && rec->commitments_digest == key.commitments_digest
                        && rec->epoch == key.epoch
                        && std::find(rec->holders.begin(), rec->holders.end(), self) != rec->holders.end();
    if (listed || (member && newer)) continue;
    erase(current);
    ++erased;
  }
  return erased;
}

std::map<share_key, held_share>::iterator share_store::assign(const secret_record& s,
                                                              std::map<share_key, held_share>::iterator it) {
  PSS_CHECK(it->first.version == secret_version{});
  for (const auto& [number, kept] : s.versions) {
    if (kept.commitments_digest != it->first.commitments_digest) continue;
    if (shares_.contains(share_key{it->first.name, number, it->first.epoch, it->first.commitments_digest})) {
      // A late copy of a store already assigned: the same share (one per
      // index and dealing), so dropping it erases nothing secret.
      erase_in_memory(it);
      return shares_.end();
    }
    share_key from = it->first;
    (void)append_assign(from, number);
    return rekey(it, number);
  }
  return shares_.end(); // not registered (yet): garbage collection decides
}

std::map<share_key, held_share>::iterator share_store::rekey(std::map<share_key, held_share>::iterator it,
                                                             secret_version version) {
  PSS_CHECK(version != secret_version{});
  share_key to = it->first;
  to.version = version;
  held_share moved = std::move(it->second);
  erase_in_memory(it);
  if (auto old = shares_.find(to); old != shares_.end()) erase_in_memory(old);
  if (moved.state == share_state::pending) {
    pending_keys_.insert(to);
    if (moved.owner != share_owner{}) ++pending_by_owner_[moved.owner];
  }
  ++mutations_;
  return shares_.emplace(to, std::move(moved)).first;
}

void share_store::reconcile_one(const catalog& c, const secret_record& s,
                                std::map<share_key, held_share>::iterator current) {
  const share_key& key = current->first;
  if (s.deleted && key.version <= s.latest) {
    if (!planted::armed(planted::bug::delete_keeps_shares)) erase(current);
    return;
  }
  if (key.version > s.latest) return; // not registered yet
  auto v = s.versions.find(key.version);
  if (v != s.versions.end() && v->second.commitments_digest == key.commitments_digest
      && v->second.epoch != key.epoch) {
    if (!other_epoch_share_stays(c, v->second.epoch, key, current->second))
      erase(current); // an old epoch, or an aborted round's
    return;
  }
  if (v == s.versions.end() || v->second.commitments_digest != key.commitments_digest) {
    erase(current); // dropped, or another dealing of this version won
    return;
  }
  if (current->second.state == share_state::pending) {
    mark_live(*current);
    (void)append(op_promote, key, nullptr);
  }
}

// Walks the pending shares only (bounded by the store's limits), not every
// share held: a node holding a million live shares collects in O(pending).
void share_store::collect_garbage(const catalog& c, millis now, millis lifetime) {
  for (auto it = pending_keys_.begin(); it != pending_keys_.end();) {
    const share_key& key = *it++;
    auto current = shares_.find(key);
    PSS_CHECK(current != shares_.end() && current->second.state == share_state::pending);
    if (current->second.stored_at + lifetime >= now) continue;
    // A version-0 share whose dealing is registered is assigned at the next
    // reconcile of its name, never collected.
    const secret_record* s = c.find(key.name);
    bool registered = s != nullptr && s->versions.contains(key.version);
    if (s != nullptr && key.version == secret_version{})
      for (const auto& [number, kept] : s->versions) registered |= kept.commitments_digest == key.commitments_digest;
    if (!registered) erase(current); // leaves pending_keys_: `it` already moved past it
  }
}

status share_store::flush() {
  if (failed_) return *failed_;
  if (needs_rewrite_) {
    std::vector<bytes> records;
    records.reserve(shares_.size());
    for (const auto& [key, h] : shares_) records.push_back(record_of(op_put_round, key, &h));
    std::vector<byte_view> views(records.begin(), records.end());
    auto st = journal_->rewrite(views);
    for (auto& r : records) zeroize(r);
    if (!st.ok()) {
      failed_ = st.err();
      return st;
    }
    needs_rewrite_ = false;
    needs_sync_ = false;
    return ok_status();
  }
  if (needs_sync_) {
    auto st = journal_->sync();
    if (!st.ok()) {
      failed_ = st.err();
      return st;
    }
    needs_sync_ = false;
  }
  return ok_status();
}

bool share_store::has_pending() const noexcept {
  return !pending_keys_.empty();
}

const held_share* share_store::find_live(const std::string& name, secret_version version, epoch_id epoch,
                                         const digest& d) const {
  auto it = shares_.find(share_key{name, version, epoch, d});
  return it != shares_.end() && it->second.state == share_state::live ? &it->second : nullptr;
}

bool share_store::holds_live_from(const std::string& name, secret_version version, epoch_id epoch,
                                  const digest& d) const {
  for (auto it = shares_.lower_bound(share_key{name, version, epoch, digest{}});
       it != shares_.end() && it->first.name == name && it->first.version == version; ++it)
    if (it->first.commitments_digest == d && it->second.state == share_state::live) return true;
  return false;
}

std::vector<share_info> share_store::inventory() const {
  std::vector<share_info> out;
  for (const auto& [key, h] : shares_) out.push_back(share_info{key, h.state});
  return out;
}

std::optional<crypto::share> share_store::share_value(const share_key& key) const {
  auto it = shares_.find(key);
  if (it == shares_.end()) return std::nullopt;
  return it->second.value;
}

std::optional<crypto::share> share_store::dealing_value(const std::string& name, epoch_id epoch,
                                                       const digest& d) const {
  for (auto it = shares_.lower_bound(share_key{name, {}, {}, {}}); it != shares_.end() && it->first.name == name; ++it)
    if (it->first.epoch == epoch && it->first.commitments_digest == d) return it->second.value;
  return std::nullopt;
}

} // namespace pss::secrets
