#include "secrets/commands.hpp"

#include <algorithm>

namespace pss::secrets {
namespace {

enum class body_tag : std::uint8_t {
  register_versioned = 1, // before the catalog assigned versions: refused, see decode
  delete_secret = 2,
  access_change = 3,
  round_begin = 10,
  round_dealing = 11,
  round_close = 12,
  round_response = 13,
  round_qualify = 14,
  round_ready = 15,
  round_commit = 16,
  round_abort = 17,
  shares_lost_unnonced = 18, // before shares_lost carried a nonce: read as nonce 0
  member_rejoin = 19,
  round_reveal = 20,
  shares_lost = 21,
  register_secret = 22,
};
constexpr std::size_t round_participants_max = 255;
constexpr std::uint8_t command_format = 1;

void encode_body(byte_writer& w, const register_secret& r) {
  w.u8(static_cast<std::uint8_t>(body_tag::register_secret));
  w.str(r.name);
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

void tag(byte_writer& w, body_tag t) { w.u8(static_cast<std::uint8_t>(t)); }

void encode_body(byte_writer& w, const access_change& c) {
  tag(w, body_tag::access_change);
  w.u64(c.stamped_at);
  w.blob(c.request);
}

void encode_body(byte_writer& w, const round_begin& b) {
  tag(w, body_tag::round_begin);
  w.u8(static_cast<std::uint8_t>(b.kind));
  w.u64(b.round_id);
  w.u64(b.target.value());
}

void encode_body(byte_writer& w, const round_dealing& b) {
  tag(w, body_tag::round_dealing);
  w.u64(b.round_id);
  w.u64(b.dealer.value());
  w.u32(static_cast<std::uint32_t>(b.digests.size()));
  for (const auto& d : b.digests) w.raw({d.data(), d.size()});
  w.raw({b.signature.data(), b.signature.size()});
}

void encode_body(byte_writer& w, const round_close& b) {
  tag(w, body_tag::round_close);
  w.u64(b.round_id);
}

void encode_body(byte_writer& w, const round_response& b) {
  tag(w, body_tag::round_response);
  w.u64(b.round_id);
  w.u64(b.receiver.value());
  w.u32(static_cast<std::uint32_t>(b.answers.size()));
  for (const auto& a : b.answers) {
    w.u64(a.dealer.value());
    w.u8(static_cast<std::uint8_t>(a.status));
    w.raw({a.y.data(), a.y.size()});
  }
  w.u32(static_cast<std::uint32_t>(b.polynomial.size()));
  for (const auto& c : b.polynomial) w.raw({c.data(), c.size()});
  w.raw({b.signature.data(), b.signature.size()});
}

void encode_body(byte_writer& w, const round_reveal& b) {
  tag(w, body_tag::round_reveal);
  w.u64(b.round_id);
  w.u64(b.dealer.value());
  w.u64(b.receiver.value());
  w.u32(b.chunk);
  w.u32(static_cast<std::uint32_t>(b.chunk_digests.size()));
  for (const auto& d : b.chunk_digests) w.raw({d.data(), d.size()});
  w.blob(b.sealed);
  w.raw({b.ephemeral.data(), b.ephemeral.size()});
  w.raw({b.signature.data(), b.signature.size()});
}

void encode_body(byte_writer& w, const round_qualify& b) {
  tag(w, body_tag::round_qualify);
  w.u64(b.round_id);
}

void encode_body(byte_writer& w, const round_ready& b) {
  tag(w, body_tag::round_ready);
  w.u64(b.round_id);
  w.u64(b.node.value());
}

void encode_body(byte_writer& w, const round_commit& b) {
  tag(w, body_tag::round_commit);
  w.u64(b.round_id);
}

void encode_body(byte_writer& w, const round_abort& b) {
  tag(w, body_tag::round_abort);
  w.u64(b.round_id);
  w.str(b.reason.substr(0, round_reason_bytes_max));
}

void encode_body(byte_writer& w, const shares_lost& b) {
  tag(w, body_tag::shares_lost);
  w.u64(b.node.value());
  w.u64(b.nonce);
}

void encode_body(byte_writer& w, const member_rejoin& b) {
  tag(w, body_tag::member_rejoin);
  w.u64(b.node.value());
  w.u64(b.nonce);
}

// A count of participants, refused above the limit.
std::uint32_t read_count(byte_reader& r) {
  const auto n = r.u32();
  if (n > round_participants_max) {
    r.fail("a round with more than 255 participants");
    return 0;
  }
  return n;
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
  if (tag == static_cast<std::uint8_t>(body_tag::register_versioned)) {
    // A register with a client-chosen version, from a pss before versions
    // were assigned at apply: replaying it under today's rule could give a
    // refused dealing a version, so it is not read at all.
    r.fail("a register written by an older pss (client-chosen versions); this data dir cannot be read");
    return delete_secret{};
  }
  if (tag == static_cast<std::uint8_t>(body_tag::delete_secret)) return delete_secret{r.str(secret_name_bytes_max)};
  switch (static_cast<body_tag>(tag)) {
    case body_tag::round_begin: {
      round_begin b;
      const auto kind = r.u8();
      if (kind != static_cast<std::uint8_t>(round_kind::refresh)
          && kind != static_cast<std::uint8_t>(round_kind::recovery))
        r.fail("unknown round kind");
      b.kind = static_cast<round_kind>(kind);
      b.round_id = r.u64();
      b.target = node_id{r.u64()};
      return b;
    }
    case body_tag::round_dealing: {
      round_dealing b;
      b.round_id = r.u64();
      b.dealer = node_id{r.u64()};
      const auto n = read_count(r);
      for (std::uint32_t i = 0; i < n && r.ok(); ++i) r.raw_into(b.digests.emplace_back());
      r.raw_into(b.signature);
      return b;
    }
    case body_tag::round_close: return round_close{r.u64()};
    case body_tag::round_response: {
      round_response b;
      b.round_id = r.u64();
      b.receiver = node_id{r.u64()};
      const auto n = read_count(r);
      for (std::uint32_t i = 0; i < n && r.ok(); ++i) {
        dealer_answer& a = b.answers.emplace_back();
        a.dealer = node_id{r.u64()};
        const auto st = r.u8();
        if (st > static_cast<std::uint8_t>(answer_status::bad)) r.fail("unknown answer status");
        a.status = static_cast<answer_status>(st);
        r.raw_into(a.y);
      }
      const auto coefficients = read_count(r); // t-1 < 255
      for (std::uint32_t i = 0; i < coefficients && r.ok(); ++i) r.raw_into(b.polynomial.emplace_back());
      r.raw_into(b.signature);
      return b;
    }
    case body_tag::round_reveal: {
      round_reveal b;
      b.round_id = r.u64();
      b.dealer = node_id{r.u64()};
      b.receiver = node_id{r.u64()};
      b.chunk = r.u32();
      const auto n = r.u32();
      if (n == 0 || n > reveal_chunks_max || b.chunk >= n) {
        r.fail("a reveal's chunk number out of range");
        return b;
      }
      for (std::uint32_t i = 0; i < n && r.ok(); ++i) r.raw_into(b.chunk_digests.emplace_back());
      b.sealed = copy(r.blob(reveal_sealed_bytes_max));
      r.raw_into(b.ephemeral);
      r.raw_into(b.signature);
      return b;
    }
    case body_tag::round_qualify: return round_qualify{r.u64()};
    case body_tag::round_ready: {
      round_ready b;
      b.round_id = r.u64();
      b.node = node_id{r.u64()};
      return b;
    }
    case body_tag::round_commit: return round_commit{r.u64()};
    case body_tag::round_abort: {
      round_abort b;
      b.round_id = r.u64();
      b.reason = r.str(round_reason_bytes_max);
      return b;
    }
    case body_tag::access_change: {
      access_change c;
      c.stamped_at = r.u64();
      c.request = copy(r.blob(access_change_bytes_max));
      return c;
    }
    case body_tag::shares_lost_unnonced: return shares_lost{node_id{r.u64()}, 0};
    case body_tag::shares_lost: {
      shares_lost b;
      b.node = node_id{r.u64()};
      b.nonce = r.u64();
      return b;
    }
    case body_tag::member_rejoin: {
      member_rejoin b;
      b.node = node_id{r.u64()};
      b.nonce = r.u64();
      return b;
    }
    default: break;
  }
  r.fail("unknown command tag " + std::to_string(tag));
  return delete_secret{};
}

result<command> decode_command(byte_view data) {
  if (data.size() > reveal_command_bytes_max) return error{errc::too_large, "a command above its size limit"};
  byte_reader r{data};
  if (r.u8() != command_format) return error{errc::malformed, "unknown command format"};
  command c;
  c.session.client = client_id{r.u64()};
  c.session.sequence = sequence_number{r.u64()};
  c.session.leader_time = millis{static_cast<millis::rep>(r.u64())};
  c.body = decode_command_body(r);
  PSS_TRY(r.finish("command"));
  if (data.size() > command_bytes_max && !std::holds_alternative<round_reveal>(c.body))
    return error{errc::too_large, "a command above command_bytes_max"};
  return c;
}

bool is_node_command(const command_body& body) noexcept {
  return !std::holds_alternative<register_secret>(body) && !std::holds_alternative<delete_secret>(body)
         && !std::holds_alternative<access_change>(body);
}

std::string_view to_string(round_kind k) noexcept {
  return k == round_kind::refresh ? "refresh" : "recovery";
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
