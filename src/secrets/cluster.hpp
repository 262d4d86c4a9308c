// The public description of a pss cluster, and each node's private keys.
//
// The cluster view is what every node and client agrees on before any secret
// exists: the cluster id (bound into every envelope and sealed share), the
// members with their share indices 1..n and public keys, the threshold t and
// the current epoch. It is public and replicated (DESIGN §4). A node's
// private keys are handed to its engine at construction and never leave it.
//
// make_test_cluster() derives a whole cluster, keys included, from one seed
// for tests and the simulator. Its keys come from crypto::seeded_random and
// are NOT secure.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/bytes.hpp"
#include "core/ids.hpp"
#include "core/result.hpp"
#include "crypto/seal.hpp"
#include "crypto/sign.hpp"

namespace pss::secrets {

inline constexpr std::size_t members_max = 255; // = crypto::shares_max
inline constexpr std::size_t address_bytes_max = 256;

struct member {
  node_id id;
  share_index index;
  std::string address;
  crypto::box_public_key box_key;
  crypto::sign_public_key sign_key;

  bool operator==(const member&) const = default;
};

struct cluster_view {
  std::string cluster_id;
  std::vector<member> members; // sorted by node id; indices distinct, 1..n
  std::uint32_t threshold = 0;
  epoch_id epoch;

  [[nodiscard]] const member* find(node_id id) const noexcept;
  [[nodiscard]] std::vector<node_id> node_ids() const;
  // Checks ids non-zero and distinct, indices distinct in 1..members_max,
  // 2 <= t <= n, and the size limits.
  [[nodiscard]] status validate() const;

  bool operator==(const cluster_view&) const = default;
};

// The view that at least `file.threshold` members the file names serve
// alike (the cluster id, the threshold and the members; the epoch may
// differ): with at most t-1 members lying, t alike answers include an honest
// one, so the view is the catalog's (`pss cluster-file --update`). One
// answer per member counts; answers from ids the file does not name, and of
// another cluster, are ignored. The error says how far the answers got.
[[nodiscard]] result<cluster_view> agreed_view(const std::vector<std::pair<node_id, cluster_view>>& answers,
                                               const cluster_view& file);

// "node 3": how messages and events name a member.
[[nodiscard]] std::string node_name(node_id id);

void encode(byte_writer& out, const cluster_view& view);
void encode(byte_writer& out, const member& m);
// Decodes one member (its keys checked as keys, nothing else).
[[nodiscard]] result<member> decode_member(byte_reader& in);
// Decodes and validates.
[[nodiscard]] result<cluster_view> decode_cluster_view(byte_reader& in);

// One node's private keys. Never printed, never serialised by this module.
struct node_keys {
  node_id id;
  crypto::box_key_pair box;
  crypto::sign_key_pair sign;

  [[nodiscard]] node_keys clone() const;
};

// A member's public keys, as a view names them: what a rotation changes
// (docs/refresh.md §7.9).
struct member_keys {
  crypto::box_public_key box;
  crypto::sign_public_key sign;
  bool operator==(const member_keys&) const = default;
};
[[nodiscard]] inline member_keys public_keys(const node_keys& k) { return {k.box.public_key, k.sign.public_key}; }
[[nodiscard]] inline member_keys public_keys(const member& m) { return {m.box_key, m.sign_key}; }

struct test_cluster {
  cluster_view view;
  std::vector<node_keys> keys; // keys[i] belongs to view.members[i]
  crypto::sign_key_pair admin;  // the bootstrap admin's client identity
};

// n nodes with ids and indices 1..n, addresses "node-<i>", threshold t,
// epoch 1, cluster id "test-cluster-<seed>", keys from seeded_random(seed).
[[nodiscard]] test_cluster make_test_cluster(std::size_t n, std::size_t t, std::uint64_t seed);

} // namespace pss::secrets
