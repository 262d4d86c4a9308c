// A member's part in a round (round_member.hpp): receiving chunks, opening
// and checking the bundles, the signed response, and the plan performed.
//
// SECRET: opened bundles are sub-shares; they leave this file only folded
// into a new share (round_finish.cpp) or as a y that the dealer's published
// polynomial already determines.
#include "secrets/round_member.hpp"

#include <algorithm>
#include <array>

#include "crypto/batch.hpp"
#include "crypto/feldman.hpp"
#include "crypto/sign.hpp"
#include "secrets/round_bundle.hpp"
#include "secrets/round_participant.hpp"
#include "secrets/round_detail.hpp"

namespace pss::secrets {
using detail::contains;
using detail::copy_into;
namespace {

std::string round_name(const round_state& r) { return "round " + std::to_string(r.id); }

} // namespace

round_member::round_member(round_member_config config) : config_(config) {
  PSS_CHECK(config_.keys != nullptr && config_.random != nullptr);
}

// This node's share index, from the view the round runs under: a new
// member has one only once the catalog named it, and it takes part in no
// round before that.
share_index round_member::own_index(const cluster_view& view) const {
  const member* self = view.find(config_.keys->id);
  PSS_CHECK(self != nullptr);
  return self->index;
}

void round_member::reset(std::uint64_t id) {
  work_ = work{}; // scalars and key pairs zeroize themselves; sealed bytes are ciphertext
  work_.id = id;
}

bool round_member::holds_material() const noexcept {
  return !work_.opened.empty() || !work_.chunks.empty() || !work_.sealed_to.empty() || !work_.masked_out.empty()
         || !work_.masked_in.empty() || work_.dealing.has_value() || !work_.ephemerals.empty()
         || !work_.forged.empty();
}

void round_member::sat_out() {
  work_.finished_here = true;
  work_.recover_failed = true; // never say ready in this round
}

void round_member::receive(const catalog& state, node_id from, round_chunk&& m) {
  const auto& r = state.round();
  const bool expected = r && m.round_id == r->id && m.sender == from && m.receiver == self()
                        && (m.kind == chunk_kind::bundle ? r->is_participant(m.sender)
                                                         : r->kind == round_kind::recovery && r->target == self());
  auto& counts = m.kind == chunk_kind::bundle ? work_.chunk_counts : work_.masked_counts;
  auto& store = m.kind == chunk_kind::bundle ? work_.chunks : work_.masked_in;
  // Every sender sends exactly ceil(M / round_chunk_values) chunks (one for
  // an empty round), so what one buffers per sender is bounded by the round.
  if (!expected || work_.id != m.round_id || m.chunks != round_chunks_for(r->secrets.size())
      || (counts.contains(m.sender) && counts[m.sender] != m.chunks)
      || (m.kind == chunk_kind::bundle && work_.opened.contains(m.sender))) {
    ++counters_.chunks_refused;
    return;
  }
  counts[m.sender] = m.chunks;
  store[m.sender].emplace(m.chunk, std::move(m.sealed));
}

// What arrived is opened first (it decides whether every dealer is
// settled), then the pure plan (round_participant.hpp) is performed.
std::vector<round_effect> round_member::step(const catalog& state, const share_store& shares, millis now,
                                             bool resend) {
  PSS_CHECK(state.round().has_value() && state.round()->id == work_.id);
  PSS_CHECK(out_.empty());
  const round_state& r = *state.round();
  if (r.phase == round_phase::responding && r.is_participant(self())) {
    if (!work_.closed_at) work_.closed_at = now;
    if (!r.responses.contains(self())) open_bundles(state, r);
  }
  const bool settled = std::all_of(r.dealers.begin(), r.dealers.end(), [&](node_id d) {
    return work_.opened.contains(d) || work_.bad.contains(d) || work_.unmatched.contains(d);
  });
  const part_progress progress{work_.dealt, work_.closed_at, settled, work_.responded, resend, config_.phase_timeout};
  for (const part_step s : plan_part(r, self(), progress, now)) {
    switch (s) {
      case part_step::deal: deal(state, shares, r); break;
      case part_step::resend_dealing:
        send_bundles(state, r, false);
        deal(state, shares, r); // re-forwards the same dealing
        break;
      case part_step::resend_bundles: send_bundles(state, r, true); break;
      case part_step::respond: respond(state, r); break;
      case part_step::reveal: send_reveals(state, r); break;
      case part_step::finish_refresh: finish_refresh(state, shares, r, resend); break;
      case part_step::send_masked: send_masked(state, shares, r, resend); break;
      case part_step::recover: try_recover(state, r, resend); break;
    }
  }
  return std::exchange(out_, {});
}

// A bundle whose bytes do not match the dealer's digest came from the
// dealer so (links are authenticated): this node cannot prove what it got,
// so it answers "missing" for that dealer, at once. Committed bytes that do
// not open or decode are a complaint ("bad"), which the dealer must answer
// with a reveal.
void round_member::open_bundles(const catalog& state, const round_state& r) {
  const std::size_t me = r.position(self());
  for (node_id dealer : r.dealers) {
    if (work_.opened.contains(dealer) || work_.bad.contains(dealer) || work_.unmatched.contains(dealer)) continue;
    auto it = work_.chunks.find(dealer);
    if (it == work_.chunks.end() || it->second.size() != work_.chunk_counts[dealer]) continue;
    std::vector<digest> digests;
    for (const auto& [index, sealed] : it->second) digests.push_back(chunk_digest(sealed));
    if (bundle_digest(digests) != r.dealings.at(dealer)[me]) {
      ++counters_.chunks_refused;
      note(round_name(r) + ": " + node_name(dealer) + "'s bundle does not match its dealing");
      work_.unmatched.insert(dealer);
      work_.chunks.erase(it);
      continue;
    }
    if (sealing_pair(state.view(), r) == nullptr) {
      // This node lost the key the round fixed for it (a wiped disk): it
      // cannot tell a bad bundle from its own loss, so it complains of
      // nothing and answers "missing"; a later recovery rebuilds its shares.
      note(round_name(r) + ": " + std::string{seal_key_gone} + "; answering missing");
      work_.unmatched.insert(dealer);
      work_.chunks.erase(it);
      continue;
    }
    auto bundle = open_bundle(state, r, dealer, it->second);
    if (!bundle.ok()) {
      work_.bad.insert(dealer);
      note(round_name(r) + ": " + node_name(dealer) + "'s bundle: " + bundle.err().message());
      continue;
    }
    work_.opened.emplace(dealer, std::move(*bundle));
    work_.chunks.erase(it);
  }
}

const crypto::box_key_pair* round_member::sealing_pair(const cluster_view& view, const round_state& r) const {
  const crypto::box_public_key key = r.sealing_key(view, self());
  if (key == config_.keys->box.public_key) return &config_.keys->box;
  return config_.sealing_pair ? config_.sealing_pair(key) : nullptr;
}

// Chunk by chunk, by the rules a replica applies to a revealed chunk
// (round_bundle.hpp), so that this node complains exactly when a reveal
// would convict the dealer.
result<crypto::sub_share_bundle> round_member::open_bundle(const catalog& state, const round_state& r,
                                                          node_id dealer,
                                                          const std::map<std::uint32_t, bytes>& chunks) const {
  const cluster_view& view = state.view();
  crypto::sub_share_bundle out{view.find(dealer)->index, own_index(view), share_index{r.zero_point(view)}, {}, {}};
  const crypto::box_key_pair* key = sealing_pair(view, r);
  if (key == nullptr) return error{errc::not_found, std::string{seal_key_gone}};
  for (const auto& [index, sealed] : chunks) {
    auto context = bundle_chunk_context(view, r, dealer, self(), index);
    if (!context.ok()) return context.err();
    auto plain = crypto::open_sealed(*key, sealed, *context);
    if (!plain.ok()) return plain.err();
    auto chunk = check_bundle_chunk(view, r, dealer, self(), index, plain->view());
    if (!chunk.ok()) return chunk.err();
    if (index == 0) out.mask = chunk->mask;
    else if (!(chunk->mask == out.mask)) return error{errc::mismatch, "the chunks disagree about the mask"};
    out.values.insert(out.values.end(), chunk->values.begin(), chunk->values.end());
  }
  return out;
}

void round_member::respond(const catalog& state, const round_state& r) {
  auto lambdas = crypto::challenge_coefficients({r.challenge.data(), r.challenge.size()},
                                                std::max<std::size_t>(1, r.secrets.size()));
  PSS_CHECK(lambdas.ok());
  round_response resp;
  resp.round_id = r.id;
  resp.receiver = self();
  if (contains(r.dealers, self())) resp.polynomial = response_polynomial(state, r, *lambdas);
  std::size_t others = 0; // other dealers answered so far
  for (node_id dealer : r.dealers) {
    dealer_answer a;
    a.dealer = dealer;
    if (work_.bad.contains(dealer)) {
      a.status = answer_status::bad;
    } else if (auto it = work_.opened.find(dealer); it == work_.opened.end()) {
      a.status = answer_status::missing;
    } else if (dealer == self() && !resp.polynomial.empty()) {
      // Its own y is its polynomial's (nobody checks a dealer's own answer): no second pass over M.
      copy_into(a.y, published_polynomial_at(state.view(), r, resp.polynomial, own_index(state.view())).bytes());
    } else {
      auto y = crypto::combine(it->second, *lambdas);
      PSS_CHECK(y.ok()); // open_bundle checked the count
      copy_into(a.y, y->bytes());
    }
    if (dealer != self()) misbehave_in_answer(a, others++);
    resp.answers.push_back(a);
  }
  const std::string& cluster = state.view().cluster_id;
  auto sig = crypto::sign(config_.keys->sign, round_signature_context(cluster), signed_part(cluster, resp));
  PSS_CHECK(sig.ok());
  copy_into(resp.signature, sig->bytes());
  work_.responded = true;
  emit(round_fx::propose{std::move(resp)});
}

} // namespace pss::secrets
