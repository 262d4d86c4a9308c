#include "secrets/cluster.hpp"

#include <algorithm>
#include <set>

#include "crypto/context.hpp"
#include "crypto/random_source.hpp"
#include "crypto/shamir.hpp"

namespace pss::secrets {

std::string node_name(node_id id) { return "node " + std::to_string(id.value()); }

const member* cluster_view::find(node_id id) const noexcept {
  for (const auto& m : members)
    if (m.id == id) return &m;
  return nullptr;
}

std::vector<node_id> cluster_view::node_ids() const {
  std::vector<node_id> out;
  for (const auto& m : members) out.push_back(m.id);
  return out;
}

status cluster_view::validate() const {
  if (cluster_id.empty() || cluster_id.size() > crypto::cluster_id_bytes_max)
    return error{errc::invalid_argument, "the cluster id must be 1.." +
                 std::to_string(crypto::cluster_id_bytes_max) + " bytes"};
  if (members.empty() || members.size() > members_max)
    return error{errc::invalid_argument, "a cluster needs 1.." + std::to_string(members_max) +
                 " members, not " + std::to_string(members.size())};
  std::set<node_id> ids;
  std::vector<share_index> indices;
  for (const auto& m : members) {
    if (m.id == no_node) return error{errc::invalid_argument, "member node id 0 is reserved"};
    if (!ids.insert(m.id).second)
      return error{errc::duplicate, "node id " + std::to_string(m.id.value()) + " listed twice"};
    if (m.address.size() > address_bytes_max)
      return error{errc::invalid_argument, "an address above address_bytes_max"};
    indices.push_back(m.index);
  }
  PSS_TRY(crypto::check_indices(indices));
  PSS_TRY(crypto::check_threshold(threshold, members.size()));
  return ok_status();
}

void encode(byte_writer& out, const cluster_view& view) {
  out.str(view.cluster_id);
  out.u32(view.threshold);
  out.u64(view.epoch.value());
  out.u32(static_cast<std::uint32_t>(view.members.size()));
  for (const auto& m : view.members) {
    out.u64(m.id.value());
    out.u32(m.index.value());
    out.str(m.address);
    out.raw(m.box_key.bytes());
    out.raw(m.sign_key.bytes());
  }
}

result<cluster_view> decode_cluster_view(byte_reader& in) {
  cluster_view view;
  view.cluster_id = in.str(crypto::cluster_id_bytes_max);
  view.threshold = in.u32();
  view.epoch = epoch_id{in.u64()};
  const std::uint32_t count = in.u32();
  if (count > members_max) return error{errc::too_large, "a cluster view above members_max"};
  for (std::uint32_t i = 0; i < count && in.ok(); ++i) {
    const node_id id{in.u64()};
    const share_index index{in.u32()};
    std::string address = in.str(address_bytes_max);
    auto box = crypto::box_public_key::from_bytes(in.raw(crypto::box_key_bytes));
    auto sign = crypto::sign_public_key::from_bytes(in.raw(crypto::sign_public_key_bytes));
    if (!in.ok()) break;
    if (!box.ok() || !sign.ok()) return error{errc::malformed, "a member's public key is invalid"};
    view.members.push_back(member{id, index, std::move(address), *box, *sign});
  }
  if (!in.ok()) return error{errc::malformed, "a cluster view does not parse"};
  PSS_TRY(view.validate());
  return view;
}

node_keys node_keys::clone() const {
  return node_keys{id, crypto::box_key_pair{box.public_key, box.secret_key.clone()},
                   crypto::sign_key_pair{sign.public_key, sign.secret_key.clone()}};
}

test_cluster make_test_cluster(std::size_t n, std::size_t t, std::uint64_t seed) {
  PSS_CHECK(n >= 1 && n <= members_max);
  crypto::seeded_random rng{seed};
  test_cluster out;
  out.view.cluster_id = "test-cluster-" + std::to_string(seed);
  out.view.threshold = static_cast<std::uint32_t>(t);
  out.view.epoch = epoch_id{1};
  for (std::size_t i = 1; i <= n; ++i) {
    node_keys keys{node_id{i}, crypto::box_key_pair::generate(rng),
                   crypto::sign_key_pair::generate(rng)};
    out.view.members.push_back(member{node_id{i}, share_index{static_cast<std::uint32_t>(i)},
                                      "node-" + std::to_string(i), keys.box.public_key,
                                      keys.sign.public_key});
    out.keys.push_back(std::move(keys));
  }
  out.admin = crypto::sign_key_pair::generate(rng); // after the nodes: their keys stay as they were
  PSS_CHECK(out.view.validate().ok());
  return out;
}

} // namespace pss::secrets
