#include "storage/file_system.hpp"

#include <algorithm>

namespace pss::storage {

std::string join_path(std::string_view dir, std::string_view name) {
  std::string out{dir};
  if (out.empty()) return std::string{name};
  if (out.back() != '/') out.push_back('/');
  out.append(name);
  return out;
}

std::string parent_path(std::string_view path) {
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  const auto slash = path.rfind('/');
  if (slash == std::string_view::npos) return ".";
  if (slash == 0) return "/";
  return std::string{path.substr(0, slash)};
}

status write_file_atomically(file_system& fs, const std::string& path, byte_view contents) {
  const std::string temp = path + std::string{temp_suffix};
  auto opened = fs.open_file(temp, open_flags::create_truncate);
  if (!opened) return opened.err();
  auto& f = **opened;
  PSS_TRY(f.write_at(0, contents));
  PSS_TRY(f.sync());
  opened->reset();
  PSS_TRY(fs.rename(temp, path));
  return fs.sync_directory(parent_path(path));
}

status overwrite_with_zeroes(file& old) {
  constexpr std::uint64_t chunk = 64 * 1024;
  auto size = old.size();
  if (!size) return size.err();
  const bytes zeroes(chunk, 0);
  for (std::uint64_t at = 0; at < *size; at += chunk) {
    const auto n = std::min<std::uint64_t>(chunk, *size - at);
    PSS_TRY(old.write_at(at, byte_view{zeroes}.first(n)));
  }
  return old.sync();
}

status replace_file_erasing_old(file_system& fs, const std::string& path, byte_view contents) {
  auto present = fs.exists(path);
  if (!present) return present.err();
  std::unique_ptr<file> old;
  if (*present) {
    auto opened = fs.open_file(path, open_flags::existing);
    if (!opened) return opened.err();
    old = std::move(*opened);
  }
  PSS_TRY(write_file_atomically(fs, path, contents));
  return old ? overwrite_with_zeroes(*old) : ok_status();
}

} // namespace pss::storage
