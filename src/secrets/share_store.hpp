// One node's private share store: the shares it holds, durable in a journal.
//
// SECRET: this module holds share material. It never logs or prints a share
// (held_share prints "<redacted>"), never hands one to the replicated
// catalog or a snapshot, and its journal records are zeroized after they
// are written. The only ways out are share_value() (for the node's own
// sealed reply to an authorised reader, and for simulator checkers) and the
// journal file on this node's own disk.
//
// Life of a share (DESIGN §5 Create): a verified share a client dealt arrives
// and is stored pending, tagged (name, version 0, epoch, commitments digest),
// and synced before the node acknowledges it. When the node applies the
// register entry with that digest, the catalog gives it a version: the share
// moves there (an `assign` record) and becomes live. Round shares arrive
// with their version. It is erased when its version is deleted
// or superseded, or (still pending) after pending_share_lifetime.
// Erasure reaches the disk through a journal rewrite (storage/journal.hpp:
// the old file is overwritten). reconcile() re-derives every state from the
// catalog, so a crash between applying an entry and journaling its effect is
// repaired at the next open. That is why a promotion (pending to live) is
// journaled but never synced on its own: it reaches the disk with the next
// sync, and a crash that loses it leaves a pending share that the first
// reconcile after the open promotes again (one fdatasync less per put).
#pragma once

#include <array>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "core/ids.hpp"
#include "core/result.hpp"
#include "crypto/shamir.hpp"
#include "secrets/catalog.hpp"
#include "storage/journal.hpp"

namespace pss::secrets {

inline constexpr millis pending_share_lifetime{10 * 60 * 1000};
// 2^21: a node holds up to 2^20 (about a million) live secrets, and a
// refresh of all of them (a copy of each in the new epoch) still fits; about
// 200 bytes of memory each (key, value, map node).
inline constexpr std::size_t shares_held_max = 1 << 21;
// Clients may fill at most half of the store (their pending shares and the
// live ones they became): the other half is the rounds', so that a refresh
// can always hold a new-epoch copy of every live share next to the old one.
inline constexpr std::size_t client_shares_max = shares_held_max / 2;
// One client identity may hold at most this many pending shares (dealt, not
// yet registered) on a node; a flood from one key cannot crowd out the rest.
inline constexpr std::size_t pending_shares_per_client_max = 1 << 14;

// The store's capacity, as above; tests shrink it.
struct share_limits {
  std::size_t held_max = shares_held_max;
  std::size_t client_max = client_shares_max;
  std::size_t pending_per_client_max = pending_shares_per_client_max;
};

// Who dealt a pending share: the client's public key (all zero when unknown:
// a round's share, or one replayed from the journal after a restart).
using share_owner = std::array<std::uint8_t, 32>;

struct share_key {
  std::string name;
  secret_version version;
  epoch_id epoch;
  digest commitments_digest{};

  auto operator<=>(const share_key&) const = default;
  bool operator==(const share_key&) const = default;
};

enum class share_state : std::uint8_t { pending = 1, live = 2 };

struct held_share {
  share_state state = share_state::pending;
  millis stored_at{0};
  crypto::share value;
  // The refresh or recovery round that computed it; 0 for a share a client
  // dealt (or a journal record written before rounds were recorded).
  std::uint64_t round_id = 0;
  share_owner owner{}; // in memory only: for the per-client quota of pending shares

  friend std::ostream& operator<<(std::ostream& os, const held_share&) {
    return os << "held_share{<redacted>}";
  }
};

// What a checker may see without touching share values.
struct share_info {
  share_key key;
  share_state state = share_state::pending;
};

class share_store {
public:
  // Opens (or with open_mode::initialise creates) the journal in dir and
  // replays it.
  [[nodiscard]] static result<std::unique_ptr<share_store>>
  open(storage::file_system& fs, const std::string& dir, const storage::data_dir_identity& identity,
       storage::open_mode mode);

  // Stores a verified share as pending and makes it durable. Storing the
  // same key again is a no-op success (a retried store_share).
  // With sync = false the caller batches several and calls flush() once.
  // Refused (too_large, nothing stored) when the clients' half of the store
  // is full or `owner` holds pending_shares_per_client_max pending shares.
  [[nodiscard]] status store_pending(const share_key& key, const crypto::share& value, millis now,
                                     bool sync = true, const share_owner& owner = {});
  // Stores a share that round round_id computed (a refreshed or recovered
  // one) as pending, without syncing: the caller flushes. Storing it again
  // for the same round is a no-op; a share under the same key from another
  // origin (an aborted round of the same target epoch) is replaced, never
  // kept in its place.
  [[nodiscard]] status store_round_share(const share_key& key, const crypto::share& value, millis now,
                                         std::uint64_t round_id);
  // Brings every share in line with the catalog: promotes registered ones,
  // moves dealt shares to the version their register got (see assign), and
  // erases deleted, dropped, superseded and conflicting ones. Durable when
  // flush() returns.
  // A pending share of a refresh round's new epoch is kept while that round
  // runs and becomes live when it commits; the old epoch's share is erased
  // then.
  // Erasure needs positive evidence: a share of an epoch newer than the
  // catalog's is kept while the catalog may simply be behind (restored from
  // an older snapshot and not yet re-applied): a live one always, a pending
  // one until the catalog has seen its round end.
  // With only_name, just that name's shares (a register or delete of it).
  void reconcile(const catalog& c, const std::string* only_name = nullptr);
  // A member being removed (or removed) keeps only the shares of versions
  // the catalog still lists it for at their epoch, and no client's share
  // waiting for a register that will not list it (docs/refresh.md §7.3).
  // Returns how many it erased; durable when flush() returns.
  std::size_t erase_unlisted(const catalog& c, node_id self);
  // Erases pending shares of versions never registered, after the lifetime.
  void collect_garbage(const catalog& c, millis now, millis lifetime = pending_share_lifetime);
  // Makes every change durable: a rewrite if anything was erased (so the
  // erased bytes leave the disk), else a sync of appended records.
  [[nodiscard]] status flush();

  // The live share of (name, version) of exactly this epoch with this
  // digest, if held. A share of another epoch is never handed out under
  // this one's label.
  [[nodiscard]] const held_share* find_live(const std::string& name, secret_version version, epoch_id epoch,
                                            const digest& d) const;
  // Whether a live share of (name, version) with this digest of this epoch
  // or a later one is held (a later one: the catalog here is behind).
  [[nodiscard]] bool holds_live_from(const std::string& name, secret_version version, epoch_id epoch,
                                     const digest& d) const;
  [[nodiscard]] std::vector<share_info> inventory() const;
  // For checkers and for sealing to an authorised reader only.
  [[nodiscard]] std::optional<crypto::share> share_value(const share_key& key) const;
  // The share of this dealing of `name` in `epoch`, at whatever version it
  // is held (0 until its register is applied). For checkers.
  [[nodiscard]] std::optional<crypto::share> dealing_value(const std::string& name, epoch_id epoch,
                                                           const digest& d) const;
  [[nodiscard]] std::size_t size() const noexcept { return shares_.size(); }
  // Counts every change to the shares held (added, erased, made live,
  // renamed), so an observer can skip a store that did not change.
  [[nodiscard]] std::uint64_t mutations() const noexcept { return mutations_; }
  [[nodiscard]] bool has_pending() const noexcept;
  // Whether the next flush() rewrites the journal: an erasure is waiting.
  [[nodiscard]] bool rewrite_pending() const noexcept { return needs_rewrite_; }
  void set_limits(const share_limits& l) noexcept { limits_ = l; }

  share_store(std::unique_ptr<storage::record_journal> journal) : journal_(std::move(journal)) {}

private:
  void erase(std::map<share_key, held_share>::iterator it);
  void erase_in_memory(std::map<share_key, held_share>::iterator it);
  void mark_live(std::pair<const share_key, held_share>& entry);
  using iterator = std::map<share_key, held_share>::iterator;
  void reconcile_one(const catalog& c, const secret_record& s, iterator current);
  // A version-0 share whose dealing s registered moves to that version (the
  // new position; end() when it was a duplicate or is not registered).
  iterator assign(const secret_record& s, iterator it);
  iterator rekey(iterator it, secret_version version);
  [[nodiscard]] status append_assign(const share_key& from, secret_version version);
  void forget_pending(const share_key& key, const held_share& h); // a pending share leaves that state
  [[nodiscard]] status insert_pending(const share_key& key, held_share h);
  [[nodiscard]] status append(std::uint8_t op, const share_key& key, const held_share* share);
  [[nodiscard]] status replay(byte_view record);

  std::unique_ptr<storage::record_journal> journal_;
  std::map<share_key, held_share> shares_;
  std::uint64_t mutations_ = 0;
  std::set<share_key> pending_keys_; // the pending shares (garbage collection walks only these)
  std::map<share_owner, std::size_t> pending_by_owner_; // known owners only
  share_limits limits_;
  bool needs_rewrite_ = false;
  bool needs_sync_ = false;
  std::optional<error> failed_;
};

} // namespace pss::secrets
