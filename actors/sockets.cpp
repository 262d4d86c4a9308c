#include "actors/sockets.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <memory>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace pss::actors {

namespace {

using addresses = std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)>;

// The TCP addresses of host:port; `passive` for binding.
result<addresses> resolve(const std::string& host, std::uint16_t port, bool passive) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = passive ? AI_PASSIVE : 0;
  addrinfo* found = nullptr;
  if (int rc = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found); rc != 0)
    return error{errc::unavailable, "cannot resolve " + host + ": " + ::gai_strerror(rc)};
  return addresses{found, &::freeaddrinfo};
}

} // namespace

status tcp_probe(const std::string& host, std::uint16_t port, std::chrono::milliseconds timeout) {
  auto found = resolve(host, port, false);
  if (!found.ok()) return found.err();
  const std::string service = std::to_string(port);
  std::string last = "no address";
  for (const addrinfo* a = found->get(); a != nullptr; a = a->ai_next) {
    const int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    int rc = ::connect(fd, a->ai_addr, a->ai_addrlen);
    if (rc != 0 && errno == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      rc = ::poll(&p, 1, static_cast<int>(timeout.count()));
      if (rc == 1) {
        int so_error = 0;
        socklen_t len = sizeof so_error;
        ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &len);
        rc = so_error == 0 ? 0 : -1;
        if (so_error != 0) last = std::strerror(so_error);
      } else {
        rc = -1;
        last = "no answer within " + std::to_string(timeout.count()) + " ms";
      }
    } else if (rc != 0) {
      last = std::strerror(errno);
    }
    ::close(fd);
    if (rc == 0) return {};
  }
  return error{errc::unavailable, "cannot connect to " + host + ":" + service + ": " + last};
}

status check_port_free(const std::string& host, std::uint16_t port) {
  auto found = resolve(host, port, true);
  if (!found.ok()) return error{errc::invalid_argument, "the listen address: " + found.err().message()};
  const std::string service = std::to_string(port);
  status out;
  for (const addrinfo* a = found->get(); a != nullptr; a = a->ai_next) {
    const int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(fd, a->ai_addr, a->ai_addrlen) != 0)
      out = error{errc::unavailable, host + ":" + service + " is not free (" + std::strerror(errno)
                                       + "); is another node or program listening there?"};
    ::close(fd);
    break;
  }
  return out;
}


} // namespace pss::actors
