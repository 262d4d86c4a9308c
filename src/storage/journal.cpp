#include "storage/journal.hpp"

#include <algorithm>

#include "storage/record_file.hpp"

namespace pss::storage {

namespace {

bool is_known_file(std::string_view name) { return name == journal_file_name; }

} // namespace

record_journal::record_journal(file_system& fs, std::string dir,
                               std::unique_ptr<record_writer> writer, std::uint64_t generation)
  : fs_(fs), dir_(std::move(dir)), writer_(std::move(writer)), generation_(generation) {}

record_journal::~record_journal() = default;

status record_journal::check_usable() const {
  if (failed_) return error{failed_->code(), "journal stopped after an earlier failure: "
                                               + failed_->message()};
  return {};
}

std::uint64_t record_journal::size_bytes() const noexcept { return writer_->end(); }

status record_journal::append(byte_view record) {
  PSS_TRY(check_usable());
  if (record.size() > journal_record_bytes_max)
    return error{errc::too_large, "journal record of " + std::to_string(record.size())
                                    + " bytes is above the limit of "
                                    + std::to_string(journal_record_bytes_max)};
  if (writer_->end() + record_bytes(record.size()) > record_file_bytes_max)
    return error{errc::too_large, "the journal in " + dir_ + " would pass "
                                    + std::to_string(record_file_bytes_max)
                                    + " bytes; rewrite it with the live records first"};
  (void)writer_->add(record);
  return {};
}

status record_journal::sync() {
  PSS_TRY(check_usable());
  if (auto st = writer_->sync(); !st) {
    failed_ = st.err();
    return st;
  }
  return {};
}

status record_journal::rewrite(std::span<const byte_view> live) {
  PSS_TRY(check_usable());
  const auto fail = [&](const error& err) -> status {
    failed_ = err;
    return err;
  };
  std::uint64_t total = file_header_bytes;
  for (auto record : live) {
    if (record.size() > journal_record_bytes_max)
      return error{errc::too_large, "a live journal record is above the limit of "
                                      + std::to_string(journal_record_bytes_max) + " bytes"};
    total += record_bytes(record.size());
  }
  if (total > record_file_bytes_max)
    return error{errc::too_large, "the live records need " + std::to_string(total)
                                    + " bytes, above the journal limit"};

  const std::string path = join_path(dir_, journal_file_name);
  const std::string temp = path + std::string{temp_suffix};
  const std::uint64_t generation = generation_ + 1;
  {
    // The header and every live record go out as one batch with one sync,
    // even when no record is live: an empty journal needs its header durable.
    bytes image = encode_file_header(record_file_kind::journal, generation);
    image.reserve(total);
    for (auto record : live) encode_record(image, image.size(), file_header_bytes, record);
    auto opened = fs_.open_file(temp, open_flags::create_truncate);
    status written = opened ? (*opened)->write_at(0, image) : status{opened.err()};
    if (written) written = (*opened)->sync();
    zeroize(image);
    if (!written) return fail(written.err());
    total = image.size();
  }
  // The new file is complete and durable; now it replaces the old one.
  if (auto st = fs_.rename(temp, path); !st) return fail(st.err());
  if (auto st = fs_.sync_directory(dir_); !st) return fail(st.err());
  // The old file no longer has a name, but our handle still reaches its bytes.
  if (auto st = overwrite_with_zeroes(writer_->handle()); !st) return fail(st.err());
  auto reopened = fs_.open_file(path, open_flags::existing);
  if (!reopened) return fail(reopened.err());
  writer_ = std::make_unique<record_writer>(std::move(*reopened), total, 0, true);
  generation_ = generation;
  return {};
}

result<opened_journal> open_journal(file_system& fs, const std::string& dir,
                                    const data_dir_identity& identity, open_mode mode) {
  const std::string path = join_path(dir, journal_file_name);
  opened_journal out;
  const auto create_files = [&]() -> status {
    auto created = create_record_file(fs, path, record_file_kind::journal, 1, 0, true);
    if (!created) return created.err();
    return {};
  };
  auto initialised =
    open_data_dir(fs, dir, identity, mode, is_known_file, create_files, out.warnings);
  if (!initialised) return initialised.err();
  out.initialised = *initialised;

  auto data = fs.read_file(path, record_file_bytes_max);
  if (!data) {
    if (data.err().code() == errc::not_found)
      return error{errc::corrupt, path + " is missing although the directory has an identity: "
                                         "this node's shares are lost. Move the directory aside "
                                         "and let the node recover its shares from the others"};
    return data.err();
  }
  auto scanned = scan_record_file(*data, path, record_file_kind::journal, true);
  if (!scanned) {
    zeroize(*data);
    return scanned.err();
  }
  if (scanned->warning) out.warnings.push_back(*scanned->warning);
  out.records.reserve(scanned->records.size());
  for (const auto& rec : scanned->records) out.records.emplace_back(rec.payload);
  zeroize(*data);

  auto opened = fs.open_file(path, open_flags::existing);
  if (!opened) return opened.err();
  auto writer = std::make_unique<record_writer>(std::move(*opened), scanned->end, 0, true);
  if (scanned->needs_repair) PSS_TRY(writer->truncate(scanned->end));
  out.journal = std::make_unique<record_journal>(fs, dir, std::move(writer), scanned->base);
  return out;
}

} // namespace pss::storage
