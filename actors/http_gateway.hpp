// The shell of `pss gateway` (docs/gateway.md): cpp-httplib's server in
// front of a few long-lived client sessions to the cluster.
//
// The sessions (cluster_sessions) are remote_clients that stay connected:
// the gateway deals and combines in its own process, exactly as the CLI
// does, so no node ever sees a value, and the process start and the TLS
// handshakes are paid once. A member whose connection breaks, or that could
// not be reached, is dialled again in the background; until enough members
// are back, requests get 503 at once, naming how many nodes the gateway
// reaches.
//
// Every decision about a request (routes, keys, rights, rates, names,
// bodies, statuses) is in the pure core gateway::http_api; this file moves
// bytes between the HTTP server, that core and the sessions. Values are
// zeroized once sent, and never logged.
#pragma once

#include "actors/client_cli.hpp"
#include "deploy/gateway_config.hpp"

namespace pss::actors {

// Serves until SIGINT or SIGTERM; the exit code.
[[nodiscard]] int serve_gateway(const deploy::gateway_config& config, const cli::client::common& cluster);

} // namespace pss::actors
