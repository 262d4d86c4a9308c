#include "secrets/share_fingerprint.hpp"

#include <algorithm>
#include <string_view>
#include <vector>

#include "core/secure.hpp"
#include "crypto/hash.hpp"

namespace pss::secrets {
namespace {
constexpr std::string_view fingerprint_label = "pss demo fingerprint v1";
}

std::string share_fingerprint(const crypto::share& s) {
  const secure_bytes encoded = crypto::encode_share(s);
  secure_bytes input{fingerprint_label.size() + encoded.size()};
  std::copy(fingerprint_label.begin(), fingerprint_label.end(), input.data());
  std::copy(encoded.view().begin(), encoded.view().end(), input.data() + fingerprint_label.size());
  const crypto::digest256 d = crypto::blake2b_256(input.view());
  return to_hex(byte_view{d.data(), share_fingerprint_bytes});
}

std::optional<std::string> share_set_fingerprint(const share_store& shares, std::size_t shares_max) {
  if (shares.size() > shares_max) return std::nullopt;
  std::vector<secure_bytes> parts;
  std::size_t total = fingerprint_label.size() + 4;
  for (const auto& info : shares.inventory()) {
    if (info.state != share_state::live) continue;
    if (auto value = shares.share_value(info.key)) {
      parts.push_back(crypto::encode_share(*value));
      total += parts.back().size();
    }
  }
  if (parts.empty()) return std::nullopt;
  secure_bytes input{total};
  std::uint8_t* at = std::copy(fingerprint_label.begin(), fingerprint_label.end(), input.data());
  at = std::copy_n("/set", 4, at);
  for (const auto& p : parts) at = std::copy(p.view().begin(), p.view().end(), at);
  const crypto::digest256 d = crypto::blake2b_256(input.view());
  return to_hex(byte_view{d.data(), share_fingerprint_bytes});
}

share_status describe_share(const catalog& c, const share_store& shares, const std::string& name) {
  share_status out;
  out.epoch = c.view().epoch;
  out.stats = c.stats();
  out.round_running = c.round().has_value();
  auto rec = c.lookup(name, secret_version{});
  if (!rec.ok()) return out;
  out.share_epoch = rec->epoch;
  if (const held_share* held = shares.find_live(name, rec->version, rec->epoch, rec->commitments_digest))
    out.fingerprint = share_fingerprint(held->value);
  return out;
}

} // namespace pss::secrets
