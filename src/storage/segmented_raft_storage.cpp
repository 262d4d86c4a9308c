#include "storage/segmented_raft_storage.hpp"

#include <algorithm>
#include <array>
#include <optional>

#include "storage/crc32c.hpp"
#include "storage/raft_files.hpp"
#include "storage/record_file.hpp"

namespace pss::storage {

using namespace raft_files;

namespace {

// One log segment as the storage tracks it in memory.
struct segment {
  std::string path;
  log_index first;
  std::vector<std::uint64_t> offsets; // the record offset of each entry
  std::vector<term_id> terms;         // each entry's term
  std::uint64_t end = file_header_bytes; // where the next record goes (buffered ones included)

  [[nodiscard]] log_index next() const noexcept {
    return log_index{first.value() + offsets.size()};
  }
  [[nodiscard]] bool holds(log_index i) const noexcept {
    return i >= first && i < next();
  }
};

class segmented_raft_storage final : public raft_storage {
public:
  segmented_raft_storage(file_system& fs, std::string dir, const log_options& options)
    : fs_(fs), dir_(std::move(dir)), options_(options) {}

  // Reads and repairs everything on disk; fills `out`.
  status load(recovered_raft_state& out);

  status append(std::span<const raft::entry> entries) override;
  status truncate_suffix(log_index from) override;
  status sync() override;
  status save_hard_state(const raft::hard_state& hs) override;
  status save_commit(const raft::hard_state& hs) override;
  status save_snapshot(const raft::snapshot_meta& meta, byte_view data) override;
  status compact(log_index up_to) override;
  result<bytes> read_snapshot() override;
  log_index last_index() const override { return segments_.back().next().prev(); }
  std::optional<entry_location> locate(log_index i) const override;
  std::string snapshot_path() const override { return path_of(snapshot_file_name); }
  std::string hard_state_path() const override { return path_of(hard_state_file_name); }

private:
  std::string path_of(std::string_view name) const { return join_path(dir_, name); }
  status failed(error err) {
    failed_ = err;
    return err;
  }
  status check_usable() const {
    if (failed_) return error{failed_->code(), "storage stopped after an earlier failure: "
                                                 + failed_->message()};
    return {};
  }

  status load_hard_state(recovered_raft_state& out);
  status load_snapshot();
  status load_segments(recovered_raft_state& out);
  status read_segment(segment& seg, bool last, recovered_raft_state& out,
                      std::optional<std::uint64_t>& repair_at);
  status open_active(std::optional<std::uint64_t> repair_at);
  std::optional<term_id> term_at(log_index i) const;
  term_id last_term() const;
  status start_segment(log_index first);
  status reset_log(log_index next);
  status remove_segments_before(std::size_t keep_from);

  file_system& fs_;
  std::string dir_;
  log_options options_;
  raft::snapshot_meta snapshot_;
  // The sequence of the last hard state made durable. Every write, synced
  // or not, goes to the other slot (sequence + 1), so the last durable
  // record is never overwritten before a newer one is durable.
  std::uint64_t hard_state_sequence_ = 0;
  raft::hard_state durable_hard_;
  std::unique_ptr<file> hard_state_file_;
  std::vector<segment> segments_; // never empty once loaded; the last is active
  std::unique_ptr<record_writer> active_;
  std::optional<error> failed_;
};

status segmented_raft_storage::load(recovered_raft_state& out) {
  PSS_TRY(load_hard_state(out));
  PSS_TRY(load_snapshot());
  out.snapshot = snapshot_;
  PSS_TRY(load_segments(out));
  const log_index durable_end = std::max(snapshot_.last_index, last_index());
  if (out.hard_state.commit > durable_end)
    return error{errc::corrupt,
                 path_of(hard_state_file_name) + " says entry "
                   + std::to_string(out.hard_state.commit.value())
                   + " is committed, but the log and snapshot end at "
                   + std::to_string(durable_end.value())
                   + ": acknowledged entries were lost. Move the data directory aside and let "
                     "this node rejoin as a new member"};
  return {};
}

std::optional<entry_location> segmented_raft_storage::locate(log_index i) const {
  for (const auto& seg : segments_) {
    if (!seg.holds(i)) continue;
    const std::size_t k = i.value() - seg.first.value();
    return entry_location{seg.path, seg.offsets[k], k + 1 < seg.offsets.size() ? seg.offsets[k + 1] : seg.end};
  }
  return std::nullopt;
}

status segmented_raft_storage::load_hard_state(recovered_raft_state& out) {
  const std::string path = path_of(hard_state_file_name);
  auto data = fs_.read_file(path, 2 * hard_state_slot_bytes);
  if (!data) {
    if (data.err().code() == errc::not_found)
      return error{errc::corrupt, path + " is missing although the directory has an identity: "
                                         "the term and vote are lost. Move the data directory "
                                         "aside and let this node rejoin as a new member"};
    return data.err();
  }
  std::vector<std::uint64_t> damaged;
  const auto best = newest_slot(byte_view{*data}, &damaged);
  for (auto slot : damaged)
    out.warnings.push_back("ignored damaged slot " + std::to_string(slot) + " of " + path
                           + " (a hard state write torn by a crash); using the other slot");
  if (!best)
    return error{errc::corrupt, path + " has no intact slot: the term and vote are lost. Move "
                                       "the data directory aside and let this node rejoin as a "
                                       "new member"};
  hard_state_sequence_ = best->sequence;
  durable_hard_ = best->state;
  out.hard_state = best->state;
  auto opened = fs_.open_file(path, open_flags::existing);
  if (!opened) return opened.err();
  hard_state_file_ = std::move(*opened);
  // The newest slot may hold a commit saved without a sync (save_commit),
  // read back from the page cache: sync it, so the next write, which goes
  // to the other slot, never risks the only record of the term and vote.
  if (auto st = hard_state_file_->sync(); !st) return st.err();
  return {};
}

status segmented_raft_storage::load_snapshot() {
  const std::string path = path_of(snapshot_file_name);
  auto data = fs_.read_file(path, snapshot_bytes_max);
  if (!data) {
    if (data.err().code() == errc::not_found) return {}; // no snapshot yet
    return data.err();
  }
  auto decoded = decode_snapshot_file(*data, path);
  if (!decoded) return decoded.err();
  snapshot_ = decoded->meta;
  return {};
}

// Reads one segment: its entries after the snapshot go to out.entries, and
// damage found at its tail to out.warnings (and repair_at, for the last one).
status segmented_raft_storage::read_segment(segment& seg, bool last, recovered_raft_state& out,
                                            std::optional<std::uint64_t>& repair_at) {
  auto data = fs_.read_file(seg.path, record_file_bytes_max);
  if (!data) return data.err();
  auto scanned = scan_record_file(*data, seg.path, record_file_kind::log_segment, last);
  if (!scanned) return scanned.err();
  if (scanned->base != seg.first.value())
    return error{errc::corrupt, seg.path + " says its first entry is "
                                  + std::to_string(scanned->base)
                                  + ", which does not match its name; the file was renamed "
                                    "by hand. Restore its name or move the directory aside"};
  if (scanned->warning) out.warnings.push_back(*scanned->warning);
  for (const auto& rec : scanned->records) {
    byte_reader in{rec.payload};
    raft::entry e = raft::decode_entry(in);
    const auto where = seg.path + " at offset " + std::to_string(rec.offset);
    if (auto st = in.finish("log entry"); !st)
      return error{errc::corrupt, where + " holds a record that passes its checksum but is "
                                          "not a log entry (" + st.err().message()
                                    + "); a bug or a foreign writer. Keep the directory for "
                                      "inspection and let this node rejoin as a new member"};
    if (e.index != seg.next())
      return error{errc::corrupt, where + " holds entry " + std::to_string(e.index.value())
                                    + " where entry " + std::to_string(seg.next().value())
                                    + " belongs; keep the directory for inspection and let "
                                      "this node rejoin as a new member"};
    seg.offsets.push_back(rec.offset);
    seg.terms.push_back(e.term);
    if (e.index > snapshot_.last_index) out.entries.push_back(std::move(e));
  }
  seg.end = scanned->end;
  // Only the last segment is appended to. An earlier one with a damaged
  // tail is cut when truncate_suffix makes it the last again.
  if (scanned->needs_repair && last) repair_at = scanned->end;
  return {};
}

status segmented_raft_storage::load_segments(recovered_raft_state& out) {
  auto names = fs_.list_directory(dir_);
  if (!names) return names.err();
  std::vector<segment> found;
  for (const auto& name : *names) {
    if (auto first = parse_segment_name(name)) // names sort in index order
      found.push_back(segment{path_of(name), *first, {}, {}, file_header_bytes});
  }
  // The log after the snapshot starts in the last segment that begins at or
  // before snapshot+1. Segments before it hold only entries the snapshot
  // covers (an interrupted compaction), or a log that an interrupted
  // snapshot install discarded; they are removed unread.
  const log_index snap = snapshot_.last_index;
  std::size_t start = found.size();
  for (std::size_t i = found.size(); i-- > 0;) {
    if (found[i].first <= snap.next()) {
      start = i;
      break;
    }
  }
  if (start == found.size())
    return error{errc::corrupt,
                 found.empty()
                   ? "data directory " + dir_ + " has an identity but no log segment: the log "
                                                "was removed. Move the directory aside and let "
                                                "this node rejoin as a new member"
                   : "the log in " + dir_ + " starts at entry "
                       + std::to_string(found.front().first.value())
                       + " but the snapshot ends at " + std::to_string(snap.value())
                       + ": entries in between are missing. Let this node rejoin as a new "
                         "member"};
  std::optional<std::uint64_t> repair_last;
  for (std::size_t i = start; i < found.size(); ++i) {
    PSS_TRY(read_segment(found[i], i + 1 == found.size(), out, repair_last));
    if (i > start && found[i].first != found[i - 1].next())
      return error{errc::corrupt, found[i - 1].path + " ends before entry "
                                    + std::to_string(found[i - 1].next().value()) + " but "
                                    + found[i].path + " starts at entry "
                                    + std::to_string(found[i].first.value())
                                    + ": entries are missing or duplicated. Keep the directory "
                                      "for inspection and let this node rejoin as a new member"};
  }
  term_id previous_term = snapshot_.last_term;
  for (const auto& e : out.entries) {
    if (e.term < previous_term)
      return error{errc::corrupt, "entry " + std::to_string(e.index.value()) + " in " + dir_
                                    + " has a lower term than the entry or snapshot before it; "
                                      "keep the directory for inspection and let this node "
                                      "rejoin as a new member"};
    previous_term = e.term;
  }
  segments_ = std::move(found);

  PSS_TRY(remove_segments_before(start));
  PSS_TRY(open_active(repair_last));

  // Raft §7: a log that does not hold the snapshot's last entry with the
  // same term was being replaced when the node crashed; finish that.
  if (snap > log_index{0}) {
    const auto t = term_at(snap);
    const bool log_behind = last_index() < snap;
    const bool conflicts = t.has_value() && *t != snapshot_.last_term;
    if (log_behind || conflicts) {
      if (conflicts)
        out.warnings.push_back("discarded the log in " + dir_
                               + " because it conflicts with the snapshot at entry "
                               + std::to_string(snap.value())
                               + " (a snapshot install interrupted by a crash)");
      out.entries.clear();
      PSS_TRY(reset_log(snap.next()));
    }
  }
  return {};
}

status segmented_raft_storage::open_active(std::optional<std::uint64_t> repair_at) {
  auto& seg = segments_.back();
  auto opened = fs_.open_file(seg.path, open_flags::existing);
  if (!opened) return opened.err();
  active_ = std::make_unique<record_writer>(std::move(*opened), seg.end, options_.segment_bytes,
                                            false);
  if (repair_at) return active_->truncate(*repair_at);
  return {};
}

std::optional<term_id> segmented_raft_storage::term_at(log_index i) const {
  // Newest first: the callers ask about the end of the log.
  for (auto seg = segments_.rbegin(); seg != segments_.rend(); ++seg)
    if (seg->holds(i)) return seg->terms[i.value() - seg->first.value()];
  // The snapshot answers for its last entry when the log no longer holds it.
  if (i == snapshot_.last_index && i > log_index{0}) return snapshot_.last_term;
  return std::nullopt;
}

term_id segmented_raft_storage::last_term() const {
  const log_index last = last_index();
  if (last == log_index{0}) return term_id{0};
  const auto t = term_at(last);
  PSS_CHECK_MSG(t.has_value(), "the last entry is in the log or the snapshot");
  return *t;
}

status segmented_raft_storage::start_segment(log_index first) {
  segment seg;
  seg.path = path_of(segment_file_name(first));
  seg.first = first;
  auto writer = create_record_file(fs_, seg.path, record_file_kind::log_segment, first.value(),
                                   options_.segment_bytes, false);
  if (!writer) return writer.err();
  segments_.push_back(std::move(seg));
  active_ = std::move(*writer);
  return {};
}

status segmented_raft_storage::remove_segments_before(std::size_t keep_from) {
  if (keep_from == 0) return {};
  // Oldest first, so a crash part-way leaves a contiguous suffix.
  for (std::size_t i = 0; i < keep_from; ++i) PSS_TRY(fs_.remove(segments_[i].path));
  segments_.erase(segments_.begin(), segments_.begin() + static_cast<std::ptrdiff_t>(keep_from));
  return fs_.sync_directory(dir_);
}

status segmented_raft_storage::reset_log(log_index next) {
  // The new, empty segment is made durable before the old ones go; a crash in
  // between is finished at the next open (see load_segments).
  active_.reset();
  PSS_TRY(start_segment(next));
  const std::string fresh = segments_.back().path;
  bool removed = false;
  for (std::size_t i = 0; i + 1 < segments_.size(); ++i) {
    if (segments_[i].path == fresh) continue; // already replaced by the rename
    PSS_TRY(fs_.remove(segments_[i].path));
    removed = true;
  }
  segments_.erase(segments_.begin(), segments_.end() - 1);
  if (removed) return fs_.sync_directory(dir_);
  return {};
}

status segmented_raft_storage::append(std::span<const raft::entry> entries) {
  PSS_TRY(check_usable());
  log_index expected = last_index().next();
  term_id term = last_term();
  for (const auto& e : entries) {
    if (e.index != expected)
      return error{errc::invalid_argument, "append of entry " + std::to_string(e.index.value())
                                             + " where entry " + std::to_string(expected.value())
                                             + " must come next (entries must be contiguous)"};
    if (e.term < term)
      return error{errc::invalid_argument, "append of entry " + std::to_string(e.index.value())
                                             + " with a term lower than the entry before it"};
    if (e.data.size() > raft::entry_data_bytes_max)
      return error{errc::too_large, "entry " + std::to_string(e.index.value()) + " has "
                                      + std::to_string(e.data.size())
                                      + " bytes of data, above the limit of "
                                      + std::to_string(raft::entry_data_bytes_max)};
    expected = expected.next();
    term = e.term;
  }
  bytes payload;
  for (const auto& e : entries) {
    payload.clear();
    byte_writer w{payload};
    raft::encode(w, e);
    auto* seg = &segments_.back();
    if (!seg->offsets.empty()
        && active_->end() + record_bytes(payload.size()) > options_.segment_bytes) {
      // Roll over. The full segment is synced first, so only the last
      // segment can ever hold an unsynced (torn) batch.
      if (auto st = active_->sync(); !st) return failed(st.err());
      seg->end = active_->end();
      if (auto st = start_segment(e.index); !st) return failed(st.err());
      seg = &segments_.back();
    }
    seg->offsets.push_back(active_->add(payload));
    seg->terms.push_back(e.term);
    seg->end = active_->end();
  }
  return {};
}

status segmented_raft_storage::sync() {
  PSS_TRY(check_usable());
  if (auto st = active_->sync(); !st) return failed(st.err());
  segments_.back().end = active_->end();
  return {};
}

status segmented_raft_storage::truncate_suffix(log_index from) {
  PSS_TRY(check_usable());
  if (from <= snapshot_.last_index || from > last_index().next())
    return error{errc::invalid_argument,
                 "truncate_suffix from entry " + std::to_string(from.value())
                   + " is outside the log after the snapshot ("
                   + std::to_string(snapshot_.last_index.value() + 1) + ".."
                   + std::to_string(last_index().value() + 1) + ")"};
  if (from == last_index().next()) return {};
  std::size_t k = segments_.size() - 1;
  while (segments_[k].first > from) --k;
  if (k + 1 < segments_.size()) {
    // Newest first, so a crash part-way leaves a contiguous log.
    active_.reset();
    for (std::size_t j = segments_.size(); j-- > k + 1;)
      if (auto st = fs_.remove(segments_[j].path); !st) return failed(st.err());
    segments_.resize(k + 1);
    if (auto st = fs_.sync_directory(dir_); !st) return failed(st.err());
    if (auto st = open_active(std::nullopt); !st) return failed(st.err());
  }
  auto& seg = segments_.back();
  const std::size_t keep = from.value() - seg.first.value();
  const std::uint64_t cut = keep < seg.offsets.size() ? seg.offsets[keep] : active_->end();
  if (auto st = active_->truncate(cut); !st) return failed(st.err());
  seg.offsets.resize(keep);
  seg.terms.resize(keep);
  seg.end = active_->end();
  return {};
}

status segmented_raft_storage::save_hard_state(const raft::hard_state& hs) {
  PSS_TRY(check_usable());
  const std::uint64_t sequence = hard_state_sequence_ + 1;
  const bytes slot = encode_hard_state_slot(sequence, hs);
  if (auto st = hard_state_file_->write_at((sequence % 2) * hard_state_slot_bytes, slot); !st)
    return failed(st.err());
  if (auto st = hard_state_file_->sync(); !st) return failed(st.err());
  hard_state_sequence_ = sequence;
  durable_hard_ = hs;
  return {};
}

status segmented_raft_storage::save_commit(const raft::hard_state& hs) {
  PSS_TRY(check_usable());
  PSS_CHECK(hs.term == durable_hard_.term && hs.vote == durable_hard_.vote);
  PSS_CHECK(hs.commit >= durable_hard_.commit);
  const std::uint64_t sequence = hard_state_sequence_ + 1;
  const bytes slot = encode_hard_state_slot(sequence, hs);
  if (auto st = hard_state_file_->write_at((sequence % 2) * hard_state_slot_bytes, slot); !st)
    return failed(st.err());
  return {};
}

status segmented_raft_storage::save_snapshot(const raft::snapshot_meta& meta, byte_view data) {
  PSS_TRY(check_usable());
  if (meta.last_index == log_index{0})
    return error{errc::invalid_argument, "a snapshot must cover at least entry 1"};
  if (meta.last_index < snapshot_.last_index)
    return error{errc::conflict, "snapshot at entry " + std::to_string(meta.last_index.value())
                                   + " is older than the stored one at entry "
                                   + std::to_string(snapshot_.last_index.value())
                                   + "; a stale snapshot is ignored"};
  const bytes file = encode_snapshot_file(meta, data);
  if (file.size() > snapshot_bytes_max)
    return error{errc::too_large, "snapshot of " + std::to_string(file.size())
                                    + " bytes is above the limit of "
                                    + std::to_string(snapshot_bytes_max)};
  if (auto st = write_file_atomically(fs_, path_of(snapshot_file_name), file); !st)
    return failed(st.err());
  const auto held = term_at(meta.last_index);
  const bool log_holds_it = held.has_value() && *held == meta.last_term
                            && meta.last_index <= last_index();
  snapshot_ = meta;
  if (!log_holds_it) {
    if (auto st = reset_log(meta.last_index.next()); !st) return failed(st.err());
  }
  return {};
}

status segmented_raft_storage::compact(log_index up_to) {
  PSS_TRY(check_usable());
  if (up_to > snapshot_.last_index)
    return error{errc::invalid_argument, "compact up to entry " + std::to_string(up_to.value())
                                           + " is beyond the snapshot at entry "
                                           + std::to_string(snapshot_.last_index.value())};
  std::size_t keep_from = 0;
  while (keep_from + 1 < segments_.size() && segments_[keep_from].next() <= up_to.next())
    ++keep_from;
  if (auto st = remove_segments_before(keep_from); !st) return failed(st.err());
  return {};
}

result<bytes> segmented_raft_storage::read_snapshot() {
  PSS_TRY(check_usable());
  const std::string path = path_of(snapshot_file_name);
  auto file = fs_.read_file(path, snapshot_bytes_max);
  if (!file) {
    if (file.err().code() == errc::not_found && snapshot_.last_index == log_index{0})
      return bytes{};
    return file.err();
  }
  auto decoded = decode_snapshot_file(*file, path);
  if (!decoded) return decoded.err();
  if (decoded->meta != snapshot_)
    return error{errc::corrupt, path + " changed underneath the running node; restart it"};
  return bytes(decoded->data.begin(), decoded->data.end());
}

// The files of an empty log: both hard-state slots, and the first segment.
status create_initial_files(file_system& fs, const std::string& dir,
                            const log_options& options) {
  bytes hard_state_file(2 * hard_state_slot_bytes, 0);
  // Sequence n lives in slot n % 2, so the first write (sequence 2) goes to
  // the other slot and a torn one leaves this one.
  const bytes first_slot = encode_hard_state_slot(1, raft::hard_state{});
  std::copy(first_slot.begin(), first_slot.end(),
            hard_state_file.begin() + static_cast<std::ptrdiff_t>(hard_state_slot_bytes));
  PSS_TRY(write_file_atomically(fs, join_path(dir, hard_state_file_name), hard_state_file));
  auto segment = create_record_file(fs, join_path(dir, segment_file_name(log_index{1})),
                                    record_file_kind::log_segment, 1, options.segment_bytes,
                                    false);
  if (!segment) return segment.err();
  return {};
}

} // namespace

std::optional<raft::hard_state> newest_hard_state(byte_view file) {
  auto slot = newest_slot(file, nullptr);
  if (!slot) return std::nullopt;
  return slot->state;
}

std::string segment_file_name(log_index first) {
  std::string digits = std::to_string(first.value());
  return std::string{segment_prefix} + std::string(segment_index_digits - digits.size(), '0')
         + digits + std::string{segment_suffix};
}

result<opened_raft_storage> open_raft_storage(file_system& fs, const std::string& dir,
                                              const data_dir_identity& identity, open_mode mode,
                                              const log_options& options) {
  if (options.segment_bytes < segment_bytes_min || options.segment_bytes > segment_bytes_max)
    return error{errc::invalid_argument, "segment size " + std::to_string(options.segment_bytes)
                                           + " is outside " + std::to_string(segment_bytes_min)
                                           + ".." + std::to_string(segment_bytes_max)};
  opened_raft_storage out;
  auto initialised =
    open_data_dir(fs, dir, identity, mode, is_known_file,
                  [&] { return create_initial_files(fs, dir, options); }, out.state.warnings);
  if (!initialised) return initialised.err();
  out.initialised = *initialised;
  auto storage = std::make_unique<segmented_raft_storage>(fs, dir, options);
  PSS_TRY(storage->load(out.state));
  out.storage = std::move(storage);
  return out;
}

} // namespace pss::storage
