#include "raft/types.hpp"

#include <algorithm>

namespace pss::raft {

bool configuration::is_voter(node_id id) const noexcept {
  return std::find(voters.begin(), voters.end(), id) != voters.end();
}

bool configuration::is_learner(node_id id) const noexcept {
  return std::find(learners.begin(), learners.end(), id) != learners.end();
}

namespace {

void encode_ids(byte_writer& out, const std::vector<node_id>& ids) {
  out.u32(static_cast<std::uint32_t>(ids.size()));
  for (auto id : ids) out.u64(id.value());
}

std::vector<node_id> decode_ids(byte_reader& in) {
  const std::uint32_t count = in.u32();
  std::vector<node_id> ids;
  if (count > configuration_members_max) {
    in.fail("configuration lists " + std::to_string(count)
            + " members, above the limit of "
            + std::to_string(configuration_members_max));
    return ids;
  }
  ids.reserve(count);
  for (std::uint32_t i = 0; i < count && in.ok(); ++i) {
    node_id id{in.u64()};
    if (id == no_node || std::find(ids.begin(), ids.end(), id) != ids.end()) {
      in.fail("configuration has a zero or duplicate node id");
      return ids;
    }
    ids.push_back(id);
  }
  return ids;
}

bool valid_kind(std::uint8_t kind) {
  return kind >= static_cast<std::uint8_t>(entry_kind::noop)
         && kind <= static_cast<std::uint8_t>(entry_kind::config);
}

} // namespace

void encode(byte_writer& out, const configuration& config) {
  encode_ids(out, config.voters);
  encode_ids(out, config.learners);
}

configuration decode_configuration(byte_reader& in) {
  configuration config;
  config.voters = decode_ids(in);
  config.learners = decode_ids(in);
  for (auto id : config.learners) {
    if (config.is_voter(id)) {
      in.fail("configuration lists a node as both voter and learner");
      break;
    }
  }
  return config;
}

void encode(byte_writer& out, const entry& e) {
  out.u64(e.term.value());
  out.u64(e.index.value());
  out.u8(static_cast<std::uint8_t>(e.kind));
  out.blob(e.data);
}

entry decode_entry(byte_reader& in) {
  entry e;
  e.term = term_id{in.u64()};
  e.index = log_index{in.u64()};
  const std::uint8_t kind = in.u8();
  if (in.ok() && !valid_kind(kind))
    in.fail("unknown entry kind " + std::to_string(kind));
  e.kind = static_cast<entry_kind>(kind);
  auto data = in.blob(entry_data_bytes_max);
  e.data.assign(data.begin(), data.end());
  return e;
}

void encode(byte_writer& out, const hard_state& hs) {
  out.u64(hs.term.value());
  out.u64(hs.vote.value());
  out.u64(hs.commit.value());
}

hard_state decode_hard_state(byte_reader& in) {
  hard_state hs;
  hs.term = term_id{in.u64()};
  hs.vote = node_id{in.u64()};
  hs.commit = log_index{in.u64()};
  return hs;
}

void encode(byte_writer& out, const snapshot_meta& meta) {
  out.u64(meta.last_index.value());
  out.u64(meta.last_term.value());
  encode(out, meta.config);
}

snapshot_meta decode_snapshot_meta(byte_reader& in) {
  snapshot_meta meta;
  meta.last_index = log_index{in.u64()};
  meta.last_term = term_id{in.u64()};
  meta.config = decode_configuration(in);
  return meta;
}

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
