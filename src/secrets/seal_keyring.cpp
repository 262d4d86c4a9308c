#include "secrets/seal_keyring.hpp"

#include <algorithm>

#include "core/check.hpp"
#include "core/secure.hpp"
#include "storage/crc32c.hpp"

namespace pss::secrets {
namespace {

constexpr std::string_view magic = "PSSSEAL1";
constexpr std::size_t pair_bytes = 8 + 8 + crypto::box_key_bytes;
constexpr std::size_t seal_file_bytes_max = magic.size() + 4 + seal_pairs_max * pair_bytes + 4;

} // namespace

result<std::vector<seal_pair>> decode_seal_file(byte_view data) {
  auto body = storage::checksummed_body(data);
  if (!body) return error{errc::corrupt, "the seal key file is damaged (checksum)"};
  byte_reader r{*body};
  const byte_view head = r.raw(magic.size());
  if (!r.ok() || !std::equal(head.begin(), head.end(), magic.begin(), magic.end(),
                                [](std::uint8_t a, char b) { return a == static_cast<std::uint8_t>(b); }))
    return error{errc::corrupt, "the seal key file has no seal key magic"};
  const std::uint32_t count = r.u32();
  if (!r.ok() || count > seal_pairs_max) return error{errc::corrupt, "the seal key file holds too many pairs"};
  std::vector<seal_pair> out;
  for (std::uint32_t i = 0; i < count; ++i) {
    const epoch_id epoch{r.u64()};
    const std::uint64_t serial = r.u64();
    const byte_view secret = r.raw(crypto::box_key_bytes);
    if (!r.ok()) return error{errc::corrupt, "the seal key file is cut short"};
    auto keys = crypto::box_key_pair::from_secret_bytes(secret);
    if (!keys) return error{errc::corrupt, "the seal key file holds a bad key"};
    out.push_back(seal_pair{epoch, serial, std::move(*keys)});
  }
  PSS_TRY(r.finish("seal key file"));
  return out;
}

result<seal_keyring> seal_keyring::open(storage::file_system& fs, std::string dir) {
  seal_keyring out{fs, std::move(dir)};
  // A rewrite a crash interrupted leaves its temporary file: it is removed.
  const std::string temp = out.path() + std::string{storage::temp_suffix};
  auto leftover = fs.exists(temp);
  if (!leftover) return leftover.err();
  if (*leftover) PSS_TRY(fs.remove(temp));
  auto present = fs.exists(out.path());
  if (!present) return present.err();
  if (!*present) return out;
  auto data = fs.read_file(out.path(), seal_file_bytes_max);
  if (!data) return data.err();
  auto pairs = decode_seal_file(*data);
  zeroize(*data);
  if (!pairs) return error{pairs.err().code(), out.path() + ": " + pairs.err().message()};
  out.pairs_ = std::move(*pairs);
  return out;
}

std::string seal_keyring::path() const { return storage::join_path(dir_, seal_file_name); }

const seal_pair* seal_keyring::newest() const noexcept {
  const auto it = std::max_element(pairs_.begin(), pairs_.end(),
                                   [](const seal_pair& a, const seal_pair& b) { return a.serial < b.serial; });
  return it == pairs_.end() ? nullptr : &*it;
}

const seal_pair* seal_keyring::find(const crypto::box_public_key& key) const noexcept {
  const auto it = std::find_if(pairs_.begin(), pairs_.end(), [&](const seal_pair& p) { return p.keys.public_key == key; });
  return it == pairs_.end() ? nullptr : &*it;
}

result<const seal_pair*> seal_keyring::draw(epoch_id epoch, std::uint64_t serial, crypto::random_source& rng) {
  PSS_CHECK(pairs_.size() < seal_pairs_max);
  PSS_CHECK(newest() == nullptr || serial > newest()->serial);
  pairs_.push_back(seal_pair{epoch, serial, crypto::box_key_pair::generate(rng)});
  if (auto st = write(); !st) {
    pairs_.pop_back();
    return st.err();
  }
  return &pairs_.back();
}

status seal_keyring::keep_only(const std::function<bool(const seal_pair&)>& keep) {
  if (std::all_of(pairs_.begin(), pairs_.end(), keep)) return ok_status();
  std::erase_if(pairs_, [&](const seal_pair& p) { return !keep(p); });
  return write();
}

status seal_keyring::write() const {
  byte_writer w;
  w.raw(as_bytes(magic));
  w.u32(static_cast<std::uint32_t>(pairs_.size()));
  for (const seal_pair& p : pairs_) {
    w.u64(p.epoch.value());
    w.u64(p.serial);
    w.raw(p.keys.secret_key.view());
  }
  bytes image = w.take();
  storage::seal_with_crc32c(image);
  auto st = storage::replace_file_erasing_old(*fs_, path(), image);
  zeroize(image);
  return st;
}

} // namespace pss::secrets
