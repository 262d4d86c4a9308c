// Progress of long client work on a terminal (docs/gateway.md §5): phases
// and a running clock on standard error, rewritten in place, when standard
// error is a TTY and the command was not asked for --json; silent
// otherwise, so scripts and pipes see only the result.
#pragma once

#include <chrono>
#include <cstdio>
#include <string>
#include <unistd.h>

namespace pss::cli {

class progress {
public:
  explicit progress(bool json) : on_(!json && ::isatty(STDERR_FILENO) == 1) {}

  [[nodiscard]] bool on() const noexcept { return on_; }

  // "refresh: round running, epoch 3 (2.4 s)": replaces the current line.
  void phase(const std::string& text) {
    if (!on_) return;
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    std::fprintf(stderr, "\r\033[K%s (%.1f s)", text.c_str(), s);
    std::fflush(stderr);
    open_ = true;
  }

  // The last line, kept; with no text, the progress line is erased.
  void done(const std::string& text = {}) {
    if (!on_) return;
    if (open_) std::fputs("\r\033[K", stderr);
    if (!text.empty()) std::fprintf(stderr, "%s\n", text.c_str());
    std::fflush(stderr);
    open_ = false;
  }

private:
  bool on_;
  bool open_ = false;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

} // namespace pss::cli
