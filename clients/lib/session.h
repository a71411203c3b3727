#pragma once
// Typed convenience layer over Parley's REST API and WebSocket hello.
//
//   Client c(host, port);
//   std::string uid = c.signup("a@x.org", "pw", "Alice");
//   Session alice = c.login("a@x.org", "pw", "phone");   // one device
//   ChatInfo chat = alice.create_direct(bob_id);
//   auto ws = alice.connect_ws();                         // hello done
//
// Every REST method throws ApiError (status + server error code) when the
// server answers with a non-2xx status, and HttpError on transport failure.
// Use http()/call() for raw access when a test wants the response itself.
// A Client or Session is NOT thread-safe (it owns one HttpClient); use one per
// thread. Each login() is a new device.

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "lib/http_client.h"
#include "lib/ws_connection.h"

namespace parley::client {

class ApiError : public std::runtime_error {
 public:
  explicit ApiError(HttpResponse response, const std::string& what_call);
  int status() const { return response_.status; }
  const std::string& code() const { return code_; }
  const HttpResponse& response() const { return response_; }

 private:
  HttpResponse response_;
  std::string code_;
};

struct LoginResult {
  std::string token;
  std::string user_id;
  std::string device_id;
};

struct UserRef {
  std::string user_id;
  std::string display_name;
};

struct MemberInfo {
  std::string user_id;
  std::string display_name;
  std::string role;  // "admin" | "member"
};

struct ChatInfo {
  std::string chat_id;
  std::string kind;  // "direct" | "group"
  std::string name;
  std::vector<MemberInfo> members;
  std::int64_t last_seq = 0;
  std::int64_t read_seq = 0;
  std::int64_t unread = 0;       // text messages of others not read yet
  std::int64_t muted_until = 0;  // 0: not muted (docs/protocol.md)
  bool request = false;          // a message request I have not accepted
  bool ended = false;            // a group that ended for me (removed, or left) …
  std::int64_t ended_seq = 0;    // … at this seq
  int http_status = 0;           // 201 created, 200 existing (create_* only)
  boost::json::object raw;

  static ChatInfo from_json(const boost::json::object& o);
  bool has_member(const std::string& user_id) const;
  std::string role_of(const std::string& user_id) const;  // "" when not a member
};

struct MessageInfo {
  std::string chat_id;
  std::int64_t seq = 0;
  std::string sender_id;
  std::string text;
  std::int64_t ts = 0;
  std::string client_msg_id;
  std::string cursor;
  std::string kind = "text";  // "text", "edit", "delete", "reaction" or "event" (docs/protocol.md)
  std::int64_t target_seq = 0;
  std::int64_t reply_to = 0;
  std::int64_t edited_at = 0;
  bool deleted = false;
  std::vector<std::pair<std::string, std::string>> reactions = {};  // (user_id, emoji)
  // A group timeline line (kind "event"): its type, and the user, name or
  // role it names, where it names one.
  struct GroupEvent {
    std::string type, user_id, name, role;
  };
  std::optional<GroupEvent> event;

  static MessageInfo from_json(const boost::json::object& o);
};

struct PresenceInfo {
  std::string user_id;
  std::string status;  // "online" | "offline"
  std::int64_t last_active_at = 0;

  static PresenceInfo from_json(const boost::json::object& o);
};

// Another member's positions in a chat (GET /v1/chats/{id}/receipts).
struct ReceiptInfo {
  std::string user_id;
  std::int64_t read_seq = 0;
  std::int64_t delivered_seq = 0;  // never below read_seq
  std::int64_t joined_seq = 0;     // counts for messages after it only
};

struct SendResult {
  std::int64_t seq = 0;
  std::int64_t ts = 0;
};

// Designated initializers read well: history(chat, {.after = 10, .limit = 5}).
struct HistoryQuery {
  std::optional<std::int64_t> before = std::nullopt;  // exclusive; newest first
  std::optional<std::int64_t> after = std::nullopt;   // exclusive; oldest first
  std::optional<int> limit = std::nullopt;            // server default 50, max 200
};

// search(text, {.chat_id = c, .limit = 10, .before = page.next}).
struct SearchOptions {
  std::optional<std::string> chat_id = std::nullopt;  // none: every chat of mine
  std::optional<int> limit = std::nullopt;            // server default 20, max 100
  std::optional<std::string> before = std::nullopt;   // the `next` of the previous page
};

// One page of GET /v1/search: messages newest first (each with its chat_id).
struct SearchResults {
  std::vector<MessageInfo> results;
  std::vector<boost::json::object> objects;  // the same results as the server sent them
  std::optional<std::string> next;           // none: the last page
};

class Session;

class Client {
 public:
  Client(std::string host, std::uint16_t port);

  // POST /v1/signup → user_id.
  std::string signup(const std::string& email, const std::string& password, const std::string& display_name);
  // POST /v1/login → a new device of that user.
  LoginResult login_raw(const std::string& email, const std::string& password,
                        const std::string& device_name = "device");
  Session login(const std::string& email, const std::string& password, const std::string& device_name = "device");
  // A session from an existing token (e.g. after a server restart).
  Session resume(const LoginResult& login);

  HttpClient& http() { return http_; }
  const std::string& host() const { return host_; }
  std::uint16_t port() const { return port_; }

 private:
  std::string host_;
  std::uint16_t port_;
  HttpClient http_;
};

class Session {
 public:
  Session(std::string host, std::uint16_t port, LoginResult login);

  const std::string& token() const { return login_.token; }
  const std::string& user_id() const { return login_.user_id; }
  const std::string& device_id() const { return login_.device_id; }
  const LoginResult& login() const { return login_; }

  boost::json::object me();
  UserRef find_user_by_email(const std::string& email);

  ChatInfo create_direct(const std::string& peer_id);
  ChatInfo create_group(const std::string& name, const std::vector<std::string>& member_ids);
  // Every chat I am in, fetched page by page (GET /v1/chats?limit=&after=).
  std::vector<ChatInfo> list_chats();
  static constexpr int kChatPageLimit = 500;
  // The chat (GET /v1/chats/{id}), or nullopt when I am not a member.
  std::optional<ChatInfo> find_chat(const std::string& chat_id);
  void add_member(const std::string& chat_id, const std::string& user_id);
  void remove_member(const std::string& chat_id, const std::string& user_id);
  void leave(const std::string& chat_id) { remove_member(chat_id, user_id()); }
  // Drops a group that ended for me from my list and history, for good.
  void forget(const std::string& chat_id);
  ChatInfo rename_group(const std::string& chat_id, const std::string& name);
  // No pushes for the chat until `until` (ms since the epoch), or until unmuted.
  ChatInfo mute(const std::string& chat_id, std::optional<std::int64_t> until = std::nullopt);
  ChatInfo unmute(const std::string& chat_id);
  // Accepts a message request (POST /v1/chats/{id}/accept).
  ChatInfo accept(const std::string& chat_id);
  // Blocks or unblocks a user; the users I block, in id order.
  std::vector<UserRef> block(const std::string& user_id);
  std::vector<UserRef> unblock(const std::string& user_id);
  std::vector<UserRef> blocked();
  // The other members' read and delivery positions that I may see.
  std::vector<ReceiptInfo> receipts(const std::string& chat_id);
  // "everyone", "contacts" or "nobody" (PATCH /v1/me).
  void set_presence_visibility(const std::string& visibility);
  // role: "admin" or "member".
  ChatInfo set_role(const std::string& chat_id, const std::string& user_id, const std::string& role);

  std::vector<MessageInfo> history(const std::string& chat_id, const HistoryQuery& q = {});
  // Messages of my chats with every word of `text` (the last as a prefix).
  SearchResults search(const std::string& text, const SearchOptions& options = {});
  SendResult send(const std::string& chat_id, const std::string& client_msg_id, const std::string& text);
  // POST …/messages with any body (an action, a reply: docs/protocol.md).
  SendResult send_body(const std::string& chat_id, const boost::json::object& body);

  std::vector<PresenceInfo> presence(const std::vector<std::string>& user_ids);
  void set_push(const std::string& url, const std::string& provider = "webhook");
  void delete_push();
  void logout();

  // Connects to /v1/ws and says hello (optionally with a resume cursor);
  // throws WsError when the server does not answer with welcome. The welcome
  // frame is ws->welcome(); with a cursor, call ws->collect_backlog().
  std::unique_ptr<WsConnection> connect_ws(const std::optional<std::string>& cursor = std::nullopt);

  // Raw authenticated request (no throw on error statuses).
  HttpResponse call(std::string_view method, std::string_view target,
                    const std::optional<boost::json::value>& body = std::nullopt);
  HttpClient& http() { return http_; }

 private:
  // call() that throws ApiError unless the status is 2xx.
  HttpResponse checked(std::string_view method, std::string_view target,
                       const std::optional<boost::json::value>& body = std::nullopt);

  std::string host_;
  std::uint16_t port_;
  LoginResult login_;
  HttpClient http_;
};

}  // namespace parley::client
