// Field visitors: each wire and disk format is written down once.
//
// A format is one function template, `fields(io, m)`, that names a struct's
// fields in order with the bound each is read under. The same function drives
// the writer (io is a field_writer, m a const reference) and the reader (io is
// a field_reader, m the value being filled), so the two cannot disagree about
// order, widths or bounds. The reader inherits byte_reader's rules: it never
// reads past its input, and the first failure is sticky (later fields read as
// zero and finish() names the failure).
//
//   void fields(auto& io, like<store_share_request> auto& m) {
//     io.u64(m.request_id);
//     io.str(m.name, secret_name_bytes_max);
//     io.id(m.epoch);
//     io.check([&] { return m.epoch != epoch_id{}; }, "a store names no epoch");
//   }
//
// check() states a rule about the values read so far: the reader refuses the
// input when it is broken; the writer writes what it is given (a test may
// encode a broken value to see it refused).
#pragma once

#include <array>
#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "core/bytes.hpp"
#include "core/ids.hpp"
#include "core/result.hpp"

namespace pss {

// `m` is a T, const or not: one visitor serves the writer and the reader.
template <class M, class T>
concept like = std::same_as<std::remove_cvref_t<M>, T>;

namespace detail {
template <class T>
struct is_result : std::false_type {};
template <class T>
struct is_result<result<T>> : std::true_type {};
} // namespace detail

class field_writer {
public:
  explicit field_writer(byte_writer& out) noexcept : out_(out) {}

  void u8(std::uint8_t v) { out_.u8(v); }
  void u32(std::uint32_t v) { out_.u32(v); }
  void u64(std::uint64_t v) { out_.u64(v); }
  // An id at its representation's width (u32 or u64).
  template <class Tag, class Rep>
  void id(strong_id<Tag, Rep> v) {
    static_assert(sizeof(Rep) == 4 || sizeof(Rep) == 8, "ids travel as u32 or u64");
    if constexpr (sizeof(Rep) == 4) out_.u32(v.value());
    else out_.u64(v.value());
  }
  // A duration (or a time since an epoch) as a u64 count of its ticks.
  template <class Rep, class Period>
  void duration(std::chrono::duration<Rep, Period> v) { out_.u64(static_cast<std::uint64_t>(v.count())); }
  // A format or kind byte that must hold exactly `expected`.
  void constant(std::uint8_t expected, const char* /*other*/) { out_.u8(expected); }
  // One byte, 1 or 0.
  void flag(bool v) { out_.u8(v ? 1 : 0); }
  // Up to eight booleans as the bits of one byte, the first the lowest; the
  // reader refuses a higher bit set.
  template <class... B>
  void bits(const B&... b) {
    static_assert(sizeof...(B) <= 8);
    std::uint8_t v = 0;
    int i = 0;
    ((v = static_cast<std::uint8_t>(v | ((b ? 1 : 0) << i++))), ...);
    out_.u8(v);
  }
  // One byte; the reader refuses a value outside [lo, hi].
  template <class E>
  void enumeration(E v, E /*lo*/, E /*hi*/, const char* /*unknown*/) {
    out_.u8(static_cast<std::uint8_t>(v));
  }
  void blob(byte_view v, std::size_t /*max*/) { out_.blob(v); }
  void str(std::string_view v, std::size_t /*max*/) { out_.str(v); }
  // Free text (a reason, a message) cut to max when written, never refused.
  void clipped(std::string_view v, std::size_t max) { out_.str(v.substr(0, max)); }
  template <std::size_t N>
  void raw(const std::array<std::uint8_t, N>& v) { out_.raw(v); }
  // A u32 count, then each element of a sequence (a vector, a deque)
  // through `each` (a generic lambda).
  template <class C, class Each>
  void list(const C& v, std::size_t /*max*/, const char* /*too_many*/, Each&& each) {
    out_.u32(static_cast<std::uint32_t>(v.size()));
    for (const auto& x : v) each(x);
  }
  // A u32 count, then each (key, value) pair through `each`, in key order;
  // the reader refuses a key listed twice.
  template <class K, class V, class Each>
  void map(const std::map<K, V>& v, std::size_t /*max*/, const char* /*too_many*/, Each&& each) {
    out_.u32(static_cast<std::uint32_t>(v.size()));
    for (const auto& kv : v) each(kv);
  }
  // One of a variant's alternatives: its tag byte (tags[] in variant
  // order), then its fields through its own visitor.
  template <class V, class E, std::size_t N>
  void variant(const V& v, const E (&tags)[N], const char* /*unknown*/) {
    static_assert(N == std::variant_size_v<V>);
    out_.u8(static_cast<std::uint8_t>(tags[v.index()]));
    std::visit([&](const auto& x) { fields(*this, x); }, v);
  }
  // A presence flag, then the value through `each`.
  template <class T, class Each>
  void optional(const std::optional<T>& v, Each&& each) {
    flag(v.has_value());
    if (v) each(*v);
  }
  // A field added last to an existing format: its bytes when present, none
  // when absent, so older encodings (which end before it) still decode.
  template <std::size_t N>
  void trailing(const std::optional<std::array<std::uint8_t, N>>& v) {
    if (v) out_.raw(*v);
  }
  // A value with its own codec: encode(byte_writer&, const T&), and a decode
  // from a byte_reader returning T or result<T>.
  template <class T, class Encode, class Decode>
  void nested(const T& v, Encode&& encode, Decode&& /*decode*/) { encode(out_, v); }
  // A value with its own whole-buffer codec, taking every remaining byte:
  // encode(const T&) -> bytes, decode(byte_view) -> result<T>.
  template <class T, class Encode, class Decode>
  void rest(const T& v, Encode&& encode, Decode&& /*decode*/) { out_.raw(encode(v)); }
  // The same codec inside a u32 length prefix, the bytes at most max.
  template <class T, class Encode, class Decode>
  void wrapped(const T& v, std::size_t /*max*/, Encode&& encode, Decode&& /*decode*/) {
    out_.blob(encode(v));
  }
  // A value stored as a plain field: to(v) gives the field (an integer or
  // a fixed array); from(field) gives back T or result<T>.
  template <class T, class To, class From>
  void convert(const T& v, To&& to, From&& /*from*/) {
    field(to(v));
  }
  template <class Rule>
  void check(Rule&& /*rule*/, const char* /*broken*/) {}

private:
  void field(std::uint8_t v) { out_.u8(v); }
  void field(std::uint32_t v) { out_.u32(v); }
  void field(std::uint64_t v) { out_.u64(v); }
  void field(byte_view v) { out_.raw(v); }

  byte_writer& out_;
};

class field_reader {
public:
  explicit field_reader(byte_reader& in) noexcept : in_(in) {}

  void u8(std::uint8_t& v) { v = in_.u8(); }
  void u32(std::uint32_t& v) { v = in_.u32(); }
  void u64(std::uint64_t& v) { v = in_.u64(); }
  template <class Tag, class Rep>
  void id(strong_id<Tag, Rep>& v) {
    static_assert(sizeof(Rep) == 4 || sizeof(Rep) == 8, "ids travel as u32 or u64");
    if constexpr (sizeof(Rep) == 4) v = strong_id<Tag, Rep>{in_.u32()};
    else v = strong_id<Tag, Rep>{in_.u64()};
  }
  template <class Rep, class Period>
  void duration(std::chrono::duration<Rep, Period>& v) {
    v = std::chrono::duration<Rep, Period>{static_cast<Rep>(in_.u64())};
  }
  void constant(std::uint8_t expected, const char* other) {
    if (in_.u8() != expected) in_.fail(other);
  }
  void flag(bool& v) {
    const std::uint8_t b = in_.u8();
    if (b > 1) in_.fail("a boolean field holds " + std::to_string(b));
    v = b == 1;
  }
  template <class... B>
  void bits(B&... b) {
    static_assert(sizeof...(B) <= 8);
    const unsigned v = in_.u8();
    if ((v >> sizeof...(B)) != 0) in_.fail("unknown flag bits");
    int i = 0;
    ((b = ((v >> i++) & 1u) != 0), ...);
  }
  template <class E>
  void enumeration(E& v, E lo, E hi, const char* unknown) {
    const std::uint8_t b = in_.u8();
    if (b < static_cast<std::uint8_t>(lo) || b > static_cast<std::uint8_t>(hi)) in_.fail(unknown);
    v = static_cast<E>(b);
  }
  void blob(bytes& v, std::size_t max) {
    const byte_view b = in_.blob(max);
    v.assign(b.begin(), b.end());
  }
  void str(std::string& v, std::size_t max) { v = in_.str(max); }
  void clipped(std::string& v, std::size_t max) { v = in_.str(max); }
  template <std::size_t N>
  void raw(std::array<std::uint8_t, N>& v) { in_.raw_into(v); }
  template <class C, class Each>
  void list(C& v, std::size_t max, const char* too_many, Each&& each) {
    v.clear();
    const std::uint32_t n = count(max, too_many);
    for (std::uint32_t i = 0; i < n && in_.ok(); ++i) {
      typename C::value_type x{};
      each(x);
      v.push_back(std::move(x));
    }
  }
  template <class K, class V, class Each>
  void map(std::map<K, V>& v, std::size_t max, const char* too_many, Each&& each) {
    v.clear();
    const std::uint32_t n = count(max, too_many);
    for (std::uint32_t i = 0; i < n && in_.ok(); ++i) {
      std::pair<K, V> kv{};
      each(kv);
      if (in_.ok() && !v.emplace(std::move(kv)).second) in_.fail("a key listed twice");
    }
  }
  template <class V, class E, std::size_t N>
  void variant(V& v, const E (&tags)[N], const char* unknown) {
    static_assert(N == std::variant_size_v<V>);
    const std::uint8_t tag = in_.u8();
    if (in_.ok() && !read_alternative<0>(v, tag, tags)) in_.fail(std::string{unknown} + " " + std::to_string(tag));
  }
  template <class T, class Each>
  void optional(std::optional<T>& v, Each&& each) {
    bool present = false;
    flag(present);
    v.reset();
    if (!present || !in_.ok()) return;
    T x{};
    each(x);
    v = std::move(x);
  }
  template <std::size_t N>
  void trailing(std::optional<std::array<std::uint8_t, N>>& v) {
    v.reset();
    if (!in_.ok() || in_.remaining() == 0) return;
    std::array<std::uint8_t, N> x{};
    in_.raw_into(x);
    v = x;
  }
  template <class T, class Encode, class Decode>
  void nested(T& v, Encode&& /*encode*/, Decode&& decode) {
    if (!in_.ok()) return;
    take(v, decode(in_));
  }
  template <class T, class Encode, class Decode>
  void rest(T& v, Encode&& /*encode*/, Decode&& decode) {
    if (!in_.ok()) return;
    take(v, decode(in_.raw(in_.remaining())));
  }
  template <class T, class Encode, class Decode>
  void wrapped(T& v, std::size_t max, Encode&& /*encode*/, Decode&& decode) {
    const byte_view b = in_.blob(max);
    if (!in_.ok()) return;
    take(v, decode(b));
  }
  template <class T, class To, class From>
  void convert(T& v, To&& to, From&& from) {
    using raw_type = std::remove_cvref_t<decltype(to(v))>;
    if constexpr (std::is_integral_v<raw_type>) {
      raw_type raw{};
      field(raw);
      if (in_.ok()) take(v, from(raw));
    } else { // a byte span of a fixed size: read that many bytes
      const byte_view raw = in_.raw(to(v).size());
      if (in_.ok()) take(v, from(raw));
    }
  }
  // rule() returns a bool, or a status whose error message follows `broken`.
  template <class Rule>
  void check(Rule&& rule, const char* broken) {
    if (!in_.ok()) return;
    if constexpr (std::is_same_v<std::remove_cvref_t<decltype(rule())>, bool>) {
      if (!rule()) in_.fail(broken);
    } else if (auto st = rule(); !st.ok()) {
      in_.fail(std::string{broken} + ": " + st.err().message());
    }
  }

private:
  // A u32 element count; above max the input is refused and 0 returned.
  std::uint32_t count(std::size_t max, const char* too_many) {
    const std::uint32_t n = in_.u32();
    if (n <= max) return n;
    in_.fail(too_many);
    return 0;
  }

  template <std::size_t I, class V, class E, std::size_t N>
  bool read_alternative(V& v, std::uint8_t tag, const E (&tags)[N]) {
    if constexpr (I == N) {
      return false;
    } else {
      if (static_cast<std::uint8_t>(tags[I]) != tag) return read_alternative<I + 1>(v, tag, tags);
      fields(*this, v.template emplace<I>());
      return true;
    }
  }

  void field(std::uint8_t& v) { v = in_.u8(); }
  void field(std::uint32_t& v) { v = in_.u32(); }
  void field(std::uint64_t& v) { v = in_.u64(); }

  template <class T, class Decoded>
  void take(T& v, Decoded&& d) {
    if constexpr (detail::is_result<std::remove_cvref_t<Decoded>>::value) {
      if (!d.ok()) {
        in_.fail(d.err().message());
        return;
      }
      v = std::move(*d);
    } else {
      v = std::forward<Decoded>(d);
    }
  }

  byte_reader& in_;
};

// Writes m through its visitor.
template <class M>
void write_fields(byte_writer& out, const M& m) {
  field_writer io{out};
  fields(io, m);
}

// Reads an M through its visitor; failures stay in `in`.
template <class M>
[[nodiscard]] M read_fields(byte_reader& in) {
  M m{};
  field_reader io{in};
  fields(io, m);
  return m;
}

} // namespace pss
