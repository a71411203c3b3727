#include "cli/cli_context.h"

#include <charconv>

#include <boost/json.hpp>

namespace parley::cli {

namespace json = boost::json;

namespace {

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
  const bool ipv6 = host.find(':') != std::string::npos;
  return "http://" + (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::optional<ServerAddress> ServerAddress::parse(std::string_view text) {
  if (text.starts_with("http://")) {
    text.remove_prefix(7);
  } else if (text.find("://") != std::string_view::npos) {
    return std::nullopt;  // https:// and others are not spoken
  }
  while (text.ends_with('/')) text.remove_suffix(1);
  if (text.empty() || text.find('/') != std::string_view::npos) return std::nullopt;
  ServerAddress out;
  std::string_view port_text;
  if (text.front() == '[') {  // [v6]:port
    const auto close = text.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    out.host = std::string(text.substr(1, close - 1));
    std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return std::nullopt;
      port_text = rest.substr(1);
    }
  } else if (const auto colon = text.rfind(':'); colon != std::string_view::npos) {
    out.host = std::string(text.substr(0, colon));
    port_text = text.substr(colon + 1);
  } else {
    out.host = std::string(text);
    out.port = 80;
  }
  if (out.host.empty()) return std::nullopt;
  if (!port_text.empty() || text.back() == ':') {
    unsigned port = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || port == 0 || port > 65535) {
      return std::nullopt;
    }
    out.port = static_cast<std::uint16_t>(port);
  }
  return out;
}

CommandContext::CommandContext(const GlobalOptions& options, LoginStore store, Output& out)
    : out_(out), store_(std::move(store)), login_(store_.load()) {
  std::string server = options.server;
  if (server.empty()) server = login_ ? login_->server : std::string(kDefaultServer);
  auto parsed = ServerAddress::parse(server);
  if (!parsed) {
    throw usage_error("--server: expected http://HOST[:PORT], got '" + server + "' (https is not supported)");
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
