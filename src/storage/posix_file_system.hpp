// The real file system: POSIX calls with fdatasync and directory fsync.
//
// Files are opened with O_CLOEXEC and created with mode 0600, directories
// with 0700. Every error names the path, the operation and the system's
// reason, and says what the operator can do.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "storage/file_system.hpp"

namespace pss::storage {

class posix_file_system final : public file_system {
public:
  [[nodiscard]] result<bool> exists(const std::string& path) override;
  [[nodiscard]] status create_directory(const std::string& path) override;
  [[nodiscard]] result<std::vector<std::string>> list_directory(const std::string& path) override;
  [[nodiscard]] result<bytes> read_file(const std::string& path, std::uint64_t max_bytes) override;
  [[nodiscard]] result<std::unique_ptr<file>> open_file(const std::string& path,
                                                        open_flags flags) override;
  [[nodiscard]] status rename(const std::string& from, const std::string& to) override;
  [[nodiscard]] status remove(const std::string& path) override;
  [[nodiscard]] status sync_directory(const std::string& path) override;

  // How many fdatasyncs of files and fsyncs of directories this file system
  // (and every file it opened) made: the figure that bounds a write's
  // latency on a real disk, reported by the benchmarks.
  struct sync_counts {
    std::uint64_t files = 0;
    std::uint64_t directories = 0;
  };
  [[nodiscard]] sync_counts syncs() const noexcept;

private:
  struct counters {
    std::atomic<std::uint64_t> files{0};
    std::atomic<std::uint64_t> directories{0};
  };
  // Shared with the open files, which may outlive this object.
  std::shared_ptr<counters> counters_ = std::make_shared<counters>();
};

} // namespace pss::storage
