#include "core/accounts.h"

#include <algorithm>
#include <functional>

#include "core/text.h"

namespace parley {
namespace {

constexpr std::size_t kMinPasswordBytes = 8;
constexpr std::size_t kMaxPasswordBytes = 1024;
constexpr std::size_t kMaxEmailBytes = 254;

Status validate_password(const std::string& password) {
  if (password.size() < kMinPasswordBytes || password.size() > kMaxPasswordBytes) {
    return make_error(ErrorCode::invalid_request, "password must be 8 to 1024 bytes long");
  }
  return Ok{};
}

Status validate_email(const std::string& email) {
  auto at = email.find('@');
  if (email.empty() || email.size() > kMaxEmailBytes || at == std::string::npos || at == 0 || at + 1 == email.size() ||
      email.find_first_of(" \t\r\n") != std::string::npos || !is_valid_utf8(email)) {
    return make_error(ErrorCode::invalid_request, "email must look like name@example.org");
  }
  return Ok{};
}

}  // namespace

Accounts::Accounts(AccountStore& store, Credentials& credentials, Clock& clock, const CoreConfig& config,
                   EventSink* changes)
    : store_(store),
      credentials_(credentials),
      clock_(clock),
      config_(config),
      changes_(changes),
      device_uses_(store, config.device_use_flush_ms) {}

Accounts::CacheShard& Accounts::shard(const UserId& id) {
  return shards_[std::hash<UserId>{}(id) % shards_.size()];
}

Result<UserId> Accounts::signup(const std::string& email_in, const std::string& password,
                                const std::string& display_name) {
  std::string email = ascii_lower(email_in);
  if (auto ok = validate_email(email); !ok) return ok.error();
  if (auto ok = validate_password(password); !ok) return ok.error();
  if (display_name.empty() || display_name.size() > config_.max_name_bytes || !is_valid_utf8(display_name)) {
    return make_error(ErrorCode::invalid_request, "display_name must be 1 to 200 bytes of UTF-8");
  }
  auto existing = store_.find_user_by_email(email);
  if (!existing) return existing.error();
  if (existing->has_value()) return make_error(ErrorCode::email_taken, "that email is already registered");
  User user;
  user.id = credentials_.new_id();
  user.email = email;
  user.display_name = display_name;
  user.password_hash = credentials_.hash_password(password);
  user.created_at = clock_.now_ms();
  if (auto ok = store_.create_user(user); !ok) return ok.error();
  return user.id;
}

Result<LoginResult> Accounts::login(const std::string& email, const std::string& password,
                                    const std::string& device_name) {
  if (device_name.size() > config_.max_name_bytes || !is_valid_utf8(device_name)) {
    return make_error(ErrorCode::invalid_request, "device_name must be at most 200 bytes of UTF-8");
  }
  auto found = store_.find_user_by_email(ascii_lower(email));
  if (!found) return found.error();
  auto& user = *found;
  if (!user) {
    std::call_once(dummy_hash_once_, [&] { dummy_hash_ = credentials_.hash_password("parley-dummy-password"); });
    credentials_.verify_password(dummy_hash_, password);
    return make_error(ErrorCode::bad_credentials, "wrong email or password");
  }
  if (!credentials_.verify_password(user->password_hash, password)) {
    return make_error(ErrorCode::bad_credentials, "wrong email or password");
  }
  // After the password: whether an account is disabled is told only to whoever knows it.
  if (user->disabled) return make_error(ErrorCode::forbidden, "this account is disabled");
  LoginResult result;
  result.token = credentials_.new_token();
  result.user_id = user->id;
  Device device;
  device.id = credentials_.new_id();
  device.user_id = user->id;
  device.name = device_name.empty() ? "device" : device_name;
  device.token_digest = credentials_.digest_token(result.token);
  device.created_at = clock_.now_ms();
  if (auto ok = store_.put_device(device); !ok) return ok.error();
  // An operator may have disabled or deleted the account while the password
  // was being checked, and logged out the devices it found: read it again
  // after the device is stored, so that this one cannot have been missed.
  auto again = store_.find_user(user->id);
  if (!again) return again.error();
  if (!*again || (*again)->disabled) {
    if (auto ok = retire_device(std::move(device)); !ok) return ok.error();
    if (!*again) return make_error(ErrorCode::bad_credentials, "wrong email or password");
    return make_error(ErrorCode::forbidden, "this account is disabled");
  }
  result.device_id = device.id;
  return result;
}

Result<std::vector<DeviceId>> Accounts::logout_everywhere(const UserId& user) {
  auto devices = store_.devices_of_user(user);
  if (!devices) return devices.error();
  std::vector<DeviceId> logged_out;
  for (auto& device : *devices) {
    if (device.token_digest.empty() && !device.push) continue;
    DeviceId id = device.id;
    if (auto ok = retire_device(std::move(device)); !ok) return ok.error();
    logged_out.push_back(std::move(id));
  }
  return logged_out;
}

Result<std::vector<DeviceId>> Accounts::set_disabled(const UserId& user, bool disabled) {
  if (auto ok = store_.update_user(user, UserUpdate{.disabled = disabled}); !ok) return ok.error();
  // Stored first, then the devices: a login racing with this sees the flag
  // once its device is stored (login() reads the user again), or its device
  // is among those logged out here.
  if (!disabled) return std::vector<DeviceId>{};
  return logout_everywhere(user);
}

Result<std::vector<DeviceId>> Accounts::reset_password(const UserId& user, const std::string& password) {
  if (auto ok = validate_password(password); !ok) return ok.error();
  if (auto ok = store_.update_user(user, UserUpdate{.password_hash = credentials_.hash_password(password)}); !ok) {
    return ok.error();
  }
  return logout_everywhere(user);
}

Result<std::vector<UserId>> Accounts::erase(const UserId& user) {
  auto blockers = store_.delete_user(user);
  if (!blockers) return blockers.error();
  {
    auto& s = shard(user);
    std::lock_guard lock(s.mutex);
    s.display_names.erase(user);
  }
  devices_changed(user);
  // Their block lists changed: other processes drop what they cached of them.
  if (changes_) {
    for (const UserId& blocker : *blockers) changes_->user_changed(blocker);
  }
  return blockers;
}

Status Accounts::logout(const AuthContext& who) {
  auto found = store_.find_device(who.device_id);
  if (!found) return found.error();
  auto& device = *found;
  if (!device || device->user_id != who.user_id) return make_error(ErrorCode::unauthorized, "unknown device");
  return retire_device(std::move(*device));
}

Status Accounts::retire_device(Device device) {
  device.token_digest.clear();
  device.push.reset();
  if (auto ok = store_.put_device(device); !ok) return ok;
  devices_changed(device.user_id);
  return Ok{};
}

TimeMs Accounts::last_use(const Device& device) const {
  TimeMs last = std::max(device.created_at, device.last_used_at);
  if (auto pending = device_uses_.pending(device.id)) last = std::max(last, *pending);
  return last;
}

bool Accounts::expired(const Device& device) const {
  return config_.token_idle_expiry_ms > 0 && clock_.now_ms() - last_use(device) > config_.token_idle_expiry_ms;
}

Result<AuthContext> Accounts::authenticate(const std::string& token) {
  if (token.empty() || token.size() > 256) return make_error(ErrorCode::unauthorized, "missing or invalid token");
  auto found = store_.find_device_by_token(credentials_.digest_token(token));
  if (!found) return found.error();
  const auto& device = *found;
  if (!device || device->token_digest.empty()) return make_error(ErrorCode::unauthorized, "missing or invalid token");
  if (expired(*device)) return make_error(ErrorCode::unauthorized, "token expired: log in again");
  device_uses_.note(device->id, clock_.now_ms());
  return AuthContext{device->user_id, device->id};
}

void Accounts::note_use(const AuthContext& who) {
  device_uses_.note(who.device_id, clock_.now_ms());
}

Result<std::vector<Device>> Accounts::logged_in_devices(const UserId& user) {
  auto devices = store_.devices_of_user(user);
  if (!devices) return devices.error();
  std::vector<Device> out;
  for (auto& device : *devices) {
    if (device.token_digest.empty() || expired(device)) continue;
    device.last_used_at = last_use(device);
    out.push_back(std::move(device));
  }
  return out;
}

Status Accounts::logout_device(const UserId& user, const DeviceId& device_id) {
  auto found = store_.find_device(device_id);
  if (!found) return found.error();
  auto& device = *found;
  // Another user's device is as unknown as one that does not exist.
  if (!device || device->user_id != user || device->token_digest.empty() || expired(*device)) {
    return make_error(ErrorCode::not_found, "no such logged-in device");
  }
  return retire_device(std::move(*device));
}

Status Accounts::rename(const UserId& user, const std::string& display_name) {
  if (display_name.empty() || display_name.size() > config_.max_name_bytes || !is_valid_utf8(display_name)) {
    return make_error(ErrorCode::invalid_request, "display_name must be 1 to 200 bytes of UTF-8");
  }
  if (auto ok = store_.update_user(user, UserUpdate{display_name, std::nullopt, std::nullopt}); !ok) return ok;
  {
    auto& s = shard(user);
    std::lock_guard lock(s.mutex);
    s.display_names[user] = display_name;
  }
  if (changes_) changes_->user_changed(user);
  return Ok{};
}

Result<std::vector<DeviceId>> Accounts::change_password(const AuthContext& who, const std::string& current,
                                                        const std::string& replacement, bool logout_others) {
  if (auto ok = validate_password(replacement); !ok) return ok.error();
  auto user = store_.find_user(who.user_id);
  if (!user) return user.error();
  if (!*user) return make_error(ErrorCode::unauthorized, "account no longer exists");
  if (!credentials_.verify_password((*user)->password_hash, current)) {
    return make_error(ErrorCode::bad_credentials, "wrong current password");
  }
  if (auto ok = store_.update_user(who.user_id,
                                   UserUpdate{std::nullopt, credentials_.hash_password(replacement), std::nullopt});
      !ok) {
    return ok.error();
  }
  std::vector<DeviceId> logged_out;
  if (!logout_others) return logged_out;
  auto devices = store_.devices_of_user(who.user_id);
  if (!devices) return devices.error();
  for (auto& device : *devices) {
    if (device.id == who.device_id || device.token_digest.empty()) continue;
    DeviceId id = device.id;
    if (auto ok = retire_device(std::move(device)); !ok) return ok.error();
    logged_out.push_back(std::move(id));
  }
  return logged_out;
}

Result<std::optional<User>> Accounts::find_user(const UserId& id) {
  if (id.empty()) return std::nullopt;
  return store_.find_user(id);
}

Result<std::optional<User>> Accounts::find_user_by_email(const std::string& email) {
  return store_.find_user_by_email(ascii_lower(email));
}

Result<std::string> Accounts::display_name(const UserId& id) {
  auto& s = shard(id);
  {
    std::lock_guard lock(s.mutex);
    if (auto it = s.display_names.find(id); it != s.display_names.end()) return it->second;
  }
  auto user = store_.find_user(id);
  if (!user) return user.error();
  if (!user->has_value()) return std::string();
  std::lock_guard lock(s.mutex);
  s.display_names.emplace(id, (*user)->display_name);
  return (*user)->display_name;
}

Status Accounts::set_push(const AuthContext& who, const PushRegistration& registration) {
  auto found = store_.find_device(who.device_id);
  if (!found) return found.error();
  auto& device = *found;
  if (!device || device->user_id != who.user_id) return make_error(ErrorCode::unauthorized, "unknown device");
  device->push = registration;
  if (auto ok = store_.put_device(*device); !ok) return ok;
  devices_changed(who.user_id);
  return Ok{};
}

Status Accounts::clear_push(const AuthContext& who) {
  auto found = store_.find_device(who.device_id);
  if (!found) return found.error();
  auto& device = *found;
  if (!device || device->user_id != who.user_id) return make_error(ErrorCode::unauthorized, "unknown device");
  device->push.reset();
  if (auto ok = store_.put_device(*device); !ok) return ok;
  devices_changed(who.user_id);
  return Ok{};
}

Status Accounts::drop_push(const UserId& user, const DeviceId& device_id, const std::string& url) {
  auto found = store_.find_device(device_id);
  if (!found) return found.error();
  auto& device = *found;
  if (!device || device->user_id != user || !device->push || device->push->url != url) return Ok{};
  device->push.reset();
  if (auto ok = store_.put_device(*device); !ok) return ok;
  devices_changed(user);
  return Ok{};
}

Result<std::shared_ptr<const std::vector<PushTarget>>> Accounts::push_targets(const UserId& user) {
  auto& s = shard(user);
  std::uint64_t generation;
  {
    std::lock_guard lock(s.mutex);
    if (auto it = s.push_targets.find(user); it != s.push_targets.end()) return it->second;
    generation = s.push_generation;
  }
  auto devices = store_.devices_of_user(user);
  if (!devices) return devices.error();
  auto targets = std::make_shared<std::vector<PushTarget>>();
  for (auto& device : *devices) {
    if (device.push && !device.token_digest.empty()) targets->push_back({device.id, *device.push});
  }
  std::lock_guard lock(s.mutex);
  // Cache only if no registration changed while we read the store.
  if (s.push_generation == generation) s.push_targets[user] = targets;
  return std::shared_ptr<const std::vector<PushTarget>>(std::move(targets));
}

void Accounts::user_changed_elsewhere(const UserId& user) {
  forget_push_targets(user);
  auto& s = shard(user);
  std::lock_guard lock(s.mutex);
  s.display_names.erase(user);
}

void Accounts::devices_changed(const UserId& id) {
  forget_push_targets(id);
  if (changes_) changes_->user_changed(id);
}

void Accounts::forget_push_targets(const UserId& id) {
  auto& s = shard(id);
  std::lock_guard lock(s.mutex);
  s.push_targets.erase(id);
  ++s.push_generation;
}

}  // namespace parley
