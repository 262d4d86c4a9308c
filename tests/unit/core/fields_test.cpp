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
