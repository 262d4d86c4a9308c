// The durable vocabulary of Raft: log entries, hard state, configurations and
// snapshot metadata.
//
// These types are shared by the pure Raft core (src/raft) and the storage that
// persists them (src/storage). They carry only replicated, public state: an
// entry's data is a state-machine command and never holds share material.
#pragma once

#include <cstdint>
#include <vector>

#include "core/bytes.hpp"
#include "core/ids.hpp"
#include "core/result.hpp"

namespace pss::raft {

enum class entry_kind : std::uint8_t {
  noop = 1,    // appended by a new leader at the start of its term (Raft §5.4.2)
  command = 2, // an opaque state-machine command
  config = 3,  // a new configuration, encoded with encode(configuration)
};

struct entry {
  term_id term;
  log_index index;
  entry_kind kind = entry_kind::command;
  bytes data;

  friend bool operator==(const entry&, const entry&) = default;
};

// What must be on disk before any message that depends on it is sent.
struct hard_state {
  term_id term;
  node_id vote;      // no_node when the node has not voted in `term`
  log_index commit;  // persisted as a hint; never ahead of the durable log

  friend bool operator==(const hard_state&, const hard_state&) = default;
};

// A cluster configuration: voters decide elections and commits; learners
// receive the log but do not vote (Raft thesis §4.2.1).
struct configuration {
  std::vector<node_id> voters;
  std::vector<node_id> learners;

  [[nodiscard]] bool is_voter(node_id id) const noexcept;
  [[nodiscard]] bool is_learner(node_id id) const noexcept;
  [[nodiscard]] bool contains(node_id id) const noexcept {
    return is_voter(id) || is_learner(id);
  }

  friend bool operator==(const configuration&, const configuration&) = default;
};

struct snapshot_meta {
  log_index last_index; // the last entry the snapshot covers
  term_id last_term;    // that entry's term
  configuration config; // the configuration as of last_index

  friend bool operator==(const snapshot_meta&, const snapshot_meta&) = default;
};

// Named limits for decoding hostile bytes.
inline constexpr std::size_t configuration_members_max = 1024;
inline constexpr std::size_t entry_data_bytes_max = 16 * 1024 * 1024;

void encode(byte_writer& out, const configuration& config);
[[nodiscard]] configuration decode_configuration(byte_reader& in);

void encode(byte_writer& out, const entry& e);
[[nodiscard]] entry decode_entry(byte_reader& in);

void encode(byte_writer& out, const hard_state& hs);
[[nodiscard]] hard_state decode_hard_state(byte_reader& in);

void encode(byte_writer& out, const snapshot_meta& meta);
[[nodiscard]] snapshot_meta decode_snapshot_meta(byte_reader& in);

// Whole-buffer helpers: decode, then require every byte consumed.
[[nodiscard]] result<configuration> configuration_from_bytes(byte_view data);
[[nodiscard]] bytes to_bytes(const configuration& config);

} // namespace pss::raft
