#include <doctest/doctest.h>

#include "core/fields.hpp"

using namespace pss;

namespace fields_test {

enum class colour : std::uint8_t { red = 1, green = 2, blue = 3 };

struct inner {
  std::string label;
  node_id owner;
  friend bool operator==(const inner&, const inner&) = default;
};

struct sample {
  std::uint64_t id = 0;
  epoch_id epoch;
  bool flag = false;
  colour hue = colour::red;
  bytes payload;
  std::array<std::uint8_t, 4> tag{};
  std::vector<inner> items;
  std::optional<inner> extra;
  std::string note;
  friend bool operator==(const sample&, const sample&) = default;
};

void fields(auto& io, like<inner> auto& m) {
  io.str(m.label, 8);
  io.id(m.owner);
}

void fields(auto& io, like<sample> auto& m) {
  io.u64(m.id);
  io.id(m.epoch);
  io.flag(m.flag);
  io.enumeration(m.hue, colour::red, colour::blue, "unknown colour");
  io.blob(m.payload, 16);
  io.raw(m.tag);
  io.list(m.items, 3, "too many items", [&](auto& i) { fields(io, i); });
  io.check([&] { return m.items.size() != 2; }, "two items are forbidden");
  io.optional(m.extra, [&](auto& e) { fields(io, e); });
  io.clipped(m.note, 5);
}

sample full() {
  sample s;
  s.id = 0x0102030405060708;
  s.epoch = epoch_id{9};
  s.flag = true;
  s.hue = colour::blue;
  s.payload = bytes{1, 2, 3};
  s.tag = {4, 5, 6, 7};
  s.items = {inner{"a", node_id{1}}};
  s.extra = inner{"bb", node_id{2}};
  s.note = "fits";
  return s;
}

bytes write(const sample& s) {
  byte_writer w;
  write_fields(w, s);
  return w.take();
}

result<sample> read(byte_view data) {
  byte_reader r{data};
  auto s = read_fields<sample>(r);
  PSS_TRY(r.finish("sample"));
  return s;
}

} // namespace fields_test

using namespace fields_test;

TEST_CASE("fields: one visitor writes and reads every kind of field") {
  const sample s = full();
  const bytes b = write(s);
  auto back = read(b);
  REQUIRE(back.ok());
  CHECK(*back == s);
  // The layout is the byte_writer's: the u64 first, little-endian.
  CHECK(b[0] == 0x08);
  CHECK(b[7] == 0x01);
  sample none = s;
  none.extra.reset();
  auto again = read(write(none));
  REQUIRE(again.ok());
  CHECK_FALSE(again->extra.has_value());
}

TEST_CASE("fields: every bound the visitor names is enforced by the reader") {
  sample big = full();
  big.payload.assign(17, 0);
  CHECK_FALSE(read(write(big)).ok());
  sample many = full();
  many.items.assign(4, inner{"x", node_id{1}});
  auto r = read(write(many));
  REQUIRE_FALSE(r.ok());
  CHECK(r.err().message().find("too many items") != std::string::npos);
  sample long_label = full();
  long_label.items[0].label = "123456789";
  CHECK_FALSE(read(write(long_label)).ok());
}

TEST_CASE("fields: checks refuse on read, and the writer writes what it is given") {
  sample two = full();
  two.items.push_back(inner{"b", node_id{3}});
  auto r = read(write(two));
  REQUIRE_FALSE(r.ok());
  CHECK(r.err().message().find("two items are forbidden") != std::string::npos);
}

TEST_CASE("fields: flags and enumerations accept only their values") {
  const bytes good = write(full());
  bytes bad_flag = good;
  bad_flag[16] = 2; // after the u64 id and the u64 epoch
  CHECK_FALSE(read(bad_flag).ok());
  bytes bad_colour = good;
  bad_colour[17] = 4;
  CHECK_FALSE(read(bad_colour).ok());
  bad_colour[17] = 0;
  CHECK_FALSE(read(bad_colour).ok());
}

TEST_CASE("fields: clipped text is cut when written, not refused") {
  sample s = full();
  s.note = "much too long";
  auto back = read(write(s));
  REQUIRE(back.ok());
  CHECK(back->note == "much ");
}

TEST_CASE("fields: a truncated input fails at every length, never reads past the end") {
  const bytes good = write(full());
  for (std::size_t n = 0; n < good.size(); ++n) CHECK_FALSE(read(byte_view{good}.first(n)).ok());
  bytes longer = good;
  longer.push_back(0);
  CHECK_FALSE(read(longer).ok());
}

namespace fields_test {

struct first {
  std::uint64_t a = 0;
  friend bool operator==(const first&, const first&) = default;
};
struct second {
  std::string b;
  friend bool operator==(const second&, const second&) = default;
};
using either = std::variant<first, second>;
constexpr std::uint8_t either_tags[] = {7, 9};

void fields(auto& io, like<first> auto& m) { io.u64(m.a); }
void fields(auto& io, like<second> auto& m) { io.str(m.b, 4); }

struct keyed {
  std::map<std::uint64_t, std::string> names;
};
void fields(auto& io, like<keyed> auto& m) {
  io.map(m.names, 2, "too many names", [&](auto& kv) {
    io.u64(kv.first);
    io.str(kv.second, 4);
  });
}

} // namespace fields_test

TEST_CASE("fields: a variant travels as its tag, then its alternative's fields") {
  for (const either& v : {either{first{5}}, either{second{"abc"}}}) {
    byte_writer w;
    field_writer out{w};
    out.variant(v, either_tags, "unknown");
    bytes b = w.take();
    CHECK(b[0] == either_tags[v.index()]);
    byte_reader r{b};
    field_reader in{r};
    either back;
    in.variant(back, either_tags, "unknown");
    REQUIRE(r.finish("either").ok());
    CHECK(back == v);
    b[0] = 8; // no alternative has this tag
    byte_reader bad{b};
    field_reader in_bad{bad};
    in_bad.variant(back, either_tags, "unknown either");
    auto st = bad.finish("either");
    REQUIRE_FALSE(st.ok());
    CHECK(st.err().message().find("unknown either 8") != std::string::npos);
  }
}

TEST_CASE("fields: a map is read back in key order, a repeated key or too many refused") {
  keyed k;
  k.names = {{2, "b"}, {1, "a"}};
  byte_writer w;
  write_fields(w, k);
  bytes b = w.take();
  byte_reader r{b};
  auto back = read_fields<keyed>(r);
  REQUIRE(r.finish("keyed").ok());
  CHECK(back.names == k.names);
  // Both entries with key 1: the second key is a repeat.
  byte_writer d;
  d.u32(2);
  d.u64(1);
  d.str("a");
  d.u64(1);
  d.str("b");
  byte_reader dr{d.data()};
  (void)read_fields<keyed>(dr);
  CHECK_FALSE(dr.finish("keyed").ok());
  k.names[3] = "c";
  byte_writer many;
  write_fields(many, k);
  byte_reader mr{many.data()};
  (void)read_fields<keyed>(mr);
  CHECK_FALSE(mr.finish("keyed").ok());
}

TEST_CASE("fields: booleans packed as bits refuse a bit they do not name") {
  for (int v = 0; v < 4; ++v) {
    const bool a = (v & 1) != 0;
    const bool b = (v & 2) != 0;
    byte_writer w;
    field_writer out{w};
    out.bits(a, b);
    REQUIRE(w.data().size() == 1);
    CHECK(w.data()[0] == v);
    byte_reader r{w.data()};
    field_reader in{r};
    bool ra = !a;
    bool rb = !b;
    in.bits(ra, rb);
    REQUIRE(r.finish("bits").ok());
    CHECK(ra == a);
    CHECK(rb == b);
  }
  const bytes four{4};
  byte_reader r{four};
  field_reader in{r};
  bool a = false;
  bool b = false;
  in.bits(a, b);
  CHECK_FALSE(r.finish("bits").ok());
}
