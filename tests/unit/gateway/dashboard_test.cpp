// The dashboard's history: epochs and aborted rounds become a bounded
// timeline, fingerprints are kept per node and epoch, and a status nobody
// answered changes nothing. The page holds no external resource.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "gateway/dashboard.hpp"

using nlohmann::json;
using pss::gateway::dashboard_history;

namespace {

json status(std::uint64_t epoch, std::uint64_t aborted, const std::string& reason = "", bool reachable = true) {
  json s{{"members", json::array()}};
  for (std::uint64_t id = 1; id <= 3; ++id)
    s["members"].push_back({{"id", id}, {"reachable", reachable}, {"epoch", epoch}, {"epoch_age_ms", 500},
                            {"rounds_aborted", aborted}, {"last_abort_reason", reason},
                            {"shares_fingerprint", "f" + std::to_string(id) + "e" + std::to_string(epoch)}});
  return s;
}

} // namespace

TEST_CASE("dashboard history: epochs and aborts on a timeline, fingerprints per node and epoch") {
  dashboard_history h;
  h.observe(status(1, 0, "", false), 1000); // nobody answered: nothing
  CHECK(h.timeline().empty());
  h.observe(status(1, 0), 10'000);
  h.observe(status(1, 0), 12'000); // no change: no event
  h.observe(status(1, 2, "2 dealings, fewer than 3"), 14'000);
  h.observe(status(2, 2, "2 dealings, fewer than 3"), 16'000);
  const json t = h.timeline();
  REQUIRE(t.size() == 3);
  CHECK(t[0] == json{{"at_ms", 9'500}, {"event", "epoch"}, {"epoch", 1}}); // when the epoch began
  CHECK(t[1] == json{{"at_ms", 14'000}, {"event", "abort"}, {"aborted", 2}, {"reason", "2 dealings, fewer than 3"}});
  CHECK(t[2] == json{{"at_ms", 16'000}, {"event", "epoch"}, {"epoch", 2}});
  const json f = h.fingerprints();
  CHECK(f["epochs"] == json::array({1, 2}));
  CHECK(f["nodes"]["2"]["1"] == "f2e1");
  CHECK(f["nodes"]["2"]["2"] == "f2e2");
}

TEST_CASE("dashboard history: bounded timeline and epochs kept") {
  dashboard_history h;
  for (std::uint64_t e = 1; e <= 200; ++e) h.observe(status(e, 0), e * 1000);
  CHECK(h.timeline().size() == pss::gateway::timeline_events_max);
  CHECK(h.timeline().back()["epoch"] == 200);
  CHECK(h.fingerprints()["epochs"].size() == pss::gateway::fingerprint_epochs_max);
  CHECK(h.fingerprints()["epochs"].back() == 200);
}

TEST_CASE("the dashboard page loads nothing from elsewhere and reads the key from the fragment") {
  const std::string page{pss::gateway::dashboard_page()};
  CHECK(page.find("http://") == std::string::npos);
  CHECK(page.find("https://") == std::string::npos);
  CHECK(page.find("src=") == std::string::npos);
  CHECK(page.find("location.hash") != std::string::npos);
  CHECK(page.find("/v1/sys/dashboard") != std::string::npos);
  CHECK(page.find("innerHTML") == std::string::npos); // text only: nothing from the API is parsed as HTML
}
