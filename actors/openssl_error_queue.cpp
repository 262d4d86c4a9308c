// A workaround for a CAF 0.17 bug that lets one TLS connection's failure
// close every other TLS connection of the process.
//
// caf::openssl::session::handle_ssl_result() maps a failed SSL_read,
// SSL_write, SSL_connect or SSL_accept to "close this connection" but never
// drains OpenSSL's per-thread error queue. All sessions run on the
// middleman's one multiplexer thread, and SSL_get_error() reports
// SSL_ERROR_SSL whenever that queue is not empty. So after any client
// disconnects without a TLS close_notify (CAF never sends one), or fails
// its handshake (another CA, a plaintext client), the next read on every
// other connection fails too: every link of the node went down and was
// redialled after each `pss get`. Reproduced with two plain CAF processes
// and a third that connects and exits; see docs/network.md.
//
// pss defines SSL_get_error in its executables (the dynamic linker binds
// libcaf_openssl's call to it) and forwards to OpenSSL's. When the answer
// means the connection is finished, the queue's entries belong to that
// connection alone, so they are dropped before the next session reads.
#include <dlfcn.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

extern "C" __attribute__((visibility("default"))) int SSL_get_error(const SSL* ssl, int ret) {
  using get_error_fn = int (*)(const SSL*, int);
  static const get_error_fn openssl_get_error =
    reinterpret_cast<get_error_fn>(dlsym(RTLD_NEXT, "SSL_get_error"));
  const int result = openssl_get_error(ssl, ret);
  if (result != SSL_ERROR_NONE && result != SSL_ERROR_WANT_READ && result != SSL_ERROR_WANT_WRITE)
    ERR_clear_error();
  return result;
}
