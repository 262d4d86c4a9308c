// A member's last step in a round (round_member.hpp, docs/refresh.md §3):
// the new shares of a refresh, a recovery helper's masked values sealed to
// the target, and the target's recovered shares. The stores and the sync
// are effects node_engine performs; ready is proposed only after them.
//
// SECRET: new shares, masked values and recovered shares. A new share leaves
// only as a store effect; masked values only sealed to the target.
#include <algorithm>
#include <optional>

#include "secrets/round_detail.hpp"
#include "crypto/decode.hpp"
#include "crypto/feldman.hpp"
#include "crypto/seal.hpp"
#include "crypto/shamir.hpp"
#include "secrets/round_bundle.hpp"
#include "secrets/round_member.hpp"

namespace pss::secrets {
using detail::contains;
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
                                       epoch_id epoch, node_id from, node_id to,
                                       const crypto::box_public_key& to_key, const std::vector<secure_bytes>& plain,
                                       crypto::random_source& rng) {
  if (plain.size() > round_chunks_max) return error{errc::too_large, "a round with too many secrets"};
  std::vector<bytes> out;
  for (std::size_t c = 0; c < plain.size(); ++c) {
    round_chunk header{kind, round, from, to, static_cast<std::uint32_t>(c),
                       static_cast<std::uint32_t>(plain.size()), {}};
    auto context = round_chunk_context(view.cluster_id, header, epoch);
    if (!context.ok()) return context.err();
    auto sealed = crypto::seal(to_key, plain[c].view(), *context, rng);
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

// A share at `at` from helpers' values of a version still in the epoch it
// was dealt in, when decoding did not give one that verifies: the first
// t-subset (at most recover_subsets_max) whose value at `at` verifies
// against the Feldman commitments. Every t honest helpers give it, however
// many others lie, where decoding needs t + 2 per liar (a version held by
// t+1 with one liar among them). After a refresh there is nothing to check
// a subset against.
constexpr std::size_t recover_subsets_max = 64;
std::optional<crypto::scalar> recover_by_commitments(std::span<const share_index> indices,
                                                     std::span<const crypto::scalar> values, std::size_t t,
                                                     share_index at, const crypto::commitment& c) {
  const std::size_t n = indices.size();
  if (n < t) return std::nullopt;
  std::vector<std::size_t> pick(t);
  for (std::size_t k = 0; k < t; ++k) pick[k] = k;
  for (std::size_t tries = 0; tries < recover_subsets_max; ++tries) {
    std::vector<crypto::share> subset;
    for (std::size_t k : pick) subset.push_back(crypto::share{indices[k], values[k]});
    auto v = crypto::interpolate_at(subset, t, at);
    if (v.ok() && c.verify(crypto::share{at, *v}).ok()) return *v;
    std::size_t k = t;
    while (k > 0 && pick[k - 1] == n - t + (k - 1)) --k;
    if (k == 0) break;
    ++pick[k - 1];
    for (std::size_t j = k; j < t; ++j) pick[j] = pick[j - 1] + 1;
  }
  return std::nullopt;
}

// Whether this node still has every qualified dealer's bundle in memory (a
// restart loses them: the node then sits the round out and is recovered).
bool has_bundles(const std::map<node_id, crypto::sub_share_bundle>& opened, const std::vector<node_id>& qualified) {
  return std::all_of(qualified.begin(), qualified.end(), [&](node_id d) { return opened.contains(d); });
}

} // namespace

// s' = s + Σ_{QUAL} δ(x) for every round version this node holds, stored
// pending for the new epoch and synced before it says ready. In a reshare,
// s' = Σ_{QUAL} L_i·g_i(x) for every round version, held here or not.
void round_member::finish_refresh(const catalog& state, const share_store& shares, const round_state& r,
                                  bool resend) {
  if (!work_.finished_here && !has_bundles(work_.opened, r.qualified)) return;
  if (!work_.finished_here && r.reshares(state.view())) {
    store_reshared(state, r);
    resend = true;
  }
  if (!work_.finished_here) {
    for (std::size_t m = 0; m < r.secrets.size(); ++m) {
      auto rec = state.lookup(r.secrets[m].name, r.secrets[m].version);
      if (!rec.ok()) continue;
      const held_share* held = shares.find_live(r.secrets[m].name, rec->version, rec->epoch, rec->commitments_digest);
      if (!contains(rec->holders, self())) continue;
      // Listed without the share (its journal was lost): never ready, so
      // the commit does not keep it listed; it leaves the lists and is recovered.
      if (held == nullptr)
        return emit(round_fx::sit_out{error{errc::not_found, "a share this node is listed for is missing here"}});
      crypto::share next = held->value;
      for (node_id d : r.qualified) next.value += work_.opened.at(d).values[m];
      const share_key key{r.secrets[m].name, rec->version, r.epoch, rec->commitments_digest};
      emit(round_fx::store{key, std::move(next)});
    }
    emit(round_fx::sync{});
    work_.finished_here = true;
    work_.opened.clear(); // the sub-shares are folded into the pending shares
    work_.chunks.clear();
    resend = true;
  }
  if (!contains(r.ready, self()) && resend && !work_.recover_failed)
    emit(round_fx::propose{round_ready{r.id, self()}});
}

// The Lagrange weights at 0 over QUAL's indices turn the dealers' g_i(x),
// of degree t'-1 with g_i(0) = s_i, into this node's share of the same
// secret on a polynomial of degree t'-1 (docs/refresh.md §7.5).
void round_member::store_reshared(const catalog& state, const round_state& r) {
  const cluster_view& view = state.view();
  std::vector<share_index> dealers;
  for (node_id d : r.qualified) dealers.push_back(view.find(d)->index);
  auto weights = crypto::lagrange_coefficients(dealers, crypto::scalar::zero());
  PSS_CHECK(weights.ok()); // QUAL's indices are distinct member indices
  for (std::size_t m = 0; m < r.secrets.size(); ++m) {
    auto rec = state.lookup(r.secrets[m].name, r.secrets[m].version);
    if (!rec.ok()) continue;
    crypto::share next{own_index(view), crypto::scalar::zero()};
    for (std::size_t i = 0; i < r.qualified.size(); ++i)
      next.value += (*weights)[i] * work_.opened.at(r.qualified[i]).values[m];
    emit(round_fx::store{share_key{r.secrets[m].name, rec->version, r.epoch, rec->commitments_digest}, std::move(next)});
  }
  emit(round_fx::sync{});
  work_.finished_here = true;
  work_.opened.clear();
  work_.chunks.clear();
}

// A recovery helper: v = s + Σ_{QUAL} ζ(x), sealed to the target.
void round_member::send_masked(const catalog& state, const share_store& shares, const round_state& r, bool resend) {
  if (work_.masked_out.empty()) {
    if (!has_bundles(work_.opened, r.qualified)) return;
    std::vector<crypto::scalar> values;
    for (std::size_t m = 0; m < r.secrets.size(); ++m) {
      auto rec = state.lookup(r.secrets[m].name, r.secrets[m].version);
      const held_share* held =
        rec.ok() ? shares.find_live(r.secrets[m].name, rec->version, rec->epoch, rec->commitments_digest) : nullptr;
      if (held == nullptr) {
        note("round " + std::to_string(r.id) + ": cannot help, a share is missing here");
        return;
      }
      crypto::scalar v = held->value.value;
      for (node_id d : r.qualified) v += work_.opened.at(d).values[m];
      if (config_.misbehave == round_misbehaviour::false_masked) v += crypto::scalar::one();
      values.push_back(v);
    }
    auto sealed = seal_chunks(state.view(), chunk_kind::masked, r.id, r.epoch, self(), r.target,
                              r.sealing_key(state.view(), r.target), masked_chunks(values), *config_.random);
    if (!sealed.ok()) return;
    work_.masked_out = std::move(*sealed);
    work_.opened.clear();
    work_.chunks.clear();
    resend = true;
  }
  if (!resend) return;
  for (std::size_t c = 0; c < work_.masked_out.size(); ++c)
    emit(round_fx::send{r.target, round_chunk{chunk_kind::masked, r.id, self(), r.target,
                                              static_cast<std::uint32_t>(c),
                                              static_cast<std::uint32_t>(work_.masked_out.size()),
                                              work_.masked_out[c]}});
}

// The target: interpolate each version at its own index from the helpers'
// masked values, check them, store, sync, then say ready.
void round_member::try_recover(const catalog& state, const round_state& r, bool resend) {
  if (work_.finished_here) {
    if (resend && !work_.recover_failed) emit(round_fx::propose{round_ready{r.id, self()}});
    return;
  }
  const crypto::box_key_pair* key = sealing_pair(state.view(), r);
  if (key == nullptr) {
    note("round " + std::to_string(r.id) + ": " + std::string{seal_key_gone});
    return;
  }
  std::vector<std::pair<node_id, std::vector<crypto::scalar>>> helpers;
  for (node_id h : r.receivers) {
    auto it = work_.masked_in.find(h);
    if (it == work_.masked_in.end() || it->second.size() != work_.masked_counts[h]) return; // wait
    auto plain = open_chunks(state.view(), *key, chunk_kind::masked, r.id, r.epoch, h, self(),
                             it->second);
    auto values = plain.ok() ? decode_masked(*plain, r.secrets.size())
                             : result<std::vector<crypto::scalar>>{plain.err()};
    if (!values.ok()) {
      note("round " + std::to_string(r.id) + ": " + node_name(h) + "'s masked values: " + values.err().message());
      work_.masked_in.erase(it);
      return;
    }
    helpers.emplace_back(h, std::move(*values));
  }
  const cluster_view& view = state.view();
  const std::size_t t = r.threshold;
  // The helpers' indices are the same for every version: one decoder, whose
  // Lagrange weights serve them all.
  std::vector<share_index> indices;
  for (const auto& [h, v] : helpers) indices.push_back(view.find(h)->index);
  auto decoder = crypto::fixed_point_decoder::make(indices, t, own_index(view));
  std::vector<crypto::scalar> values(helpers.size());
  for (std::size_t m = 0; m < r.secrets.size(); ++m) {
    auto rec = state.lookup(r.secrets[m].name, r.secrets[m].version);
    if (!rec.ok()) continue;
    for (std::size_t i = 0; i < helpers.size(); ++i) values[i] = helpers[i].second[m];
    // Within the unique decoding radius a lying helper is outvoted; after a
    // refresh, with no commitment to check one share against, t+1 helpers
    // must agree (the catalog finishes such a round only with t+1).
    auto mine = decoder.ok() ? decoder->decode(values) : result<crypto::decoded_value>{decoder.err()};
    const bool dealt_epoch = rec->epoch == rec->dealt_epoch;
    bool good = mine.ok() && (dealt_epoch || mine->fits > t);
    if (good && !mine->misfits.empty()) ++counters_.misfits;
    crypto::share recovered{own_index(view), good ? mine->value : crypto::scalar::zero()};
    if (dealt_epoch) {
      auto c = crypto::commitment::decode(rec->commitments, t);
      good = good && c.ok() && c->verify(recovered).ok();
      if (!good && c.ok())
        if (auto v = recover_by_commitments(indices, values, t, own_index(view), *c)) {
          recovered.value = *v;
          good = true;
          ++counters_.misfits;
        }
    }
    if (!good) {
      note("round " + std::to_string(r.id) + ": a recovered share does not verify; waiting for the round to end");
      work_.finished_here = true;
      work_.recover_failed = true; // never say ready; the leader aborts the round
      return;
    }
    const share_key key{r.secrets[m].name, rec->version, rec->epoch, rec->commitments_digest};
    emit(round_fx::store{key, recovered});
  }
  emit(round_fx::sync{});
  work_.finished_here = true;
  work_.masked_in.clear();
  note("recovered " + std::to_string(r.secrets.size()) + " shares in round " + std::to_string(r.id));
  emit(round_fx::propose{round_ready{r.id, self()}});
}

} // namespace pss::secrets
