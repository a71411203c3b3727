#include "cli/login_store.h"

#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include <boost/json.hpp>

#include "cli/cli_context.h"

namespace parley::cli {

namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

std::string errno_text() {
  return std::strerror(errno);
}

CliError store_failure(const fs::path& path, const std::string& what) {
  return CliError(kExitServerError, "config_error", path.string() + ": " + what);
}

std::optional<json::object> read_json_file(const fs::path& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::stringstream buf;
  buf << in.rdbuf();
  json::error_code ec;
  json::value v = json::parse(buf.str(), ec);
  if (ec || !v.is_object()) throw store_failure(path, "not a JSON object; remove it and log in again");
  return std::move(v.as_object());
}

std::string field(const json::object& o, const char* key) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
}

}  // namespace

fs::path LoginStore::default_dir() {
  if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg != nullptr && xdg[0] == '/') {
    return fs::path(xdg) / "parley";
  }
  const char* home = std::getenv("HOME");
  if (home == nullptr || home[0] == '\0') {
    if (const passwd* pw = ::getpwuid(::getuid()); pw != nullptr) home = pw->pw_dir;
  }
  if (home == nullptr) throw store_failure("~/.config/parley", "neither XDG_CONFIG_HOME nor HOME is set");
  return fs::path(home) / ".config" / "parley";
}

std::optional<StoredLogin> LoginStore::load() const {
  auto o = read_json_file(login_path());
  if (!o) return std::nullopt;
  StoredLogin l{field(*o, "server"),    field(*o, "token"), field(*o, "user_id"),
                field(*o, "device_id"), field(*o, "email"), field(*o, "display_name")};
  if (l.token.empty() || l.user_id.empty()) {
    throw store_failure(login_path(), "has no token; remove it and log in again");
  }
  return l;
}

void LoginStore::save(const StoredLogin& l) const {
  ensure_dir();
  json::object o{{"server", l.server},       {"token", l.token}, {"user_id", l.user_id},
                 {"device_id", l.device_id}, {"email", l.email}, {"display_name", l.display_name}};
  write_file(login_path(), json::serialize(o) + "\n", /*durable=*/true);
  std::error_code ignored;
  fs::remove(cursor_path(), ignored);
}

void LoginStore::forget() const {
  std::error_code ignored;
  fs::remove(cursor_path(), ignored);
  fs::remove(login_path(), ignored);
}

std::optional<std::string> LoginStore::load_cursor(const std::string& device_id) const {
  std::optional<json::object> o;
  try {
    o = read_json_file(cursor_path());
  } catch (const CliError&) {
    return std::nullopt;  // a damaged cursor only costs the backlog
  }
  if (!o || field(*o, "device_id") != device_id) return std::nullopt;
  std::string cursor = field(*o, "cursor");
  if (cursor.empty()) return std::nullopt;
  return cursor;
}

void LoginStore::save_cursor(const std::string& device_id, const std::string& cursor) const {
  ensure_dir();
  write_file(cursor_path(), json::serialize(json::object{{"device_id", device_id}, {"cursor", cursor}}) + "\n",
             /*durable=*/false);
}

void LoginStore::ensure_dir() const {
  std::error_code ec;
  fs::create_directories(dir_.parent_path(), ec);
  if (::mkdir(dir_.c_str(), 0700) != 0 && errno != EEXIST) throw store_failure(dir_, errno_text());
  // Tighten a directory made by someone else (or an older umask).
  if (::chmod(dir_.c_str(), 0700) != 0) throw store_failure(dir_, errno_text());
}

void LoginStore::write_file(const fs::path& path, const std::string& content, bool durable) const {
  const fs::path tmp = path.string() + ".tmp." + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) throw store_failure(tmp, errno_text());
  bool ok = ::fchmod(fd, 0600) == 0;
  for (std::size_t done = 0; ok && done < content.size();) {
    ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) done += static_cast<std::size_t>(n);
  }
  if (ok && durable) ok = ::fsync(fd) == 0;
  const std::string error = ok ? "" : errno_text();
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = ok ? errno_text() : error;
    ::unlink(tmp.c_str());
    throw store_failure(path, why);
  }
}

}  // namespace parley::cli
