#include "deploy/files.hpp"

#include <filesystem>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace pss::deploy {

namespace {

std::string os_reason() { return std::strerror(errno); }

std::string octal_mode(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
  return text;
}

// The mode of a regular file; a missing path or a directory is an error.
result<mode_t> regular_file_mode(const std::string& path, std::string_view what) {
  struct stat st{};
  if (::stat(path.c_str(), &st) != 0)
    return error{errno == ENOENT ? errc::not_found : errc::io_error,
                 std::string{what} + " '" + path + "' cannot be read: " + os_reason()};
  if (!S_ISREG(st.st_mode))
    return error{errc::invalid_argument, std::string{what} + " '" + path + "' is not a regular file"};
  return st.st_mode;
}

// Closes a descriptor on every path out of a function.
class file_descriptor {
public:
  explicit file_descriptor(int fd) noexcept : fd_(fd) {}
  ~file_descriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  file_descriptor(const file_descriptor&) = delete;
  file_descriptor& operator=(const file_descriptor&) = delete;
  [[nodiscard]] int get() const noexcept { return fd_; }
  // Closes now, so a failed close (a lost write) can be reported.
  [[nodiscard]] bool close_now() noexcept {
    const int fd = fd_;
    fd_ = -1;
    return ::close(fd) == 0;
  }

private:
  int fd_;
};

} // namespace

result<secure_bytes> read_file_bounded(const std::string& path, std::size_t bytes_max) {
  file_descriptor fd{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (fd.get() < 0)
    return error{errno == ENOENT ? errc::not_found : errc::io_error,
                 "cannot open '" + path + "' for reading: " + os_reason()};
  secure_bytes buffer{bytes_max + 1};
  std::size_t got = 0;
  while (got < buffer.size()) {
    const ssize_t n = ::read(fd.get(), buffer.data() + got, buffer.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return error{errc::io_error, "cannot read '" + path + "': " + os_reason()};
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  if (got > bytes_max)
    return error{errc::too_large, "'" + path + "' is larger than the limit of " +
                                      std::to_string(bytes_max) + " bytes"};
  return secure_bytes{byte_view{buffer.data(), got}};
}

status check_private_file(const std::string& path, std::string_view what) {
  auto mode = regular_file_mode(path, what);
  if (!mode.ok()) return mode.err();
  if ((*mode & 077) != 0)
    return error{errc::unauthorized,
                 std::string{what} + " '" + path + "' has mode " + octal_mode(*mode) +
                     ", so group or others may read it; run: chmod 600 " + path};
  return ok_status();
}

status check_readable_file(const std::string& path, std::string_view what) {
  PSS_TRY(regular_file_mode(path, what));
  if (::access(path.c_str(), R_OK) != 0)
    return error{errc::unauthorized,
                 std::string{what} + " '" + path + "' is not readable by this user: " + os_reason()};
  return ok_status();
}

status write_new_file(const std::string& path, std::string_view contents, unsigned mode) {
  file_descriptor fd{::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
                            static_cast<mode_t>(mode))};
  if (fd.get() < 0)
    return error{errno == EEXIST ? errc::conflict : errc::io_error,
                 "cannot create '" + path + "': " + os_reason() +
                     (errno == EEXIST ? " (pss never overwrites it; move it away first)" : "")};
  // The umask may have cleared bits we asked for; it can never add any.
  if (::fchmod(fd.get(), static_cast<mode_t>(mode)) != 0)
    return error{errc::io_error, "cannot set the mode of '" + path + "': " + os_reason()};
  std::size_t done = 0;
  while (done < contents.size()) {
    const ssize_t n = ::write(fd.get(), contents.data() + done, contents.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return error{errc::io_error, "cannot write '" + path + "': " + os_reason()};
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd.get()) != 0 || !fd.close_now())
    return error{errc::io_error, "cannot sync '" + path + "': " + os_reason()};
  return ok_status();
}

void zeroize_string(std::string& text) noexcept {
  zeroize(std::span{reinterpret_cast<std::uint8_t*>(text.data()), text.size()});
}

std::string resolve_path(const std::string& base_dir, const std::string& path) {
  std::filesystem::path p{path};
  if (p.is_relative()) {
    std::error_code ec;
    std::filesystem::path base = std::filesystem::absolute(base_dir, ec);
    if (ec) base = base_dir;
    p = base / p;
  }
  return p.lexically_normal().string();
}

std::string base_dir_of(const std::string& file) {
  std::filesystem::path parent = std::filesystem::path{file}.parent_path();
  return parent.empty() ? std::string{"."} : parent.string();
}

} // namespace pss::deploy
