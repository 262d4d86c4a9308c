#include "secrets/round_bundle.hpp"

#include <algorithm>

#include "core/check.hpp"
#include "crypto/hash.hpp"
#include "secrets/messages.hpp"

namespace pss::secrets {

std::uint32_t round_chunks_for(std::size_t secrets) noexcept {
  const std::size_t values = std::max<std::size_t>(1, secrets);
  return static_cast<std::uint32_t>((values + round_chunk_values - 1) / round_chunk_values);
}

digest chunk_digest(byte_view sealed) { return crypto::blake2b_256(sealed); }

digest bundle_digest(std::span<const digest> chunk_digests) {
  byte_writer w;
  for (const auto& d : chunk_digests) w.raw({d.data(), d.size()});
  return crypto::blake2b_256(w.data());
}

result<bytes> bundle_chunk_context(const cluster_view& view, const round_state& r, node_id dealer, node_id receiver,
                                   std::uint32_t chunk) {
  const round_chunk header{chunk_kind::bundle, r.id, dealer, receiver, chunk, round_chunks_for(r.secrets.size()), {}};
  return round_chunk_context(view.cluster_id, header, r.epoch);
}

result<crypto::bundle_chunk> check_bundle_chunk(const cluster_view& view, const round_state& r, node_id dealer,
                                                node_id receiver, std::uint32_t chunk, byte_view plain) {
  auto decoded = crypto::decode_bundle_chunk(plain);
  if (!decoded.ok()) return decoded.err();
  const member* from = view.find(dealer);
  const member* to = view.find(receiver);
  PSS_CHECK(from != nullptr && to != nullptr);
  const std::size_t total = std::max<std::size_t>(1, r.secrets.size());
  const std::size_t first = static_cast<std::size_t>(chunk) * round_chunk_values;
  if (decoded->dealer != from->index || decoded->recipient != to->index
      || decoded->x0 != share_index{r.zero_point(view)})
    return error{errc::mismatch, "the chunk names another dealer, receiver or special point"};
  if (decoded->total != total || decoded->first != first
      || decoded->values.size() != std::min(round_chunk_values, total - std::min(total, first)))
    return error{errc::mismatch, "the chunk covers another range than chunk " + std::to_string(chunk) + " of this round"};
  return decoded;
}

crypto::scalar published_polynomial_at(const cluster_view& view, const round_state& r,
                                       std::span<const scalar_bytes> polynomial, share_index x) {
  const bool reshare = r.reshares(view);
  PSS_CHECK(!reshare || !polynomial.empty());
  std::vector<crypto::scalar> q;
  for (std::size_t k = reshare ? 1 : 0; k < polynomial.size(); ++k) {
    auto c = crypto::scalar::from_bytes({polynomial[k].data(), polynomial[k].size()});
    PSS_CHECK(c.ok()); // checked canonical when the response applied
    q.push_back(*c);
  }
  const share_index x0{r.zero_point(view)};
  if (!reshare) return crypto::evaluate_vanishing(q, x0, x);
  auto c = crypto::scalar::from_bytes({polynomial[0].data(), polynomial[0].size()});
  PSS_CHECK(c.ok());
  return crypto::evaluate_with_constant(*c, q, x0, x);
}

} // namespace pss::secrets
