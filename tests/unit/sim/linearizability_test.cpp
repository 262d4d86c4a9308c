#include <doctest/doctest.h>

#include <string>

#include "checkers/linearizability.hpp"

using namespace pss;
using namespace pss::sim;

namespace {

client_id c(std::uint64_t n) { return client_id{n}; }
value_id val(std::uint64_t n) { return value_id{n}; }
secret_version ver(std::uint64_t n) { return secret_version{n}; }

// Records one whole operation. The checker only needs each client's events
// in order, so a test can write operations out of global time order.
void op(history& h, std::uint64_t client, std::uint64_t from_us, std::uint64_t to_us,
        operation o, outcome result = outcome::ok, response reply = {}) {
  h.invoke(from_us, c(client), std::move(o));
  h.complete(to_us, c(client), result, std::move(reply));
}

void put(history& h, std::uint64_t client, std::uint64_t from_us, std::uint64_t to_us,
         std::uint64_t value, outcome result = outcome::ok, const std::string& name = "k") {
  op(h, client, from_us, to_us, operation::put(name, val(value)), result);
}

void get(history& h, std::uint64_t client, std::uint64_t from_us, std::uint64_t to_us,
         std::optional<std::uint64_t> value, const std::string& name = "k") {
  op(h, client, from_us, to_us, operation::get(name), outcome::ok,
     value ? response::read(val(*value)) : response::not_found());
}

void remove(history& h, std::uint64_t client, std::uint64_t from_us, std::uint64_t to_us,
            std::optional<bool> existed = std::nullopt) {
  op(h, client, from_us, to_us, operation::remove("k"), outcome::ok, response::removed(existed));
}

verdict check(const history& h) { return check_linearizability(h).overall; }

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

} // namespace

TEST_CASE("linearizability: an empty history is ok") {
  history h;
  auto report = check_linearizability(h);
  CHECK(report.ok());
  CHECK(report.names_checked == 0);
}

TEST_CASE("linearizability: a sequential history that matches the model is ok") {
  history h;
  get(h, 1, 0, 1, std::nullopt);
  put(h, 1, 2, 3, 10);
  get(h, 2, 4, 5, 10);
  put(h, 2, 6, 7, 11);
  get(h, 1, 8, 9, 11);
  remove(h, 1, 10, 11, true);
  get(h, 2, 12, 13, std::nullopt);
  put(h, 1, 14, 15, 12);
  get(h, 2, 16, 17, 12);
  auto report = check_linearizability(h);
  CHECK(report.ok());
  CHECK(report.findings.empty());
  CHECK(report.operations_checked == 9);
}

TEST_CASE("linearizability: a sequential history with a wrong read is a violation") {
  history h;
  put(h, 1, 0, 1, 10);
  put(h, 1, 2, 3, 11);
  get(h, 1, 4, 5, 12);  // val12 was never written
  auto report = check_linearizability(h);
  REQUIRE(report.overall == verdict::violation);
  REQUIRE(report.findings.size() == 1);
  const std::string& why = report.findings[0].explanation;
  CHECK(contains(why, "name \"k\": violation"));
  CHECK(contains(why, "could not linearize: c1 get(\"k\") -> ok val12 [4us, 5us]"));
  CHECK(contains(why, "longest linearizable prefix (2 of 3 operations)"));
  CHECK(contains(why, "2. c1 put(\"k\", val11) -> ok [2us, 3us]"));
  CHECK(contains(why, "model state after the prefix: a value no get returned"));
  CHECK(contains(report.describe(), why));
}

TEST_CASE("linearizability: a get concurrent with a put may see either value") {
  for (std::uint64_t seen : {10u, 11u}) {
    history h;
    put(h, 1, 0, 1, 10);
    put(h, 1, 10, 20, 11);
    get(h, 2, 12, 18, seen);
    CHECK(check(h) == verdict::ok);
  }
  // Two concurrent gets may even disagree, as long as one order explains both.
  history h;
  put(h, 1, 0, 1, 10);
  put(h, 1, 10, 40, 11);
  get(h, 2, 12, 18, 11);
  get(h, 3, 20, 30, 11);
  CHECK(check(h) == verdict::ok);
}

TEST_CASE("linearizability: a stale read after an acknowledged put is a violation") {
  history h;
  put(h, 1, 0, 1, 10);
  put(h, 1, 2, 3, 11);
  get(h, 2, 4, 5, 10);
  CHECK(check(h) == verdict::violation);
}

TEST_CASE("linearizability: a read that goes back in time is a violation") {
  // The put is concurrent with both gets, but once a later get saw the new
  // value an even later get cannot see the old one.
  history h;
  put(h, 1, 0, 1, 10);
  put(h, 1, 2, 100, 11);
  get(h, 2, 10, 20, 11);
  get(h, 3, 30, 40, 10);
  CHECK(check(h) == verdict::violation);
}

TEST_CASE("linearizability: reads see writes acknowledged to other clients") {
  history ok_history;
  put(ok_history, 1, 0, 5, 10);
  get(ok_history, 2, 6, 7, 10);
  CHECK(check(ok_history) == verdict::ok);

  history missed;
  put(missed, 1, 0, 5, 10);
  get(missed, 2, 6, 7, std::nullopt);
  CHECK(check(missed) == verdict::violation);
}

TEST_CASE("linearizability: operations that touch at one instant count as concurrent") {
  history h;
  put(h, 1, 0, 5, 10);
  get(h, 2, 5, 6, std::nullopt);  // invoked at the instant the put completed
  CHECK(check(h) == verdict::ok);
}

TEST_CASE("linearizability: a timed-out put may become visible later") {
  history h;
  put(h, 1, 0, 1, 10);
  put(h, 1, 2, 3, 11, outcome::info);
  get(h, 2, 10, 11, 10);  // not yet applied
  get(h, 2, 20, 21, 11);  // applied after the client gave up
  get(h, 3, 30, 31, 11);
  CHECK(check(h) == verdict::ok);
}

TEST_CASE("linearizability: a timed-out put may never take effect") {
  history h;
  put(h, 1, 0, 1, 10);
  put(h, 1, 2, 3, 11, outcome::info);
  get(h, 2, 10, 11, 10);
  get(h, 2, 20, 21, 10);
  CHECK(check(h) == verdict::ok);
}

TEST_CASE("linearizability: a timed-out put that was seen cannot be un-seen") {
  history h;
  put(h, 1, 0, 1, 10);
  put(h, 1, 2, 3, 11, outcome::info);
  get(h, 2, 10, 11, 11);
  get(h, 3, 20, 21, 10);
  auto report = check_linearizability(h);
  REQUIRE(report.overall == verdict::violation);
  CHECK(contains(report.findings[0].explanation, "could not linearize: c3 get(\"k\") -> ok val10"));
}

TEST_CASE("linearizability: an invoke without a completion counts as info") {
  history h;
  put(h, 1, 0, 1, 10);
  h.invoke(2, c(1), operation::put("k", val(11)));  // the client crashed
  get(h, 2, 10, 11, 11);
  CHECK(check(h) == verdict::ok);

  history unseen;
  put(unseen, 1, 0, 1, 10);
  unseen.invoke(2, c(1), operation::put("k", val(11)));
  get(unseen, 2, 10, 11, 11);
  get(unseen, 2, 12, 13, 10);
  CHECK(check(unseen) == verdict::violation);
}

TEST_CASE("linearizability: a failed put whose value is read is a violation") {
  history h;
  put(h, 1, 0, 1, 10);
  put(h, 1, 2, 3, 11, outcome::fail);
  get(h, 2, 10, 11, 11);
  CHECK(check(h) == verdict::violation);

  history unread;
  put(unread, 1, 0, 1, 10);
  put(unread, 1, 2, 3, 11, outcome::fail);
  get(unread, 2, 10, 11, 10);
  CHECK(check(unread) == verdict::ok);
}

TEST_CASE("linearizability: gets that failed or timed out constrain nothing") {
  history h;
  put(h, 1, 0, 1, 10);
  op(h, 2, 2, 3, operation::get("k"), outcome::fail);
  op(h, 2, 4, 5, operation::get("k"), outcome::info);
  get(h, 2, 6, 7, 10);
  CHECK(check(h) == verdict::ok);
}

TEST_CASE("linearizability: a get after a delete returns not found") {
  history h;
  put(h, 1, 0, 1, 10);
  remove(h, 1, 2, 3);
  get(h, 2, 4, 5, std::nullopt);
  CHECK(check(h) == verdict::ok);

  history resurrected;
  put(resurrected, 1, 0, 1, 10);
  remove(resurrected, 1, 2, 3);
  get(resurrected, 2, 4, 5, 10);
  CHECK(check(resurrected) == verdict::violation);
}

TEST_CASE("linearizability: a delete concurrent with a get may come on either side") {
  for (std::optional<std::uint64_t> seen : {std::optional<std::uint64_t>{10}, std::optional<std::uint64_t>{}}) {
    history h;
    put(h, 1, 0, 1, 10);
    remove(h, 1, 10, 20);
    get(h, 2, 12, 18, seen);
    CHECK(check(h) == verdict::ok);
  }
}

TEST_CASE("linearizability: a delete's existed flag must match the register") {
  history h;
  remove(h, 1, 0, 1, false);
  put(h, 1, 2, 3, 10);
  remove(h, 1, 4, 5, true);
  CHECK(check(h) == verdict::ok);

  history phantom;
  remove(phantom, 1, 0, 1, true);
  CHECK(check(phantom) == verdict::violation);

  history double_delete;
  put(double_delete, 1, 0, 1, 10);
  remove(double_delete, 1, 2, 3, true);
  remove(double_delete, 2, 4, 5, true);
  CHECK(check(double_delete) == verdict::violation);
}

TEST_CASE("linearizability: a timed-out delete may explain a later not found") {
  history h;
  put(h, 1, 0, 1, 10);
  op(h, 1, 2, 3, operation::remove("k"), outcome::info);
  get(h, 2, 10, 11, 10);
  get(h, 2, 20, 21, std::nullopt);
  CHECK(check(h) == verdict::ok);

  history failed;
  put(failed, 1, 0, 1, 10);
  op(failed, 1, 2, 3, operation::remove("k"), outcome::fail);
  get(failed, 2, 20, 21, std::nullopt);
  CHECK(check(failed) == verdict::violation);
}

TEST_CASE("linearizability: put versions count up from one") {
  history h;
  op(h, 1, 0, 1, operation::put("k", val(10)), outcome::ok, response::put_ok(ver(1)));
  op(h, 1, 2, 3, operation::put("k", val(11)), outcome::ok, response::put_ok(ver(2)));
  op(h, 2, 4, 5, operation::get("k"), outcome::ok, response::read(val(11), ver(2)));
  CHECK(check(h) == verdict::ok);

  history skipped;
  op(skipped, 1, 0, 1, operation::put("k", val(10)), outcome::ok, response::put_ok(ver(1)));
  op(skipped, 1, 2, 3, operation::put("k", val(11)), outcome::ok, response::put_ok(ver(3)));
  CHECK(check(skipped) == verdict::violation);

  history wrong_read;
  op(wrong_read, 1, 0, 1, operation::put("k", val(10)), outcome::ok, response::put_ok());
  op(wrong_read, 2, 4, 5, operation::get("k"), outcome::ok, response::read(val(10), ver(2)));
  CHECK(check(wrong_read) == verdict::violation);
}

TEST_CASE("linearizability: a timed-out put that took effect consumed a version") {
  // val11 timed out; val12 got version 3, which is only possible if val11
  // took effect (as version 2) in between.
  history h;
  op(h, 1, 0, 1, operation::put("k", val(10)), outcome::ok, response::put_ok(ver(1)));
  op(h, 1, 2, 3, operation::put("k", val(11)), outcome::info);
  op(h, 2, 10, 11, operation::put("k", val(12)), outcome::ok, response::put_ok(ver(3)));
  op(h, 2, 12, 13, operation::get_version("k", ver(2)), outcome::ok, response::read(val(11), ver(2)));
  CHECK(check(h) == verdict::ok);

  // The same gap with a failed put cannot be explained.
  history failed;
  op(failed, 1, 0, 1, operation::put("k", val(10)), outcome::ok, response::put_ok(ver(1)));
  op(failed, 1, 2, 3, operation::put("k", val(11)), outcome::fail);
  op(failed, 2, 10, 11, operation::put("k", val(12)), outcome::ok, response::put_ok(ver(3)));
  CHECK(check(failed) == verdict::violation);

  // If it took effect as version 2, it cannot also be invisible at version 2.
  history contradicted;
  op(contradicted, 1, 0, 1, operation::put("k", val(10)), outcome::ok, response::put_ok(ver(1)));
  op(contradicted, 1, 2, 3, operation::put("k", val(11)), outcome::info);
  op(contradicted, 2, 10, 11, operation::put("k", val(12)), outcome::ok, response::put_ok(ver(3)));
  op(contradicted, 2, 12, 13, operation::get_version("k", ver(2)), outcome::ok, response::not_found());
  CHECK(check(contradicted) == verdict::violation);
}

TEST_CASE("linearizability: several timed-out puts may each take effect or not") {
  // val12 got version 4, so both timed-out puts took effect before it; any
  // order of the two explains that, and nobody read either value.
  history h;
  op(h, 1, 0, 1, operation::put("k", val(10)), outcome::ok, response::put_ok(ver(1)));
  op(h, 1, 2, 3, operation::put("k", val(11)), outcome::info);
  op(h, 2, 4, 5, operation::put("k", val(13)), outcome::info);
  op(h, 3, 10, 11, operation::put("k", val(12)), outcome::ok, response::put_ok(ver(4)));
  CHECK(check(h) == verdict::ok);

  // Version 4 needs two earlier puts to take effect, but one of the
  // timed-out puts was invoked only after val12's put completed.
  history too_late;
  op(too_late, 1, 0, 1, operation::put("k", val(10)), outcome::ok, response::put_ok(ver(1)));
  op(too_late, 1, 2, 3, operation::put("k", val(11)), outcome::info);
  op(too_late, 2, 20, 21, operation::put("k", val(13)), outcome::info);
  op(too_late, 3, 10, 11, operation::put("k", val(12)), outcome::ok, response::put_ok(ver(4)));
  CHECK(check(too_late) == verdict::violation);

  // Two timed-out deletes and a not found after a put between them.
  history deletes;
  put(deletes, 1, 0, 1, 10);
  op(deletes, 1, 2, 3, operation::remove("k"), outcome::info);
  put(deletes, 2, 4, 5, 11);
  op(deletes, 2, 6, 7, operation::remove("k"), outcome::info);
  get(deletes, 3, 8, 9, 11);
  get(deletes, 3, 10, 11, std::nullopt);
  CHECK(check(deletes) == verdict::ok);
}

TEST_CASE("linearizability: a get of an old version sees it until a delete") {
  history h;
  put(h, 1, 0, 1, 10);
  put(h, 1, 2, 3, 11);
  op(h, 2, 4, 5, operation::get_version("k", ver(1)), outcome::ok, response::read(val(10)));
  op(h, 2, 6, 7, operation::get_version("k", ver(3)), outcome::ok, response::not_found());
  remove(h, 1, 8, 9);
  op(h, 2, 10, 11, operation::get_version("k", ver(1)), outcome::ok, response::not_found());
  put(h, 1, 12, 13, 12);
  op(h, 2, 14, 15, operation::get_version("k", ver(3)), outcome::ok, response::read(val(12), ver(3)));
  op(h, 2, 16, 17, operation::get_version("k", ver(2)), outcome::ok, response::not_found());
  CHECK(check(h) == verdict::ok);

  history wrong_version;
  put(wrong_version, 1, 0, 1, 10);
  put(wrong_version, 1, 2, 3, 11);
  op(wrong_version, 2, 4, 5, operation::get_version("k", ver(1)), outcome::ok, response::read(val(11)));
  CHECK(check(wrong_version) == verdict::violation);

  history after_delete;
  put(after_delete, 1, 0, 1, 10);
  remove(after_delete, 1, 2, 3);
  op(after_delete, 2, 4, 5, operation::get_version("k", ver(1)), outcome::ok, response::read(val(10)));
  CHECK(check(after_delete) == verdict::violation);
}

TEST_CASE("linearizability: each name is checked on its own and a violation names it") {
  history h;
  put(h, 1, 0, 1, 10, outcome::ok, "alpha");
  put(h, 2, 0, 1, 20, outcome::ok, "beta");
  put(h, 3, 0, 1, 30, outcome::ok, "gamma");
  get(h, 1, 2, 3, 10, "alpha");
  get(h, 2, 2, 3, 10, "beta");  // beta never held val10
  get(h, 3, 2, 3, 30, "gamma");
  auto report = check_linearizability(h);
  REQUIRE(report.overall == verdict::violation);
  CHECK(report.names_checked == 3);
  REQUIRE(report.findings.size() == 1);
  CHECK(report.findings[0].name == "beta");
  CHECK(report.findings[0].result == verdict::violation);
  CHECK(contains(report.findings[0].explanation, "name \"beta\""));

  // Values are per name: reading alpha's value under alpha is fine even
  // though beta wrote one concurrently.
  history separate;
  put(separate, 1, 0, 10, 10, outcome::ok, "alpha");
  put(separate, 2, 0, 10, 20, outcome::ok, "beta");
  get(separate, 3, 11, 12, std::nullopt, "gamma");
  CHECK(check(separate) == verdict::ok);
}

TEST_CASE("linearizability: a client with two operations in flight is malformed") {
  history h;
  h.invoke(0, c(1), operation::put("k", val(10)));
  h.invoke(1, c(1), operation::get("k"));
  h.ok(2, c(1));
  auto report = check_linearizability(h);
  CHECK(report.overall == verdict::malformed);
  CHECK(contains(report.malformed_reason, "event 1 (c1 at 1us)"));
  CHECK(contains(report.malformed_reason, "invoked get(\"k\") while its put(\"k\", val10) (event 0)"));
  CHECK(contains(report.describe(), "malformed history"));
}

TEST_CASE("linearizability: a completion without an invoke is malformed") {
  history h;
  put(h, 1, 0, 1, 10);
  h.ok(5, c(2), response::put_ok());
  auto report = check_linearizability(h);
  CHECK(report.overall == verdict::malformed);
  CHECK(contains(report.malformed_reason, "event 2 (c2 at 5us): a completion without an invoke"));

  history twice;
  put(twice, 1, 0, 1, 10);
  twice.ok(2, c(1), response::put_ok());
  CHECK(check(twice) == verdict::malformed);
}

TEST_CASE("linearizability: time running backwards for a client is malformed") {
  history h;
  h.invoke(10, c(1), operation::get("k"));
  h.ok(5, c(1), response::not_found());
  CHECK(check(h) == verdict::malformed);

  history overlap;
  put(overlap, 1, 0, 10, 10);
  put(overlap, 1, 5, 12, 11);
  CHECK(check(overlap) == verdict::malformed);
}

TEST_CASE("linearizability: a response that does not fit its operation is malformed") {
  history h;
  op(h, 1, 0, 1, operation::put("k", val(10)), outcome::ok, response::read(val(10)));
  CHECK(check(h) == verdict::malformed);

  history versioned_miss;
  op(versioned_miss, 1, 0, 1, operation::get("k"), outcome::ok, response{std::nullopt, ver(1), std::nullopt});
  CHECK(check(versioned_miss) == verdict::malformed);

  history version_zero;
  op(version_zero, 1, 0, 1, operation::get_version("k", secret_version{0}), outcome::ok, response::not_found());
  CHECK(check(version_zero) == verdict::malformed);
}

TEST_CASE("linearizability: hitting the search limit is unknown, not a verdict") {
  // Eight concurrent puts of which a later get saw the first written: the
  // search tries the puts in invoke order, so it must back out of many
  // orders before it finds one, far more than twenty states.
  history h;
  for (std::uint64_t i = 1; i <= 8; ++i) put(h, i, 0, 100, 10 + i);
  get(h, 9, 200, 201, 11);
  check_options tight;
  tight.states_max = 20;
  auto limited = check_linearizability(h, tight);
  CHECK(limited.overall == verdict::unknown);
  REQUIRE(limited.findings.size() == 1);
  CHECK(limited.findings[0].result == verdict::unknown);
  CHECK(limited.findings[0].states_explored <= 20);
  const std::string why = limited.describe();
  CHECK(contains(why, "unknown (search limit reached)"));
  CHECK(contains(why, "deepest dead end so far: c9 get(\"k\") -> ok val11"));
  CHECK_FALSE(contains(why, "could not linearize"));

  CHECK(check_linearizability(h).overall == verdict::ok);
}

TEST_CASE("linearizability: a violation is reported even among many concurrent info puts") {
  history h;
  put(h, 1, 0, 1, 10);
  for (std::uint64_t i = 2; i <= 12; ++i) put(h, i, 2, 3, 100 + i, outcome::info);
  get(h, 1, 10, 11, 105);
  get(h, 1, 12, 13, 10);  // val10 was overwritten by val105 and cannot return
  CHECK(check(h) == verdict::violation);
}
