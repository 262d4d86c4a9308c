// Plain socket checks the transport makes before CAF touches a port: a
// TCP probe before a dial, and a bind test before publishing. No CAF here.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "core/result.hpp"

namespace pss::actors {

// Whether a TCP connection to host:port opens within `timeout`. CAF's dial
// connects in the middleman's one connecting actor with a blocking
// connect(), so a single peer that drops packets (a partition) would stall
// every other dial of the process for the kernel's SYN timeout; probing
// first keeps a dead peer from blocking the live ones.
[[nodiscard]] status tcp_probe(const std::string& host, std::uint16_t port, std::chrono::milliseconds timeout);

// CAF publishes with SO_REUSEPORT (its `reuse` flag), which would let a
// second process listen on the same port and take half the connections.
// A bind with SO_REUSEADDR alone still succeeds over TIME_WAIT leftovers of
// a restarted node but fails while anyone listens there.
[[nodiscard]] status check_port_free(const std::string& host, std::uint16_t port);

} // namespace pss::actors
