#include "raft/types.hpp"

#include <algorithm>

#include "core/fields.hpp"

namespace pss::raft {

bool configuration::is_voter(node_id id) const noexcept {
  return std::find(voters.begin(), voters.end(), id) != voters.end();
}

bool configuration::is_learner(node_id id) const noexcept {
  return std::find(learners.begin(), learners.end(), id) != learners.end();
}

// The formats of the Raft types, one visitor per struct (core/fields.hpp).

namespace {

void ids(auto& io, auto& list) {
  io.list(list, configuration_members_max, "a configuration above the member limit (configuration_members_max)", [&](auto& id) { io.id(id); });
  io.check([&] {
    std::vector<node_id> sorted(list.begin(), list.end());
    std::sort(sorted.begin(), sorted.end());
    return std::adjacent_find(sorted.begin(), sorted.end()) == sorted.end()
           && (sorted.empty() || sorted.front() != no_node);
  }, "configuration has a zero or duplicate node id");
}

} // namespace

void fields(auto& io, like<configuration> auto& m) {
  ids(io, m.voters);
  ids(io, m.learners);
  io.check([&] { return std::none_of(m.learners.begin(), m.learners.end(), [&](node_id id) { return m.is_voter(id); }); },
           "configuration lists a node as both voter and learner");
}

void fields(auto& io, like<entry> auto& m) {
  io.id(m.term);
  io.id(m.index);
  io.enumeration(m.kind, entry_kind::noop, entry_kind::config, "unknown entry kind");
  io.blob(m.data, entry_data_bytes_max);
}

void fields(auto& io, like<hard_state> auto& m) {
  io.id(m.term);
  io.id(m.vote);
  io.id(m.commit);
}

void fields(auto& io, like<snapshot_meta> auto& m) {
  io.id(m.last_index);
  io.id(m.last_term);
  fields(io, m.config);
}

void encode(byte_writer& out, const configuration& config) { write_fields(out, config); }
configuration decode_configuration(byte_reader& in) { return read_fields<configuration>(in); }
void encode(byte_writer& out, const entry& e) { write_fields(out, e); }
entry decode_entry(byte_reader& in) { return read_fields<entry>(in); }
void encode(byte_writer& out, const hard_state& hs) { write_fields(out, hs); }
hard_state decode_hard_state(byte_reader& in) { return read_fields<hard_state>(in); }
void encode(byte_writer& out, const snapshot_meta& meta) { write_fields(out, meta); }
snapshot_meta decode_snapshot_meta(byte_reader& in) { return read_fields<snapshot_meta>(in); }

result<configuration> configuration_from_bytes(byte_view data) {
  byte_reader in{data};
  auto config = decode_configuration(in);
  PSS_TRY(in.finish("configuration"));
  return config;
}

bytes to_bytes(const configuration& config) {
  byte_writer out;
  encode(out, config);
  return out.take();
}

} // namespace pss::raft
