// The Byzantine adversary of `pss sim --engine secrets --byzantine K` (issue
// 12): it owns K nodes, which run the real engine, and uses everything those
// nodes see, in memory and on the wire, against the others and the clients:
//
// - it keeps every share its nodes hold (all epochs, pending ones too), and
//   every share it can open from the other nodes' answers to it;
// - it replays and redirects every signed request its nodes received, from
//   an endpoint of its own, and replays its nodes' old messages to other
//   members (stale dealings, responses, chunks, declarations), which every
//   member must drop as stale or already applied;
// - it asks the honest holders for the shares its nodes hold, sealed to a
//   key of its own, signed with a key the policy never granted, or with a
//   credential it found in its nodes' memory (none, unless the planted bug
//   node-holds-token put one there);
// - it answers clients with rolled-back and fabricated records (its own
//   polynomial, its own ciphertext, consistent shares from its nodes), with
//   forged shares, with another version in a put's acknowledgement, and
//   with replies claiming to come from other members, at request ids it
//   predicts from the ones it saw (dropped by a client host that binds a
//   reply to its connection; the planted bug unbound-sender trusts them);
// - with a store filler (issue 13), it owns a client an admin once granted
//   write on "byz/*", and deals valid shares of names it never registers to
//   every honest member, as fast as they take them: the per-client quota
//   and the rounds' half of each store must keep refresh going.
//
// Its checker: `shares_max()`, the most shares of one (name, version, epoch,
// dealing) it ever held together, must stay below t. CAF-free and
// deterministic: every choice comes from the prng the caller passes, and
// every key from the seed.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "access/policy.hpp"
#include "core/bytes.hpp"
#include "core/ids.hpp"
#include "core/prng.hpp"
#include "crypto/random_source.hpp"
#include "crypto/seal.hpp"
#include "crypto/sign.hpp"
#include "secrets/cluster.hpp"
#include "secrets/engine.hpp"
#include "secrets/node_engine.hpp"

namespace pss::sim {

using secrets::millis;

struct adversary_counters {
  std::uint64_t requests_seen = 0;   // client requests that reached its nodes
  std::uint64_t redirects = 0;       // captured requests sent on to other nodes
  std::uint64_t own_requests = 0;    // share requests of its own
  std::uint64_t credential_uses = 0; // ... carrying a credential found in a node's memory
  std::uint64_t rollbacks = 0;       // an older record served as the latest
  std::uint64_t fabricated = 0;      // a record of its own making
  std::uint64_t forged_shares = 0;
  std::uint64_t forged_versions = 0; // a put acknowledged with another version
  std::uint64_t impersonations = 0;  // replies claiming another member as sender
  std::uint64_t shares_opened = 0;   // other nodes' shares it could open
  std::uint64_t link_replays = 0;    // its nodes' old messages to members, sent again
  std::uint64_t stores_filled = 0;   // the filler's pending shares an honest member took
  std::uint64_t stores_refused = 0;  // ... and refused as over its quota or the clients' half
};

// A message the adversary sends: `from` is what it claims; the connection
// it travels over is always one of its own (`link`).
struct adversary_message {
  secrets::endpoint from;
  secrets::endpoint link;
  secrets::endpoint to;
  bytes payload;
  millis delay{0};
};

class adversary {
public:
  struct setup {
    secrets::cluster_view view;
    std::set<node_id> corrupted;
    secrets::endpoint self;                          // its own client endpoint
    std::shared_ptr<const crypto::sign_key_pair> own_key; // a key no policy grants
    crypto::sign_public_key admin_key;               // public: whom a bearer token would speak for
    access::unix_ms wall_offset = 0;                 // the nodes' wall clock at simulated zero
    std::uint64_t seed = 0;
    std::function<const crypto::box_key_pair&(node_id)> box_key;
    std::function<const secrets::node_engine*(node_id)> engine; // nullptr while the node is down
    // The store filler, when the seed draws it.
    struct filler {
      secrets::endpoint self;                          // a client endpoint of its own
      std::shared_ptr<const crypto::sign_key_pair> key; // granted write on filler_pattern
      // The admin's signed grant of that right, addressed to member `to` at
      // `now`: the one thing of the admin's the adversary has.
      std::function<bytes(millis now, node_id to)> grant;
    };
    std::optional<filler> fill;
  };
  static constexpr std::string_view filler_pattern = "byz/*";
  explicit adversary(setup s);

  [[nodiscard]] bool controls(node_id n) const { return setup_.corrupted.contains(n); }
  [[nodiscard]] secrets::endpoint self() const { return setup_.self; }
  // Its own endpoint or its filler's: messages to either come to it.
  [[nodiscard]] bool owns(secrets::endpoint e) const { return e == self() || (setup_.fill && e == setup_.fill->self); }

  // A client's request reached corrupted node `to`.
  void observe_request(secrets::endpoint client, node_id to, byte_view payload);
  // Corrupted node `from` sent `payload` to member `to`: kept to replay later.
  void observe_link(node_id from, node_id to, byte_view payload);
  // After an input of corrupted node n: what its memory holds now.
  void observe_node(node_id n);
  // A corrupted node's message to a client: what goes out instead.
  [[nodiscard]] std::vector<adversary_message> rewrite_reply(node_id from, secrets::endpoint client, bytes payload,
                                                             prng& rng);
  // Its own moves at time `now`: redirects and share requests.
  [[nodiscard]] std::vector<adversary_message> act(millis now, prng& rng);
  // A node's answer to the adversary's own endpoint, or to its filler's.
  void on_reply(node_id from, secrets::endpoint to, byte_view payload);

  // The most shares of one dealing in one epoch it ever held together.
  [[nodiscard]] std::size_t shares_max() const noexcept { return shares_max_; }
  // Which dealing that was, for the violation message (no share values).
  [[nodiscard]] const std::string& shares_max_of() const noexcept { return shares_max_of_; }
  [[nodiscard]] const adversary_counters& counters() const noexcept { return counters_; }

private:
  using dealing_key = std::tuple<std::string, secret_version, epoch_id, secrets::digest>;
  struct asked { // a share request, the client's or its own
    std::string name;
    secret_version version;
    std::array<std::uint8_t, crypto::box_key_bytes> reader_key{};
    secrets::digest dealing{};
  };
  struct captured {
    node_id to;
    bytes envelope;
  };
  struct fake_record { // a record it fabricated for one client's read
    secret_version version;
    epoch_id epoch;
    std::size_t threshold = 0;
    bytes commitments;
    secrets::digest digest{};
    bytes ciphertext;
    std::map<std::uint64_t, crypto::share> shares; // by member index
  };

  void learn(const dealing_key& key, std::uint64_t index);
  [[nodiscard]] std::optional<secrets::version_record> older_record(const std::string& name, node_id at) const;
  const fake_record* fabricate(secrets::endpoint client, const std::string& name, secret_version version,
                               epoch_id epoch, prng& rng);
  // Did `client` ask node `at` for the record of `name` right before this
  // share request?
  [[nodiscard]] bool read_pending(secrets::endpoint client, node_id at, const std::string& name,
                                  std::uint64_t share_request) const;
  [[nodiscard]] std::optional<bytes> forge_read(node_id from, secrets::endpoint client, secrets::read_response m,
                                                prng& rng);
  [[nodiscard]] std::optional<bytes> forge_share(node_id from, secrets::endpoint client,
                                                 secrets::get_share_response m, prng& rng);
  [[nodiscard]] std::vector<adversary_message> impersonate(node_id link, secrets::endpoint client, prng& rng);
  [[nodiscard]] std::optional<adversary_message> ask_for_share(millis now, node_id holder, const asked& what);
  // The store filler (sim/byzantine_fill.cpp).
  void fill_stores(millis now, std::vector<adversary_message>& out);
  [[nodiscard]] bool filler_granted(millis now, const secrets::node_engine& e) const;
  void deal_filler_share(millis now, const secrets::catalog& state, std::vector<adversary_message>& out);
  void on_filler_reply(const secrets::wire_message& m);

  setup setup_;
  crypto::seeded_random random_;
  crypto::box_key_pair reader_;
  std::optional<crypto::signature> credential_; // found in a corrupted node's memory
  std::map<dealing_key, std::set<std::uint64_t>> known_;
  std::size_t shares_max_ = 0;
  std::string shares_max_of_;
  std::deque<captured> captured_;
  struct sent_link {
    node_id from;
    node_id to;
    bytes payload;
  };
  std::deque<sent_link> sent_; // its nodes' messages to members, for replays
  [[nodiscard]] std::optional<adversary_message> replay_link(prng& rng);
  std::map<std::tuple<std::uint64_t, node_id, std::uint64_t>, asked> client_asks_; // client, node, request id
  std::map<std::tuple<std::uint64_t, node_id, std::uint64_t>, std::string> client_reads_; // -> name
  std::set<std::tuple<std::uint64_t, node_id, std::uint64_t>> client_puts_; // proposals that register
  std::map<std::uint64_t, std::uint64_t> last_request_id_;  // per client
  std::map<std::uint64_t, std::string> last_name_;          // per client
  std::map<std::pair<std::uint64_t, std::string>, fake_record> fakes_; // per client and name
  std::map<std::uint64_t, std::pair<node_id, asked>> own_asks_;         // request id -> holder
  std::uint64_t next_request_id_ = 1;
  millis filler_grant_next_{0};     // when it asks for its grant again, until applied
  std::uint64_t filler_names_ = 0;  // "byz/<n>": every dealing a name of its own
  std::size_t filler_batch_ = 1;    // dealings per move: doubles while taken, 1 after a refusal
  adversary_counters counters_;
};

} // namespace pss::sim
