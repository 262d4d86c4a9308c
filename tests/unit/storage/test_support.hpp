// Helpers for the storage tests: a temporary directory that is removed
// afterwards, sample entries, and whole-file read/write for damaging files.
#pragma once

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "core/bytes.hpp"
#include "raft/types.hpp"
#include "storage/data_dir.hpp"
#include "storage/posix_file_system.hpp"
#include "storage/segmented_raft_storage.hpp"

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

// A Raft storage directory on real files with small (4 KiB) segments: 36
// records of a 64-byte entry fit in one.
struct raft_fixture {
  static constexpr log_options small_segments{4096};

  temp_dir tmp;
  posix_file_system fs;
  std::string dir = tmp.sub("raft");
  std::string first_segment = dir + "/" + segment_file_name(log_index{1});

  result<opened_raft_storage> try_open(open_mode mode = open_mode::existing,
                                       data_dir_identity id = test_identity()) {
    return open_raft_storage(fs, dir, id, mode, small_segments);
  }

  // Opens, and fails the test case if that does not work.
  opened_raft_storage open(open_mode mode = open_mode::existing) {
    auto opened = try_open(mode);
    if (!opened) FAIL(opened.err().describe());
    return std::move(*opened);
  }

  // Writes entries 1..count of term 1, each in its own write batch.
  void write_entries(std::uint64_t count) {
    auto s = open(open_mode::initialise);
    for (std::uint64_t i = 1; i <= count; ++i) {
      REQUIRE(s.storage->append(make_entries(i, i, 1)).ok());
      REQUIRE(s.storage->sync().ok());
    }
  }

  std::size_t segment_count() {
    auto names = fs.list_directory(dir);
    REQUIRE(names.ok());
    std::size_t n = 0;
    for (const auto& name : *names) n += name.ends_with(".seg") ? 1 : 0;
    return n;
  }
};

} // namespace pss::storage::test
