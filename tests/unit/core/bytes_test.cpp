#include <doctest/doctest.h>

#include "core/bytes.hpp"

using namespace pss;

TEST_CASE("bytes: hex round trip and rejection of bad hex") {
  bytes data{0x00, 0x0f, 0xa5, 0xff};
  CHECK(to_hex(data) == "000fa5ff");
  auto back = from_hex("000FA5ff");
  REQUIRE(back.ok());
  CHECK(*back == data);
  CHECK_FALSE(from_hex("abc").ok());
  CHECK_FALSE(from_hex("zz").ok());
}

TEST_CASE("bytes: writer and reader agree on every field") {
  byte_writer w;
  w.u8(0xab);
  w.u16(0x1234);
  w.u32(0xdeadbeef);
  w.u64(0x0102030405060708ULL);
  w.str("hello");
  auto buf = w.take();
  byte_reader r{buf};
  CHECK(r.u8() == 0xab);
  CHECK(r.u16() == 0x1234);
  CHECK(r.u32() == 0xdeadbeef);
  CHECK(r.u64() == 0x0102030405060708ULL);
  CHECK(r.str(16) == "hello");
  CHECK(r.finish("test").ok());
}

TEST_CASE("bytes: the reader never runs past its input") {
  bytes buf{1, 2, 3};
  byte_reader r{buf};
  CHECK(r.u64() == 0);
  CHECK_FALSE(r.ok());
  CHECK(r.u8() == 0);
  auto st = r.finish("record");
  REQUIRE_FALSE(st.ok());
  CHECK(st.err().code() == errc::malformed);
  CHECK(st.err().message().find("truncated") != std::string::npos);
}

TEST_CASE("bytes: an oversized length prefix is refused before allocating") {
  byte_writer w;
  w.u32(1u << 30);
  auto buf = w.take();
  byte_reader r{buf};
  CHECK(r.blob(1024).empty());
  auto st = r.finish("message");
  REQUIRE_FALSE(st.ok());
  CHECK(st.err().message().find("above the limit") != std::string::npos);
}

TEST_CASE("bytes: trailing bytes are an error") {
  bytes buf{1, 2};
  byte_reader r{buf};
  (void)r.u8();
  CHECK_FALSE(r.finish("x").ok());
}
