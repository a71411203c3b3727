#pragma once
// The caller's chats as last seen, from GET /v1/chats and live `chat` events:
// names for human output ("#Team", "@Bob", a sender's display name) and the
// resolution of a CHAT argument typed by a person.
//
// Main thread only.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/session.h"

namespace parley::cli {

class ChatRoster {
 public:
  explicit ChatRoster(std::string self_user_id) : self_(std::move(self_user_id)) {}

  const std::string& self() const { return self_; }

  // Replaces every chat with `chats` (user names seen before are kept).
  void reset(std::vector<client::ChatInfo> chats);
  // Adds or replaces one chat (from a `chat` event or a create call).
  void put(const client::ChatInfo& chat);
  // Forgets a chat (the caller left or was removed).
  void erase(const std::string& chat_id);

  const client::ChatInfo* find(std::string_view chat_id) const;
  const std::vector<client::ChatInfo>& chats() const { return chats_; }

  // "#Team" for a group, "@Bob" for a direct chat, the id when unknown.
  std::string label(std::string_view chat_id) const;
  // A user's display name from any chat they were seen in; "user 1a2b3c4d"
  // when never seen.
  std::string display_name(std::string_view user_id) const;
  // The member of a direct chat who is not the caller, or nullptr.
  const client::MemberInfo* peer_of(const client::ChatInfo& chat) const;

 private:
  void remember_names(const client::ChatInfo& chat);

  std::string self_;
  std::vector<client::ChatInfo> chats_;
  std::map<std::string, std::string, std::less<>> names_;  // user_id -> display_name
};

// A CHAT argument, resolved against the caller's chats: a chat id; a group's
// name; or, for a direct chat, the other member's display name or e-mail
// (names compare case-insensitively). Throws CliError (exit 1) when nothing
// or more than one chat matches; the message lists the candidates.
std::string resolve_chat(client::Session& session, const ChatRoster& roster, const std::string& arg);

}  // namespace parley::cli
