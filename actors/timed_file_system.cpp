#include "actors/timed_file_system.hpp"

namespace pss::actors {

namespace {

// Times `sync` and reports the seconds.
template <class Sync>
status timed(const sync_observer& observe, Sync sync) {
  const auto start = std::chrono::steady_clock::now();
  status s = sync();
  if (observe) observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  return s;
}

class timed_file final : public storage::file {
public:
  timed_file(std::unique_ptr<storage::file> inner, std::shared_ptr<sync_observer> observe)
    : inner_(std::move(inner)), observe_(std::move(observe)) {}
  status write_at(std::uint64_t offset, byte_view data) override { return inner_->write_at(offset, data); }
  status sync() override { return timed(*observe_, [&] { return inner_->sync(); }); }
  status truncate(std::uint64_t size) override { return inner_->truncate(size); }
  status preallocate(std::uint64_t size) override { return inner_->preallocate(size); }
  result<std::uint64_t> size() const override { return inner_->size(); }
  const std::string& path() const override { return inner_->path(); }

private:
  std::unique_ptr<storage::file> inner_;
  std::shared_ptr<sync_observer> observe_;
};

} // namespace

result<std::unique_ptr<storage::file>> timed_file_system::open_file(const std::string& path, storage::open_flags flags) {
  auto f = inner_.open_file(path, flags);
  if (!f.ok()) return f.err();
  return std::unique_ptr<storage::file>{std::make_unique<timed_file>(std::move(*f), observe_)};
}

status timed_file_system::sync_directory(const std::string& path) {
  return timed(*observe_, [&] { return inner_.sync_directory(path); });
}

} // namespace pss::actors
