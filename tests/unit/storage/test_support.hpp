// Helpers for the storage tests: a temporary directory that is removed
// afterwards, sample entries, and whole-file read/write for damaging files.
#pragma once

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/bytes.hpp"
#include "raft/types.hpp"
#include "storage/data_dir.hpp"

namespace pss::storage::test {

class temp_dir {
public:
  temp_dir() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string{base != nullptr && *base != '\0' ? base : "/tmp"}
                          + "/pss-storage-test-XXXXXX";
    std::vector<char> buf(pattern.begin(), pattern.end());
    buf.push_back('\0');
    const char* made = ::mkdtemp(buf.data());
    if (made == nullptr) std::abort();
    path_ = made;
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  [[nodiscard]] const std::string& path() const { return path_; }
  [[nodiscard]] std::string sub(const std::string& name) const { return path_ + "/" + name; }

private:
  std::string path_;
};

inline data_dir_identity test_identity(std::uint64_t node = 1) {
  return {"test-cluster", node_id{node}};
}

inline raft::entry make_entry(std::uint64_t index, std::uint64_t term, std::size_t size = 64) {
  raft::entry e{term_id{term}, log_index{index}, raft::entry_kind::command, bytes(size)};
  for (std::size_t i = 0; i < size; ++i)
    e.data[i] = static_cast<std::uint8_t>(index * 31 + i);
  return e;
}

inline std::vector<raft::entry> make_entries(std::uint64_t first, std::uint64_t last,
                                             std::uint64_t term, std::size_t size = 64) {
  std::vector<raft::entry> out;
  for (std::uint64_t i = first; i <= last; ++i) out.push_back(make_entry(i, term, size));
  return out;
}

inline bytes read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline void write_all(const std::string& path, const bytes& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
}

inline unsigned mode_of(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return 0;
  return st.st_mode & 0777;
}

inline bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

} // namespace pss::storage::test
