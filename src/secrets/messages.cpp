#include "secrets/messages.hpp"

#include <algorithm>

namespace pss::secrets {
namespace {

bytes copy(byte_view v) { return bytes(v.begin(), v.end()); }

void encode_record(byte_writer& w, const version_record& r) {
  w.u64(r.version.value());
  w.u64(r.epoch.value());
  w.u64(r.dealt_epoch.value());
  w.blob(r.commitments);
  w.blob(r.ciphertext);
  w.u32(static_cast<std::uint32_t>(r.holders.size()));
  for (auto h : r.holders) w.u64(h.value());
  w.u8(static_cast<std::uint8_t>(r.state));
  w.raw(r.commitments_digest);
}

version_record decode_record(byte_reader& r) {
  version_record rec;
  rec.version = secret_version{r.u64()};
  rec.epoch = epoch_id{r.u64()};
  rec.dealt_epoch = epoch_id{r.u64()};
  rec.commitments = copy(r.blob(commitments_bytes_max));
  rec.ciphertext = copy(r.blob(ciphertext_bytes_max));
  const auto holders = r.u32();
  if (holders > holders_max) r.fail("too many holders");
  for (std::uint32_t i = 0; i < holders && r.ok(); ++i) rec.holders.push_back(node_id{r.u64()});
  const auto state = r.u8();
  if (state > static_cast<std::uint8_t>(version_state::deleted)) r.fail("unknown version state");
  rec.state = static_cast<version_state>(state);
  auto d = r.raw(rec.commitments_digest.size());
  if (r.ok()) std::copy(d.begin(), d.end(), rec.commitments_digest.begin());
  return rec;
}

reply_code decode_code(byte_reader& r) {
  const auto c = r.u8();
  if (c > static_cast<std::uint8_t>(reply_code::verification_failed)) r.fail("unknown reply code");
  return static_cast<reply_code>(c);
}

void put(byte_writer& w, const raft_message& m) { w.raw(raft::encode(m.envelope)); }
void put(byte_writer& w, const get_view_request& m) { w.u64(m.request_id); }
void put(byte_writer& w, const get_view_response& m) {
  w.u64(m.request_id);
  encode(w, m.view);
}
void put(byte_writer& w, const store_share_request& m) {
  w.u64(m.request_id);
  w.str(m.name);
  w.u64(m.epoch.value());
  w.blob(m.commitments);
  w.blob(m.sealed_share);
}
void put(byte_writer& w, const store_share_response& m) {
  w.u64(m.request_id);
  w.u8(static_cast<std::uint8_t>(m.code));
  w.str(m.reason);
  w.u64(m.epoch.value());
}
void put(byte_writer& w, const propose_request& m) {
  w.u64(m.request_id);
  w.u64(m.sequence.value());
  encode(w, m.body);
}
void put(byte_writer& w, const propose_response& m) {
  w.u64(m.request_id);
  w.u8(static_cast<std::uint8_t>(m.code));
  w.u64(m.leader_hint.value());
  encode(w, m.result);
  w.str(m.reason);
}
void put(byte_writer& w, const read_request& m) {
  w.u64(m.request_id);
  w.u8(static_cast<std::uint8_t>(m.kind));
  w.str(m.name);
  w.u64(m.version.value());
}
void put(byte_writer& w, const read_response& m) {
  w.u64(m.request_id);
  w.u8(static_cast<std::uint8_t>(m.code));
  w.u64(m.leader_hint.value());
  w.str(m.reason);
  w.u64(m.latest.value());
  w.u8(m.deleted ? 1 : 0);
  w.u32(m.threshold);
  w.u8(m.record ? 1 : 0);
  if (m.record) encode_record(w, *m.record);
  w.u32(static_cast<std::uint32_t>(m.items.size()));
  for (const auto& i : m.items) {
    w.str(i.name);
    w.u64(i.latest.value());
    w.u8(i.deleted ? 1 : 0);
  }
  w.u32(static_cast<std::uint32_t>(m.grants.size()));
  for (const auto& g : m.grants) access::encode_grant(w, g);
}
void put(byte_writer& w, const get_share_request& m) {
  w.u64(m.request_id);
  w.str(m.name);
  w.u64(m.version.value());
  w.raw(m.reader_key);
}
void put(byte_writer& w, const get_share_response& m) {
  w.u64(m.request_id);
  w.u8(static_cast<std::uint8_t>(m.code));
  w.str(m.reason);
  w.u64(m.epoch.value());
  w.u64(m.version.value());
  w.blob(m.sealed_share);
}

void put(byte_writer& w, const node_proposal& m) { encode(w, m.body); }
void put(byte_writer& w, const round_chunk& m) {
  w.u8(static_cast<std::uint8_t>(m.kind));
  w.u64(m.round_id);
  w.u64(m.sender.value());
  w.u64(m.receiver.value());
  w.u32(m.chunk);
  w.u32(m.chunks);
  w.blob(m.sealed);
}
void put(byte_writer& w, const refresh_request& m) {
  w.u64(m.request_id);
}
void put(byte_writer& w, const refresh_response& m) {
  w.u64(m.request_id);
  w.u8(static_cast<std::uint8_t>(m.code));
  w.str(m.reason);
}

void put(byte_writer& w, const access_request& m) {
  w.u64(m.request_id);
  w.u64(m.sequence.value());
  access::encode(w, m.change);
}

void put(byte_writer& w, const audit_request& m) {
  w.u64(m.request_id);
  w.u64(m.after_seq);
}
void put(byte_writer& w, const audit_response& m) {
  w.u64(m.request_id);
  w.u8(static_cast<std::uint8_t>(m.code));
  w.str(m.reason);
  w.u64(m.head_seq);
  w.u32(static_cast<std::uint32_t>(m.records.size()));
  for (const auto& r : m.records) w.blob(audit::encode(r));
}

void put(byte_writer& w, const rejoin_request& m) {
  w.u64(m.node.value());
  w.u64(m.nonce);
}

constexpr message_type type_of(const wire_message& m) {
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
    message_type::audit_response};
  return types[m.index()];
}

result<wire_message> decode_body(message_type type, byte_reader& r, byte_view rest) {
  switch (type) {
    case message_type::raft_message: {
      auto e = raft::decode_envelope(rest);
      if (!e.ok()) return e.err();
      r.raw(rest.size());
      return wire_message{raft_message{std::move(*e)}};
    }
    case message_type::get_view_request: return wire_message{get_view_request{r.u64()}};
    case message_type::get_view_response: {
      get_view_response m{r.u64(), {}};
      auto v = decode_cluster_view(r);
      if (!v.ok()) return v.err();
      m.view = std::move(*v);
      return wire_message{std::move(m)};
    }
    case message_type::store_share_request: {
      store_share_request m;
      m.request_id = r.u64();
      m.name = r.str(secret_name_bytes_max);
      m.epoch = epoch_id{r.u64()};
      m.commitments = copy(r.blob(commitments_bytes_max));
      m.sealed_share = copy(r.blob(sealed_share_bytes_max));
      return wire_message{std::move(m)};
    }
    case message_type::store_share_response: {
      store_share_response m;
      m.request_id = r.u64();
      m.code = decode_code(r);
      m.reason = r.str(reason_bytes_max);
      m.epoch = epoch_id{r.u64()};
      return wire_message{std::move(m)};
    }
    case message_type::propose_request: {
      propose_request m;
      m.request_id = r.u64();
      m.sequence = sequence_number{r.u64()};
      m.body = decode_command_body(r);
      if (r.ok() && !std::holds_alternative<register_secret>(m.body) && !std::holds_alternative<delete_secret>(m.body))
        r.fail("a client may propose register and delete only");
      return wire_message{std::move(m)};
    }
    case message_type::propose_response: {
      propose_response m;
      m.request_id = r.u64();
      m.code = decode_code(r);
      m.leader_hint = node_id{r.u64()};
      m.result = decode_command_result(r);
      m.reason = r.str(reason_bytes_max);
      return wire_message{std::move(m)};
    }
    case message_type::read_request: {
      read_request m;
      m.request_id = r.u64();
      const auto kind = r.u8();
      if (kind < 1 || kind > 3) r.fail("unknown read kind");
      m.kind = static_cast<read_kind>(kind);
      m.name = r.str(secret_name_bytes_max);
      m.version = secret_version{r.u64()};
      return wire_message{std::move(m)};
    }
    case message_type::read_response: {
      read_response m;
      m.request_id = r.u64();
      m.code = decode_code(r);
      m.leader_hint = node_id{r.u64()};
      m.reason = r.str(reason_bytes_max);
      m.latest = secret_version{r.u64()};
      m.deleted = r.u8() != 0;
      m.threshold = r.u32();
      if (r.u8() != 0) m.record = decode_record(r);
      const auto count = r.u32();
      if (count > list_items_max) r.fail("a list above list_items_max");
      for (std::uint32_t i = 0; i < count && r.ok(); ++i) {
        list_item item;
        item.name = r.str(secret_name_bytes_max);
        item.latest = secret_version{r.u64()};
        item.deleted = r.u8() != 0;
        m.items.push_back(std::move(item));
      }
      const auto grants = r.u32();
      if (grants > access::grants_max) r.fail("a policy above grants_max");
      for (std::uint32_t i = 0; i < grants && r.ok(); ++i) {
        auto g = access::decode_grant(r);
        if (!g.ok()) return g.err();
        m.grants.push_back(std::move(*g));
      }
      return wire_message{std::move(m)};
    }
    case message_type::get_share_request: {
      get_share_request m;
      m.request_id = r.u64();
      m.name = r.str(secret_name_bytes_max);
      m.version = secret_version{r.u64()};
      auto key = r.raw(m.reader_key.size());
      if (r.ok()) std::copy(key.begin(), key.end(), m.reader_key.begin());
      return wire_message{std::move(m)};
    }
    case message_type::get_share_response: {
      get_share_response m;
      m.request_id = r.u64();
      m.code = decode_code(r);
      m.reason = r.str(reason_bytes_max);
      m.epoch = epoch_id{r.u64()};
      m.version = secret_version{r.u64()};
      m.sealed_share = copy(r.blob(sealed_share_bytes_max));
      return wire_message{std::move(m)};
    }
    case message_type::node_proposal: {
      node_proposal m{decode_command_body(r)};
      if (r.ok() && !is_node_command(m.body)) r.fail("a node may propose round commands only");
      return wire_message{std::move(m)};
    }
    case message_type::round_chunk: {
      round_chunk m;
      const auto kind = r.u8();
      if (kind != 1 && kind != 2) r.fail("unknown chunk kind");
      m.kind = static_cast<chunk_kind>(kind);
      m.round_id = r.u64();
      m.sender = node_id{r.u64()};
      m.receiver = node_id{r.u64()};
      m.chunk = r.u32();
      m.chunks = r.u32();
      if (m.chunks == 0 || m.chunks > round_chunks_max || m.chunk >= m.chunks) r.fail("a chunk number out of range");
      m.sealed = copy(r.blob(round_chunk_bytes_max));
      return wire_message{std::move(m)};
    }
    case message_type::refresh_request: {
      refresh_request m;
      m.request_id = r.u64();
      return wire_message{std::move(m)};
    }
    case message_type::rejoin_request: {
      rejoin_request m;
      m.node = node_id{r.u64()};
      m.nonce = r.u64();
      if (m.node == no_node) r.fail("a rejoin request needs a node id");
      return wire_message{std::move(m)};
    }
    case message_type::access_request: {
      access_request m;
      m.request_id = r.u64();
      m.sequence = sequence_number{r.u64()};
      auto change = access::decode_policy_change(r);
      if (!change.ok()) return change.err();
      m.change = std::move(*change);
      return wire_message{std::move(m)};
    }
    case message_type::audit_request: {
      audit_request m;
      m.request_id = r.u64();
      m.after_seq = r.u64();
      return wire_message{std::move(m)};
    }
    case message_type::audit_response: {
      audit_response m;
      m.request_id = r.u64();
      m.code = decode_code(r);
      m.reason = r.str(reason_bytes_max);
      m.head_seq = r.u64();
      const auto n = r.u32();
      if (n > audit_records_per_response_max) r.fail("too many audit records");
      for (std::uint32_t i = 0; i < n && r.ok(); ++i) {
        auto rec = audit::decode_record(r.blob(1024));
        if (!rec.ok()) return rec.err();
        m.records.push_back(std::move(*rec));
      }
      return wire_message{std::move(m)};
    }
    case message_type::refresh_response: {
      refresh_response m;
      m.request_id = r.u64();
      m.code = decode_code(r);
      m.reason = r.str(reason_bytes_max);
      return wire_message{std::move(m)};
    }
  }
  return error{errc::malformed, "unknown message type " + std::to_string(static_cast<int>(type))};
}

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
  w.u8(static_cast<std::uint8_t>(type_of(m)));
  std::visit([&](const auto& body) { put(w, body); }, m);
  return w.take();
}

result<wire_message> decode_wire_message(byte_view data) {
  if (data.empty()) return error{errc::malformed, "an empty message"};
  if (data.size() > wire_message_bytes_max) return error{errc::too_large, "a message above wire_message_bytes_max"};
  byte_reader r{data};
  const auto type = static_cast<message_type>(r.u8());
  auto m = decode_body(type, r, data.subspan(1));
  if (!m.ok()) return m;
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
