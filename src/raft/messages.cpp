#include "raft/messages.hpp"

#include <algorithm>
#include <string>

namespace pss::raft {
namespace {

// The tag byte is the variant index plus one; zero is never a valid tag.
constexpr std::uint8_t tag_of(const message& m) noexcept {
  return static_cast<std::uint8_t>(m.index() + 1);
}

void put_bool(byte_writer& out, bool v) { out.u8(v ? 1 : 0); }

bool get_bool(byte_reader& in) {
  const std::uint8_t v = in.u8();
  if (v > 1) in.fail("a boolean field holds " + std::to_string(v));
  return v == 1;
}

term_id get_term(byte_reader& in) { return term_id{in.u64()}; }
log_index get_index(byte_reader& in) { return log_index{in.u64()}; }

void put(byte_writer& out, const pre_vote_request& m) {
  out.u64(m.term.value());
  out.u64(m.last_log_index.value());
  out.u64(m.last_log_term.value());
}
void put(byte_writer& out, const pre_vote_response& m) {
  out.u64(m.term.value());
  out.u64(m.request_term.value());
  put_bool(out, m.granted);
}
void put(byte_writer& out, const vote_request& m) {
  out.u64(m.term.value());
  out.u64(m.last_log_index.value());
  out.u64(m.last_log_term.value());
  put_bool(out, m.leadership_transfer);
}
void put(byte_writer& out, const vote_response& m) {
  out.u64(m.term.value());
  put_bool(out, m.granted);
}
void put(byte_writer& out, const append_entries& m) {
  out.u64(m.term.value());
  out.u64(m.prev_log_index.value());
  out.u64(m.prev_log_term.value());
  out.u64(m.leader_commit.value());
  out.u32(static_cast<std::uint32_t>(m.entries.size()));
  for (const auto& e : m.entries) encode(out, e);
}
void put(byte_writer& out, const append_entries_response& m) {
  out.u64(m.term.value());
  put_bool(out, m.success);
  out.u64(m.match_index.value());
  out.u64(m.rejected_prev_index.value());
  out.u64(m.conflict_index.value());
  out.u64(m.conflict_term.value());
  out.u64(m.last_log_index.value());
}
void put(byte_writer& out, const heartbeat& m) {
  out.u64(m.term.value());
  out.u64(m.commit.value());
  out.u64(m.read_context);
}
void put(byte_writer& out, const heartbeat_response& m) {
  out.u64(m.term.value());
  out.u64(m.read_context);
}
void put(byte_writer& out, const install_snapshot& m) {
  out.u64(m.term.value());
  encode(out, m.meta);
  out.u64(m.total_bytes);
  out.u64(m.offset);
  out.blob(m.data);
  put_bool(out, m.done);
}
void put(byte_writer& out, const install_snapshot_response& m) {
  out.u64(m.term.value());
  out.u64(m.snapshot_index.value());
  out.u64(m.next_offset);
  put_bool(out, m.done);
}
void put(byte_writer& out, const timeout_now& m) { out.u64(m.term.value()); }

message get_pre_vote_request(byte_reader& in) {
  pre_vote_request m;
  m.term = get_term(in);
  m.last_log_index = get_index(in);
  m.last_log_term = get_term(in);
  return m;
}
message get_pre_vote_response(byte_reader& in) {
  pre_vote_response m;
  m.term = get_term(in);
  m.request_term = get_term(in);
  m.granted = get_bool(in);
  return m;
}
message get_vote_request(byte_reader& in) {
  vote_request m;
  m.term = get_term(in);
  m.last_log_index = get_index(in);
  m.last_log_term = get_term(in);
  m.leadership_transfer = get_bool(in);
  return m;
}
message get_vote_response(byte_reader& in) {
  vote_response m;
  m.term = get_term(in);
  m.granted = get_bool(in);
  return m;
}

message get_append_entries(byte_reader& in) {
  append_entries m;
  m.term = get_term(in);
  m.prev_log_index = get_index(in);
  m.prev_log_term = get_term(in);
  m.leader_commit = get_index(in);
  const std::uint32_t count = in.u32();
  if (count > append_entries_count_max) {
    in.fail("append_entries carries " + std::to_string(count)
            + " entries, above the limit of "
            + std::to_string(append_entries_count_max));
    return m;
  }
  m.entries.reserve(count);
  for (std::uint32_t i = 0; i < count && in.ok(); ++i)
    m.entries.push_back(decode_entry(in));
  return m;
}
message get_append_entries_response(byte_reader& in) {
  append_entries_response m;
  m.term = get_term(in);
  m.success = get_bool(in);
  m.match_index = get_index(in);
  m.rejected_prev_index = get_index(in);
  m.conflict_index = get_index(in);
  m.conflict_term = get_term(in);
  m.last_log_index = get_index(in);
  return m;
}
message get_heartbeat(byte_reader& in) {
  heartbeat m;
  m.term = get_term(in);
  m.commit = get_index(in);
  m.read_context = in.u64();
  return m;
}
message get_heartbeat_response(byte_reader& in) {
  heartbeat_response m;
  m.term = get_term(in);
  m.read_context = in.u64();
  return m;
}
message get_install_snapshot(byte_reader& in) {
  install_snapshot m;
  m.term = get_term(in);
  m.meta = decode_snapshot_meta(in);
  m.total_bytes = in.u64();
  m.offset = in.u64();
  auto data = in.blob(snapshot_chunk_bytes_max);
  m.data.assign(data.begin(), data.end());
  m.done = get_bool(in);
  return m;
}
message get_install_snapshot_response(byte_reader& in) {
  install_snapshot_response m;
  m.term = get_term(in);
  m.snapshot_index = get_index(in);
  m.next_offset = in.u64();
  m.done = get_bool(in);
  return m;
}
message get_timeout_now(byte_reader& in) {
  timeout_now m;
  m.term = get_term(in);
  return m;
}

using decoder = message (*)(byte_reader&);
constexpr decoder decoders[] = {
  get_pre_vote_request,     get_pre_vote_response, get_vote_request,
  get_vote_response,        get_append_entries,    get_append_entries_response,
  get_heartbeat,            get_heartbeat_response, get_install_snapshot,
  get_install_snapshot_response, get_timeout_now,
};
static_assert(std::size(decoders) == std::variant_size_v<message>);

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
  std::visit([&](const auto& body) { put(out, body); }, e.body);
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
  if (tag == 0 || tag > std::size(decoders))
    return error{errc::malformed, "unknown raft message tag " + std::to_string(tag)};
  e.body = decoders[tag - 1](in);
  PSS_TRY(in.finish(name_of(e.body)));
  PSS_TRY(validate(e));
  return e;
}

} // namespace pss::raft
