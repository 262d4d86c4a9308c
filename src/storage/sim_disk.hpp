// A simulated disk for the deterministic simulator and for tests.
//
// It keeps, for every file, the bytes that are durable and the bytes a
// process would read now, and for every directory the names that are durable
// and the current ones. file::sync() makes a file's contents durable;
// sync_directory() makes the creations, renames and removals in that
// directory durable, as on Linux.
//
// crash(prng) is a power failure: every unsynced change is lost, except that
// a random prefix of each file's unsynced writes may have reached the medium,
// and the write after that prefix may be torn (only some of its bytes, or
// only some of its 512-byte sectors, arrive). A random prefix of the
// unsynced directory changes survives too. wipe() loses everything. Every
// choice comes from the prng passed in, so a seed replays exactly.
//
// The durable image is inspectable as bytes, so a checker can scan it, for
// example for shares that should have been erased. Handles opened before a
// crash or wipe keep working on detached files that no longer have a name;
// the caller should drop them (destroy the storage object) and reopen.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>

#include "core/prng.hpp"
#include "storage/file_system.hpp"

namespace pss::storage {

class sim_disk final : public file_system {
public:
  sim_disk();
  ~sim_disk() override;
  sim_disk(const sim_disk&) = delete;
  sim_disk& operator=(const sim_disk&) = delete;

  [[nodiscard]] result<bool> exists(const std::string& path) override;
  [[nodiscard]] status create_directory(const std::string& path) override;
  [[nodiscard]] result<std::vector<std::string>> list_directory(const std::string& path) override;
  [[nodiscard]] result<bytes> read_file(const std::string& path, std::uint64_t max_bytes) override;
  [[nodiscard]] result<std::unique_ptr<file>> open_file(const std::string& path,
                                                        open_flags flags) override;
  [[nodiscard]] status rename(const std::string& from, const std::string& to) override;
  [[nodiscard]] status remove(const std::string& path) override;
  [[nodiscard]] status sync_directory(const std::string& path) override;

  // A power failure: see the file comment.
  void crash(prng& rng);
  // The disk is replaced by an empty one (only "/" remains).
  void wipe();

  // Every durable file, path to contents, as a checker would read the medium.
  [[nodiscard]] std::map<std::string, bytes> durable_files() const;
  // True if needle appears anywhere in the durable image.
  [[nodiscard]] bool durable_image_contains(byte_view needle) const;
  // The current contents of one file (what a read would return now).
  [[nodiscard]] result<bytes> current_contents(const std::string& path) const;

  // For checkers that ask the medium itself (durability on send):
  // - the durable bytes of the file durably named `path` (valid until the
  //   disk changes), or nothing if no such name survives a crash now;
  [[nodiscard]] std::optional<byte_view> durable_view(const std::string& path) const;
  // - the paths of every durable file;
  [[nodiscard]] std::vector<std::string> durable_paths() const;
  // - whether bytes [0, end) of the file named `path` survive any crash now:
  //   the durable name is this file, and no unsynced change touches them;
  [[nodiscard]] bool durable_through(const std::string& path, std::uint64_t end) const;
  // - whether the file named `path` survives whole (name and contents);
  [[nodiscard]] bool fully_durable(const std::string& path) const;
  // - whether anything under directory `dir` (a file's contents or a name)
  //   has not been synced.
  [[nodiscard]] bool has_unsynced_under(const std::string& dir) const;

  // Lets the next `after` syncs (file or directory) succeed, then makes
  // `count` fail with an I/O error, to test that storage stops after a failed
  // fsync and to stop an operation at any of its syncs. A crash or wipe ends
  // the injected failures. To crash in the middle of an operation (between
  // its write and its fdatasync, say), arm a failure, run the operation, then
  // call crash(): what the failed sync did not make durable is lost or torn.
  // With `only_under`, only syncs of paths under that directory count (pass
  // or fail); the others succeed, so a crash can be aimed at one file class.
  void fail_next_syncs(std::size_t count, std::size_t after = 0, std::string only_under = {}) {
    failing_syncs_ = count;
    passing_syncs_ = after;
    failing_under_ = std::move(only_under);
  }

  struct inode;
  struct namespace_change;

private:
  void apply_change(std::map<std::string, std::shared_ptr<inode>>& files,
                    std::set<std::string>& dirs, const namespace_change& change);
  bool consume_sync_failure(const std::string& path) noexcept;

  std::map<std::string, std::shared_ptr<inode>> durable_files_;
  std::map<std::string, std::shared_ptr<inode>> current_files_;
  std::set<std::string> durable_dirs_;
  std::set<std::string> current_dirs_;
  std::vector<namespace_change> unsynced_changes_;
  std::size_t failing_syncs_ = 0;
  std::size_t passing_syncs_ = 0;
  std::string failing_under_;

  friend class sim_file;
};

} // namespace pss::storage
