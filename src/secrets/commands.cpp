#include "secrets/commands.hpp"

namespace pss::secrets {
namespace {

enum class body_tag : std::uint8_t { register_secret = 1, delete_secret = 2 };
constexpr std::uint8_t command_format = 1;

void encode_body(byte_writer& w, const register_secret& r) {
  w.u8(static_cast<std::uint8_t>(body_tag::register_secret));
  w.str(r.name);
  w.u64(r.version.value());
  w.blob(r.commitments);
  w.blob(r.ciphertext);
  w.u64(r.epoch.value());
  w.u32(static_cast<std::uint32_t>(r.holders.size()));
  for (auto h : r.holders) w.u64(h.value());
}

void encode_body(byte_writer& w, const delete_secret& d) {
  w.u8(static_cast<std::uint8_t>(body_tag::delete_secret));
  w.str(d.name);
}

bytes copy(byte_view v) { return bytes(v.begin(), v.end()); }

} // namespace

bytes encode_command(const command& c) {
  byte_writer w;
  w.u8(command_format);
  w.u64(c.session.client.value());
  w.u64(c.session.sequence.value());
  w.u64(static_cast<std::uint64_t>(c.session.leader_time.count()));
  encode(w, c.body);
  return w.take();
}

void encode(byte_writer& w, const command_body& body) {
  std::visit([&](const auto& b) { encode_body(w, b); }, body);
}

command_body decode_command_body(byte_reader& r) {
  const auto tag = r.u8();
  if (tag == static_cast<std::uint8_t>(body_tag::register_secret)) {
    register_secret reg;
    reg.name = r.str(secret_name_bytes_max);
    reg.version = secret_version{r.u64()};
    reg.commitments = copy(r.blob(commitments_bytes_max));
    reg.ciphertext = copy(r.blob(ciphertext_bytes_max));
    reg.epoch = epoch_id{r.u64()};
    const auto count = r.u32();
    if (count > holders_max) {
      r.fail("a register with more than holders_max holders");
      return reg;
    }
    for (std::uint32_t i = 0; i < count && r.ok(); ++i) reg.holders.push_back(node_id{r.u64()});
    return reg;
  }
  if (tag == static_cast<std::uint8_t>(body_tag::delete_secret)) return delete_secret{r.str(secret_name_bytes_max)};
  r.fail("unknown command tag " + std::to_string(tag));
  return delete_secret{};
}

result<command> decode_command(byte_view data) {
  if (data.size() > command_bytes_max) return error{errc::too_large, "a command above command_bytes_max"};
  byte_reader r{data};
  if (r.u8() != command_format) return error{errc::malformed, "unknown command format"};
  command c;
  c.session.client = client_id{r.u64()};
  c.session.sequence = sequence_number{r.u64()};
  c.session.leader_time = millis{static_cast<millis::rep>(r.u64())};
  c.body = decode_command_body(r);
  PSS_TRY(r.finish("command"));
  return c;
}

std::string_view to_string(result_code code) noexcept {
  switch (code) {
    case result_code::ok: return "ok";
    case result_code::conflict: return "conflict";
    case result_code::not_found: return "not_found";
    case result_code::stale: return "stale";
    case result_code::session_expired: return "session_expired";
    case result_code::invalid: return "invalid";
  }
  return "unknown";
}

void encode(byte_writer& out, const command_result& r) {
  out.u8(static_cast<std::uint8_t>(r.code));
  out.u64(r.version.value());
  out.str(r.message.substr(0, result_message_bytes_max));
}

command_result decode_command_result(byte_reader& in) {
  command_result r;
  const auto code = in.u8();
  if (code > static_cast<std::uint8_t>(result_code::invalid)) in.fail("unknown result code");
  r.code = static_cast<result_code>(code);
  r.version = secret_version{in.u64()};
  r.message = in.str(result_message_bytes_max);
  return r;
}

bytes to_bytes(const command_result& r) {
  byte_writer w;
  encode(w, r);
  return w.take();
}

result<command_result> command_result_from_bytes(byte_view data) {
  byte_reader r{data};
  auto out = decode_command_result(r);
  PSS_TRY(r.finish("command result"));
  return out;
}

} // namespace pss::secrets
