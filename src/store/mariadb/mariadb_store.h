#pragma once
// MariaDbStore: users, devices, tokens, chats, members and read markers on
// MariaDB (InnoDB), shared by every node of a cluster.
//
// Thread-safe and blocking: any method may be called from any thread at
// once, but only off the I/O threads. Each call checks a connection out of
// the pool for its duration; no lock of this class is held during a query.
// Uniqueness (one account per e-mail, one direct chat per pair, one writer
// per chat version) is enforced by the database's keys and transactions, so
// it holds across processes. A call fails with unavailable when MariaDB
// cannot be reached or does not answer within the configured timeouts, and
// works again once it can, without a restart.

#include <cstddef>
#include <memory>

#include "core/ports.h"
#include "store/mariadb/mariadb_connection.h"

namespace parley {

namespace mariadb {
class ConnectionPool;
class Connection;
}  // namespace mariadb

struct MariaDbConfig {
  mariadb::ConnectionConfig connection;
  std::size_t pool_size = 8;  // connections at most; opened on demand
};

class MariaDbStore final : public AccountStore, public ChatStore {
 public:
  // Creates the database and its schema if missing (idempotent, safe when
  // several nodes start at once). Throws std::runtime_error with the reason
  // on failure; call at start-up only.
  static std::unique_ptr<MariaDbStore> open(const MariaDbConfig& config);
  ~MariaDbStore() override;
  MariaDbStore(const MariaDbStore&) = delete;
  MariaDbStore& operator=(const MariaDbStore&) = delete;

  // AccountStore
  Status create_user(const User& user) override;
  Result<std::optional<User>> find_user(const UserId& id) override;
  Result<std::optional<User>> find_user_by_email(const std::string& email) override;
  Status set_last_active(const std::vector<LastActive>& updates) override;
  Status update_user(const UserId& id, const UserUpdate& update) override;
  Status set_devices_last_used(const std::vector<DeviceUse>& uses) override;
  Status put_device(const Device& device) override;
  Result<std::optional<Device>> find_device(const DeviceId& id) override;
  Result<std::optional<Device>> find_device_by_token(const std::string& token_digest) override;
  Result<std::vector<Device>> devices_of_user(const UserId& id) override;
  Status set_blocked(const UserId& user, const UserId& other, bool blocked) override;
  Result<std::vector<UserId>> blocked_users(const UserId& user) override;
  Result<std::vector<User>> list_users(const std::string& email_prefix, const std::string& after_email,
                                       std::size_t limit) override;
  Result<std::uint64_t> count_users() override;
  Result<std::vector<UserId>> delete_user(const UserId& id) override;

  // ChatStore
  Status put_chat(const Chat& chat) override;
  Result<std::optional<Chat>> find_chat(const ChatId& id) override;
  Result<std::optional<ChatId>> find_direct_chat(const UserId& a, const UserId& b) override;
  Result<std::vector<ChatId>> chats_of_user(const UserId& id) override;
  Result<std::vector<ChatId>> ended_chats_of_user(const UserId& id) override;
  Result<Seq> read_marker(const ChatId& chat, const UserId& user) override;
  Status raise_read_markers(std::span<const ReadMarker> markers) override;
  Result<std::uint64_t> count_chats() override;
  Status raise_delivered_markers(std::span<const ReadMarker> markers) override;
  Result<std::vector<MemberMarkers>> markers_of_chat(const ChatId& chat) override;

  // One round trip to the server (for /healthz).
  Status ping();

  // Connections open now, for stats and tests.
  std::size_t open_connections() const;

 private:
  explicit MariaDbStore(std::unique_ptr<mariadb::ConnectionPool> pool);
  // raise_read_markers and raise_delivered_markers: `insert` and `update`
  // frame the rows; `read` says which of the row's two positions is raised.
  Status raise_markers(std::span<const ReadMarker> markers, const char* insert, const char* update, bool read);

  // Runs `op` on a pooled connection. A read is run once more on a new
  // connection when a reused one turns out dead (a leftover of an outage).
  template <typename T, typename Op>
  Result<T> read(Op&& op);
  // Runs `op` on a pooled connection; again only when that cannot apply it
  // twice: the connection was gone before anything was sent, or the
  // transaction was a deadlock victim and rolled back.
  template <typename T, typename Op>
  Result<T> write(Op&& op);

  Status put_chat_locked(mariadb::Connection& c, const Chat& chat);

  std::unique_ptr<mariadb::ConnectionPool> pool_;
};

}  // namespace parley
