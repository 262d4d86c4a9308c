#include "secrets/messages.hpp"

#include <algorithm>

#include "core/fields.hpp"

namespace pss::secrets {

// The formats of the secrets messages, one visitor per struct
// (core/fields.hpp): the writer and the reader both walk these.

void fields(auto& io, like<version_record> auto& m) {
  io.id(m.version);
  version_fields(io, m);
  io.raw(m.commitments_digest);
}

void fields(auto& io, like<list_item> auto& m) {
  io.str(m.name, secret_name_bytes_max);
  io.id(m.latest);
  io.flag(m.deleted);
}

namespace {

void code(auto& io, auto& c) {
  io.enumeration(c, reply_code::ok, reply_code::verification_failed, "unknown reply code");
}

} // namespace

void fields(auto& io, like<raft_message> auto& m) {
  io.rest(m.envelope, [](const raft::envelope& e) { return raft::encode(e); }, raft::decode_envelope);
}
void fields(auto& io, like<get_view_request> auto& m) { io.u64(m.request_id); }
void fields(auto& io, like<get_view_response> auto& m) {
  io.u64(m.request_id);
  io.nested(m.view, [](byte_writer& w, const cluster_view& v) { encode(w, v); }, decode_cluster_view);
  io.str(m.not_serving, reason_bytes_max);
  io.list(m.seal_keys, members_max, "more sealing keys than members", [&](auto& a) { fields(io, a); });
}
void fields(auto& io, like<store_share_request> auto& m) {
  io.u64(m.request_id);
  io.str(m.name, secret_name_bytes_max);
  io.id(m.epoch);
  io.blob(m.commitments, commitments_bytes_max);
  io.blob(m.sealed_share, sealed_share_bytes_max);
}
void fields(auto& io, like<store_share_response> auto& m) {
  io.u64(m.request_id);
  code(io, m.code);
  io.str(m.reason, reason_bytes_max);
  io.id(m.epoch);
}
void fields(auto& io, like<propose_request> auto& m) {
  io.u64(m.request_id);
  io.id(m.sequence);
  io.nested(m.body, [](byte_writer& w, const command_body& b) { encode(w, b); }, decode_command_body);
  io.check([&] { return std::holds_alternative<register_secret>(m.body) || std::holds_alternative<delete_secret>(m.body); },
           "a client may propose register and delete only");
}
void fields(auto& io, like<propose_response> auto& m) {
  io.u64(m.request_id);
  code(io, m.code);
  io.id(m.leader_hint);
  io.nested(m.result, [](byte_writer& w, const command_result& r) { encode(w, r); }, decode_command_result);
  io.str(m.reason, reason_bytes_max);
}
void fields(auto& io, like<read_request> auto& m) {
  io.u64(m.request_id);
  io.enumeration(m.kind, read_kind::metadata, read_kind::policy, "unknown read kind");
  io.str(m.name, secret_name_bytes_max);
  io.id(m.version);
}
void fields(auto& io, like<read_response> auto& m) {
  io.u64(m.request_id);
  code(io, m.code);
  io.id(m.leader_hint);
  io.str(m.reason, reason_bytes_max);
  io.id(m.latest);
  io.flag(m.deleted);
  io.u32(m.threshold);
  io.optional(m.record, [&](auto& r) { fields(io, r); });
  io.list(m.items, list_items_max, "a list above list_items_max", [&](auto& i) { fields(io, i); });
  io.list(m.grants, access::grants_max, "a policy above grants_max",
          [&](auto& g) { fields(io, g); });
}
void fields(auto& io, like<get_share_request> auto& m) {
  io.u64(m.request_id);
  io.str(m.name, secret_name_bytes_max);
  io.id(m.version);
  io.raw(m.reader_key);
}
void fields(auto& io, like<get_share_response> auto& m) {
  io.u64(m.request_id);
  code(io, m.code);
  io.str(m.reason, reason_bytes_max);
  io.id(m.epoch);
  io.id(m.version);
  io.blob(m.sealed_share, sealed_share_bytes_max);
}
void fields(auto& io, like<node_proposal> auto& m) {
  io.nested(m.body, [](byte_writer& w, const command_body& b) { encode(w, b); }, decode_command_body);
  io.check([&] { return is_node_command(m.body); }, "a node may propose round commands only");
}
void fields(auto& io, like<round_chunk> auto& m) {
  io.enumeration(m.kind, chunk_kind::bundle, chunk_kind::masked, "unknown chunk kind");
  io.u64(m.round_id);
  io.id(m.sender);
  io.id(m.receiver);
  io.u32(m.chunk);
  io.u32(m.chunks);
  io.check([&] { return m.chunks != 0 && m.chunks <= round_chunks_max && m.chunk < m.chunks; },
           "a chunk number out of range");
  io.blob(m.sealed, round_chunk_bytes_max);
}
void fields(auto& io, like<refresh_request> auto& m) { io.u64(m.request_id); }
void fields(auto& io, like<refresh_response> auto& m) {
  io.u64(m.request_id);
  code(io, m.code);
  io.str(m.reason, reason_bytes_max);
}
void fields(auto& io, like<rejoin_request> auto& m) {
  io.id(m.node);
  io.u64(m.nonce);
  io.check([&] { return m.node != no_node; }, "a rejoin request needs a node id");
}
void fields(auto& io, like<access_request> auto& m) {
  io.u64(m.request_id);
  io.id(m.sequence);
  io.nested(m.change, [](byte_writer& w, const access::policy_change& c) { access::encode(w, c); },
            access::decode_policy_change);
}
void fields(auto& io, like<member_request> auto& m) {
  io.u64(m.request_id);
  io.id(m.sequence);
  io.nested(m.change, [](byte_writer& w, const committee_change& c) { encode(w, c); }, decode_committee_change);
}
void fields(auto& io, like<audit_request> auto& m) {
  io.u64(m.request_id);
  io.u64(m.after_seq);
}
void fields(auto& io, like<audit_response> auto& m) {
  io.u64(m.request_id);
  code(io, m.code);
  io.str(m.reason, reason_bytes_max);
  io.u64(m.head_seq);
  io.list(m.records, audit_records_per_response_max, "too many audit records",
          [&](auto& r) { io.wrapped(r, audit::record_bytes_max, [](const audit::record& x) { return audit::encode(x); }, audit::decode_record); });
}

namespace {

// The type byte of each alternative of wire_message, in variant order.
constexpr message_type types[] = {
  message_type::raft_message,        message_type::get_view_request,
  message_type::get_view_response,   message_type::store_share_request,
  message_type::store_share_response, message_type::propose_request,
  message_type::propose_response,    message_type::read_request,
  message_type::read_response,       message_type::get_share_request,
  message_type::get_share_response,  message_type::node_proposal,
  message_type::round_chunk,         message_type::refresh_request,
  message_type::refresh_response,    message_type::rejoin_request,
  message_type::access_request,      message_type::audit_request,
  message_type::audit_response,      message_type::member_request};
static_assert(std::size(types) == std::variant_size_v<wire_message>);

} // namespace

std::string_view to_string(reply_code c) noexcept {
  switch (c) {
    case reply_code::ok: return "ok";
    case reply_code::not_leader: return "not_leader";
    case reply_code::unauthorized: return "unauthorized";
    case reply_code::refused: return "refused";
    case reply_code::not_found: return "not_found";
    case reply_code::conflict: return "conflict";
    case reply_code::unavailable: return "unavailable";
    case reply_code::verification_failed: return "verification_failed";
  }
  return "unknown";
}

bytes encode(const wire_message& m) {
  byte_writer w;
  field_writer io{w};
  io.variant(m, types, "unknown message type");
  return w.take();
}

result<wire_message> decode_wire_message(byte_view data) {
  if (data.empty()) return error{errc::malformed, "an empty message"};
  if (data.size() > wire_message_bytes_max) return error{errc::too_large, "a message above wire_message_bytes_max"};
  byte_reader r{data};
  wire_message m;
  field_reader io{r};
  io.variant(m, types, "unknown message type");
  PSS_TRY(r.finish("secrets message"));
  return m;
}

result<bytes> round_chunk_context(const std::string& cluster_id, const round_chunk& c, epoch_id epoch) {
  std::string purpose = c.kind == chunk_kind::bundle ? "round/bundle/" : "round/masked/";
  purpose += std::to_string(c.round_id) + "/" + std::to_string(c.chunk) + "/" + std::to_string(c.chunks);
  return crypto::encode_context(crypto::protocol_context{purpose, cluster_id, epoch, {}, {},
                                                         c.sender, c.receiver});
}

result<bytes> share_context_for_store(const std::string& cluster_id, epoch_id epoch,
                                      const std::string& name, const digest& dealing,
                                      node_id recipient) {
  return crypto::encode_context(crypto::protocol_context{"create/share", cluster_id, epoch, name,
                                                         secret_version{}, no_node, recipient, &dealing});
}

result<bytes> share_context_for_read(const std::string& cluster_id, epoch_id epoch,
                                     const std::string& name, secret_version version,
                                     node_id dealer) {
  return crypto::encode_context(crypto::protocol_context{"read/share", cluster_id, epoch, name,
                                                         version, dealer, no_node});
}

} // namespace pss::secrets
