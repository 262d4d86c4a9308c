#include <doctest/doctest.h>

#include <string>

#include "core/prng.hpp"
#include "crypto/random_source.hpp"
#include "offline/share_text.hpp"
#include "offline/split_combine.hpp"

using namespace pss;
using namespace pss::offline;

namespace {

std::string text_of(const secure_bytes& line) { return std::string{line.as_string()}; }

std::string join(const split_output& out, std::initializer_list<std::size_t> indices) {
  std::string input;
  for (auto i : indices) input += text_of(out.share_lines[i - 1]) + "\n";
  return input + out.commit_line + "\n";
}

} // namespace

TEST_CASE("offline: share and commitment lines round trip through the text format") {
  crypto::seeded_random rng{1};
  auto out = split(as_bytes("top secret"), 3, 5, rng);
  REQUIRE(out.ok());
  REQUIRE(out->share_lines.size() == 5);
  for (std::size_t i = 0; i < 5; ++i) {
    auto parsed = parse_line(text_of(out->share_lines[i]));
    REQUIRE(parsed.ok());
    auto& line = std::get<share_line>(*parsed);
    CHECK(line.index == i + 1);
    CHECK(line.threshold == 3);
    CHECK(line.shares == 5);
    CHECK(format(line) == text_of(out->share_lines[i]));
  }
  auto commit = parse_line(out->commit_line);
  REQUIRE(commit.ok());
  CHECK(format(std::get<commit_line>(*commit)) == out->commit_line);
}

TEST_CASE("offline: any t of n shares recover the secret, for random t, n and subsets") {
  prng choose{2024};
  crypto::seeded_random rng{7};
  for (int round = 0; round < 40; ++round) {
    const std::size_t n = choose.between(2, 12);
    const std::size_t t = choose.between(2, n);
    std::string secret(choose.between(1, 200), '\0');
    for (auto& c : secret) c = static_cast<char>(choose.below(256));
    auto out = split(as_bytes(secret), t, n, rng);
    REQUIRE(out.ok());
    // A random subset of exactly t shares, in random order.
    std::vector<std::size_t> order(n);
    for (std::size_t i = 0; i < n; ++i) order[i] = i;
    for (std::size_t i = n - 1; i > 0; --i) std::swap(order[i], order[choose.below(i + 1)]);
    std::string input = out->commit_line + "\n";
    for (std::size_t i = 0; i < t; ++i) input += text_of(out->share_lines[order[i]]) + "\n";
    auto back = combine(input, {});
    REQUIRE(back.ok());
    CHECK(back->secret.as_string() == secret);
    // One fewer is refused with the counts.
    std::string short_input = out->commit_line + "\n";
    for (std::size_t i = 0; i + 1 < t; ++i) short_input += text_of(out->share_lines[order[i]]) + "\n";
    auto refused = combine(short_input, {});
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.err().code() == errc::insufficient);
    CHECK(refused.err().message() == "too few valid shares: found " + std::to_string(t - 1)
                                       + ", need " + std::to_string(t));
  }
}

TEST_CASE("offline: every changed character of a share line is caught") {
  crypto::seeded_random rng{3};
  auto out = split(as_bytes("s"), 2, 3, rng);
  REQUIRE(out.ok());
  const auto original = text_of(out->share_lines[0]);
  for (std::size_t pos = 0; pos < original.size(); ++pos) {
    auto changed = original;
    changed[pos] = changed[pos] == '1' ? '2' : '1';
    if (changed == original) continue;
    std::string input = changed + "\n" + text_of(out->share_lines[1]) + "\n" + out->commit_line;
    auto back = combine(input, {});
    CHECK_MESSAGE(!back.ok(), "change at position " << pos << " was accepted");
  }
}

TEST_CASE("offline: every changed character of the commitment line is caught") {
  crypto::seeded_random rng{4};
  auto out = split(as_bytes("payload"), 2, 2, rng);
  REQUIRE(out.ok());
  const auto original = out->commit_line;
  for (std::size_t pos = 0; pos < original.size(); ++pos) {
    auto changed = original;
    changed[pos] = changed[pos] == 'a' ? 'b' : 'a';
    if (changed == original) continue;
    auto back = combine(text_of(out->share_lines[0]) + "\n" + text_of(out->share_lines[1])
                          + "\n" + changed,
                        {});
    CHECK_MESSAGE(!back.ok(), "change at position " << pos << " was accepted");
  }
}

TEST_CASE("offline: errors never quote a share value") {
  crypto::seeded_random rng{5};
  auto out = split(as_bytes("secret"), 2, 3, rng);
  REQUIRE(out.ok());
  auto line = text_of(out->share_lines[0]);
  auto value = line.substr(line.size() - 8 - 1 - 64, 64);
  std::string input = text_of(out->share_lines[0]) + "\n" + text_of(out->share_lines[0]) + "\n"
                      + out->commit_line;
  auto dup = combine(input, {});
  REQUIRE_FALSE(dup.ok());
  CHECK(dup.err().code() == errc::duplicate);
  CHECK(dup.err().message().find(value) == std::string::npos);
  CHECK(dup.err().message().find(value.substr(0, 16)) == std::string::npos);
}

TEST_CASE("offline: split refuses an empty or oversized secret and bad thresholds") {
  crypto::seeded_random rng{6};
  CHECK(split(byte_view{}, 2, 3, rng).err().code() == errc::invalid_argument);
  std::string big(secret_bytes_max + 1, 'x');
  CHECK(split(as_bytes(big), 2, 3, rng).err().code() == errc::too_large);
  CHECK_FALSE(split(as_bytes("x"), 1, 3, rng).ok());
  CHECK_FALSE(split(as_bytes("x"), 4, 3, rng).ok());
  CHECK_FALSE(split(as_bytes("x"), 2, 256, rng).ok());
  std::string max(secret_bytes_max, 'y');
  auto out = split(as_bytes(max), 2, 2, rng);
  REQUIRE(out.ok());
  auto back = combine(join(*out, {1, 2}), {});
  REQUIRE(back.ok());
  CHECK(back->secret.size() == secret_bytes_max);
}
