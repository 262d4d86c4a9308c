#include "secrets/commands.hpp"

#include <algorithm>

#include "core/fields.hpp"

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
  seal_key = 23,
};
constexpr std::size_t round_participants_max = 255;
constexpr std::uint8_t command_format = 1;

// The tag of each alternative of command_body, in variant order.
constexpr body_tag tags[] = {
  body_tag::register_secret, body_tag::delete_secret, body_tag::access_change, body_tag::round_begin,
  body_tag::round_dealing,   body_tag::round_close,   body_tag::round_response, body_tag::round_qualify,
  body_tag::round_ready,     body_tag::round_commit,  body_tag::round_abort,    body_tag::shares_lost,
  body_tag::member_rejoin,   body_tag::round_reveal,   body_tag::seal_key};
static_assert(std::size(tags) == std::variant_size_v<command_body>);

// A list of participants (or of coefficients, t-1 < 255).
void participants(auto& io, auto& list, auto&& each) {
  io.list(list, round_participants_max, "a round with more than 255 participants", each);
}

} // namespace

// The formats of the commands, one visitor per struct (core/fields.hpp).

void fields(auto& io, like<register_secret> auto& m) {
  io.str(m.name, secret_name_bytes_max);
  io.blob(m.commitments, commitments_bytes_max);
  io.blob(m.ciphertext, ciphertext_bytes_max);
  io.id(m.epoch);
  io.list(m.holders, holders_max, "a register with more than holders_max holders", [&](auto& h) { io.id(h); });
}
void fields(auto& io, like<delete_secret> auto& m) { io.str(m.name, secret_name_bytes_max); }
void fields(auto& io, like<access_change> auto& m) {
  io.u64(m.stamped_at);
  io.blob(m.request, access_change_bytes_max);
}
void fields(auto& io, like<round_begin> auto& m) {
  io.enumeration(m.kind, round_kind::refresh, round_kind::recovery, "unknown round kind");
  io.u64(m.round_id);
  io.id(m.target);
}
void fields(auto& io, like<round_dealing> auto& m) {
  io.u64(m.round_id);
  io.id(m.dealer);
  participants(io, m.digests, [&](auto& d) { io.raw(d); });
  io.raw(m.signature);
  io.trailing(m.mask_commitment);
}
void fields(auto& io, like<round_close> auto& m) { io.u64(m.round_id); }
void fields(auto& io, like<round_response> auto& m) {
  io.u64(m.round_id);
  io.id(m.receiver);
  participants(io, m.answers, [&](auto& a) { fields(io, a); });
  participants(io, m.polynomial, [&](auto& c) { io.raw(c); });
  io.raw(m.signature);
}
void fields(auto& io, like<round_reveal> auto& m) {
  io.u64(m.round_id);
  io.id(m.dealer);
  io.id(m.receiver);
  io.u32(m.chunk);
  io.list(m.chunk_digests, reveal_chunks_max, "a reveal's chunk number out of range", [&](auto& d) { io.raw(d); });
  io.check([&] { return !m.chunk_digests.empty() && m.chunk < m.chunk_digests.size(); },
           "a reveal's chunk number out of range");
  io.blob(m.sealed, reveal_sealed_bytes_max);
  io.raw(m.ephemeral);
  io.raw(m.signature);
}
void fields(auto& io, like<round_qualify> auto& m) { io.u64(m.round_id); }
void fields(auto& io, like<round_ready> auto& m) {
  io.u64(m.round_id);
  io.id(m.node);
}
void fields(auto& io, like<round_commit> auto& m) { io.u64(m.round_id); }
void fields(auto& io, like<round_abort> auto& m) {
  io.u64(m.round_id);
  io.clipped(m.reason, round_reason_bytes_max);
}
void fields(auto& io, like<shares_lost> auto& m) {
  io.id(m.node);
  io.u64(m.nonce);
}
void fields(auto& io, like<member_rejoin> auto& m) {
  io.id(m.node);
  io.u64(m.nonce);
}
void fields(auto& io, like<command_result> auto& m) {
  io.enumeration(m.code, result_code::ok, result_code::invalid, "unknown result code");
  io.id(m.version);
  io.clipped(m.message, result_message_bytes_max);
}

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
  field_writer io{w};
  io.variant(body, tags, "unknown command tag");
}

command_body decode_command_body(byte_reader& r) {
  // Two tags of older formats, read or refused before the others.
  const std::uint8_t tag = r.peek();
  if (tag == static_cast<std::uint8_t>(body_tag::register_versioned)) {
    // A register with a client-chosen version, from a pss before versions
    // were assigned at apply: replaying it under today's rule could give a
    // refused dealing a version, so it is not read at all.
    r.fail("a register written by an older pss (client-chosen versions); this data dir cannot be read");
    return delete_secret{};
  }
  // Before shares_lost carried a nonce: read as nonce 0.
  if (tag == static_cast<std::uint8_t>(body_tag::shares_lost_unnonced)) {
    r.u8();
    return shares_lost{node_id{r.u64()}, 0};
  }
  command_body body;
  field_reader io{r};
  io.variant(body, tags, "unknown command tag");
  return body;
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

void encode(byte_writer& out, const command_result& r) { write_fields(out, r); }
command_result decode_command_result(byte_reader& in) { return read_fields<command_result>(in); }

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
