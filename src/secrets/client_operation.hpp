// The client engine's private parts, shared by client_engine.cpp (views,
// reads, puts, deletes, refresh, the inputs and the tick) and client_get.cpp
// (collecting and verifying shares, reconstruction). Not for other users.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "access/policy_change.hpp"
#include "secrets/client_engine.hpp"

namespace pss::secrets {

enum class phase : std::uint8_t { view, read, store, propose, shares, refresh, audit };

[[nodiscard]] bool proposes_at_once(operation_kind k) noexcept;
// A holder's answer that may change within the collect window: it has not
// yet applied what the leader has (the version, or a grant the leader's
// applied policy already holds), so it is asked again until the deadline.
[[nodiscard]] constexpr bool may_catch_up(reply_code c) noexcept {
  return c == reply_code::not_found || c == reply_code::unauthorized;
}
completion make_completion(std::uint64_t id, operation_kind kind, operation_outcome outcome,
                           client_error error, std::string message);

struct client_engine::operation {
  std::uint64_t id = 0;
  operation_kind kind = operation_kind::put;
  std::string name;
  secret_version requested;
  secure_bytes value;
  millis deadline{0};
  phase step = phase::view;
  bool started = false;

  // The single outstanding request of the view, read and propose phases.
  std::uint64_t request_id = 0;
  node_id target;
  millis resend_at{0};
  std::size_t attempts = 0;
  std::set<node_id> refused_by; // nodes that refused the key (unauthorized)
  std::set<node_id> unvouched_by; // nodes that served a view the cluster file does not vouch for
  node_id served_by;            // the node whose catalog answer the operation went on

  // grant, revoke
  std::optional<access::policy_change> change;
  // member
  std::optional<committee_change> committee;
  // audit: asked of op.target alone
  std::uint64_t audit_after = 0;

  // put
  secret_version version; // put: as the catalog assigned it
  digest dealing{};       // put: the commitments' digest, which names the dealing
  epoch_id dealt_epoch;
  bytes commitments;
  bytes ciphertext;
  std::map<node_id, store_share_request> stores;
  std::map<std::uint64_t, node_id> requests; // request id -> node, for fan-out phases
  std::map<node_id, reply_code> answers;
  std::map<node_id, millis> node_resend_at;
  std::set<node_id> acked;
  millis collect_deadline{0};
  millis stores_sent_at{0};
  millis grace_until{0}; // set when the write quorum is reached: the stragglers' time
  std::size_t redeals = 0;
  bool store_epoch_newer = false; // a store was refused by a member in a newer epoch
  std::string store_refused;      // the first refusal's node and reason, for the failure message
  bool proposed = false;
  std::vector<node_id> holders;

  // get
  std::optional<version_record> record;
  std::uint32_t threshold = 0;
  std::optional<crypto::box_key_pair> reader;
  std::optional<crypto::commitment> parsed_commitments;
  std::map<node_id, crypto::share> good;
  std::set<node_id> bad;
  std::vector<std::string> bad_reasons;
  bool newer_epoch_seen = false; // a holder answered with a share of a later epoch
  // Share requests sent with the catalog read, for the version asked (the
  // latest, if none): their ids, and the answers that came before the record.
  std::set<std::uint64_t> early_ids;
  std::map<node_id, get_share_response> early;
  std::set<node_id> asked; // members asked for a share in this read
  millis hedge_at{0};      // from then on, every holder not asked yet is
  std::size_t epoch_rereads = 0;
  std::size_t share_reasks = 0; // share_reasks_max
  bool view_relearned = false;  // the catalog's answer named another t: the view was learned again
};

} // namespace pss::secrets
