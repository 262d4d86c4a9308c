// A node's part in refresh and recovery rounds (docs/refresh.md §3): dealing
// zero polynomials, opening and checking bundles, the masked responses, new
// shares, and HJKY recovery; plus the leader's phase decisions. Everything
// here is driven from drain() and on_tick(), with injected time and
// randomness, so rounds run under the simulator like everything else.
//
// SECRET: round_work holds sub-shares and masked values. They never leave
// this node except sealed to their receiver, and drop_round_work() zeroizes
// them when the round ends.
#include <algorithm>
#include <array>

#include "crypto/batch.hpp"
#include "crypto/decode.hpp"
#include "crypto/feldman.hpp"
#include "crypto/hash.hpp"
#include "crypto/seal.hpp"
#include "crypto/shamir.hpp"
#include "crypto/sign.hpp"
#include "secrets/node_engine.hpp"
#include "secrets/round_leader.hpp"
#include "secrets/round_participant.hpp"

#include "crypto/decode.hpp"

namespace pss::secrets {
namespace {


// A masked-values chunk's plaintext: offset, count, then canonical scalars.
secure_bytes encode_values(std::span<const crypto::scalar> values, std::size_t offset) {
  byte_writer w;
  w.u32(static_cast<std::uint32_t>(offset));
  w.u32(static_cast<std::uint32_t>(values.size()));
  for (const auto& v : values) w.raw(v.bytes());
  bytes plain = w.take();
  secure_bytes out{plain};
  zeroize(plain);
  return out;
}

// Seals each plaintext chunk to `to` with its own context, in order.
result<std::vector<bytes>> seal_chunks(const cluster_view& view, chunk_kind kind, std::uint64_t round,
                                       epoch_id epoch, node_id from, const member& to,
                                       const std::vector<secure_bytes>& plain,
                                       crypto::random_source& rng) {
  if (plain.size() > round_chunks_max) return error{errc::too_large, "a round with too many secrets"};
  std::vector<bytes> out;
  for (std::size_t c = 0; c < plain.size(); ++c) {
    round_chunk header{kind, round, from, to.id, static_cast<std::uint32_t>(c),
                       static_cast<std::uint32_t>(plain.size()), {}};
    auto context = round_chunk_context(view.cluster_id, header, epoch);
    if (!context.ok()) return context.err();
    auto sealed = crypto::seal(to.box_key, plain[c].view(), *context, rng);
    if (!sealed.ok()) return sealed.err();
    out.push_back(std::move(*sealed));
  }
  return out;
}

// Masked values in chunks of round_chunk_values.
std::vector<secure_bytes> masked_chunks(const std::vector<crypto::scalar>& values) {
  std::vector<secure_bytes> out;
  for (std::size_t begin = 0; begin < values.size() || out.empty(); begin += round_chunk_values) {
    const std::size_t end = std::min(values.size(), begin + round_chunk_values);
    out.push_back(encode_values(std::span{values}.subspan(begin, end - begin), begin));
    if (end == values.size()) break;
  }
  return out;
}

// Opens the chunks of one sender, in order.
result<std::vector<secure_bytes>> open_chunks(const cluster_view& view, const crypto::box_key_pair& key,
                                              chunk_kind kind, std::uint64_t round, epoch_id epoch,
                                              node_id from, node_id self,
                                              const std::map<std::uint32_t, bytes>& chunks) {
  std::vector<secure_bytes> out;
  for (const auto& [index, sealed] : chunks) {
    round_chunk header{kind, round, from, self, index, static_cast<std::uint32_t>(chunks.size()), {}};
    auto context = round_chunk_context(view.cluster_id, header, epoch);
    if (!context.ok()) return context.err();
    auto plain = crypto::open_sealed(key, sealed, *context);
    if (!plain.ok()) return plain.err();
    out.push_back(std::move(*plain));
  }
  return out;
}

// Decodes masked-value chunks (in order); `count` values expected.
result<std::vector<crypto::scalar>> decode_masked(const std::vector<secure_bytes>& plain, std::size_t count) {
  std::vector<crypto::scalar> values;
  values.reserve(count);
  for (const auto& p : plain) {
    byte_reader r{p.view()};
    const auto offset = r.u32();
    const auto n = r.u32();
    if (offset != values.size() || n > round_chunk_values || offset + n > count)
      return error{errc::malformed, "a chunk out of place"};
    for (std::uint32_t i = 0; i < n && r.ok(); ++i) {
      auto v = crypto::scalar::from_bytes(r.raw(crypto::scalar::size));
      if (!v.ok()) return error{errc::malformed, "a chunk value is not a canonical scalar"};
      values.push_back(*v);
    }
    PSS_TRY(r.finish("round chunk"));
  }
  if (values.size() != count) return error{errc::malformed, "the wrong number of masked values"};
  return values;
}

bool contains(const std::vector<node_id>& v, node_id n) {
  return std::find(v.begin(), v.end(), n) != v.end();
}

template <std::size_t N>
void copy_into(std::array<std::uint8_t, N>& out, byte_view in) {
  PSS_CHECK(in.size() == N);
  std::copy(in.begin(), in.end(), out.begin());
}

} // namespace

bool node_engine::holds_round_material() const noexcept {
  return !work_.opened.empty() || !work_.chunks.empty() || !work_.sealed_to.empty()
         || !work_.masked_out.empty() || !work_.masked_in.empty() || work_.dealing.has_value()
         || !work_.ephemerals.empty() || !work_.forged.empty();
}

void node_engine::drop_round_work() {
  work_ = round_work{}; // scalars zeroize themselves; sealed bytes are ciphertext
}

void node_engine::request_refresh(millis now) {
  if (failed_) return;
  if (core().role() == raft::role::leader) queue_.refresh_requested = true;
  else forward(now, round_begin{round_kind::refresh, catalog_.last_round_id() + 1, {}});
  drain(now);
}

void node_engine::transfer_leadership(millis now, node_id target) {
  if (failed_ || core().role() != raft::role::leader) return;
  (void)core().transfer_leadership(now, target); // refused: a non-voter, itself, or a transfer running
  drain(now);
}

void node_engine::on_refresh_request(millis now, endpoint from, const refresh_request& m, const requester& who) {
  // The leader starts the round; a follower passes the request on, and
  // says so only if it knows whom to pass it to.
  if (core().role() == raft::role::leader) {
    queue_.refresh_requested = true;
  } else if (core().leader_hint() != node_id{} && core().leader_hint() != keys_.id) {
    forward(now, round_begin{round_kind::refresh, catalog_.last_round_id() + 1, {}});
  } else {
    return send(from, refresh_response{m.request_id, reply_code::unavailable,
                                       node_name(keys_.id) + ": no leader is known; retry"});
  }
  const refresh_response ok{m.request_id, reply_code::ok,
                            catalog_.round() ? "a round is running; a refresh round follows it"
                                             : "a refresh round was requested"};
  // The request is in the log; its record rides the audit log's next sync.
  if (record(now, audit::action::refresh, who, "", 0, audit::outcome::ok).ok()) return send(from, ok);
  send(from, ok);
}

void node_engine::propose_round(millis now, command_body body) {
  const command c{session_header{client_id{}, sequence_number{}, now}, std::move(body)};
  if (core().propose(now, encode_command(c)).ok()) ++counters_.proposals;
}

void node_engine::forward(millis now, command_body body) {
  if (core().role() == raft::role::leader) return propose_round(now, std::move(body));
  const node_id leader = core().leader_hint();
  if (leader == node_id{} || leader == keys_.id) return;
  send(endpoint::of(leader), node_proposal{std::move(body)});
}

void node_engine::on_node_proposal(millis now, endpoint from, node_proposal&& m) {
  const node_id sender = from.as_node();
  // A node may speak only for itself.
  bool own = std::visit(
    [&](const auto& b) {
      using T = std::decay_t<decltype(b)>;
      if constexpr (std::is_same_v<T, round_dealing>) return b.dealer == sender;
      else if constexpr (std::is_same_v<T, round_response>) return b.receiver == sender;
      else if constexpr (std::is_same_v<T, round_reveal>) return b.dealer == sender;
      else if constexpr (std::is_same_v<T, round_ready>) return b.node == sender;
      else if constexpr (std::is_same_v<T, shares_lost>) return b.node == sender;
      else if constexpr (std::is_same_v<T, round_begin>)
        return b.kind == round_kind::refresh || b.target == sender;
      else return false; // close, qualify, commit, abort are the leader's own
    },
    m.body);
  if (!own) {
    ++counters_.unexpected;
    return;
  }
  if (core().role() != raft::role::leader) return; // the sender retries at the leader
  // Rounds are started by the leader in lead_round: a due refresh first,
  // then queued recoveries, so neither starves the other.
  if (auto* b = std::get_if<round_begin>(&m.body)) {
    if (b->kind == round_kind::refresh) queue_.refresh_requested = true;
    else queue_.recoveries.insert(b->target);
    return;
  }
  if (auto* l = std::get_if<shares_lost>(&m.body); l != nullptr && !admit_shares_lost(now, *l)) return;
  propose_round(now, std::move(m.body));
}

void node_engine::on_round_chunk(endpoint from, round_chunk&& m) {
  const auto& r = catalog_.round();
  const bool expected = r && m.round_id == r->id && m.sender == from.as_node() && m.receiver == keys_.id
                        && (m.kind == chunk_kind::bundle ? r->is_participant(m.sender)
                                                         : r->kind == round_kind::recovery && r->target == keys_.id);
  auto& counts = m.kind == chunk_kind::bundle ? work_.chunk_counts : work_.masked_counts;
  auto& store = m.kind == chunk_kind::bundle ? work_.chunks : work_.masked_in;
  // Every sender sends exactly ceil(M / round_chunk_values) chunks (one for
  // an empty round), so what one buffers per sender is bounded by the round.
  if (!expected || work_.id != m.round_id || m.chunks != round_chunks_for(r->secrets.size())
      || (counts.contains(m.sender) && counts[m.sender] != m.chunks)
      || (m.kind == chunk_kind::bundle && work_.opened.contains(m.sender))) {
    ++counters_.round_chunks_refused;
    return;
  }
  counts[m.sender] = m.chunks;
  store[m.sender].emplace(m.chunk, std::move(m.sealed));
}

void node_engine::drive_rounds(millis now) {
  const auto& r = catalog_.round();
  if (!r) {
    if (work_.id != 0) drop_round_work();
  } else if (work_.id != r->id) {
    drop_round_work();
    work_.id = r->id;
    work_.phase_since = now;
    work_.seen_phase = r->phase;
  }
  if (r && r->phase != work_.seen_phase) {
    work_.seen_phase = r->phase;
    work_.phase_since = now;
    work_.next_send = now; // act on the new phase at once
  }
  if (core().role() == raft::role::leader) lead_round(now);
  if (r) take_part(now);
  if (options_.test_only.misbehave == round_misbehaviour::spam_recovery) spam_recovery(now);
  // A caught-up member checks, now and then, that it holds every share the
  // catalog says it holds (else its journal was lost: it leaves the holder
  // lists), and asks for its own recovery when it misses any; also while a
  // refresh runs, since refreshes may follow each other with no gap (the
  // refresh does without its shares; the leader queues the recovery).
  if ((!r || r->kind == round_kind::refresh) && !rejoin_unrecorded() && now >= next_round_request_
      && caught_up()) {
    next_round_request_ = now + options_.round_resend_interval * 4;
    if (holds_less_than_listed()) {
      // A declaration the log applied is over: listed again for shares it
      // lacks, this node lost them anew, and says so under a new nonce.
      if (lost_nonce_ && catalog_.shares_lost_recorded(keys_.id, *lost_nonce_)) lost_nonce_.reset();
      forward(now, shares_lost{keys_.id, lost_nonce()});
    } else {
      lost_nonce_.reset(); // the declaration applied (or was never needed): the next one is new
      if (options_.auto_recover) ask_for_recovery(now);
    }
  }
}

void node_engine::lead_round(millis now) {
  const auto& r = catalog_.round();
  if (last_role_ != raft::role::leader) queue_.next_refresh = now + options_.refresh_interval;
  if (!r) {
    if (now < work_.next_send) return;
    const auto start = next_round(queue_, now, options_.refresh_interval);
    if (!start) return;
    work_.next_send = now + options_.round_resend_interval;
    propose_round(now, round_begin{start->kind, catalog_.last_round_id() + 1, start->target});
    return;
  }
  // Which phase end to propose, if any: a pure decision (round_leader.hpp).
  const lead_clock clock{work_.phase_since, work_.next_send, work_.next_lead,
                         work_.led_round,   work_.led_phase, options_.round_phase_timeout};
  auto body = decide(*r, clock, now);
  if (!body) return;
  work_.led_round = r->id;
  work_.led_phase = r->phase;
  work_.next_lead = now + options_.round_resend_interval;
  propose_round(now, std::move(*body));
}

// This node's part: what arrived is opened first (it decides whether every
// dealer is settled), then the pure plan (round_participant.hpp) is performed.
void node_engine::take_part(millis now) {
  const round_state& r = *catalog_.round();
  const bool resend = now >= work_.next_send;
  if (resend) work_.next_send = now + options_.round_resend_interval;
  if (r.phase == round_phase::responding && r.is_participant(keys_.id)) {
    if (!work_.closed_at) work_.closed_at = now;
    if (!r.responses.contains(keys_.id)) open_bundles(r);
  }
  const bool settled = std::all_of(r.dealers.begin(), r.dealers.end(), [&](node_id d) {
    return work_.opened.contains(d) || work_.bad.contains(d) || work_.unmatched.contains(d);
  });
  const part_progress progress{work_.dealt, work_.closed_at, settled, resend, options_.round_phase_timeout};
  for (const part_step step : plan_part(r, keys_.id, progress, now)) {
    switch (step) {
      case part_step::deal: deal(now, r); break;
      case part_step::resend_dealing:
        send_bundles(r, false);
        deal(now, r); // re-forwards the same dealing
        break;
      case part_step::resend_bundles: send_bundles(r, true); break;
      case part_step::respond: respond(now, r); break;
      case part_step::reveal: send_reveals(now, r); break;
      case part_step::finish_refresh: finish_refresh(now, r, resend); break;
      case part_step::send_masked: send_masked(now, r, resend); break;
      case part_step::recover: try_recover(now, r, resend); break;
    }
  }
}

// A bundle whose bytes do not match the dealer's digest came from the
// dealer so (links are authenticated): this node cannot prove what it got,
// so it answers "missing" for that dealer, at once. Committed bytes that do
// not open or decode are a complaint ("bad"), which the dealer must answer
// with a reveal.
void node_engine::open_bundles(const round_state& r) {
  const std::size_t me = r.position(keys_.id);
  for (node_id dealer : r.dealers) {
    if (work_.opened.contains(dealer) || work_.bad.contains(dealer) || work_.unmatched.contains(dealer)) continue;
    auto it = work_.chunks.find(dealer);
    if (it == work_.chunks.end() || it->second.size() != work_.chunk_counts[dealer]) continue;
    std::vector<digest> digests;
    for (const auto& [index, sealed] : it->second) digests.push_back(chunk_digest(sealed));
    if (bundle_digest(digests) != r.dealings.at(dealer)[me]) {
      ++counters_.round_chunks_refused;
      event("round " + std::to_string(r.id) + ": " + node_name(dealer) + "'s bundle does not match its dealing");
      work_.unmatched.insert(dealer);
      work_.chunks.erase(it);
      continue;
    }
    auto bundle = open_bundle(r, dealer, it->second);
    if (!bundle.ok()) {
      work_.bad.insert(dealer);
      event("round " + std::to_string(r.id) + ": " + node_name(dealer) + "'s bundle: " + bundle.err().message());
      continue;
    }
    work_.opened.emplace(dealer, std::move(*bundle));
    work_.chunks.erase(it);
  }
}

// Chunk by chunk, by the rules a replica applies to a revealed chunk
// (round_bundle.hpp), so that this node complains exactly when a reveal
// would convict the dealer.
result<crypto::sub_share_bundle> node_engine::open_bundle(const round_state& r, node_id dealer,
                                                         const std::map<std::uint32_t, bytes>& chunks) const {
  const cluster_view& view = catalog_.view();
  crypto::sub_share_bundle out{view.find(dealer)->index, self_index_, share_index{r.zero_point(view)}, {}, {}};
  for (const auto& [index, sealed] : chunks) {
    auto context = bundle_chunk_context(view, r, dealer, keys_.id, index);
    if (!context.ok()) return context.err();
    auto plain = crypto::open_sealed(keys_.box, sealed, *context);
    if (!plain.ok()) return plain.err();
    auto chunk = check_bundle_chunk(view, r, dealer, keys_.id, index, plain->view());
    if (!chunk.ok()) return chunk.err();
    if (index == 0) out.mask = chunk->mask;
    else if (!(chunk->mask == out.mask)) return error{errc::mismatch, "the chunks disagree about the mask"};
    out.values.insert(out.values.end(), chunk->values.begin(), chunk->values.end());
  }
  return out;
}

void node_engine::respond(millis now, const round_state& r) {
  auto lambdas = crypto::challenge_coefficients({r.challenge.data(), r.challenge.size()},
                                                std::max<std::size_t>(1, r.secrets.size()));
  PSS_CHECK(lambdas.ok());
  round_response resp;
  resp.round_id = r.id;
  resp.receiver = keys_.id;
  if (contains(r.dealers, keys_.id)) resp.polynomial = response_polynomial(r, *lambdas);
  for (node_id dealer : r.dealers) {
    dealer_answer a;
    a.dealer = dealer;
    if (work_.bad.contains(dealer)) {
      a.status = answer_status::bad;
    } else if (auto it = work_.opened.find(dealer); it == work_.opened.end()) {
      a.status = answer_status::missing;
    } else if (dealer == keys_.id && !resp.polynomial.empty()) {
      // Its own y is its polynomial's (nobody checks a dealer's own answer): no second pass over M.
      std::vector<crypto::scalar> q;
      for (const auto& c : resp.polynomial) q.push_back(*crypto::scalar::from_bytes({c.data(), c.size()}));
      copy_into(a.y, crypto::evaluate_vanishing(q, share_index{r.zero_point(catalog_.view())}, self_index_).bytes());
    } else {
      auto y = crypto::combine(it->second, *lambdas);
      PSS_CHECK(y.ok()); // open_bundle checked the count
      copy_into(a.y, y->bytes());
    }
    if (dealer != keys_.id) misbehave_in_answer(a);
    resp.answers.push_back(a);
  }
  auto sig = crypto::sign(keys_.sign, round_signature_context(catalog_.view().cluster_id),
                          signed_part(catalog_.view().cluster_id, resp));
  PSS_CHECK(sig.ok());
  copy_into(resp.signature, sig->bytes());
  forward(now, std::move(resp));
}

// s' = s + Σ_{QUAL} δ(x) for every round version this node holds, stored
// pending for the new epoch and synced before it says ready.
// Whether this node still has every qualified dealer's bundle in memory (a
// restart loses them: the node then sits the round out and is recovered).
static bool has_bundles(const std::map<node_id, crypto::sub_share_bundle>& opened,
                        const std::vector<node_id>& qualified) {
  return std::all_of(qualified.begin(), qualified.end(), [&](node_id d) { return opened.contains(d); });
}

void node_engine::finish_refresh(millis now, const round_state& r, bool resend) {
  if (!work_.finished_here && !has_bundles(work_.opened, r.qualified)) return;
  if (!work_.finished_here) {
    for (std::size_t m = 0; m < r.secrets.size(); ++m) {
      auto rec = catalog_.lookup(r.secrets[m].name, r.secrets[m].version);
      if (!rec.ok()) continue;
      const held_share* held = shares_->find_live(r.secrets[m].name, rec->version, rec->epoch, rec->commitments_digest);
      if (!contains(rec->holders, keys_.id)) continue;
      // Listed without the share (its journal was lost): never ready, so
      // the commit does not keep it listed; it leaves the lists and is recovered.
      if (held == nullptr) return sit_out(r, error{errc::not_found, "a share this node is listed for is missing here"});
      crypto::share next = held->value;
      for (node_id d : r.qualified) next.value += work_.opened.at(d).values[m];
      const share_key key{r.secrets[m].name, rec->version, r.epoch, rec->commitments_digest};
      if (auto st = shares_->store_round_share(key, next, now, r.id); !st.ok()) return sit_out(r, st.err());
    }
    if (auto st = flush_shares(); !st.ok()) return fail(st.err());
    work_.finished_here = true;
    work_.opened.clear(); // the sub-shares are folded into the pending shares
    work_.chunks.clear();
    resend = true;
  }
  if (!contains(r.ready, keys_.id) && resend && !work_.recover_failed) forward(now, round_ready{r.id, keys_.id});
}

// A recovery helper: v = s + Σ_{QUAL} ζ(x), sealed to the target.
void node_engine::send_masked(millis /*now*/, const round_state& r, bool resend) {
  if (work_.masked_out.empty()) {
    if (!has_bundles(work_.opened, r.qualified)) return;
    std::vector<crypto::scalar> values;
    for (std::size_t m = 0; m < r.secrets.size(); ++m) {
      auto rec = catalog_.lookup(r.secrets[m].name, r.secrets[m].version);
      const held_share* held =
        rec.ok() ? shares_->find_live(r.secrets[m].name, rec->version, rec->epoch, rec->commitments_digest) : nullptr;
      if (held == nullptr) {
        event("round " + std::to_string(r.id) + ": cannot help, a share is missing here");
        return;
      }
      crypto::scalar v = held->value.value;
      for (node_id d : r.qualified) v += work_.opened.at(d).values[m];
      if (options_.test_only.misbehave == round_misbehaviour::false_masked) v += crypto::scalar::one();
      values.push_back(v);
    }
    const member* target = catalog_.view().find(r.target);
    auto sealed = seal_chunks(catalog_.view(), chunk_kind::masked, r.id, r.epoch, keys_.id, *target,
                              masked_chunks(values), *random_);
    if (!sealed.ok()) return;
    work_.masked_out = std::move(*sealed);
    work_.opened.clear();
    work_.chunks.clear();
    resend = true;
  }
  if (!resend) return;
  for (std::size_t c = 0; c < work_.masked_out.size(); ++c)
    send(endpoint::of(r.target), round_chunk{chunk_kind::masked, r.id, keys_.id, r.target,
                                             static_cast<std::uint32_t>(c),
                                             static_cast<std::uint32_t>(work_.masked_out.size()),
                                             work_.masked_out[c]});
}

// The target: interpolate each version at its own index from the helpers'
// masked values, check them, store, sync, then say ready.
void node_engine::try_recover(millis now, const round_state& r, bool resend) {
  if (work_.finished_here) {
    if (resend && !work_.recover_failed) forward(now, round_ready{r.id, keys_.id});
    return;
  }
  std::vector<std::pair<node_id, std::vector<crypto::scalar>>> helpers;
  for (node_id h : r.receivers) {
    auto it = work_.masked_in.find(h);
    if (it == work_.masked_in.end() || it->second.size() != work_.masked_counts[h]) return; // wait
    auto plain = open_chunks(catalog_.view(), keys_.box, chunk_kind::masked, r.id, r.epoch, h, keys_.id,
                             it->second);
    auto values = plain.ok() ? decode_masked(*plain, r.secrets.size())
                             : result<std::vector<crypto::scalar>>{plain.err()};
    if (!values.ok()) {
      event("round " + std::to_string(r.id) + ": " + node_name(h) + "'s masked values: " + values.err().message());
      work_.masked_in.erase(it);
      return;
    }
    helpers.emplace_back(h, std::move(*values));
  }
  const cluster_view& view = catalog_.view();
  const std::size_t t = view.threshold;
  for (std::size_t m = 0; m < r.secrets.size(); ++m) {
    auto rec = catalog_.lookup(r.secrets[m].name, r.secrets[m].version);
    if (!rec.ok()) continue;
    std::vector<crypto::share> points;
    for (const auto& [h, v] : helpers) points.push_back(crypto::share{view.find(h)->index, v[m]});
    // Within the unique decoding radius a lying helper is outvoted; after a
    // refresh, with no commitment to check one share against, t+1 helpers
    // must agree (the catalog finishes such a round only with t+1).
    auto mine = crypto::decode_at(points, t, self_index_);
    const bool dealt_epoch = rec->epoch == rec->dealt_epoch;
    bool good = mine.ok() && (dealt_epoch || mine->fits > t);
    if (good && !mine->misfits.empty()) ++counters_.recovery_misfits;
    const crypto::share recovered{self_index_, good ? mine->value : crypto::scalar::zero()};
    if (good && dealt_epoch) {
      auto c = crypto::commitment::decode(rec->commitments, t);
      good = c.ok() && c->verify(recovered).ok();
    }
    if (!good) {
      event("round " + std::to_string(r.id) + ": a recovered share does not verify; waiting for the round to end");
      work_.finished_here = true;
      work_.recover_failed = true; // never say ready; the leader aborts the round
      return;
    }
    const share_key key{r.secrets[m].name, rec->version, rec->epoch, rec->commitments_digest};
    if (auto st = shares_->store_round_share(key, recovered, now, r.id); !st.ok()) return sit_out(r, st.err());
  }
  if (auto st = flush_shares(); !st.ok()) return fail(st.err());
  work_.finished_here = true;
  work_.masked_in.clear();
  event("recovered " + std::to_string(r.secrets.size()) + " shares in round " + std::to_string(r.id));
  forward(now, round_ready{r.id, keys_.id});
}

} // namespace pss::secrets
