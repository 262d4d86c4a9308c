#include "storage/data_dir.hpp"

#include <algorithm>
#include <array>

#include "storage/crc32c.hpp"

namespace pss::storage {

namespace {
constexpr std::array<std::uint8_t, 8> identity_magic{'P', 'S', 'S', 'I', 'D', 'N', 'T', '1'};
constexpr std::uint64_t identity_file_bytes_max = 4096;
constexpr std::string_view empty_marker = "holds no pss state";

} // namespace

bool is_empty_data_dir(const error& err) noexcept {
  return err.code() == errc::not_found
         && err.message().find(empty_marker) != std::string::npos;
}

error empty_data_dir_error(const std::string& dir) {
  return error{errc::not_found,
               "data directory " + dir + " " + std::string{empty_marker}
                 + ": this node's disk is empty or was wiped, so its term, vote and log are "
                   "gone. It must rejoin the cluster as a new incarnation and recover its "
                   "shares, not vote; initialise the directory only for that (or a first start)"};
}

bytes encode_identity(const data_dir_identity& id) {
  PSS_CHECK(id.cluster_id.size() <= cluster_id_bytes_max);
  byte_writer w;
  w.raw(identity_magic);
  w.u32(identity_format_version);
  w.str(id.cluster_id);
  w.u64(id.node.value());
  seal_with_crc32c(w.data());
  return w.take();
}

result<data_dir_identity> decode_identity(byte_view data, const std::string& path) {
  const auto damaged = [&](const std::string& what) {
    return error{errc::corrupt, path + " is damaged (" + what
                                  + "); the directory's owner cannot be verified. Restore the "
                                    "file from a backup of this node, or move the directory "
                                    "aside and let the node rejoin as a new incarnation"};
  };
  const auto body = checksummed_body(data);
  if (!body) return damaged("checksum mismatch or too short");
  byte_reader in{*body};
  const auto magic = in.raw(identity_magic.size());
  if (!std::equal(magic.begin(), magic.end(), identity_magic.begin()))
    return damaged("wrong magic number");
  const std::uint32_t version = in.u32();
  if (version != identity_format_version)
    return damaged("format version " + std::to_string(version) + " is not supported");
  data_dir_identity id;
  id.cluster_id = in.str(cluster_id_bytes_max);
  id.node = node_id{in.u64()};
  if (auto st = in.finish("identity"); !st) return damaged(st.err().message());
  return id;
}

namespace {

enum class data_dir_state {
  belongs_to_us, // identity present and matching
  empty,         // missing, or no identity yet
};

result<data_dir_state> inspect_data_dir(file_system& fs, const std::string& dir,
                                        const data_dir_identity& expected,
                                        bool (*known_file)(std::string_view)) {
  auto names = fs.list_directory(dir);
  if (!names) {
    if (names.err().code() == errc::not_found) return data_dir_state::empty;
    return names.err();
  }
  const std::string path = join_path(dir, identity_file_name);
  bool has_identity = false;
  for (const auto& name : *names) {
    if (name == identity_file_name) {
      has_identity = true;
    } else if (!name.ends_with(temp_suffix) && !known_file(name)) {
      // Checked even when an identity exists: a stranger in our directory
      // means someone else writes here too.
      return error{errc::conflict, "data directory " + dir + " contains '" + name
                                     + "', which pss did not write; point data_dir at a "
                                       "directory used only by this node"};
    }
  }
  if (!has_identity) return data_dir_state::empty;
  auto data = fs.read_file(path, identity_file_bytes_max);
  if (!data) return data.err();
  auto found = decode_identity(*data, path);
  if (!found) return found.err();
  if (*found != expected) {
    return error{errc::mismatch,
                 "data directory " + dir + " belongs to cluster '" + found->cluster_id
                   + "' node " + std::to_string(found->node.value()) + ", not to cluster '"
                   + expected.cluster_id + "' node " + std::to_string(expected.node.value())
                   + "; point data_dir at this node's own directory"};
  }
  return data_dir_state::belongs_to_us;
}

status remove_temp_files(file_system& fs, const std::string& dir,
                         std::vector<std::string>& warnings) {
  auto names = fs.list_directory(dir);
  if (!names) return names.err();
  bool removed = false;
  for (const auto& name : *names) {
    if (name.ends_with(temp_suffix)) {
      PSS_TRY(fs.remove(join_path(dir, name)));
      warnings.push_back("removed " + join_path(dir, name)
                         + ", left over from a write interrupted by a crash");
      removed = true;
    }
  }
  if (removed) return fs.sync_directory(dir);
  return {};
}

status initialise(file_system& fs, const std::string& dir, const data_dir_identity& identity,
                  const std::function<status()>& create_files) {
  PSS_TRY(ensure_directory(fs, dir));
  // Leftovers of an interrupted initialisation go first.
  auto names = fs.list_directory(dir);
  if (!names) return names.err();
  for (const auto& name : *names) PSS_TRY(fs.remove(join_path(dir, name)));
  if (!names->empty()) PSS_TRY(fs.sync_directory(dir));
  PSS_TRY(create_files());
  return write_file_atomically(fs, join_path(dir, identity_file_name), encode_identity(identity));
}

} // namespace

status ensure_directory(file_system& fs, const std::string& dir) {
  auto present = fs.exists(dir);
  if (!present) return present.err();
  if (*present) return {};
  const std::string parent = parent_path(dir);
  if (parent != dir) PSS_TRY(ensure_directory(fs, parent));
  PSS_TRY(fs.create_directory(dir));
  return fs.sync_directory(parent);
}

result<bool> open_data_dir(file_system& fs, const std::string& dir,
                           const data_dir_identity& identity, open_mode mode,
                           bool (*known_file)(std::string_view),
                           const std::function<status()>& create_files,
                           std::vector<std::string>& warnings) {
  if (identity.cluster_id.empty() || identity.cluster_id.size() > cluster_id_bytes_max
      || identity.node == no_node)
    return error{errc::invalid_argument, "a data directory identity needs a cluster id of 1.."
                                           + std::to_string(cluster_id_bytes_max)
                                           + " bytes and a non-zero node id"};
  auto state = inspect_data_dir(fs, dir, identity, known_file);
  if (!state) return state.err();
  bool initialised = false;
  if (*state == data_dir_state::empty) {
    if (mode == open_mode::existing) return empty_data_dir_error(dir);
    PSS_TRY(initialise(fs, dir, identity, create_files));
    initialised = true;
  }
  PSS_TRY(remove_temp_files(fs, dir, warnings));
  return initialised;
}

} // namespace pss::storage
