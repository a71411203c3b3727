#pragma once
// The operator's admin token (the credential of /v1/admin/...), kept in a
// file: generated once into --data-dir on a single node (mode 0600, like the
// VAPID key), or read from --admin-token-file, which a cluster gives every
// node. Start-up only: failures throw std::runtime_error naming the file.

#include <filesystem>
#include <functional>
#include <string>

namespace parley {

inline constexpr std::size_t kMinAdminTokenBytes = 32;
inline constexpr std::size_t kMaxAdminTokenBytes = 512;

// The token in `path`: its first line, without surrounding spaces, 32 to 512
// printable ASCII bytes (no spaces). When the file does not exist and
// `make_token` is set, a token it makes is written there first with mode
// 0600 (written whole, then linked into place: a second process sees all
// of it or none).
std::string load_admin_token(const std::filesystem::path& path, const std::function<std::string()>& make_token);

}  // namespace parley
