// SIGINT and SIGTERM for a long-running command (pss node, pss gateway):
// blocked in every thread, and waited for by the main one, so a stop runs
// the command's own orderly shutdown and no handler runs on a random thread.
#pragma once

#include <csignal>
#include <pthread.h>

namespace pss::actors {

class stop_signals {
public:
  // Blocks them in this thread; construct before any other thread starts, so
  // every thread inherits the mask.
  stop_signals() {
    sigemptyset(&set_);
    sigaddset(&set_, SIGINT);
    sigaddset(&set_, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set_, nullptr);
  }

  // Waits for one; its name.
  [[nodiscard]] const char* wait() const {
    int number = 0;
    sigwait(&set_, &number);
    return number == SIGINT ? "SIGINT" : "SIGTERM";
  }

private:
  sigset_t set_;
};

} // namespace pss::actors
