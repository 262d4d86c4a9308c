#include "storage/sim_disk.hpp"

#include <algorithm>

namespace pss::storage {

// One file's contents: the durable bytes, the current bytes, and the changes
// made since the last sync, in order, so a crash can keep a prefix of them.
struct sim_disk::inode {
  struct change {
    bool is_write = false;
    std::uint64_t offset = 0; // for a write
    bytes data;               // for a write
    std::uint64_t size = 0;   // for a resize
  };
  bytes durable;
  bytes current;
  std::vector<change> unsynced;
};

struct sim_disk::namespace_change {
  enum class kind { create, rename, remove, mkdir } what;
  std::string path; // the created, removed or renamed-to name
  std::string from; // for a rename
  std::shared_ptr<inode> node;
  std::string directory; // whose sync makes this durable
};

namespace {

constexpr std::size_t sector_bytes = 512;

void apply_write(bytes& to, std::uint64_t offset, byte_view data) {
  if (to.size() < offset + data.size()) to.resize(offset + data.size(), 0);
  std::copy(data.begin(), data.end(), to.begin() + static_cast<std::ptrdiff_t>(offset));
}

void apply_content_change(bytes& to, const sim_disk::inode::change& c) {
  if (c.is_write)
    apply_write(to, c.offset, c.data);
  else
    to.resize(c.size, 0);
}

// Applies only part of a write, as a power failure during it would.
void apply_torn_write(bytes& to, const sim_disk::inode::change& c, prng& rng) {
  if (c.data.empty()) return;
  if (rng.chance(0.5)) {
    const std::size_t kept = rng.below(c.data.size());
    apply_write(to, c.offset, byte_view{c.data}.first(kept));
    return;
  }
  // Sectors reach the medium in any order: keep a random subset of them.
  if (to.size() < c.offset + c.data.size()) to.resize(c.offset + c.data.size(), 0);
  std::uint64_t pos = c.offset;
  while (pos < c.offset + c.data.size()) {
    const std::uint64_t sector_end =
      std::min<std::uint64_t>((pos / sector_bytes + 1) * sector_bytes, c.offset + c.data.size());
    if (rng.chance(0.5)) {
      const auto from = c.data.begin() + static_cast<std::ptrdiff_t>(pos - c.offset);
      std::copy(from, from + static_cast<std::ptrdiff_t>(sector_end - pos),
                to.begin() + static_cast<std::ptrdiff_t>(pos));
    }
    pos = sector_end;
  }
}

error io_failure(const std::string& path) {
  return error{errc::io_error, "cannot fdatasync " + path
                                 + ": injected I/O error (simulated disk failure)"};
}

} // namespace

class sim_file final : public file {
public:
  sim_file(sim_disk& disk, std::shared_ptr<sim_disk::inode> node, std::string path)
    : disk_(disk), node_(std::move(node)), path_(std::move(path)) {}

  status write_at(std::uint64_t offset, byte_view data) override {
    apply_write(node_->current, offset, data);
    node_->unsynced.push_back({true, offset, bytes(data.begin(), data.end()), 0});
    return {};
  }

  // The current bytes are always the durable ones with the unsynced changes
  // applied in order, so a sync replays just those changes (copying a whole
  // preallocated segment at every sync made it most of the simulator's time).
  status sync() override {
    if (disk_.consume_sync_failure(path_)) return io_failure(path_);
    for (const auto& c : node_->unsynced) apply_content_change(node_->durable, c);
    node_->unsynced.clear();
    PSS_CHECK(node_->durable.size() == node_->current.size());
    return {};
  }

  status truncate(std::uint64_t size) override {
    node_->current.resize(size, 0);
    node_->unsynced.push_back({false, 0, {}, size});
    return {};
  }

  status preallocate(std::uint64_t size) override {
    if (node_->current.size() >= size) return {};
    return truncate(size);
  }

  result<std::uint64_t> size() const override { return std::uint64_t{node_->current.size()}; }
  const std::string& path() const override { return path_; }

private:
  sim_disk& disk_;
  std::shared_ptr<sim_disk::inode> node_;
  std::string path_;
};

sim_disk::sim_disk() {
  durable_dirs_.insert("/");
  current_dirs_.insert("/");
}

sim_disk::~sim_disk() = default;

bool sim_disk::consume_sync_failure(const std::string& path) noexcept {
  if (failing_syncs_ == 0) return false;
  if (!failing_under_.empty() && path != failing_under_ && !path.starts_with(failing_under_ + "/")) return false;
  if (passing_syncs_ > 0) {
    --passing_syncs_;
    return false;
  }
  --failing_syncs_;
  return true;
}

result<bool> sim_disk::exists(const std::string& path) {
  return current_files_.contains(path) || current_dirs_.contains(path);
}

status sim_disk::create_directory(const std::string& path) {
  if (current_dirs_.contains(path)) return {};
  const std::string parent = parent_path(path);
  if (!current_dirs_.contains(parent))
    return error{errc::not_found, "cannot create directory " + path + ": " + parent
                                    + " does not exist (simulated disk)"};
  if (current_files_.contains(path))
    return error{errc::io_error, path + " exists but is not a directory (simulated disk)"};
  current_dirs_.insert(path);
  unsynced_changes_.push_back({namespace_change::kind::mkdir, path, {}, nullptr, parent});
  return {};
}

result<std::vector<std::string>> sim_disk::list_directory(const std::string& path) {
  if (!current_dirs_.contains(path))
    return error{errc::not_found, "cannot list " + path + ": no such directory (simulated disk)"};
  std::vector<std::string> names;
  for (const auto& [name, node] : current_files_)
    if (parent_path(name) == path) names.push_back(name.substr(name.rfind('/') + 1));
  for (const auto& name : current_dirs_)
    if (name != path && parent_path(name) == path) names.push_back(name.substr(name.rfind('/') + 1));
  std::sort(names.begin(), names.end());
  return names;
}

result<bytes> sim_disk::read_file(const std::string& path, std::uint64_t max_bytes) {
  auto it = current_files_.find(path);
  if (it == current_files_.end())
    return error{errc::not_found, "cannot open " + path + ": no such file (simulated disk)"};
  if (it->second->current.size() > max_bytes)
    return error{errc::too_large, path + " is above the limit of " + std::to_string(max_bytes)
                                    + " bytes"};
  return it->second->current;
}

result<std::unique_ptr<file>> sim_disk::open_file(const std::string& path, open_flags flags) {
  auto it = current_files_.find(path);
  if (it == current_files_.end()) {
    if (flags == open_flags::existing)
      return error{errc::not_found, "cannot open " + path + ": no such file (simulated disk)"};
    const std::string parent = parent_path(path);
    if (!current_dirs_.contains(parent))
      return error{errc::not_found, "cannot create " + path + ": " + parent
                                      + " does not exist (simulated disk)"};
    auto node = std::make_shared<inode>();
    current_files_[path] = node;
    unsynced_changes_.push_back({namespace_change::kind::create, path, {}, node, parent});
    return std::unique_ptr<file>{std::make_unique<sim_file>(*this, node, path)};
  }
  auto handle = std::make_unique<sim_file>(*this, it->second, path);
  if (flags == open_flags::create_truncate) PSS_TRY(handle->truncate(0));
  return std::unique_ptr<file>{std::move(handle)};
}

status sim_disk::rename(const std::string& from, const std::string& to) {
  auto it = current_files_.find(from);
  if (it == current_files_.end())
    return error{errc::not_found, "cannot rename " + from + ": no such file (simulated disk)"};
  PSS_CHECK_MSG(parent_path(from) == parent_path(to), "storage renames within one directory");
  auto node = it->second;
  current_files_.erase(it);
  current_files_[to] = node;
  unsynced_changes_.push_back({namespace_change::kind::rename, to, from, node, parent_path(to)});
  return {};
}

status sim_disk::remove(const std::string& path) {
  if (current_files_.erase(path) == 0)
    return error{errc::not_found, "cannot remove " + path + ": no such file (simulated disk)"};
  unsynced_changes_.push_back({namespace_change::kind::remove, path, {}, nullptr,
                               parent_path(path)});
  return {};
}

status sim_disk::sync_directory(const std::string& path) {
  if (!current_dirs_.contains(path))
    return error{errc::not_found, "cannot open directory " + path + " (simulated disk)"};
  if (consume_sync_failure(path)) return io_failure(path);
  std::vector<namespace_change> rest;
  for (auto& change : unsynced_changes_) {
    if (change.directory == path)
      apply_change(durable_files_, durable_dirs_, change);
    else
      rest.push_back(std::move(change));
  }
  unsynced_changes_ = std::move(rest);
  return {};
}

void sim_disk::apply_change(std::map<std::string, std::shared_ptr<inode>>& files,
                            std::set<std::string>& dirs, const namespace_change& change) {
  switch (change.what) {
    case namespace_change::kind::create: files[change.path] = change.node; break;
    case namespace_change::kind::rename:
      files.erase(change.from);
      files[change.path] = change.node;
      break;
    case namespace_change::kind::remove: files.erase(change.path); break;
    case namespace_change::kind::mkdir: dirs.insert(change.path); break;
  }
}

void sim_disk::crash(prng& rng) {
  // File contents: a prefix of the unsynced changes survives, and the next
  // write may be torn. Files are visited in path order for determinism.
  std::set<inode*> seen;
  std::vector<std::shared_ptr<inode>> nodes;
  for (const auto* files : {&durable_files_, &current_files_})
    for (const auto& [path, node] : *files)
      if (seen.insert(node.get()).second) nodes.push_back(node);
  for (const auto& node : nodes) {
    if (!node->unsynced.empty()) {
      const std::size_t kept = rng.below(node->unsynced.size() + 1);
      for (std::size_t i = 0; i < kept; ++i) apply_content_change(node->durable, node->unsynced[i]);
      if (kept < node->unsynced.size() && node->unsynced[kept].is_write && rng.chance(0.5))
        apply_torn_write(node->durable, node->unsynced[kept], rng);
      node->unsynced.clear();
    }
    node->current = node->durable;
  }
  // Names: a prefix of the unsynced directory changes survives.
  const std::size_t kept = rng.below(unsynced_changes_.size() + 1);
  for (std::size_t i = 0; i < kept; ++i)
    apply_change(durable_files_, durable_dirs_, unsynced_changes_[i]);
  unsynced_changes_.clear();
  // A name whose directory was never made durable is lost with it.
  std::erase_if(durable_files_, [&](const auto& kv) {
    return !durable_dirs_.contains(parent_path(kv.first));
  });
  for (auto it = durable_dirs_.begin(); it != durable_dirs_.end();) {
    if (*it != "/" && !durable_dirs_.contains(parent_path(*it)))
      it = durable_dirs_.erase(it);
    else
      ++it;
  }
  current_files_ = durable_files_;
  current_dirs_ = durable_dirs_;
  failing_syncs_ = 0;
  passing_syncs_ = 0;
}

void sim_disk::wipe() {
  durable_files_.clear();
  current_files_.clear();
  unsynced_changes_.clear();
  durable_dirs_ = {"/"};
  current_dirs_ = {"/"};
  failing_syncs_ = 0;
  passing_syncs_ = 0;
}

std::map<std::string, bytes> sim_disk::durable_files() const {
  std::map<std::string, bytes> out;
  for (const auto& [path, node] : durable_files_) out[path] = node->durable;
  return out;
}

bool sim_disk::durable_image_contains(byte_view needle) const {
  for (const auto& [path, node] : durable_files_) {
    const auto& hay = node->durable;
    if (std::search(hay.begin(), hay.end(), needle.begin(), needle.end()) != hay.end())
      return true;
  }
  return false;
}

result<bytes> sim_disk::current_contents(const std::string& path) const {
  auto it = current_files_.find(path);
  if (it == current_files_.end())
    return error{errc::not_found, path + ": no such file (simulated disk)"};
  return it->second->current;
}

std::optional<byte_view> sim_disk::durable_view(const std::string& path) const {
  auto it = durable_files_.find(path);
  if (it == durable_files_.end()) return std::nullopt;
  return byte_view{it->second->durable};
}

std::vector<std::string> sim_disk::durable_paths() const {
  std::vector<std::string> out;
  for (const auto& [path, node] : durable_files_) out.push_back(path);
  return out;
}

bool sim_disk::durable_through(const std::string& path, std::uint64_t end) const {
  auto durable = durable_files_.find(path);
  auto current = current_files_.find(path);
  if (durable == durable_files_.end() || current == current_files_.end() || durable->second != current->second)
    return false;
  const inode& node = *durable->second;
  if (node.durable.size() < end) return false;
  for (const auto& c : node.unsynced) {
    if (c.is_write && c.offset < end && !c.data.empty()) return false;
    if (!c.is_write && c.size < end) return false; // a truncation into the range
  }
  return true;
}

bool sim_disk::fully_durable(const std::string& path) const {
  auto durable = durable_files_.find(path);
  auto current = current_files_.find(path);
  return durable != durable_files_.end() && current != current_files_.end() && durable->second == current->second
         && durable->second->unsynced.empty();
}

bool sim_disk::has_unsynced_under(const std::string& dir) const {
  const std::string prefix = dir + "/";
  for (const auto& change : unsynced_changes_)
    if (change.directory == dir || change.directory.starts_with(prefix)) return true;
  for (const auto& [path, node] : current_files_)
    if (path.starts_with(prefix) && !node->unsynced.empty()) return true;
  return false;
}

} // namespace pss::storage
