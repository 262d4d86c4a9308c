#include "storage/posix_file_system.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <system_error>

namespace pss::storage {

namespace {

constexpr mode_t file_mode = 0600;
constexpr mode_t directory_mode = 0700;

// An error for a failed system call, naming the path and what to check.
error os_error(int err, std::string_view operation, const std::string& path) {
  const errc code = err == ENOENT ? errc::not_found : errc::io_error;
  std::string hint = err == ENOSPC ? "free space on the data disk, then restart the node"
                     : err == EACCES || err == EPERM
                       ? "check that the node's user owns the data directory"
                       : "check the disk and the kernel log; restart the node once it is healthy";
  return error{code, std::string{operation} + " " + path + ": "
                       + std::generic_category().message(err) + " (" + hint + ")"};
}

class fd_guard {
public:
  explicit fd_guard(int fd) noexcept : fd_(fd) {}
  ~fd_guard() {
    if (fd_ >= 0) ::close(fd_);
  }
  fd_guard(const fd_guard&) = delete;
  fd_guard& operator=(const fd_guard&) = delete;
  [[nodiscard]] int get() const noexcept { return fd_; }

private:
  int fd_;
};

class posix_file final : public file {
public:
  posix_file(int fd, std::string path, std::shared_ptr<std::atomic<std::uint64_t>> syncs)
    : fd_(fd), path_(std::move(path)), syncs_(std::move(syncs)) {}
  ~posix_file() override { ::close(fd_); }
  posix_file(const posix_file&) = delete;
  posix_file& operator=(const posix_file&) = delete;

  status write_at(std::uint64_t offset, byte_view data) override {
    std::size_t done = 0;
    while (done < data.size()) {
      const ssize_t n = ::pwrite(fd_, data.data() + done, data.size() - done,
                                 static_cast<off_t>(offset + done));
      if (n < 0) {
        if (errno == EINTR) continue;
        return os_error(errno, "cannot write", path_);
      }
      done += static_cast<std::size_t>(n);
    }
    return {};
  }

  status sync() override {
    syncs_->fetch_add(1, std::memory_order_relaxed);
    while (::fdatasync(fd_) != 0) {
      if (errno != EINTR) return os_error(errno, "cannot fdatasync", path_);
    }
    return {};
  }

  status truncate(std::uint64_t size) override {
    while (::ftruncate(fd_, static_cast<off_t>(size)) != 0) {
      if (errno != EINTR) return os_error(errno, "cannot truncate", path_);
    }
    return {};
  }

  status preallocate(std::uint64_t size) override {
    auto current = this->size();
    if (!current) return current.err();
    if (*current >= size) return {};
    const int rc = ::posix_fallocate(fd_, static_cast<off_t>(*current),
                                     static_cast<off_t>(size - *current));
    if (rc == 0) return {};
    // Some file systems cannot reserve space; extending still works.
    if (rc == EOPNOTSUPP || rc == EINVAL) return truncate(size);
    return os_error(rc, "cannot preallocate", path_);
  }

  result<std::uint64_t> size() const override {
    struct stat st {};
    if (::fstat(fd_, &st) != 0) return os_error(errno, "cannot stat", path_);
    return static_cast<std::uint64_t>(st.st_size);
  }

  const std::string& path() const override { return path_; }

private:
  int fd_;
  std::string path_;
  std::shared_ptr<std::atomic<std::uint64_t>> syncs_;
};

} // namespace

result<bool> posix_file_system::exists(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) return true;
  if (errno == ENOENT) return false;
  return os_error(errno, "cannot stat", path);
}

status posix_file_system::create_directory(const std::string& path) {
  if (::mkdir(path.c_str(), directory_mode) == 0) return {};
  if (errno == EEXIST) {
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return {};
    return error{errc::io_error, path + " exists but is not a directory; move it aside or "
                                        "choose another data directory"};
  }
  return os_error(errno, "cannot create directory", path);
}

result<std::vector<std::string>> posix_file_system::list_directory(const std::string& path) {
  DIR* dir = ::opendir(path.c_str());
  if (dir == nullptr) return os_error(errno, "cannot list", path);
  std::vector<std::string> names;
  errno = 0;
  while (const dirent* ent = ::readdir(dir)) {
    std::string name{ent->d_name};
    if (name != "." && name != "..") names.push_back(std::move(name));
  }
  const int err = errno;
  ::closedir(dir);
  if (err != 0) return os_error(err, "cannot list", path);
  std::sort(names.begin(), names.end());
  return names;
}

result<bytes> posix_file_system::read_file(const std::string& path, std::uint64_t max_bytes) {
  fd_guard fd{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (fd.get() < 0) return os_error(errno, "cannot open", path);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return os_error(errno, "cannot stat", path);
  const auto size = static_cast<std::uint64_t>(st.st_size);
  if (size > max_bytes)
    return error{errc::too_large, path + " is " + std::to_string(size)
                                    + " bytes, above the limit of " + std::to_string(max_bytes)
                                    + "; it is not a file this version wrote"};
  bytes out(size);
  std::size_t done = 0;
  while (done < out.size()) {
    const ssize_t n = ::pread(fd.get(), out.data() + done, out.size() - done,
                              static_cast<off_t>(done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return os_error(errno, "cannot read", path);
    }
    if (n == 0) break; // the file shrank while we read it
    done += static_cast<std::size_t>(n);
  }
  out.resize(done);
  return out;
}

result<std::unique_ptr<file>> posix_file_system::open_file(const std::string& path,
                                                           open_flags flags) {
  int oflags = O_RDWR | O_CLOEXEC;
  if (flags == open_flags::create_truncate) oflags |= O_CREAT | O_TRUNC;
  const int fd = ::open(path.c_str(), oflags, file_mode);
  if (fd < 0) return os_error(errno, "cannot open", path);
  // The file counts into this file system's counter, which it keeps alive.
  std::shared_ptr<std::atomic<std::uint64_t>> syncs{counters_, &counters_->files};
  return std::unique_ptr<file>{std::make_unique<posix_file>(fd, path, std::move(syncs))};
}

status posix_file_system::rename(const std::string& from, const std::string& to) {
  if (::rename(from.c_str(), to.c_str()) != 0)
    return os_error(errno, "cannot rename to " + to + ":", from);
  return {};
}

status posix_file_system::remove(const std::string& path) {
  if (::unlink(path.c_str()) != 0) return os_error(errno, "cannot remove", path);
  return {};
}

status posix_file_system::sync_directory(const std::string& path) {
  fd_guard fd{::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (fd.get() < 0) return os_error(errno, "cannot open directory", path);
  counters_->directories.fetch_add(1, std::memory_order_relaxed);
  while (::fsync(fd.get()) != 0) {
    if (errno != EINTR) return os_error(errno, "cannot fsync directory", path);
  }
  return {};
}

posix_file_system::sync_counts posix_file_system::syncs() const noexcept {
  return sync_counts{counters_->files.load(std::memory_order_relaxed),
                     counters_->directories.load(std::memory_order_relaxed)};
}

} // namespace pss::storage
