#include "secrets/share_fingerprint.hpp"

#include <algorithm>
#include <string_view>

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
