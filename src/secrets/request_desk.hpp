// The node's desk for client requests that wait on Raft: a proposal until the
// entry it was proposed at applies, a read until the index Raft confirmed for
// it applies. Bookkeeping only, no Raft and no I/O: node_engine proposes and
// asks for read indexes, tells the desk what came back, and sends the answers
// for what the desk hands it (docs/ARCHITECTURE.md, "The engine seam").
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "access/policy.hpp"
#include "crypto/sign.hpp"
#include "audit/audit_log.hpp"
#include "raft/node.hpp"
#include "secrets/engine.hpp"
#include "secrets/messages.hpp"

namespace pss::secrets {

inline constexpr std::size_t pending_proposals_max = 1024;
inline constexpr std::size_t pending_reads_max = 1024;

// Who made a client request: the key that signed it and the digest of the
// signed envelope, for the audit log.
struct requester {
  crypto::sign_public_key key;
  audit::digest request{};
};

struct pending_proposal {
  endpoint client;
  std::uint64_t request_id = 0;
  term_id term; // set by proposed()
  requester who;
  audit::action what = audit::action::registered;
  std::string name;
};

struct pending_read {
  endpoint client;
  read_request request;
  std::optional<log_index> index; // once Raft confirmed the read
  crypto::sign_public_key key;    // who asked: a list shows only the names it may list
  access::unix_ms asked_at = 0;
};

class request_desk {
public:
  [[nodiscard]] bool proposals_full() const noexcept { return proposals_.size() >= pending_proposals_max; }
  [[nodiscard]] bool reads_full() const noexcept { return reads_.size() >= pending_reads_max; }
  [[nodiscard]] std::size_t proposals_in_flight() const noexcept { return proposals_.size(); }
  [[nodiscard]] std::size_t reads_in_flight() const noexcept { return reads_.size(); }

  // Raft took the proposal at (term, index). A proposal still waiting at that
  // index (its entry was cut from this node's log, by a snapshot that replaced
  // the log, and the index is handed out again) is returned: its outcome is
  // unknown here.
  [[nodiscard]] std::optional<pending_proposal> proposed(term_id term, log_index index, pending_proposal p);

  // The entry at e.index applied. The proposal that waited there, if any;
  // `ours` is false when a new leader overwrote it (another term, or not a
  // command), so its client must retry.
  struct settled {
    pending_proposal proposal;
    bool ours = false;
  };
  [[nodiscard]] std::optional<settled> applied(const raft::entry& e);

  // A snapshot replaced the state machine up to `index`: the proposals at or
  // below it can no longer be matched to their result (their outcome is unknown here).
  [[nodiscard]] std::vector<pending_proposal> overtaken(log_index index);

  // A read: the id to ask Raft's read index under, then the read itself.
  [[nodiscard]] std::uint64_t next_read_id() noexcept { return next_read_id_++; }
  void reading(std::uint64_t id, pending_read r);
  // Raft confirmed some reads and gave up on others (leadership changed): the
  // failed ones, for their clients to retry.
  [[nodiscard]] std::vector<pending_read> confirmed(std::span<const raft::read_state> ready,
                                                    std::span<const std::uint64_t> failed);
  // The reads whose confirmed index has applied, to answer now, oldest first.
  [[nodiscard]] std::vector<pending_read> due(log_index applied);

  // Every pending proposal lies beyond what has applied.
  void check_invariants(log_index applied) const;

private:
  std::map<log_index, pending_proposal> proposals_;
  std::map<std::uint64_t, pending_read> reads_;
  std::uint64_t next_read_id_ = 1;
};

} // namespace pss::secrets
