#include "sim/share_corruption.hpp"

#include <utility>

#include "crypto/scalar.hpp"
#include "crypto/seal.hpp"
#include "crypto/shamir.hpp"
#include "secrets/messages.hpp"

namespace pss::sim {
namespace {

// Reads are short-lived: the tables keep the most recent ones only.
constexpr std::size_t remembered_max = 1 << 14;

template <class Map>
void cap(Map& m) {
  while (m.size() > remembered_max) m.erase(m.begin());
}

} // namespace

share_corruptor::share_corruptor(secrets::cluster_view view, std::uint64_t seed,
                                 std::function<std::size_t(const std::string&, secret_version)> holders,
                                 std::function<const crypto::box_key_pair&(node_id)> box_key)
  : view_(std::move(view)), random_(seed), holders_(std::move(holders)), box_key_(std::move(box_key)) {}

void share_corruptor::on_client_send(secrets::endpoint client, node_id to, byte_view payload) {
  if (payload.empty() || payload[0] != static_cast<std::uint8_t>(secrets::message_type::get_share_request)) return;
  auto m = secrets::decode_wire_message(payload);
  if (!m.ok()) return;
  const auto* r = std::get_if<secrets::get_share_request>(&*m);
  if (r == nullptr) return;
  requests_[request_key{client.id, to, r->request_id}] = request{r->name, r->version, r->reader_key};
  cap(requests_);
}

std::optional<bytes> share_corruptor::maybe_corrupt(node_id from, secrets::endpoint client, byte_view payload,
                                                    double chance, prng& rng) {
  if (payload.empty() || payload[0] != static_cast<std::uint8_t>(secrets::message_type::get_share_response))
    return std::nullopt;
  if (!rng.chance(chance)) return std::nullopt;
  auto m = secrets::decode_wire_message(payload);
  if (!m.ok()) return std::nullopt;
  auto* reply = std::get_if<secrets::get_share_response>(&*m);
  if (reply == nullptr || reply->code != secrets::reply_code::ok) return std::nullopt;
  auto it = requests_.find(request_key{client.id, from, reply->request_id});
  if (it == requests_.end()) return std::nullopt;
  const request& q = it->second;
  // A request for the latest names no version; the reply says which.
  const secret_version version = q.version == secret_version{} ? reply->version : q.version;
  std::size_t& touched = touched_[q.reader_key];
  cap(touched_);
  const secrets::member* holder = view_.find(from);
  if (holder == nullptr || touched + view_.threshold >= holders_(q.name, version))
    return std::nullopt; // t good answers must remain
  switch (rng.below(3)) {
    case 0: // flipped
      if (reply->sealed_share.empty()) return std::nullopt;
      reply->sealed_share[rng.below(reply->sealed_share.size())] ^= 0x5A;
      break;
    case 1: // relabelled
      reply->epoch = reply->epoch.next();
      break;
    default: { // forged: sealed by the holder itself, its index, a wrong value
      auto key = crypto::box_public_key::from_bytes(q.reader_key);
      auto context = secrets::share_context_for_read(view_.cluster_id, reply->epoch, q.name, version, from);
      if (!key.ok() || !context.ok()) return std::nullopt;
      const crypto::share forged{holder->index, crypto::scalar::random_nonzero(random_)};
      const secure_bytes plain = crypto::encode_share(forged);
      auto sealed = crypto::seal_from(box_key_(from), *key, plain.view(), *context, random_);
      if (!sealed.ok()) return std::nullopt;
      reply->sealed_share = std::move(*sealed);
    }
  }
  ++touched;
  ++corrupted_;
  return secrets::encode(secrets::wire_message{std::move(*reply)});
}

} // namespace pss::sim
