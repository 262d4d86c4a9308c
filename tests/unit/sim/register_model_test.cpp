#include <doctest/doctest.h>

#include "checkers/register_model.hpp"

using namespace pss;
using namespace pss::sim;

namespace {

op_record completed(operation op, outcome result, response reply = {}) {
  op_record r;
  r.op = std::move(op);
  r.result = result;
  r.reply = std::move(reply);
  r.complete_us = 1;
  return r;
}

value_id val(std::uint64_t n) { return value_id{n}; }
secret_version ver(std::uint64_t n) { return secret_version{n}; }

} // namespace

TEST_CASE("register model: puts count versions and gets read the latest") {
  const register_model model{true, {}};
  auto put_a = completed(operation::put("k", val(1)), outcome::ok, response::put_ok(ver(1)));
  auto s1 = model.step({}, put_a);
  REQUIRE(s1);
  CHECK(s1->versions_used == 1);
  CHECK(model.step(*s1, completed(operation::get("k"), outcome::ok, response::read(val(1), ver(1)))));
  CHECK_FALSE(model.step(*s1, completed(operation::get("k"), outcome::ok, response::not_found())));
  CHECK_FALSE(model.step(*s1, completed(operation::get("k"), outcome::ok, response::read(val(1), ver(2)))));
  // The same put reporting version 1 again is impossible: versions are never reused.
  CHECK_FALSE(model.step(*s1, put_a));
}

TEST_CASE("register model: an info put takes effect without a result to check") {
  const register_model model{true, {}};
  auto s1 = model.step({}, completed(operation::put("k", val(7)), outcome::info));
  REQUIRE(s1);
  CHECK(s1->versions_used == 1);
  CHECK(s1->exists);
  CHECK(s1->latest == val(7));
}

TEST_CASE("register model: a delete hides every version but keeps the count") {
  const register_model model{true, {1, 2, 3}};
  register_state s;
  s = *model.step(s, completed(operation::put("k", val(1)), outcome::ok));
  s = *model.step(s, completed(operation::put("k", val(2)), outcome::ok));
  CHECK(model.step(s, completed(operation::get_version("k", ver(1)), outcome::ok, response::read(val(1)))));
  CHECK(model.step(s, completed(operation::get_version("k", ver(3)), outcome::ok, response::not_found())));
  s = *model.step(s, completed(operation::remove("k"), outcome::ok, response::removed(true)));
  CHECK(s.versions_used == 2);
  CHECK_FALSE(s.exists);
  CHECK_FALSE(model.step(s, completed(operation::remove("k"), outcome::ok, response::removed(true))));
  CHECK(model.step(s, completed(operation::get_version("k", ver(1)), outcome::ok, response::not_found())));
  auto s3 = model.step(s, completed(operation::put("k", val(3)), outcome::ok, response::put_ok(ver(3))));
  REQUIRE(s3);
  CHECK(s3->versions_used == 3);
  CHECK(model.step(*s3, completed(operation::get_version("k", ver(3)), outcome::ok, response::read(val(3)))));
}

TEST_CASE("register model: the state keeps only what the operations can observe") {
  std::vector<op_record> records{completed(operation::put("k", val(1)), outcome::ok),
                                 completed(operation::get("k"), outcome::ok, response::read(val(1)))};
  const register_model plain = register_model::for_operations({&records[0], &records[1]});
  CHECK_FALSE(plain.counts_versions);
  CHECK(plain.asked_versions.empty());
  auto s2 = plain.step(*plain.step({}, records[0]), completed(operation::put("k", val(2)), outcome::ok));
  REQUIRE(s2);
  CHECK(*s2 == register_state{true, val(2), 0, {}});

  records.push_back(completed(operation::get_version("k", ver(1)), outcome::ok, response::not_found()));
  const register_model versioned =
      register_model::for_operations({&records[0], &records[1], &records[2]});
  CHECK(versioned.counts_versions);
  CHECK(versioned.asked_versions == std::vector<std::uint64_t>{1});
  // Version 1 is asked for, so it is remembered after version 2 replaces it;
  // version 2 is not, so it is forgotten once version 3 replaces it.
  register_state s;
  for (std::uint64_t v = 1; v <= 3; ++v)
    s = *versioned.step(s, completed(operation::put("k", val(v)), outcome::ok));
  CHECK(s == register_state{true, val(3), 3, {{1, val(1)}}});
}
