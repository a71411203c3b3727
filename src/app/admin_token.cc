#include "app/admin_token.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace parley {
namespace {

bool printable_token(const std::string& token) {
  if (token.size() < kMinAdminTokenBytes || token.size() > kMaxAdminTokenBytes) return false;
  for (char c : token) {
    if (c <= ' ' || c > '~') return false;
  }
  return true;
}

void write_new(const std::filesystem::path& path, const std::string& token) {
  const std::filesystem::path temp = path.string() + ".tmp" + std::to_string(::getpid());
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) throw std::runtime_error("admin token " + temp.string() + ": cannot create");
  const std::string line = token + "\n";
  const bool written = ::fchmod(fd, 0600) == 0 &&
                       ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) && ::fsync(fd) == 0;
  ::close(fd);
  // link() fails if another process wrote the file meanwhile: theirs wins.
  if (!written || (::link(temp.c_str(), path.c_str()) != 0 && errno != EEXIST)) {
    ::unlink(temp.c_str());
    throw std::runtime_error("admin token " + path.string() + ": cannot write");
  }
  ::unlink(temp.c_str());
}

}  // namespace

std::string load_admin_token(const std::filesystem::path& path, const std::function<std::string()>& make_token) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    if (!make_token) throw std::runtime_error("admin token " + path.string() + ": no such file");
    write_new(path, make_token());
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("admin token " + path.string() + ": cannot read");
  std::stringstream content;
  content << in.rdbuf();
  std::string text = content.str();
  text = text.substr(0, text.find('\n'));
  const auto first = text.find_first_not_of(" \t\r");
  const auto last = text.find_last_not_of(" \t\r");
  std::string token = first == std::string::npos ? std::string() : text.substr(first, last - first + 1);
  if (!printable_token(token)) {
    throw std::runtime_error("admin token " + path.string() + ": the first line must be 32 to 512 printable bytes");
  }
  return token;
}

}  // namespace parley
