// A wire fault for the secrets engines: a node's answer to a reader's
// get_share is corrupted or re-labelled on its way, so that the client's
// per-share checks run in every simulation that draws it (issue: "no holder
// ever returns a bad share or a share of another epoch").
//
// Three kinds, drawn per message:
// - flipped: one byte of the sealed share changes (the seal must not open);
// - relabelled: the reply claims the next epoch (a share of another epoch
//   must never be combined with this one's);
// - forged: a share sealed by the holder itself, with its index and a wrong value
//   (what a holder whose stored share was damaged or swapped would return;
//   before a refresh Feldman catches it, after one the shares that do not
//   fit the others).
// At most holders - t answers to one read are touched, so every read can
// still succeed with t good shares. CAF-free.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <tuple>

#include "core/bytes.hpp"
#include "core/ids.hpp"
#include "core/prng.hpp"
#include "crypto/random_source.hpp"
#include "crypto/seal.hpp"
#include "secrets/cluster.hpp"
#include "secrets/engine.hpp"

namespace pss::sim {

class share_corruptor {
public:
  // holders(name, version): how many nodes hold that version now (0 if
  // unknown).
  // box_key(n): node n's static X25519 key pair, with which a faulty holder
  // seals the wrong share it serves (a share must open as sealed by the
  // member the reader asked).
  share_corruptor(secrets::cluster_view view, std::uint64_t seed,
                  std::function<std::size_t(const std::string&, secret_version)> holders,
                  std::function<const crypto::box_key_pair&(node_id)> box_key);

  // A client is sending `payload` to node `to`: remember a get_share request.
  void on_client_send(secrets::endpoint client, node_id to, byte_view payload);
  // The network carries a node's payload to a client: with probability
  // `chance` (and budget left for that read), the rewritten payload.
  [[nodiscard]] std::optional<bytes> maybe_corrupt(node_id from, secrets::endpoint client, byte_view payload,
                                                   double chance, prng& rng);
  [[nodiscard]] std::uint64_t corrupted() const noexcept { return corrupted_; }

private:
  struct request {
    std::string name;
    secret_version version;
    std::array<std::uint8_t, 32> reader_key{};
  };
  using request_key = std::tuple<std::uint64_t, node_id, std::uint64_t>; // client, node, request id

  secrets::cluster_view view_;
  crypto::seeded_random random_;
  std::function<std::size_t(const std::string&, secret_version)> holders_;
  std::function<const crypto::box_key_pair&(node_id)> box_key_;
  std::map<request_key, request> requests_;
  std::map<std::array<std::uint8_t, 32>, std::size_t> touched_; // per read (reader key)
  std::uint64_t corrupted_ = 0;
};

} // namespace pss::sim
