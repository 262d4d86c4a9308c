// The rejoin of a wiped node (docs/refresh.md, "Rejoining a wiped node"), as
// decisions without I/O: the rejoining side's next step, the leader's answer
// to a rejoin_request, and the leader's next Raft membership change. Pure and
// single-threaded like round_leader.hpp; node_engine performs what it returns
// (sends the requests, drops the marker durably, proposes, changes the
// configuration) and tells it when the marker is gone.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <utility>

#include "core/ids.hpp"
#include "raft/node.hpp"
#include "secrets/catalog.hpp"
#include "secrets/messages.hpp"

namespace pss::secrets {

using millis = std::chrono::milliseconds;

class rejoin_machine {
public:
  // `nonce`: the rejoin in progress, read from the marker on disk (none: a
  // node that is not rejoining). `request_interval`: how often the rejoining
  // side repeats its request; `propose_interval`: how long the leader waits
  // before proposing the same rejoin again (a proposal can be lost).
  rejoin_machine(node_id self, std::optional<std::uint64_t> nonce, millis request_interval,
                 millis propose_interval);

  [[nodiscard]] bool rejoining() const noexcept { return nonce_.has_value(); }
  // Rejoining, and the catalog does not yet record this rejoin: the node
  // takes no shares and asks for no round meanwhile.
  [[nodiscard]] bool unrecorded(const catalog& c) const;

  // The rejoining side, at each drain: `finish` once the catalog shows the
  // rejoin done and the configuration has this node as a voter (drop the
  // marker durably, then call finished()); else, when due, a request to send
  // to every other member.
  struct own_step {
    bool finish = false;
    std::optional<rejoin_request> ask;
  };
  [[nodiscard]] own_step step(millis now, const catalog& c, const raft::configuration& cfg);
  // The marker is gone durably: the node votes again.
  void finished();

  // The leader's answer to a member's rejoin_request from `from`.
  enum class verdict : std::uint8_t {
    propose,    // propose member_rejoin{m.node, m.nonce} (remembered as proposed now)
    ignore,     // not the leader, recorded already, or proposed within the interval
    unexpected, // a node speaks only for itself
  };
  [[nodiscard]] verdict on_request(millis now, node_id from, const rejoin_request& m, bool leader,
                                   const catalog& c);

  // The leader's next single-server change for the rejoins the catalog
  // records, from replicated state only (so a new leader carries on): a node
  // not yet removed since its rejoin was recorded is removed; once removed it
  // is added as a learner, then promoted. None when nothing is to change.
  [[nodiscard]] std::optional<raft::config_change> next_change(const catalog& c,
                                                               const raft::configuration& cfg) const;

  // When step() next has something to do by the clock (none: nothing).
  [[nodiscard]] std::optional<millis> wakeup(const catalog& c) const;

private:
  node_id self_;
  std::optional<std::uint64_t> nonce_;
  millis request_interval_;
  millis propose_interval_;
  millis next_request_{0};
  std::map<node_id, std::pair<std::uint64_t, millis>> proposed_; // leader: last proposal per node
};

} // namespace pss::secrets
