#include "secrets/cluster.hpp"

#include <algorithm>
#include <set>

#include "core/fields.hpp"
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

// The format of a cluster view (core/fields.hpp).

void fields(auto& io, like<member> auto& m) {
  io.id(m.id);
  io.id(m.index);
  io.str(m.address, address_bytes_max);
  io.convert(m.box_key, [](const crypto::box_public_key& k) { return k.bytes(); }, crypto::box_public_key::from_bytes);
  io.convert(m.sign_key, [](const crypto::sign_public_key& k) { return k.bytes(); }, crypto::sign_public_key::from_bytes);
}

void fields(auto& io, like<cluster_view> auto& m) {
  io.str(m.cluster_id, crypto::cluster_id_bytes_max);
  io.u32(m.threshold);
  io.id(m.epoch);
  io.list(m.members, members_max, "a cluster view above members_max", [&](auto& x) { fields(io, x); });
  io.check([&] { return m.validate(); }, "a cluster view");
}

void encode(byte_writer& out, const cluster_view& view) { write_fields(out, view); }
void encode(byte_writer& out, const member& m) { write_fields(out, m); }

result<member> decode_member(byte_reader& in) {
  auto m = read_fields<member>(in);
  if (!in.ok()) return in.finish("member").err();
  return m;
}

result<cluster_view> decode_cluster_view(byte_reader& in) {
  auto view = read_fields<cluster_view>(in);
  if (!in.ok()) return in.finish("cluster view").err();
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

result<cluster_view> agreed_view(const std::vector<std::pair<node_id, cluster_view>>& answers,
                                 const cluster_view& file) {
  std::set<node_id> counted;
  std::vector<std::pair<cluster_view, std::size_t>> groups; // a view (epoch 1) and how many served it
  for (const auto& [from, served] : answers) {
    if (file.find(from) == nullptr || served.cluster_id != file.cluster_id || !counted.insert(from).second) continue;
    cluster_view v = served;
    v.epoch = epoch_id{1}; // a cluster file has no epoch
    auto same = std::find_if(groups.begin(), groups.end(), [&](const auto& g) { return g.first == v; });
    if (same == groups.end()) groups.emplace_back(std::move(v), 1);
    else ++same->second;
  }
  std::size_t best = 0;
  for (const auto& [view, n] : groups) {
    if (n < file.threshold) {
      best = std::max(best, n);
      continue;
    }
    PSS_TRY(view.validate());
    return view;
  }
  return error{errc::unavailable, std::to_string(counted.size()) + " of the file's members answered and at most "
                                    + std::to_string(best) + " of them serve the same membership; t = "
                                    + std::to_string(file.threshold) + " must agree (a change may be running: "
                                    "try again once `pss status` shows none)"};
}

} // namespace pss::secrets
