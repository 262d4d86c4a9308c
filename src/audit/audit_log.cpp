#include "audit/audit_log.hpp"

#include <algorithm>

#include "core/check.hpp"
#include "core/fields.hpp"
#include "storage/journal.hpp"
#include "storage/record_file.hpp"

namespace pss::audit {
namespace {

constexpr std::uint8_t record_format = 1;

} // namespace

std::string_view to_string(action a) noexcept {
  switch (a) {
    case action::share_released: return "share_released";
    case action::share_stored: return "share_stored";
    case action::registered: return "registered";
    case action::deleted: return "deleted";
    case action::grant: return "grant";
    case action::revoke: return "revoke";
    case action::refresh: return "refresh";
    case action::committee: return "committee";
  }
  return "unknown";
}

// The format of an audit record (core/fields.hpp). Its bytes are also
// what the chain hashes (hash_of).
void fields(auto& io, like<record> auto& m) {
  io.constant(record_format, "an audit record of an unknown format");
  io.u64(m.seq);
  io.u64(m.at_ms);
  io.enumeration(m.what, action::share_released, action::committee, "an unknown audit action");
  io.enumeration(m.result, outcome::ok, outcome::refused, "an unknown audit outcome");
  io.raw(m.client);
  io.str(m.name, name_bytes_max);
  io.u64(m.version);
  io.raw(m.request);
  io.raw(m.prev);
}

bytes encode(const record& r) {
  byte_writer w;
  write_fields(w, r);
  return w.take();
}

result<record> decode_record(byte_view data) {
  byte_reader in{data};
  auto r = read_fields<record>(in);
  PSS_TRY(in.finish("audit record"));
  return r;
}

digest hash_of(const record& r) { return crypto::blake2b_256(encode(r)); }

digest genesis(const std::string& cluster_id, node_id node) {
  byte_writer w;
  w.str("pss/audit/v1");
  w.str(cluster_id);
  w.u64(node.value());
  return crypto::blake2b_256(w.data());
}

status verify_chain(const std::vector<record>& records, const digest& prev, std::uint64_t prev_seq) {
  digest expected = prev;
  std::uint64_t seq = prev_seq;
  for (const auto& r : records) {
    if (r.seq != seq + 1)
      return error{errc::corrupt, "audit record " + std::to_string(seq + 1) + " is missing (the next is "
                                      + std::to_string(r.seq) + "): the log was cut"};
    if (r.prev != expected)
      return error{errc::corrupt, "audit record " + std::to_string(r.seq)
                                      + " does not follow the one before it: the log was edited"};
    expected = hash_of(r);
    seq = r.seq;
  }
  return ok_status();
}

log::log(storage::file_system& fs, std::string dir, std::unique_ptr<storage::record_journal> journal, digest head,
         std::uint64_t head_seq)
    : fs_{&fs}, dir_{std::move(dir)}, journal_{std::move(journal)}, head_{head}, head_seq_{head_seq},
      synced_seq_{head_seq} {}

log::~log() = default;

result<std::unique_ptr<log>> log::open(storage::file_system& fs, const std::string& dir,
                                       const storage::data_dir_identity& identity, storage::open_mode mode) {
  auto opened = storage::open_journal(fs, dir, identity, mode);
  if (!opened.ok()) return opened.err();
  std::vector<record> records;
  for (const auto& raw : opened->records) {
    auto r = decode_record(raw.view());
    if (!r.ok()) return error{errc::corrupt, "the audit log at " + dir + " holds a record that does not decode"};
    records.push_back(std::move(*r));
  }
  const digest start = genesis(identity.cluster_id, identity.node);
  if (auto st = verify_chain(records, start, 0); !st.ok())
    return error{errc::corrupt, "the audit log at " + dir + " is broken: " + st.err().message()};
  const digest head = records.empty() ? start : hash_of(records.back());
  const std::uint64_t seq = records.empty() ? 0 : records.back().seq;
  return std::make_unique<log>(fs, dir, std::move(opened->journal), head, seq);
}

result<std::uint64_t> log::append(record r) {
  if (r.name.size() > name_bytes_max) return error{errc::invalid_argument, "an audit record's name is too long"};
  r.seq = head_seq_ + 1;
  r.prev = head_;
  const bytes encoded = encode(r);
  PSS_TRY(journal_->append(encoded));
  head_ = crypto::blake2b_256(encoded);
  head_seq_ = r.seq;
  return r.seq;
}

status log::sync() {
  if (!has_unsynced()) return ok_status();
  PSS_TRY(journal_->sync());
  synced_seq_ = head_seq_;
  return ok_status();
}

result<std::vector<record>> log::read(std::uint64_t after, std::size_t max) const {
  const std::string path = storage::join_path(dir_, storage::journal_file_name);
  auto contents = fs_->read_file(path, storage::record_file_bytes_max);
  if (!contents.ok()) return contents.err();
  auto scanned = storage::scan_record_file(*contents, path, storage::record_file_kind::journal, true);
  if (!scanned.ok()) return scanned.err();
  std::vector<record> out;
  for (const auto& s : scanned->records) {
    auto r = decode_record(s.payload);
    if (!r.ok()) return error{errc::corrupt, "the audit log holds a record that does not decode"};
    if (r->seq <= after || r->seq > synced_seq_) continue;
    out.push_back(std::move(*r));
    if (out.size() >= max) break;
  }
  return out;
}

} // namespace pss::audit
