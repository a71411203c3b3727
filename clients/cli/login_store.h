#pragma once
// The CLI's state on disk, under $XDG_CONFIG_HOME/parley (default
// ~/.config/parley): the directory is mode 0700 and every file 0600, since
// the token is a bearer credential.
//
//   login.json   {server, token, user_id, device_id, email, display_name}
//   cursor.json  {device_id, cursor}  — where the next `parley watch` resumes
//
// Files are replaced atomically (write a temporary file, then rename), so a
// crash or a second `parley` process never sees half a file. Logging in or out
// removes the cursor: a new login is a new device, and a cursor is per device.
// Used from the main thread only.

#include <filesystem>
#include <optional>
#include <string>

namespace parley::cli {

struct StoredLogin {
  std::string server;  // URL the login was made against
  std::string token;
  std::string user_id;
  std::string device_id;
  std::string email;
  std::string display_name;
};

class LoginStore {
 public:
  // $XDG_CONFIG_HOME/parley when that is an absolute path, else $HOME/.config/parley.
  static std::filesystem::path default_dir();

  explicit LoginStore(std::filesystem::path dir) : dir_(std::move(dir)) {}

  const std::filesystem::path& dir() const { return dir_; }
  std::filesystem::path login_path() const { return dir_ / "login.json"; }
  std::filesystem::path cursor_path() const { return dir_ / "cursor.json"; }

  // nullopt when there is no login file; throws CliError when it is unreadable.
  std::optional<StoredLogin> load() const;
  // Creates the directory (0700) if needed; writes login.json (0600) and
  // removes any cursor of a previous device. Throws CliError on failure.
  void save(const StoredLogin& login) const;
  // Removes login.json and cursor.json (missing files are fine).
  void forget() const;

  // The stored cursor if it belongs to `device_id`.
  std::optional<std::string> load_cursor(const std::string& device_id) const;
  // Not fsynced: losing the newest cursor in a power cut only means a few
  // messages are shown again, never that one is lost.
  void save_cursor(const std::string& device_id, const std::string& cursor) const;

 private:
  void ensure_dir() const;
  void write_file(const std::filesystem::path& path, const std::string& content, bool durable) const;

  std::filesystem::path dir_;
};

}  // namespace parley::cli
