#include "storage/file_system.hpp"

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

} // namespace pss::storage
