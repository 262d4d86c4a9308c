#include "raft/session_table.hpp"

#include <string>

#include "core/check.hpp"

namespace pss::raft {

session_table::lookup session_table::check(client_id client, sequence_number seq) const {
  auto it = sessions_.find(client);
  if (it == sessions_.end())
    return {seq == sequence_number{1} ? verdict::fresh : verdict::expired, nullptr};
  const session& s = it->second;
  if (seq == s.last) return {verdict::duplicate, &s.response};
  if (seq < s.last) return {verdict::stale, nullptr};
  return {verdict::fresh, nullptr};
}

void session_table::record(client_id client, sequence_number seq, bytes response, millis at) {
  PSS_CHECK(check(client, seq).kind == verdict::fresh);
  PSS_CHECK(response.size() <= session_response_bytes_max);
  session& s = sessions_[client];
  s.last = seq;
  s.response = std::move(response);
  s.last_active = std::max(s.last_active, at);
}

void session_table::expire(millis at) {
  std::erase_if(sessions_, [&](const auto& kv) { return kv.second.last_active + expiry_ < at; });
}

void session_table::encode(byte_writer& out) const {
  out.u64(static_cast<std::uint64_t>(expiry_.count()));
  out.u32(static_cast<std::uint32_t>(sessions_.size()));
  for (const auto& [client, s] : sessions_) {
    out.u64(client.value());
    out.u64(s.last.value());
    out.u64(static_cast<std::uint64_t>(s.last_active.count()));
    out.blob(s.response);
  }
}

result<session_table> session_table::decode(byte_reader& in) {
  session_table table{millis{static_cast<millis::rep>(in.u64())}};
  const std::uint32_t count = in.u32();
  if (count > sessions_max_decode)
    return error{errc::too_large, "a session table of " + std::to_string(count) + " sessions"};
  for (std::uint32_t i = 0; i < count && in.ok(); ++i) {
    const client_id client{in.u64()};
    session s;
    s.last = sequence_number{in.u64()};
    s.last_active = millis{static_cast<millis::rep>(in.u64())};
    auto response = in.blob(session_response_bytes_max);
    s.response.assign(response.begin(), response.end());
    if (!table.sessions_.emplace(client, std::move(s)).second)
      in.fail("a session table lists a client twice");
  }
  if (!in.ok()) return error{errc::malformed, "a session table does not parse"};
  return table;
}

} // namespace pss::raft
