#pragma once
// JSON shapes of the admin API (/v1/admin/...): users as an operator sees
// them, a user's export, and the cursor over a user's own messages.

#include <boost/json/object.hpp>
#include <string>
#include <string_view>

#include "core/account_admin.h"

namespace parley::protocol {

// {user_id,email,display_name,created_at,disabled,devices,last_active_at}
boost::json::object admin_user_object(const UserSummary& summary);
// {user:{…,presence_visibility,last_active_at},devices:[…],chats:[chat…],blocks:[user_id…]};
// devices carry no token or push secret, only whether they are logged in and their push provider.
boost::json::object account_export_object(const AccountExport& account);
// One of the user's own messages: {chat_id,seq,ts,text,client_msg_id} and
// reply_to / edited_at when set.
boost::json::object sent_message_object(const Message& m);

// "<seq>.<chat_id>": where the next page of a user's messages starts.
std::string encode_sent_cursor(const SentCursor& cursor);
// invalid_request for anything encode_sent_cursor does not make.
Result<SentCursor> parse_sent_cursor(std::string_view text);

}  // namespace parley::protocol
