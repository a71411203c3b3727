#pragma once
// Accounts: sign-up, login (one device per login), bearer-token
// authentication (with idle expiry), logout of this or another device of the
// user, profile and password changes, and push registrations.
// Thread-safe. signup(), login() and change_password() hash passwords and are
// slow on purpose: callers run them off the I/O threads.

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/config.h"
#include "core/device_use_writer.h"
#include "core/ports.h"

namespace parley {

// Who is calling: the result of authenticating a token.
struct AuthContext {
  UserId user_id;
  DeviceId device_id;
};

struct LoginResult {
  std::string token;
  UserId user_id;
  DeviceId device_id;
};

struct PushTarget {
  DeviceId device_id;
  PushRegistration registration;
};

class Accounts {
 public:
  // `changes`, if set, hears of every device change made here (other
  // processes drop their cached push targets).
  Accounts(AccountStore& store, Credentials& credentials, Clock& clock, const CoreConfig& config,
           EventSink* changes = nullptr);

  Result<UserId> signup(const std::string& email, const std::string& password, const std::string& display_name);
  Result<LoginResult> login(const std::string& email, const std::string& password, const std::string& device_name);
  // The token stops working at once and the device's push registration goes.
  Status logout(const AuthContext& who);
  // Also notes the device's use. A token unused for longer than
  // CoreConfig::token_idle_expiry_ms (when set) no longer works.
  Result<AuthContext> authenticate(const std::string& token);
  // The device is in use (a heartbeat on its WebSocket). Never blocks on the store.
  void note_use(const AuthContext& who);

  // The user's logged-in devices (token valid, not expired), in id order,
  // with last_used_at set to the newest use known here (created_at if none).
  Result<std::vector<Device>> logged_in_devices(const UserId& user);
  // Logs out one of the user's own devices, as logout() does. not_found when
  // it is not a logged-in device of that user (another user's devices alike).
  Status logout_device(const UserId& user, const DeviceId& device);
  // Validated like at signup. Other nodes drop their cached name.
  Status rename(const UserId& user, const std::string& display_name);
  // bad_credentials unless `current` is the user's password; the new one is
  // validated like at signup. With `logout_others`, every other logged-in
  // device of the user is logged out: they are returned, for their
  // connections to be closed.
  Result<std::vector<DeviceId>> change_password(const AuthContext& who, const std::string& current,
                                                const std::string& replacement, bool logout_others);

  // For operators. Each answers the devices it logged out (their
  // connections are to be closed); not_found when there is no such user.
  // Disables (the user cannot log in; every device is logged out) or enables.
  Result<std::vector<DeviceId>> set_disabled(const UserId& user, bool disabled);
  // Sets the password (validated like at signup) and logs out every device.
  Result<std::vector<DeviceId>> reset_password(const UserId& user, const std::string& password);
  // Logs out every device of the user and drops their push registrations.
  Result<std::vector<DeviceId>> logout_everywhere(const UserId& user);
  // Deletes the account from the store (AccountStore::delete_user) and from
  // the caches here and on other nodes. Idempotent. Answers the users who had
  // blocked it (their block lists changed).
  Result<std::vector<UserId>> erase(const UserId& user);

  // Starts and stops the batched writes of device uses (DeviceUseWriter).
  void start() { device_uses_.start(); }
  void stop() { device_uses_.stop(); }
  DeviceUseWriter& device_uses() { return device_uses_; }

  // nullopt: no such user. An error: the store could not answer.
  Result<std::optional<User>> find_user(const UserId& id);
  Result<std::optional<User>> find_user_by_email(const std::string& email);
  // Cached; a rename here or on another node (user_changed_elsewhere) drops
  // it. Empty for an unknown user.
  Result<std::string> display_name(const UserId& id);

  Status set_push(const AuthContext& who, const PushRegistration& registration);
  Status clear_push(const AuthContext& who);
  // The provider said the device's subscription at `url` no longer exists:
  // drops the registration, unless the device registered another meanwhile.
  Status drop_push(const UserId& user, const DeviceId& device, const std::string& url);
  // Devices of the user that registered for push. Cached; hot on the
  // fan-out path for offline recipients.
  Result<std::shared_ptr<const std::vector<PushTarget>>> push_targets(const UserId& user);
  // Another process changed the user's devices or profile: drop what is cached.
  void user_changed_elsewhere(const UserId& user);

 private:
  struct CacheShard {
    std::mutex mutex;
    std::unordered_map<UserId, std::string> display_names;
    std::unordered_map<UserId, std::shared_ptr<const std::vector<PushTarget>>> push_targets;
    std::uint64_t push_generation = 0;  // bumped by every invalidation
  };
  CacheShard& shard(const UserId& id);
  void forget_push_targets(const UserId& id);
  // A device or the profile of the user changed here: forget, and tell other processes.
  void devices_changed(const UserId& id);
  // Clears the device's token and push registration (a logout).
  Status retire_device(Device device);
  // The newest use of the device known here; whether its token is past the idle expiry.
  TimeMs last_use(const Device& device) const;
  bool expired(const Device& device) const;

  AccountStore& store_;
  Credentials& credentials_;
  Clock& clock_;
  const CoreConfig& config_;
  EventSink* changes_;
  std::string dummy_hash_;  // verified against on unknown e-mails so timing reveals nothing
  std::once_flag dummy_hash_once_;
  std::array<CacheShard, 16> shards_;
  DeviceUseWriter device_uses_;
};

}  // namespace parley
