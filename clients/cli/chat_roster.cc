#include "cli/chat_roster.h"

#include <algorithm>
#include <cctype>

#include "cli/cli_context.h"

namespace parley::cli {

namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

void ChatRoster::reset(std::vector<client::ChatInfo> chats) {
  chats_ = std::move(chats);
  for (const auto& c : chats_) remember_names(c);
}

void ChatRoster::put(const client::ChatInfo& chat) {
  remember_names(chat);
  for (auto& c : chats_) {
    if (c.chat_id == chat.chat_id) {
      c = chat;
      return;
    }
  }
  chats_.push_back(chat);
}

void ChatRoster::erase(const std::string& chat_id) {
  std::erase_if(chats_, [&](const client::ChatInfo& c) { return c.chat_id == chat_id; });
}

const client::ChatInfo* ChatRoster::find(std::string_view chat_id) const {
  for (const auto& c : chats_) {
    if (c.chat_id == chat_id) return &c;
  }
  return nullptr;
}

const client::MemberInfo* ChatRoster::peer_of(const client::ChatInfo& chat) const {
  if (chat.kind != "direct") return nullptr;
  for (const auto& m : chat.members) {
    if (m.user_id != self_) return &m;
  }
  return nullptr;
}

std::string ChatRoster::label(std::string_view chat_id) const {
  const client::ChatInfo* chat = find(chat_id);
  if (chat == nullptr) return std::string(chat_id);
  if (chat->kind == "group") return "#" + chat->name;
  const client::MemberInfo* peer = peer_of(*chat);
  return "@" + (peer != nullptr ? peer->display_name : std::string("?"));
}

std::string ChatRoster::display_name(std::string_view user_id) const {
  if (auto it = names_.find(user_id); it != names_.end()) return it->second;
  return "user " + std::string(user_id.substr(0, 8));
}

void ChatRoster::remember_names(const client::ChatInfo& chat) {
  for (const auto& m : chat.members) {
    if (!m.display_name.empty()) names_[m.user_id] = m.display_name;
  }
}

std::string resolve_chat(client::Session& session, const ChatRoster& roster, const std::string& arg) {
  if (roster.find(arg) != nullptr) return arg;
  std::vector<const client::ChatInfo*> matches;
  for (const auto& chat : roster.chats()) {
    const client::MemberInfo* peer = roster.peer_of(chat);
    const bool named = chat.kind == "group" ? iequals(chat.name, arg) : peer && iequals(peer->display_name, arg);
    if (named) matches.push_back(&chat);
  }
  if (matches.empty() && arg.find('@') != std::string::npos) {
    try {
      const client::UserRef user = session.find_user_by_email(arg);
      for (const auto& chat : roster.chats()) {
        const client::MemberInfo* peer = roster.peer_of(chat);
        if (peer != nullptr && peer->user_id == user.user_id) matches.push_back(&chat);
      }
    } catch (const client::ApiError& e) {
      if (e.status() != 404) throw;
    }
  }
  if (matches.size() == 1) return matches.front()->chat_id;
  if (matches.empty()) {
    throw CliError(kExitServerError, "not_found",
                   "no chat matches '" + arg +
                       "': give a chat id, a group name, or the name or e-mail of the other member of a direct "
                       "chat (see `parley chats`)");
  }
  std::string list;
  for (const auto* chat : matches) list += "\n  " + chat->chat_id + "  " + roster.label(chat->chat_id);
  throw CliError(kExitServerError, "ambiguous_chat",
                 "'" + arg + "' matches " + std::to_string(matches.size()) + " chats; use its id:" + list);
}

}  // namespace parley::cli
