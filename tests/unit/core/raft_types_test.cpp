#include <doctest/doctest.h>

#include "raft/types.hpp"

using namespace pss;
using namespace pss::raft;

TEST_CASE("raft types: entries, hard state and snapshot metadata round trip") {
  entry e{term_id{3}, log_index{17}, entry_kind::config, bytes{1, 2, 3}};
  hard_state hs{term_id{5}, node_id{2}, log_index{9}};
  snapshot_meta meta{log_index{100}, term_id{4},
                     configuration{{node_id{1}, node_id{2}}, {node_id{3}}}};
  byte_writer w;
  encode(w, e);
  encode(w, hs);
  encode(w, meta);
  auto buf = w.take();
  byte_reader r{buf};
  CHECK(decode_entry(r) == e);
  CHECK(decode_hard_state(r) == hs);
  CHECK(decode_snapshot_meta(r) == meta);
  CHECK(r.finish("test").ok());
}

TEST_CASE("raft types: hostile configurations are refused") {
  configuration dup{{node_id{1}, node_id{1}}, {}};
  CHECK_FALSE(configuration_from_bytes(to_bytes(dup)).ok());
  configuration both{{node_id{1}}, {node_id{1}}};
  CHECK_FALSE(configuration_from_bytes(to_bytes(both)).ok());
  configuration zero{{node_id{0}}, {}};
  CHECK_FALSE(configuration_from_bytes(to_bytes(zero)).ok());
  byte_writer w;
  w.u32(1u << 20); // a member count far above the limit
  auto st = configuration_from_bytes(w.take());
  REQUIRE_FALSE(st.ok());
  CHECK(st.err().message().find("limit") != std::string::npos);
}

TEST_CASE("raft types: an unknown entry kind is refused") {
  entry e{term_id{1}, log_index{1}, entry_kind::command, {}};
  byte_writer w;
  encode(w, e);
  auto buf = w.take();
  buf[16] = 99;
  byte_reader r{buf};
  (void)decode_entry(r);
  CHECK_FALSE(r.finish("entry").ok());
}
