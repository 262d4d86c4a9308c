#include "raft/messages.hpp"

#include <algorithm>

#include "core/fields.hpp"
#include <string>

namespace pss::raft {

// The formats of the Raft messages, one visitor per struct (core/fields.hpp).
// The entries and snapshot metadata inside use raft/types.cpp's visitors
// through its encode and decode.

void fields(auto& io, like<pre_vote_request> auto& m) {
  io.id(m.term);
  io.id(m.last_log_index);
  io.id(m.last_log_term);
}
void fields(auto& io, like<pre_vote_response> auto& m) {
  io.id(m.term);
  io.id(m.request_term);
  io.flag(m.granted);
}
void fields(auto& io, like<vote_request> auto& m) {
  io.id(m.term);
  io.id(m.last_log_index);
  io.id(m.last_log_term);
  io.flag(m.leadership_transfer);
}
void fields(auto& io, like<vote_response> auto& m) {
  io.id(m.term);
  io.flag(m.granted);
}
void fields(auto& io, like<append_entries> auto& m) {
  io.id(m.term);
  io.id(m.prev_log_index);
  io.id(m.prev_log_term);
  io.id(m.leader_commit);
  io.list(m.entries, append_entries_count_max, "append_entries carries entries above the limit (append_entries_count_max)",
          [&](auto& e) { io.nested(e, [](byte_writer& w, const entry& x) { encode(w, x); }, decode_entry); });
}
void fields(auto& io, like<append_entries_response> auto& m) {
  io.id(m.term);
  io.flag(m.success);
  io.id(m.match_index);
  io.id(m.rejected_prev_index);
  io.id(m.conflict_index);
  io.id(m.conflict_term);
  io.id(m.last_log_index);
}
void fields(auto& io, like<heartbeat> auto& m) {
  io.id(m.term);
  io.id(m.commit);
  io.u64(m.read_context);
}
void fields(auto& io, like<heartbeat_response> auto& m) {
  io.id(m.term);
  io.u64(m.read_context);
}
void fields(auto& io, like<install_snapshot> auto& m) {
  io.id(m.term);
  io.nested(m.meta, [](byte_writer& w, const snapshot_meta& x) { encode(w, x); }, decode_snapshot_meta);
  io.u64(m.total_bytes);
  io.u64(m.offset);
  io.blob(m.data, snapshot_chunk_bytes_max);
  io.flag(m.done);
}
void fields(auto& io, like<install_snapshot_response> auto& m) {
  io.id(m.term);
  io.id(m.snapshot_index);
  io.u64(m.next_offset);
  io.flag(m.done);
}
void fields(auto& io, like<timeout_now> auto& m) { io.id(m.term); }

namespace {

// The tag byte is the variant index plus one; zero is never a valid tag.
constexpr std::uint8_t tag_of(const message& m) noexcept {
  return static_cast<std::uint8_t>(m.index() + 1);
}

template <std::size_t I = 0>
message decode_body(std::size_t index, byte_reader& in) {
  if constexpr (I + 1 == std::variant_size_v<message>) {
    return message{std::in_place_index<I>, read_fields<std::variant_alternative_t<I, message>>(in)};
  } else {
    if (index != I) return decode_body<I + 1>(index, in);
    return message{std::in_place_index<I>, read_fields<std::variant_alternative_t<I, message>>(in)};
  }
}

bool valid_config(const configuration& config) {
  if (config.voters.size() + config.learners.size() > configuration_members_max) return false;
  std::vector<node_id> all = config.voters;
  all.insert(all.end(), config.learners.begin(), config.learners.end());
  std::sort(all.begin(), all.end());
  return std::adjacent_find(all.begin(), all.end()) == all.end()
         && std::find(all.begin(), all.end(), no_node) == all.end();
}

// Entries must be consecutive and follow prev_log_index, with terms that
// never decrease and never exceed the message's term; anything else is a
// forged or corrupted message.
status validate_body(const append_entries& m) {
  if (m.entries.size() > append_entries_count_max)
    return error{errc::too_large, "append_entries carries too many entries"};
  log_index expected = m.prev_log_index.next();
  term_id previous = m.prev_log_term;
  for (const auto& e : m.entries) {
    if (e.index != expected || e.term < previous || e.term > m.term
        || e.data.size() > entry_data_bytes_max || e.kind < entry_kind::noop
        || e.kind > entry_kind::config)
      return error{errc::malformed, "append_entries holds entries out of order, from a "
                                    "future term, of an unknown kind or too large"};
    expected = expected.next();
    previous = e.term;
  }
  if (m.prev_log_term > m.term)
    return error{errc::malformed, "append_entries' previous entry is from a future term"};
  return ok_status();
}

status validate_body(const install_snapshot& m) {
  if (m.total_bytes > snapshot_total_bytes_max || m.offset > m.total_bytes
      || m.data.size() > snapshot_chunk_bytes_max || m.data.size() > m.total_bytes - m.offset)
    return error{errc::malformed, "install_snapshot chunk lies outside the snapshot's size"};
  if (m.done && m.offset + m.data.size() != m.total_bytes)
    return error{errc::malformed, "install_snapshot's last chunk does not end the snapshot"};
  if (m.meta.last_term > m.term || !valid_config(m.meta.config))
    return error{errc::malformed, "install_snapshot's metadata is impossible"};
  return ok_status();
}

template <class T>
status validate_body(const T&) {
  return ok_status();
}

} // namespace

status validate(const envelope& e) {
  if (e.from == no_node || e.to == no_node || e.from == e.to)
    return error{errc::malformed, "a raft message has a zero or looping address"};
  return std::visit([](const auto& body) { return validate_body(body); }, e.body);
}

term_id term_of(const message& m) noexcept {
  return std::visit([](const auto& body) { return body.term; }, m);
}

std::string_view name_of(const message& m) noexcept {
  constexpr std::string_view names[] = {
    "pre_vote_request", "pre_vote_response", "vote_request", "vote_response",
    "append_entries", "append_entries_response", "heartbeat",
    "heartbeat_response", "install_snapshot", "install_snapshot_response",
    "timeout_now"};
  static_assert(std::size(names) == std::variant_size_v<message>);
  return names[m.index()];
}

bytes encode(const envelope& e) {
  byte_writer out;
  out.u8(tag_of(e.body));
  out.u64(e.from.value());
  out.u64(e.to.value());
  std::visit([&](const auto& body) { write_fields(out, body); }, e.body);
  return out.take();
}

result<envelope> decode_envelope(byte_view data) {
  if (data.size() > message_bytes_max)
    return error{errc::too_large, "a raft message of " + std::to_string(data.size())
                                      + " bytes is above the limit; drop it"};
  byte_reader in{data};
  const std::uint8_t tag = in.u8();
  envelope e;
  e.from = node_id{in.u64()};
  e.to = node_id{in.u64()};
  if (!in.ok()) return error{errc::malformed, "a raft message is truncated"};
  if (tag == 0 || tag > std::variant_size_v<message>)
    return error{errc::malformed, "unknown raft message tag " + std::to_string(tag)};
  e.body = decode_body(tag - 1, in);
  PSS_TRY(in.finish(name_of(e.body)));
  PSS_TRY(validate(e));
  return e;
}

} // namespace pss::raft
