#include "cli/cli_context.h"

#include <boost/json.hpp>

#include "inet/host_port.h"

namespace parley::cli {

namespace json = boost::json;

namespace {

constexpr std::uint16_t kHttpPort = 80;  // http://HOST without a port

// `error.message` of a Parley error body, or "" when there is none.
std::string server_message(const client::HttpResponse& r) {
  if (!r.json.is_object()) return {};
  const auto* err = r.json.as_object().if_contains("error");
  if (err == nullptr || !err->is_object()) return {};
  return client::str_field(err->as_object(), "message");
}

}  // namespace

CliError api_failure(const client::ApiError& e) {
  const auto& r = e.response();
  std::string code = e.code().empty() ? "http_" + std::to_string(r.status) : e.code();
  std::string message = server_message(r);
  if (message.empty()) message = "the server answered HTTP " + std::to_string(r.status);
  if (code == "unauthorized") {
    return CliError(kExitNotLoggedIn, code, message + " (the stored login is no longer valid; run `parley login`)",
                    r.status);
  }
  return CliError(kExitServerError, code, message, r.status);
}

CliError connect_failure(const std::string& server_url, const std::string& detail) {
  return CliError(kExitCannotConnect, "cannot_connect", "cannot connect to " + server_url + ": " + detail);
}

CliError not_logged_in(const std::string& why) {
  return CliError(kExitNotLoggedIn, "not_logged_in", why);
}

CliError usage_error(const std::string& message) {
  return CliError(kExitUsage, "usage", message);
}

std::string ServerAddress::url() const {
  return "http://" + inet::format_host_port(host, port);
}

std::optional<ServerAddress> ServerAddress::parse(std::string_view text) {
  if (text.starts_with("http://")) {
    text.remove_prefix(7);
  } else if (text.find("://") != std::string_view::npos) {
    return std::nullopt;  // https:// and others are not spoken
  }
  while (text.ends_with('/')) text.remove_suffix(1);
  auto parsed = inet::parse_host_port(text, inet::PortZero::refused, kHttpPort);
  if (!parsed.address) return std::nullopt;
  return ServerAddress{std::move(parsed.address->host), parsed.address->port};
}

CommandContext::CommandContext(const GlobalOptions& options, LoginStore store, Output& out)
    : out_(out), store_(std::move(store)), login_(store_.load()) {
  std::string server = options.server;
  if (server.empty()) server = login_ ? login_->server : std::string(kDefaultServer);
  auto parsed = ServerAddress::parse(server);
  if (!parsed) {
    throw usage_error("--server: expected http://HOST[:PORT], got " + inet::quoted_for_error(server) +
                      " (https is not supported)");
  }
  server_ = *parsed;
}

const StoredLogin& CommandContext::login() const {
  if (!login_) {
    throw not_logged_in("not logged in: run `parley login EMAIL` first (looked in " + store_.dir().string() + ")");
  }
  return *login_;
}

client::Session CommandContext::session() const {
  const StoredLogin& l = login();
  return client::Session(server_.host, server_.port, client::LoginResult{l.token, l.user_id, l.device_id});
}

}  // namespace parley::cli
