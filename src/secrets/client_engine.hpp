// The client engine: the dealer and reader of DESIGN §5.
//
// put(name, value) reads the cluster view once from any node, deals (a
// random envelope key k, the payload sealed under it, Shamir + Feldman
// shares of k, each share sealed to its node; the dealing is named by the
// digest of its commitments), collects durable acks until write_quorum, and
// then proposes `register` through the leader with one session sequence
// number for every retry (exactly-once). The catalog gives the dealing the
// name's next version when it applies the register: two round trips, no
// read first. A store refused for its epoch (a refresh committed) makes it
// learn the view again and re-deal.
// get(name[, version]) reads the catalog entry through the leader, asks the
// holders for their shares sealed to a fresh ephemeral key, verifies each
// against that version's epoch and commitments, skips and names bad ones,
// interpolates k from t good shares and opens the envelope.
//
// Operations are queued and run one at a time, so a session has at most one
// command in flight (the session table caches only the last response).
// Everything is driven by the injected `now` and on_tick; every timeout,
// retry and backoff is a named constant below. Randomness for keys comes
// from the injected random_source, so a seed replays a run exactly.
// Never logs or prints the value, k or a share.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "access/signed_request.hpp"
#include "core/secure.hpp"
#include "crypto/feldman.hpp"
#include "crypto/random_source.hpp"
#include "crypto/seal.hpp"
#include "secrets/cluster.hpp"
#include "secrets/engine.hpp"
#include "secrets/messages.hpp"

namespace pss::secrets {

inline constexpr millis request_timeout_default{300};
inline constexpr millis put_ack_timeout_default{1'000};
// Once a put has its write quorum, the other members get as long again as
// the quorum took, and at least this (one resend of a lost store), to be
// listed as holders too. A member left off the list gets its share only
// through a recovery round, which costs far more than this wait on a lossy
// network (with 2 ms, simulated networks that drop a quarter of the
// messages left more members unlisted than recovery could serve).
inline constexpr millis store_grace_min{350};
inline constexpr millis share_collect_timeout_default{1'000};
// A get asks t holders first (with the catalog read); the others only when
// an answer falls short, or once this long has passed without t good shares.
inline constexpr millis share_hedge{40};
inline constexpr millis operation_timeout_default{10'000};
inline constexpr millis retry_backoff_min{20};
inline constexpr millis retry_backoff_max{500};
inline constexpr std::size_t redeal_attempts_max = 3;
// A get whose holders answer with shares of a newer epoch than the record it
// read (a refresh committed in between) reads the record again, this often.
inline constexpr std::size_t epoch_rereads_max = 3;
// A get whose shares cannot give the key (a holder answered with a value
// off the polynomial, which a passing fault can cause) asks the holders it
// cannot trust once more, with fresh requests, before it fails. With exactly
// t holders of a refreshed version nothing else can tell which one erred.
inline constexpr std::size_t share_reasks_max = 1;
inline constexpr std::size_t queued_operations_max = 1024;
inline constexpr std::size_t seen_versions_max = 1 << 16;

struct client_options {
  client_id id;
  // Who the client is: every request but the view is signed with this key
  // for its one target node (access/signed_request.hpp), and each node checks
  // it against its own applied policy. The key never leaves the client. Without
  // one, requests go unsigned and every node refuses them.
  std::shared_ptr<const crypto::sign_key_pair> identity;
  // The wall clock in unix ms is `now + wall_clock_offset`: the shell measures
  // the offset, the simulator fixes it. It dates the signed validity window.
  access::unix_ms wall_clock_offset = 0;
  access::unix_ms request_lifetime_ms = access::request_lifetime_ms_default;
  std::vector<node_id> nodes;      // who to ask first (bootstrap addresses)
  std::string expected_cluster_id; // refuse a view of another cluster; empty = any
  // Refuse a view whose members (ids, indices, public keys) or threshold
  // differ from these (the client's cluster file); nullopt = any.
  std::optional<cluster_view> expected_members;
  // nullopt: t+1 acks (holders_min, or n when n <= t+1); once that many
  // nodes acked, the rest get store_grace_min or as long again as the quorum
  // took. A value raises the floor (never below holders_min). Short of it,
  // the put waits until put_ack_timeout.
  std::optional<std::size_t> write_quorum;
  millis request_timeout = request_timeout_default;
  // Learn the view again before an operation once it is this old (zero:
  // never), so that a long-lived client deals to a member added since and
  // stops dealing to one removed (docs/refresh.md §7).
  millis view_max_age{0};
  millis put_ack_timeout = put_ack_timeout_default;
  millis share_collect_timeout = share_collect_timeout_default;
  millis operation_timeout = operation_timeout_default;
};

// grant, revoke and policy are an admin's (docs/access.md).
// member is an admin's committee change (docs/refresh.md §7); view asks one
// node for the view it serves (`pss cluster-file --update`).
enum class operation_kind : std::uint8_t { put, get, list, remove, refresh, grant, revoke, policy, audit, member, view };
// ok and fail are definite; unknown (an "info" event) means the command may
// or may not have been applied (a timeout after proposing).
enum class operation_outcome : std::uint8_t { ok, fail, unknown };
enum class client_error : std::uint8_t {
  none,
  unknown_secret,      // no such name, or it was deleted
  version_not_found,   // the name exists, the version does not (any more)
  too_few_nodes,       // fewer acks or valid shares than needed; see `answered`
  not_authorised,      // the nodes refused the request (unsigned, or not in the policy)
  verification_failed, // a share or the envelope failed; see bad_nodes
  conflict,            // still conflicting after redeal_attempts_max re-deals
  timeout,             // the operation deadline passed
  refused,             // the cluster refused the request; see message
  invalid_argument,    // the caller's input is invalid
};
[[nodiscard]] std::string_view to_string(client_error e) noexcept;

struct completion {
  std::uint64_t operation_id = 0;
  operation_kind kind = operation_kind::put;
  operation_outcome outcome = operation_outcome::ok;
  client_error error = client_error::none;
  std::string message;                // never secret material
  secret_version version;             // put: registered; get: read; remove: latest;
                                      // grant: the new grant's id; revoke: the revoked id
  std::optional<secure_bytes> value;  // get
  std::vector<list_item> items;       // list
  std::vector<access::grant> grants;  // policy
  std::vector<audit::record> audit_records; // audit: the node's records after the asked seq
  std::uint64_t audit_head = 0;             // audit: the node's last durable record
  std::optional<cluster_view> view;         // view: as the node served it, unchecked
  std::size_t answered = 0;           // put: acks; get: valid shares
  std::vector<node_id> bad_nodes;     // nodes whose shares failed verification
  // The node whose catalog answer (record, latest version, or "none") the
  // operation went on: one lying node can make that answer stale, never
  // forged (docs/threat-model.md), so the simulator judges freshness by it.
  node_id served_by;
};

struct client_counters {
  std::uint64_t malformed = 0;       // did not decode
  std::uint64_t unexpected = 0;      // not a response, or not from a node
  std::uint64_t stale_responses = 0; // unknown or already answered request id
  std::uint64_t retries = 0;
  std::uint64_t redeals = 0;
  std::uint64_t share_reasks = 0;    // gets that asked holders again (share_reasks_max)
  bool operator==(const client_counters&) const = default;
};

class client_engine final : public engine {
public:
  client_engine(client_options options, std::unique_ptr<crypto::random_source> random);
  ~client_engine() override;

  // Start operations; each completes exactly once, reported by
  // take_completions(). Operations run one at a time in start order.
  void put(millis now, std::uint64_t operation_id, std::string name, secure_bytes value);
  void get(millis now, std::uint64_t operation_id, std::string name,
           secret_version version = secret_version{});
  void list(millis now, std::uint64_t operation_id);
  void remove(millis now, std::uint64_t operation_id, std::string name);
  // Asks the cluster to start a refresh round (docs/refresh.md §3): ok once
  // a node accepted the request, which it forwards to the leader. It does not
  // wait for the round to commit; the new epoch shows in the catalog.
  void refresh(millis now, std::uint64_t operation_id);
  // An admin's changes to the access policy and its listing
  // (client_access.cpp). Each change is proposed through the leader inside
  // the admin's signed envelope; every node checks it when it applies it.
  void grant(millis now, std::uint64_t operation_id, access::grant_request g);
  void revoke(millis now, std::uint64_t operation_id, std::uint64_t grant_id);
  // An admin's committee change, proposed to the leader (`pss member remove`).
  void change_committee(millis now, std::uint64_t operation_id, committee_change change);
  void read_policy(millis now, std::uint64_t operation_id);
  // Reads up to audit_records_per_response_max of `node`'s audit records
  // after `after_seq`, from that node only (the caller checks the chain).
  void read_audit(millis now, std::uint64_t operation_id, node_id node, std::uint64_t after_seq);
  // The view `node` serves, as it serves it: the caller decides whom to
  // believe (the answer is authentic, but one node may lie).
  void read_view(millis now, std::uint64_t operation_id, node_id node);

  void on_message(millis now, endpoint from, byte_view payload) override;
  void on_tick(millis now) override;
  [[nodiscard]] engine_output take_output() override;
  [[nodiscard]] std::vector<completion> take_completions();

  [[nodiscard]] const client_counters& counters() const noexcept { return counters_; }
  [[nodiscard]] const std::optional<cluster_view>& view() const noexcept { return view_; }
  [[nodiscard]] std::size_t pending_operations() const noexcept { return queue_.size(); }
  [[nodiscard]] node_id leader_guess() const noexcept { return leader_; }

  struct operation; // defined in client_engine.cpp

private:
  void enqueue(millis now, std::unique_ptr<operation> op);
  void start(millis now);
  void step(millis now);
  void finish(completion c);
  void fail(client_error e, std::string message, operation_outcome o = operation_outcome::fail);
  void event(std::string text);

  // The single-target request of a phase (view, catalog read, propose).
  void send_single(millis now);
  // Queues a request for `to`, signed for it when the client has an identity.
  void send_request(millis now, node_id to, const wire_message& m);
  void retry_single(millis now, bool next_node, node_id hint = no_node);
  void refused_single(millis now, const std::string& reason);
  [[nodiscard]] node_id next_node();
  [[nodiscard]] millis backoff() const;

  void begin_view(millis now);
  void begin_read(millis now);
  void begin_deal(millis now);
  void send_store(millis now, node_id to);
  void decide_put(millis now);
  void finish_put(secret_version version, std::string message);
  void begin_propose(millis now, bool fresh_sequence);
  void begin_refresh(millis now);
  void begin_shares(millis now);
  void send_early_shares(millis now);
  void ask_more_holders(millis now);
  void send_get_share(millis now, node_id to, std::optional<secret_version> version = std::nullopt);
  void take_share_answer(millis now, node_id from, std::uint64_t request_id, get_share_response&& m);
  void try_reconstruct(millis now);
  void finish_get_shortfall(millis now);
  [[nodiscard]] bool reask_holders(millis now, const std::vector<node_id>& nodes);

  void on_view(millis now, endpoint from, const get_view_response& m);
  void view_not_vouched(millis now, const cluster_view& served);
  void saw_version(const std::string& name, secret_version v);
  [[nodiscard]] std::optional<std::string> stale_record(const operation& op, const version_record& r) const;
  void on_read_reply(millis now, endpoint from, read_response&& m);
  void on_store_reply(millis now, node_id from, const store_share_response& m);
  void on_propose_reply(millis now, endpoint from, const propose_response& m);
  void on_refresh_reply(millis now, endpoint from, const refresh_response& m);
  void on_audit_reply(endpoint from, audit_response&& m);
  void on_share_reply(millis now, node_id from, get_share_response&& m);

  client_options options_;
  std::unique_ptr<crypto::random_source> random_;
  std::optional<cluster_view> view_;
  // The members' sealing keys whose signatures checked, the highest serial
  // of each this client saw in any view (docs/refresh.md §7.9): a view that
  // leaves one out or serves an older one does not move the client back. A
  // member without one is sealed to by its identity key.
  std::map<node_id, seal_announcement> seal_to_;
  millis view_learned_at_{0};
  node_id leader_;
  std::size_t round_robin_ = 0;
  sequence_number sequence_;
  std::uint64_t next_request_id_ = 1;

  std::deque<std::unique_ptr<operation>> queue_;
  // The highest version of each name this client saw acknowledged or read:
  // a "latest" read may never go below it.
  std::map<std::string, secret_version> seen_versions_;
  std::vector<completion> completions_;
  client_counters counters_;
  engine_output output_;
};

} // namespace pss::secrets
