#include "raft/session_table.hpp"

#include <algorithm>
#include <string>

#include "core/check.hpp"
#include "core/fields.hpp"

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

// The format of a session table (core/fields.hpp): the expiry, then each
// client's session.

void fields(auto& io, like<session_table::session> auto& m) {
  io.id(m.last);
  io.duration(m.last_active);
  io.blob(m.response, session_response_bytes_max);
}

void fields(auto& io, like<session_table::image> auto& m) {
  io.duration(m.expiry);
  io.list(m.sessions, sessions_max_decode, "a session table above its session limit", [&](auto& s) {
    io.id(s.first);
    fields(io, s.second);
  });
  io.check([&] {
    std::vector<client_id> ids;
    for (const auto& [c, s] : m.sessions) ids.push_back(c);
    std::sort(ids.begin(), ids.end());
    return std::adjacent_find(ids.begin(), ids.end()) == ids.end();
  }, "a session table lists a client twice");
}

void session_table::encode(byte_writer& out) const {
  image m{expiry_, {sessions_.begin(), sessions_.end()}};
  write_fields(out, m);
}

result<session_table> session_table::decode(byte_reader& in) {
  auto m = read_fields<image>(in);
  if (!in.ok()) return in.finish("session table").err();
  session_table table{m.expiry};
  for (auto& [client, s] : m.sessions) table.sessions_.emplace(client, std::move(s));
  return table;
}

} // namespace pss::raft
