// The /v1/chats endpoints of RestApi.

#include <algorithm>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include "net/rest_api.h"
#include "net/rest_replies.h"
#include "protocol/views.h"

namespace parley {
namespace asio = boost::asio;
namespace http = boost::beast::http;
namespace json = boost::json;
using Response = RestApi::Response;

namespace {

// Without `limit` (older clients), one page this big: whole for almost every
// account, bounded for the rest.
constexpr std::size_t kDefaultChatPage = 200;
constexpr std::size_t kMaxChatPage = 1000;

Response chat_reply(const RestApi::Request& req, http::status status, const Result<ChatView>& view) {
  if (!view) return rest::error_reply(req, view.error());
  return rest::json_reply(req, status, protocol::chat_object(*view));
}

}  // namespace

// Pages in chat id order: stable while chats get messages, so paging never
// repeats or skips one; clients sort by activity themselves.
Response RestApi::list_chats(const Call& call) {
  auto page = protocol::parse_page_params(call.query, kDefaultChatPage, kMaxChatPage);
  if (!page) return rest::error_reply(call.req, page.error());
  const UserId& me = call.who->user_id;
  // The chats the user is in, and the groups that ended for them.
  auto found = ctx_.core.chats.listed_chats_of(me);
  if (!found) return rest::error_reply(call.req, found.error());
  auto& chats = *found;
  auto it = chats.begin();
  if (page->after) {
    it = std::upper_bound(chats.begin(), chats.end(), *page->after,
                          [](const std::string& after, const ChatPtr& c) { return after < c->id; });
  }
  json::array out;
  auto end = it + static_cast<std::ptrdiff_t>(std::min(page->limit, static_cast<std::size_t>(chats.end() - it)));
  out.reserve(static_cast<std::size_t>(end - it));
  for (auto c = it; c != end; ++c) {
    auto view = ctx_.core.chats.view(**c, &me);
    if (!view) return rest::error_reply(call.req, view.error());
    out.push_back(protocol::chat_object(*view));
  }
  json::value next = end != chats.end() ? json::value((*(end - 1))->id) : json::value(nullptr);
  return rest::json_reply(call.req, http::status::ok, {{"chats", std::move(out)}, {"next", std::move(next)}});
}

Response RestApi::create_chat(const Call& call) {
  auto body = protocol::parse_create_chat_body(call.req.body());
  if (!body) return rest::error_reply(call.req, body.error());
  auto& chats = ctx_.core.chats;
  const UserId& me = call.who->user_id;
  if (auto* direct = std::get_if<protocol::DirectChatBody>(&*body)) {
    auto opened = chats.open_direct(me, direct->peer_id);
    if (!opened) return rest::error_reply(call.req, opened.error());
    return chat_reply(call.req, opened->created ? http::status::created : http::status::ok,
                      chats.view(*opened->chat, &me));
  }
  auto& group = std::get<protocol::GroupChatBody>(*body);
  auto chat = chats.create_group(me, group.name, group.member_ids);
  if (!chat) return rest::error_reply(call.req, chat.error());
  return chat_reply(call.req, http::status::created, chats.view(**chat, &me));
}

Response RestApi::get_chat(const Call& call) {
  // A former member gets the chat as it ended for them.
  auto readable = ctx_.core.chats.find_for_reader(call.who->user_id, call.path["chat_id"]);
  if (!readable) return rest::error_reply(call.req, readable.error());
  return chat_reply(call.req, http::status::ok, ctx_.core.chats.view(*readable->chat, &call.who->user_id));
}

Response RestApi::forget_chat(const Call& call) {
  if (auto ok = ctx_.core.chats.forget(call.who->user_id, call.path["chat_id"]); !ok) {
    return rest::error_reply(call.req, ok.error());
  }
  return rest::no_content(call.req);
}

Response RestApi::add_member(const Call& call) {
  auto body = protocol::parse_add_member_body(call.req.body());
  if (!body) return rest::error_reply(call.req, body.error());
  auto chat = ctx_.core.chats.add_member(call.who->user_id, call.path["chat_id"], body->user_id);
  if (!chat) return rest::error_reply(call.req, chat.error());
  return chat_reply(call.req, http::status::ok, ctx_.core.chats.view(**chat, &call.who->user_id));
}

Response RestApi::remove_member(const Call& call) {
  auto chat = ctx_.core.chats.remove_member(call.who->user_id, call.path["chat_id"], call.path["user_id"]);
  if (!chat) return rest::error_reply(call.req, chat.error());
  return rest::no_content(call.req);
}

Response RestApi::update_chat(const Call& call) {
  auto body = protocol::parse_chat_update_body(call.req.body());
  if (!body) return rest::error_reply(call.req, body.error());
  auto chat = ctx_.core.chats.rename_group(call.who->user_id, call.path["chat_id"], body->name);
  if (!chat) return rest::error_reply(call.req, chat.error());
  return chat_reply(call.req, http::status::ok, ctx_.core.chats.view(**chat, &call.who->user_id));
}

Response RestApi::update_member(const Call& call) {
  auto body = protocol::parse_member_update_body(call.req.body());
  if (!body) return rest::error_reply(call.req, body.error());
  auto chat = ctx_.core.chats.set_role(call.who->user_id, call.path["chat_id"], call.path["user_id"], body->role);
  if (!chat) return rest::error_reply(call.req, chat.error());
  return chat_reply(call.req, http::status::ok, ctx_.core.chats.view(**chat, &call.who->user_id));
}

Response RestApi::mute_chat(const Call& call) {
  auto body = protocol::parse_mute_body(call.req.body());
  if (!body) return rest::error_reply(call.req, body.error());
  if (body->until && *body->until > static_cast<std::uint64_t>(kMutedForever)) {
    return rest::error_reply(call.req, make_error(ErrorCode::invalid_request, "until is past the year 9999"));
  }
  const TimeMs until = body->until ? static_cast<TimeMs>(*body->until) : kMutedForever;
  auto chat = ctx_.core.chats.set_muted(call.who->user_id, call.path["chat_id"], until);
  if (!chat) return rest::error_reply(call.req, chat.error());
  return chat_reply(call.req, http::status::ok, ctx_.core.chats.view(**chat, &call.who->user_id));
}

Response RestApi::accept_chat(const Call& call) {
  auto chat = ctx_.core.chats.accept(call.who->user_id, call.path["chat_id"]);
  if (!chat) return rest::error_reply(call.req, chat.error());
  ctx_.core.presence.privacy_changed({call.who->user_id});  // the opener may see it now
  return chat_reply(call.req, http::status::ok, ctx_.core.chats.view(**chat, &call.who->user_id));
}

Response RestApi::receipts(const Call& call) {
  auto receipts = ctx_.core.delivery.receipts(call.who->user_id, call.path["chat_id"]);
  if (!receipts) return rest::error_reply(call.req, receipts.error());
  json::array out;
  out.reserve(receipts->size());
  for (const auto& r : *receipts) {
    out.push_back(json::object{{"user_id", r.user_id},
                               {"read_seq", r.read_seq},
                               {"delivered_seq", r.delivered_seq},
                               {"joined_seq", r.joined_seq}});
  }
  return rest::json_reply(call.req, http::status::ok, {{"receipts", std::move(out)}});
}

Response RestApi::unmute_chat(const Call& call) {
  auto chat = ctx_.core.chats.set_muted(call.who->user_id, call.path["chat_id"], 0);
  if (!chat) return rest::error_reply(call.req, chat.error());
  return chat_reply(call.req, http::status::ok, ctx_.core.chats.view(**chat, &call.who->user_id));
}

Response RestApi::history(const Call& call) {
  auto params = protocol::parse_history_params(call.query);
  if (!params) return rest::error_reply(call.req, params.error());
  HistoryQuery query;
  query.before = params->before;
  query.after = params->after;
  if (params->limit) query.limit = *params->limit;
  auto messages = ctx_.core.conversations.history(call.who->user_id, call.path["chat_id"], query);
  if (!messages) return rest::error_reply(call.req, messages.error());
  json::array out;
  out.reserve(messages->size());
  for (const auto& m : *messages) out.push_back(protocol::message_object(m));
  return rest::json_reply(call.req, http::status::ok, {{"messages", std::move(out)}});
}

asio::awaitable<Response> RestApi::post_message(const Call& call) {
  auto body = protocol::parse_send_body(call.req.body());
  if (!body) co_return rest::error_reply(call.req, body.error());

  // The commit thread answers through a timer on this connection's strand;
  // all shared state is in one heap object, never in a temporary.
  struct Waiter {
    explicit Waiter(const asio::any_io_executor& executor) : wake(executor) {}
    asio::steady_timer wake;
    std::optional<Result<SendAck>> result;
  };
  auto executor = co_await asio::this_coro::executor;
  auto waiter = std::make_shared<Waiter>(executor);
  waiter->wake.expires_at(asio::steady_timer::time_point::max());
  SendRequest send{
      *call.who,        call.path["chat_id"], std::move(body->client_msg_id), std::move(body->text), body->kind,
      body->target_seq, body->reply_to};
  ctx_.core.pipeline.submit(std::move(send), [waiter](Result<SendAck> r) {
    asio::post(waiter->wake.get_executor(), [waiter, r = std::move(r)]() mutable {
      waiter->result = std::move(r);
      waiter->wake.cancel();
    });
  });
  while (!waiter->result) {
    boost::system::error_code ec;
    co_await waiter->wake.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  const Result<SendAck>& result = *waiter->result;
  if (!result) co_return rest::error_reply(call.req, result.error());
  co_return rest::json_reply(call.req, http::status::ok, json::object{{"seq", result->seq}, {"ts", result->ts}});
}

}  // namespace parley
