#pragma once
// What every `parley` command is handed: the parsed global options, the
// output sink, the stored login and the server to talk to, plus the one place
// where failures become exit codes (CliError).
//
// Single-threaded: commands run on the main thread; nothing here is shared
// with the client library's WebSocket I/O thread.

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "cli/login_store.h"
#include "cli/output.h"
#include "lib/session.h"

namespace parley::cli {

// Exit codes of `parley` (documented in docs/clients.md).
enum ExitCode : int {
  kExitOk = 0,
  kExitServerError = 1,    // the server refused (its error code is printed) or a chat did not resolve
  kExitUsage = 2,          // bad command line or input
  kExitNotLoggedIn = 3,    // no stored login, or the server rejected its token
  kExitCannotConnect = 4,  // the server could not be reached or the connection failed mid-request
};

// A failure that ends the command: main() prints it on stderr and exits with
// exit_code(). `code` is machine-readable: the server's error code when the
// server gave one, else one of ours ("not_logged_in", "cannot_connect", ...).
class CliError : public std::runtime_error {
 public:
  CliError(int exit_code, std::string code, const std::string& message, int http_status = 0)
      : std::runtime_error(message), exit_code_(exit_code), code_(std::move(code)), http_status_(http_status) {}
  int exit_code() const { return exit_code_; }
  const std::string& code() const { return code_; }
  int http_status() const { return http_status_; }

 private:
  int exit_code_;
  std::string code_;
  int http_status_;
};

// The server's error for a refused REST call, as a CliError (exit 1, or 3
// for `unauthorized`: the stored token is missing, bad or revoked).
CliError api_failure(const client::ApiError& e);
// A transport failure (connect refused, timeout, dropped connection).
CliError connect_failure(const std::string& server_url, const std::string& detail);
CliError not_logged_in(const std::string& why);
CliError usage_error(const std::string& message);

// Where parleyd listens. Only plain http:// (and ws:// on the same port).
struct ServerAddress {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;

  std::string url() const;
  bool operator==(const ServerAddress&) const = default;
  // Accepts "http://HOST[:PORT][/]" and "HOST[:PORT]" (inet::parse_host_port's
  // HOST and PORT; 80 when absent); nullopt otherwise.
  static std::optional<ServerAddress> parse(std::string_view text);
};

inline constexpr std::string_view kDefaultServer = "http://127.0.0.1:8080";

struct GlobalOptions {
  std::string server;  // --server; empty: the stored login's, else kDefaultServer
  bool json = false;   // --json
};

class CommandContext {
 public:
  // Throws CliError (usage) when --server is not a valid URL.
  CommandContext(const GlobalOptions& options, LoginStore store, Output& out);

  Output& out() { return out_; }
  LoginStore& store() { return store_; }
  const ServerAddress& server() const { return server_; }

  // An unauthenticated client of server().
  client::Client client() const { return client::Client(server_.host, server_.port); }
  // The stored login; throws CliError (exit 3) when there is none.
  const StoredLogin& login() const;
  // A REST session of the stored login against server().
  client::Session session() const;

 private:
  Output& out_;
  LoginStore store_;
  std::optional<StoredLogin> login_;
  ServerAddress server_;
};

}  // namespace parley::cli
