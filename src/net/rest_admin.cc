// The admin API of RestApi (/v1/admin/...): for the operator's token only,
// never a user's. Registered only when the server has an admin token, so
// without one every admin path is 404 like any unknown path.

#include <boost/json.hpp>

#include "core/text.h"
#include "net/rest_api.h"
#include "net/rest_replies.h"
#include "protocol/admin_views.h"

namespace parley {
namespace http = boost::beast::http;
namespace json = boost::json;
using Response = RestApi::Response;
using Request = RestApi::Request;

namespace {

constexpr std::size_t kMaxAdminTokenBytes = 1024;
constexpr std::size_t kDefaultUserPage = 100;
constexpr std::size_t kMaxUserPage = 1000;
constexpr std::size_t kMaxEmailBytes = 254;
constexpr std::size_t kDefaultScanBudget = 1000;
constexpr std::size_t kMaxScanBudget = 10000;

// Equal without telling, by its timing, how much of a guess was right: every
// byte of the expected token is compared whatever the presented one holds.
bool same_secret(std::string_view expected, std::string_view presented) {
  unsigned char diff = expected.size() == presented.size() ? 0 : 1;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const char p = presented.empty() ? '\0' : presented[i % presented.size()];
    diff |= static_cast<unsigned char>(expected[i] ^ p);
  }
  return diff == 0;
}

json::array device_ids(const std::vector<DeviceId>& ids) {
  json::array out;
  for (const DeviceId& id : ids) out.emplace_back(id);
  return out;
}

// An optional query parameter of text: at most `max` bytes of UTF-8.
Result<std::string> text_param(const protocol::QueryParams& query, std::string_view name, std::size_t max) {
  auto value = query.get(name);
  if (!value) return value.error();
  if (!*value) return std::string();
  if ((*value)->size() > max || !is_valid_utf8(**value)) {
    // Appended, not chained with +: GCC 12 warns falsely (array-bounds) on the chain.
    std::string message(name);
    message.append(" must be at most ").append(std::to_string(max)).append(" bytes of UTF-8");
    return make_error(ErrorCode::invalid_request, std::move(message));
  }
  return std::move(**value);
}

Result<std::size_t> limit_param(const protocol::QueryParams& query, std::size_t fallback, std::size_t max) {
  auto limit = query.uint("limit", max);
  if (!limit) return limit.error();
  if (*limit && **limit == 0) return make_error(ErrorCode::invalid_request, "limit must be at least 1");
  return static_cast<std::size_t>(limit->value_or(fallback));
}

}  // namespace

void RestApi::add_admin_routes() {
  auto admin = [](Handler run) { return Endpoint{false, run, nullptr, true}; };
  add("GET", "/v1/admin/stats", admin(&RestApi::admin_stats));
  add("GET", "/v1/admin/users", admin(&RestApi::admin_users));
  add("GET", "/v1/admin/users/{user}", admin(&RestApi::admin_user));
  add("DELETE", "/v1/admin/users/{user}", admin(&RestApi::admin_delete));
  add("POST", "/v1/admin/users/{user}/disable", admin(&RestApi::admin_disable));
  add("POST", "/v1/admin/users/{user}/enable", admin(&RestApi::admin_enable));
  add("POST", "/v1/admin/users/{user}/password", admin(&RestApi::admin_password));
  add("GET", "/v1/admin/users/{user}/export", admin(&RestApi::admin_export));
  add("GET", "/v1/admin/users/{user}/messages", admin(&RestApi::admin_messages));
}

// The token is never logged or echoed; every refusal reads the same.
Status RestApi::check_admin_token(const Request& req) const {
  const Error refused = make_error(ErrorCode::unauthorized, "this needs the server's admin token");
  auto it = req.find(http::field::authorization);
  if (it == req.end()) return refused;
  std::string_view value = it->value();
  constexpr std::string_view kPrefix = "Bearer ";
  if (value.size() > kPrefix.size() + kMaxAdminTokenBytes || !value.starts_with(kPrefix)) return refused;
  if (!same_secret(ctx_.config.admin_token, value.substr(kPrefix.size()))) return refused;
  return Ok{};
}

Result<User> RestApi::admin_subject(const Call& call) {
  return ctx_.core.admin.resolve(call.path["user"]);
}

Response RestApi::admin_users(const Call& call) {
  auto limit = limit_param(call.query, kDefaultUserPage, kMaxUserPage);
  if (!limit) return rest::error_reply(call.req, limit.error());
  auto after = text_param(call.query, "after", kMaxEmailBytes);
  if (!after) return rest::error_reply(call.req, after.error());
  auto prefix = text_param(call.query, "query", kMaxEmailBytes);
  if (!prefix) return rest::error_reply(call.req, prefix.error());
  auto page = ctx_.core.admin.list_users(*prefix, *after, *limit);
  if (!page) return rest::error_reply(call.req, page.error());
  json::array users;
  for (const UserSummary& summary : page->users) users.push_back(protocol::admin_user_object(summary));
  return rest::json_reply(
      call.req, http::status::ok,
      {{"users", std::move(users)}, {"next", page->next.empty() ? json::value(nullptr) : json::value(page->next)}});
}

Response RestApi::admin_user(const Call& call) {
  auto user = admin_subject(call);
  if (!user) return rest::error_reply(call.req, user.error());
  auto summary = ctx_.core.admin.summary(std::move(*user));
  if (!summary) return rest::error_reply(call.req, summary.error());
  return rest::json_reply(call.req, http::status::ok, protocol::admin_user_object(*summary));
}

Response RestApi::admin_disable(const Call& call) {
  auto user = admin_subject(call);
  if (!user) return rest::error_reply(call.req, user.error());
  auto logged_out = ctx_.core.accounts.set_disabled(user->id, true);
  if (!logged_out) return rest::error_reply(call.req, logged_out.error());
  for (const DeviceId& device : *logged_out) cut_off(user->id, device);
  return rest::json_reply(
      call.req, http::status::ok,
      {{"user_id", user->id}, {"disabled", true}, {"logged_out_device_ids", device_ids(*logged_out)}});
}

Response RestApi::admin_enable(const Call& call) {
  auto user = admin_subject(call);
  if (!user) return rest::error_reply(call.req, user.error());
  auto done = ctx_.core.accounts.set_disabled(user->id, false);
  if (!done) return rest::error_reply(call.req, done.error());
  return rest::json_reply(call.req, http::status::ok,
                          {{"user_id", user->id}, {"disabled", false}, {"logged_out_device_ids", json::array()}});
}

Response RestApi::admin_password(const Call& call) {
  auto body = protocol::parse_password_reset_body(call.req.body());
  if (!body) return rest::error_reply(call.req, body.error());
  auto user = admin_subject(call);
  if (!user) return rest::error_reply(call.req, user.error());
  auto reset = ctx_.core.admin.reset_password(user->id, body->password);
  if (!reset) return rest::error_reply(call.req, reset.error());
  for (const DeviceId& device : reset->logged_out) cut_off(user->id, device);
  json::object out{{"user_id", user->id}, {"logged_out_device_ids", device_ids(reset->logged_out)}};
  if (reset->generated) out.emplace("password", *reset->generated);
  return rest::json_reply(call.req, http::status::ok, out);
}

Response RestApi::admin_stats(const Call& call) {
  auto counts = ctx_.core.admin.counts();
  if (!counts) return rest::error_reply(call.req, counts.error());
  Result<LogPosition> head = ctx_.config.committed_head ? ctx_.config.committed_head()
                                                        : Result<LogPosition>(ctx_.core.pipeline.committed_position());
  if (!head) return rest::error_reply(call.req, head.error());
  std::uint64_t entries = 0;
  for (LogOffset offset : head->offsets()) entries += offset;
  const auto uptime = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started_);
  json::object out{{"users", counts->users},
                   {"chats", counts->chats},
                   {"messages", entries},
                   {"connections", ctx_.bus.connection_count()},
                   {"uptime_seconds", uptime.count()},
                   {"version", ctx_.config.version}};
  if (!ctx_.config.node_id.empty()) out.emplace("node_id", ctx_.config.node_id);
  return rest::json_reply(call.req, http::status::ok, out);
}

Response RestApi::admin_export(const Call& call) {
  auto user = admin_subject(call);
  if (!user) return rest::error_reply(call.req, user.error());
  auto account = ctx_.core.admin.export_account(user->id);
  if (!account) return rest::error_reply(call.req, account.error());
  return rest::json_reply(call.req, http::status::ok, protocol::account_export_object(*account));
}

Response RestApi::admin_messages(const Call& call) {
  auto budget = limit_param(call.query, kDefaultScanBudget, kMaxScanBudget);
  if (!budget) return rest::error_reply(call.req, budget.error());
  auto after = call.query.get("after");
  if (!after) return rest::error_reply(call.req, after.error());
  SentCursor from;
  if (*after) {
    auto cursor = protocol::parse_sent_cursor(**after);
    if (!cursor) return rest::error_reply(call.req, cursor.error());
    from = std::move(*cursor);
  }
  auto user = admin_subject(call);
  if (!user) return rest::error_reply(call.req, user.error());
  auto page = ctx_.core.admin.sent_messages(user->id, from, *budget);
  if (!page) return rest::error_reply(call.req, page.error());
  json::array messages;
  for (const Message& m : page->messages) messages.push_back(protocol::sent_message_object(m));
  return rest::json_reply(
      call.req, http::status::ok,
      {{"messages", std::move(messages)},
       {"next", page->next ? json::value(protocol::encode_sent_cursor(*page->next)) : json::value(nullptr)}});
}

Response RestApi::admin_delete(const Call& call) {
  auto user = admin_subject(call);
  if (!user) return rest::error_reply(call.req, user.error());
  // Cut off first: a connection still open could send while its messages are erased.
  auto logged_out = ctx_.core.accounts.set_disabled(user->id, true);
  if (!logged_out) return rest::error_reply(call.req, logged_out.error());
  for (const DeviceId& device : *logged_out) cut_off(user->id, device);
  auto report = ctx_.core.admin.erase(user->id);
  if (!report) return rest::error_reply(call.req, report.error());
  for (const DeviceId& device : report->logged_out) cut_off(user->id, device);
  report->logged_out.insert(report->logged_out.begin(), logged_out->begin(), logged_out->end());
  return rest::json_reply(call.req, http::status::ok,
                          {{"user_id", user->id},
                           {"messages_erased", report->messages_erased},
                           {"groups_left", report->groups_left},
                           {"logged_out_device_ids", device_ids(report->logged_out)}});
}

}  // namespace parley
