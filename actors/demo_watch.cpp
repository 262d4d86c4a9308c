#include "actors/demo_watch.hpp"

#include <stdlib.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "secrets/share_fingerprint.hpp"

namespace pss::cli {

temp_dir::temp_dir() {
  const char* tmp = std::getenv("TMPDIR");
  const std::string base = tmp != nullptr && *tmp != '\0' ? tmp : "/tmp";
  std::string pattern = base + "/pss-demo-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr)
    throw demo_failure{"cannot create a temporary directory under " + base + " (" + std::strerror(errno)
                       + "); set TMPDIR to a writable directory"};
  path_ = pattern;
}

temp_dir::~temp_dir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

actors::node_status public_status(const secrets::node_engine& engine, const std::string& name) {
  const secrets::share_status s = secrets::describe_share(engine.state(), engine.shares(), name);
  actors::node_status out;
  out.answered = true;
  out.epoch = s.epoch.value();
  out.share_epoch = s.share_epoch.value();
  out.fingerprint = s.fingerprint.value_or("");
  out.refresh_epochs_committed = s.stats.refresh_epochs_committed;
  out.recoveries = s.stats.recoveries;
  out.round_running = s.round_running;
  return out;
}

} // namespace pss::cli
