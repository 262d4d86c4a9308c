// A file_system that times every sync (fdatasync of a file, fsync of a
// directory) of the one it wraps and reports the seconds to an observer:
// the node's fsync latency histogram (docs/gateway.md §2). The clock lives
// here, in the shell, so the storage cores stay clock-free.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "storage/file_system.hpp"

namespace pss::actors {

using sync_observer = std::function<void(double seconds)>;

class timed_file_system final : public storage::file_system {
public:
  timed_file_system(storage::file_system& inner, sync_observer observe)
    : inner_(inner), observe_(std::make_shared<sync_observer>(std::move(observe))) {}

  result<bool> exists(const std::string& path) override { return inner_.exists(path); }
  status create_directory(const std::string& path) override { return inner_.create_directory(path); }
  result<std::vector<std::string>> list_directory(const std::string& path) override {
    return inner_.list_directory(path);
  }
  result<bytes> read_file(const std::string& path, std::uint64_t max_bytes) override {
    return inner_.read_file(path, max_bytes);
  }
  result<std::unique_ptr<storage::file>> open_file(const std::string& path, storage::open_flags flags) override;
  status rename(const std::string& from, const std::string& to) override { return inner_.rename(from, to); }
  status remove(const std::string& path) override { return inner_.remove(path); }
  status sync_directory(const std::string& path) override;

private:
  storage::file_system& inner_;
  std::shared_ptr<sync_observer> observe_; // shared with the files it opened
};

} // namespace pss::actors
