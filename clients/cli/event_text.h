#pragma once
// Human renderings of messages, live events and chats: one line each (a
// multi-line message text continues on indented lines), starting with the
// local time. Names come from the ChatRoster, so render an event after
// applying it to the roster only where noted.
//
// Pure functions of their arguments (and the clock, for "today").

#include <string>

#include <boost/json/object.hpp>

#include "cli/chat_roster.h"
#include "lib/session.h"

namespace parley::cli {

struct MessageStyle {
  bool with_chat = false;  // prefix the chat's label: watch shows every chat
  bool with_seq = false;   // prefix "#SEQ": history, so that --before SEQ is easy to use
};

// "[14:03:07] Bob: hello", "#12 [14:03:07] Bob: hello", "[14:03:07] #Team Bob: hello".
std::string message_text(const ChatRoster& roster, const client::MessageInfo& m, MessageStyle style);
// "[14:03:07] Bob is online" / "[14:03:07] Bob is offline (last seen 14:01:55)".
std::string presence_text(const ChatRoster& roster, const boost::json::object& frame);
// "[14:03:07] #Team Bob read up to #12".
std::string receipt_text(const ChatRoster& roster, const boost::json::object& frame, bool with_chat);
// A "delivered" frame: one line for all the members it names.
std::string delivered_text(const ChatRoster& roster, const boost::json::object& frame, bool with_chat);
// "[14:03:07] #Team Bob is typing…".
std::string typing_text(const ChatRoster& roster, const boost::json::object& frame, bool with_chat);
// A `chat` event ("created", "member_added", "member_removed"). `before` is
// the chat as known before the event (nullptr when new); the roster must
// already hold the names of `after`'s members.
std::string chat_event_text(const ChatRoster& roster, const std::string& event, const client::ChatInfo& after,
                            const client::ChatInfo* before);
// One row of `parley chats`: id, label, members, the server's `unread` (text
// messages of others, not last_seq - read_seq: actions take seqs too),
// whether muted, last message.
std::string chat_row_text(const ChatRoster& roster, const client::ChatInfo& chat);

// Newest activity of a chat (its last message, else its creation), for sorting.
std::int64_t last_activity(const client::ChatInfo& chat);

}  // namespace parley::cli
