#include "crypto/context.hpp"

#include <string>

namespace pss::crypto {

namespace {
constexpr std::string_view context_label = "pss/context/v1";

status check_field(std::string_view name, std::string_view value, std::size_t max) {
  if (value.size() > max)
    return error{errc::invalid_argument, std::string{name} + " of " + std::to_string(value.size())
                                           + " bytes is above the maximum of "
                                           + std::to_string(max)};
  return {};
}
} // namespace

result<bytes> encode_context(const protocol_context& context) {
  if (context.purpose.empty())
    return error{errc::invalid_argument, "a protocol context needs a purpose"};
  PSS_TRY(check_field("purpose", context.purpose, purpose_bytes_max));
  PSS_TRY(check_field("cluster id", context.cluster_id, cluster_id_bytes_max));
  PSS_TRY(check_field("secret name", context.secret_name, secret_name_bytes_max));
  byte_writer writer;
  writer.str(context_label);
  writer.str(context.purpose);
  writer.str(context.cluster_id);
  writer.u64(context.epoch.value());
  writer.str(context.secret_name);
  writer.u64(context.version.value());
  writer.u64(context.dealer.value());
  writer.u64(context.recipient.value());
  if (context.dealing != nullptr) {
    writer.u8(1);
    writer.raw(*context.dealing);
  }
  return writer.take();
}

} // namespace pss::crypto
