// The one host of secrets::client_engine inside an actor system: the
// simulator's clients and `pss demo`'s client actor run it as a
// client_host_engine under engine_actor, and the CLI's and the benchmark's
// remote client (actors/remote_client.cpp) through start_request. Every
// operation maps onto the client engine's calls here, and nowhere else; for
// the simulator's history, outcomes ok/fail/unknown become ok/fail/info. It also remembers the version each acknowledged
// put registered and each delete hid, and which node served a get's
// catalog answer, for the simulator's checkers.
//
// CAF-free, like every host engine (actors/operations.hpp).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "actors/operations.hpp"
#include "access/policy.hpp"
#include "core/secure.hpp"
#include "crypto/random_source.hpp"
#include "secrets/client_engine.hpp"

namespace pss::actors {

using secrets::millis;

// One operation of any kind the client engine offers, as the CLI and the
// benchmark ask for it (the simulator's `operation` covers put, get, delete
// and refresh only).
struct client_request {
  secrets::operation_kind kind = secrets::operation_kind::get;
  std::string name;
  secure_bytes value;            // put
  secret_version version;        // get; zero = the latest
  access::grant_request grant;   // grant
  std::uint64_t grant_id = 0;    // revoke
  node_id node;                  // audit, view: the node asked
  std::uint64_t audit_after = 0; // audit: records after this seq
  secrets::committee_change committee; // member

  [[nodiscard]] static client_request of(secrets::operation_kind k, std::string name = {}) {
    client_request r;
    r.kind = k;
    r.name = std::move(name);
    return r;
  }
};

// How a secrets operation's outcome enters the client history: ok and fail
// are definite; unknown (a timeout after proposing, a refused retry) is info,
// so the linearizability checker lets it take effect or not, never fail.
[[nodiscard]] op_outcome history_outcome(secrets::operation_outcome o) noexcept;

class secrets_client_host final : public client_host_engine {
public:
  secrets_client_host(secrets::client_options options, std::uint64_t random_seed);
  // With any random source: `pss demo` passes crypto::system_random.
  secrets_client_host(secrets::client_options options, std::unique_ptr<crypto::random_source> random);
  ~secrets_client_host() override;

  void on_message(millis now, secrets::endpoint from, byte_view payload) override;
  void on_tick(millis now) override;
  [[nodiscard]] secrets::engine_output take_output() override;
  void start(millis now, std::uint64_t op_id, operation op) override;
  [[nodiscard]] std::vector<completion> take_completions() override;

  // Any operation, and its completion as the engine reports it (lists,
  // grants, audit records): the remote client's interface. An operation
  // started here ends in take_engine_completions(), not take_completions().
  void start_request(millis now, std::uint64_t op_id, client_request r);
  [[nodiscard]] std::vector<secrets::completion> take_engine_completions();

  // The version each acknowledged put registered, by op id.
  [[nodiscard]] const std::map<std::uint64_t, secret_version>& put_versions() const noexcept {
    return put_versions_;
  }
  // The latest version each acknowledged delete hid, by op id.
  [[nodiscard]] const std::map<std::uint64_t, secret_version>& removed_versions() const noexcept {
    return removed_versions_;
  }

  // The node whose catalog answer a completed get went on, by op id.
  [[nodiscard]] std::optional<node_id> served_by(std::uint64_t op_id) const {
    auto it = served_by_.find(op_id);
    return it == served_by_.end() ? std::nullopt : std::optional{it->second};
  }

private:
  secrets::client_engine engine_;
  std::map<std::uint64_t, node_id> served_by_;
  std::map<std::uint64_t, secret_version> put_versions_;
  std::map<std::uint64_t, secret_version> removed_versions_;
};

} // namespace pss::actors
