// The rules a dealer's bundle chunks must meet, in one place for the two
// that apply them: the receiver opening the chunks it got (node_rounds.cpp)
// and every replica judging a chunk the dealer revealed in a dispute
// (catalog_disputes.cpp). Both accept exactly the same bytes, so an honest
// receiver's complaint and an honest dealer's reveal can never disagree
// (docs/refresh.md §3, "Disputes").
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "core/bytes.hpp"
#include "core/ids.hpp"
#include "core/result.hpp"
#include "crypto/batch.hpp"
#include "secrets/catalog.hpp"

namespace pss::secrets {

// Values per chunk of round data: 16,384 × 32 bytes = 512 KiB a chunk.
inline constexpr std::size_t round_chunk_values = 16'384;

// The number of chunks a round of `secrets` versions sends each receiver:
// ceil(M / round_chunk_values), and 1 for an empty round.
[[nodiscard]] std::uint32_t round_chunks_for(std::size_t secrets) noexcept;

// The digest a dealer commits to for one receiver: BLAKE2b-256 over the
// BLAKE2b-256 of each sealed chunk, in order.
[[nodiscard]] digest chunk_digest(byte_view sealed);
[[nodiscard]] digest bundle_digest(std::span<const digest> chunk_digests);

// The associated data chunk `chunk` of `dealer`'s bundle to `receiver` is
// sealed with.
[[nodiscard]] result<bytes> bundle_chunk_context(const cluster_view& view, const round_state& r, node_id dealer,
                                                 node_id receiver, std::uint32_t chunk);

// Decodes an opened chunk and checks that it is chunk `chunk` of dealer's
// bundle for receiver in this round: the dealer's and receiver's indices,
// the round's special point, the round's size and this chunk's exact range.
[[nodiscard]] result<crypto::bundle_chunk> check_bundle_chunk(const cluster_view& view, const round_state& r,
                                                              node_id dealer, node_id receiver,
                                                              std::uint32_t chunk, byte_view plain);

// A dealer's published response polynomial at x: (x - x0)·q(x), or in a
// reshare (docs/refresh.md §7.5) c + x·q(x), c being its first entry.
// Every receiver's y must equal it. The entries were checked canonical.
[[nodiscard]] crypto::scalar published_polynomial_at(const cluster_view& view, const round_state& r,
                                                     std::span<const scalar_bytes> polynomial, share_index x);

} // namespace pss::secrets
