#pragma once
// Accounts: sign-up, login (one device per login), bearer-token
// authentication, logout and push registrations.
// Thread-safe. signup() and login() hash passwords and are slow on purpose:
// callers run them off the I/O threads.

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/config.h"
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
  Result<AuthContext> authenticate(const std::string& token);

  // nullopt: no such user. An error: the store could not answer.
  Result<std::optional<User>> find_user(const UserId& id);
  Result<std::optional<User>> find_user_by_email(const std::string& email);
  // Cached: display names never change once signed up. Empty for an unknown user.
  Result<std::string> display_name(const UserId& id);

  Status set_push(const AuthContext& who, const PushRegistration& registration);
  Status clear_push(const AuthContext& who);
  // Devices of the user that registered for push. Cached; hot on the
  // fan-out path for offline recipients.
  Result<std::shared_ptr<const std::vector<PushTarget>>> push_targets(const UserId& user);
  // Another process changed the user's devices: drop what is cached.
  void devices_changed_elsewhere(const UserId& user) { forget_push_targets(user); }

 private:
  struct CacheShard {
    std::mutex mutex;
    std::unordered_map<UserId, std::string> display_names;
    std::unordered_map<UserId, std::shared_ptr<const std::vector<PushTarget>>> push_targets;
    std::uint64_t push_generation = 0;  // bumped by every invalidation
  };
  CacheShard& shard(const UserId& id);
  void forget_push_targets(const UserId& id);
  // A device of the user changed here: forget, and tell other processes.
  void devices_changed(const UserId& id);

  AccountStore& store_;
  Credentials& credentials_;
  Clock& clock_;
  const CoreConfig& config_;
  EventSink* changes_;
  std::string dummy_hash_;  // verified against on unknown e-mails so timing reveals nothing
  std::once_flag dummy_hash_once_;
  std::array<CacheShard, 16> shards_;
};

}  // namespace parley
