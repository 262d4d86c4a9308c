// A member's private work in one round (docs/refresh.md §3), as a state
// machine that returns effects. It performs the plan of round_participant.hpp:
// deals and seals, opens and checks bundles, answers, reveals, and computes
// new shares or masked values or a recovered share. It reads the catalog and
// the share store and never writes them; what must happen outside it (a
// message, a proposal to the leader, a share to store, a sync) it returns as
// effects, in the order they must happen, and node_engine performs them
// (node_rounds.cpp, perform_round_effects). Time and randomness are injected,
// so rounds run under the simulator like everything else.
//
// SECRET: the work holds sub-shares, masked values, this node's dealing and
// the ephemeral keys of its chunks. They leave the machine only sealed to
// their receiver, as a store effect (a new share for this node's own store),
// or, for a disputed chunk, as the ephemeral key that opens what that
// receiver already had. reset() zeroizes them when the round ends.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "core/ids.hpp"
#include "core/result.hpp"
#include "crypto/batch.hpp"
#include "crypto/random_source.hpp"
#include "crypto/seal.hpp"
#include "secrets/catalog.hpp"
#include "secrets/cluster.hpp"
#include "secrets/commands.hpp"
#include "secrets/messages.hpp"
#include "secrets/share_store.hpp"

namespace pss::secrets {

// A Byzantine member's part in rounds, for the simulator's --byzantine
// (issue 13). Each is what a faulty member could do with the real engine.
enum class round_misbehaviour : std::uint8_t {
  none = 0,
  complain,        // answer "bad" about every other dealer
  false_y,         // answer a made-up y for every other dealer
  inconsistent,    // deal one receiver a value off the polynomial, and reveal it when disputed
  garbage_fit,     // deal garbage to t-1 receivers, publish a polynomial through it, send nothing to the rest
  withhold_reveal, // deal one receiver a value off the polynomial and never answer the dispute
  equivocate,      // send one receiver bytes other than those committed
  false_masked,    // as a recovery's helper, send the target masked values off by one
  spam_recovery,   // declare its shares lost and ask for recovery again and again, replaying old declarations
  answer_missing,  // answer "missing" about the two lowest other dealers: a claim nobody can disprove
};
// Every misbehaving member also deals, in a reshare (docs/refresh.md §7.5),
// each share plus a random shift: a lie no receiver can see, which the check
// against C_0 must catch (random, so two liars' shifts never cancel).

struct round_member_config {
  const node_keys* keys = nullptr;        // this node's identity, box and signing keys (its index is the view's)
  crypto::random_source* random = nullptr;
  millis phase_timeout{0};
  // A faulty dealer (issue 5): deal one sub-share that is off its
  // polynomial, or send a receiver bytes other than those it committed to.
  bool deal_inconsistent = false;
  bool deal_equivocating = false;
  round_misbehaviour misbehave = round_misbehaviour::none;
  // The node's sealing key pair with this public key, if it holds it
  // (docs/refresh.md §7.9); null: only the identity key opens.
  std::function<const crypto::box_key_pair*(const crypto::box_public_key&)> sealing_pair;
};

inline constexpr std::string_view seal_key_gone = "this round's chunks are sealed to a key this node no longer holds";

// What node_engine does for the member, in order. A store or sync that
// fails ends the list: the node sits the round out or stops.
namespace round_fx {
struct send {      // a round chunk to another member
  node_id to;
  round_chunk chunk;
};
struct propose {   // a round command, forwarded to the leader
  command_body body;
};
struct note {      // an event for the node's log (never secret material)
  std::string text;
};
struct store {     // SECRET: a new share of this round, pending in the store
  share_key key;
  crypto::share value;
};
struct sync {};    // the share store's writes so far made durable
struct sit_out {   // this node cannot take part further: a full store, a missing share
  error why;
};
} // namespace round_fx

using round_effect =
  std::variant<round_fx::send, round_fx::propose, round_fx::note, round_fx::store, round_fx::sync, round_fx::sit_out>;

struct round_member_counters {
  std::uint64_t chunks_refused = 0; // stale, unexpected or not opening
  std::uint64_t dealt = 0;
  std::uint64_t reveals_sent = 0;   // resends counted
  std::uint64_t misfits = 0;        // recovered shares decoded around a helper's wrong value
};

class round_member {
public:
  explicit round_member(round_member_config config);

  // The round this work belongs to; 0: none.
  [[nodiscard]] std::uint64_t round_id() const noexcept { return work_.id; }
  // Zeroizes the last round's work and starts on round `id` (0: none).
  void reset(std::uint64_t id);
  // True while sub-shares, masked values, a dealing, ephemeral keys or
  // received chunks are held.
  [[nodiscard]] bool holds_material() const noexcept;

  // A chunk from a dealer, or from a helper at a recovery's target; refused
  // (counted) unless this round expects exactly it from that sender.
  void receive(const catalog& state, node_id from, round_chunk&& m);
  // Opens what arrived, asks plan_part and performs its steps against the
  // catalog's round (which must exist). `resend`: a resend tick is due.
  [[nodiscard]] std::vector<round_effect> step(const catalog& state, const share_store& shares, millis now,
                                               bool resend);
  // The node could not store this round's shares: it never says ready.
  void sat_out();

  [[nodiscard]] const round_member_counters& counters() const noexcept { return counters_; }

private:
  [[nodiscard]] share_index own_index(const cluster_view& view) const;
  // The pair that opens what this round seals to this node, or null.
  [[nodiscard]] const crypto::box_key_pair* sealing_pair(const cluster_view& view, const round_state& r) const;
  struct work {
    std::uint64_t id = 0;
    bool dealt = false;
    std::vector<std::vector<bytes>> sealed_to; // per participant: chunks
    // SECRET: this node's dealing (for its response polynomial), and the
    // ephemeral key of every chunk it sealed (revealed in a dispute).
    std::optional<crypto::batch_dealing> dealing;
    std::optional<scalar_bytes> mask_commitment; // a reshare's A = a·G, forwarded with its dealing
    std::vector<std::vector<crypto::box_key_pair>> ephemerals; // per participant: per chunk
    std::vector<digest> digests;                                // what this node committed to, per participant
    std::map<node_id, crypto::sub_share_bundle> forged;         // round_misbehaviour::garbage_fit
    std::map<node_id, std::map<std::uint32_t, bytes>> chunks;   // bundles received
    std::map<node_id, std::uint32_t> chunk_counts;
    std::map<node_id, crypto::sub_share_bundle> opened;         // opened bundles
    std::set<node_id> bad;
    std::set<node_id> unmatched; // dealers whose bytes did not match their digest: "missing"
    std::optional<millis> closed_at;
    bool responded = false;      // its response was sent once
    bool finished_here = false;  // new shares stored / masked values computed / recovered
    bool recover_failed = false; // this node never says ready in this round (a bad recovery, or sat out)
    std::vector<bytes> masked_out;                               // helper → target
    std::map<node_id, std::map<std::uint32_t, bytes>> masked_in; // at the target
    std::map<node_id, std::uint32_t> masked_counts;
  };

  [[nodiscard]] node_id self() const noexcept { return config_.keys->id; }
  void emit(round_effect e) { out_.push_back(std::move(e)); }
  void note(std::string text) { emit(round_fx::note{std::move(text)}); }

  // round_member.cpp: receiving, opening and answering.
  void open_bundles(const catalog& state, const round_state& r);
  [[nodiscard]] result<crypto::sub_share_bundle> open_bundle(const catalog& state, const round_state& r,
                                                             node_id dealer,
                                                             const std::map<std::uint32_t, bytes>& chunks) const;
  void respond(const catalog& state, const round_state& r);

  // round_dealer.cpp: the dealer's side, and a Byzantine member's part.
  void deal(const catalog& state, const share_store& shares, const round_state& r);
  [[nodiscard]] result<crypto::batch_dealing> make_dealing(const catalog& state, const share_store& shares,
                                                           const round_state& r);
  void send_bundles(const catalog& state, const round_state& r, bool only_missing);
  [[nodiscard]] bool holds_committed_dealing(const round_state& r) const;
  [[nodiscard]] std::vector<scalar_bytes> response_polynomial(const catalog& state, const round_state& r,
                                                              std::span<const crypto::scalar> lambdas) const;
  void send_reveals(const catalog& state, const round_state& r);
  void misbehave_in_answer(dealer_answer& a, std::size_t other);
  void misbehave_in_dealing(const round_state& r, std::vector<crypto::sub_share_bundle>& bundles);

  // round_finish.cpp: the new shares, a helper's masked values, recovery.
  void finish_refresh(const catalog& state, const share_store& shares, const round_state& r, bool resend);
  void store_reshared(const catalog& state, const round_state& r);
  void send_masked(const catalog& state, const share_store& shares, const round_state& r, bool resend);
  void try_recover(const catalog& state, const round_state& r, bool resend);

  round_member_config config_;
  work work_;
  round_member_counters counters_;
  std::vector<round_effect> out_; // the effects of the step under way
};

} // namespace pss::secrets
