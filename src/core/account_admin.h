#pragma once
// AccountAdmin: what an operator does to accounts — list them, disable and
// enable one, reset a password, count what the server holds, export one
// user's data, and erase one user (GDPR). Thread-safe and blocking: every
// call reads the store, some wait for commits; call from the blocking pool,
// never from an I/O thread. It holds no lock: each step is one of the core's
// own operations (Accounts, ChatDirectory, MessagePipeline), so the message
// path never waits for an operator.
//
// Erasure, in an order that makes a crash at any point safe to retry:
//   1. the account is disabled and every device logged out (no new messages,
//      no logins);
//   2. every text message the user sent in their chats is deleted for
//      everyone through the pipeline, as the sender's own deletion would be
//      (the text, its edits and reactions removed; the tombstone keeps its
//      seq), each with the client_msg_id "erase:<seq>", so a retry is a
//      resend and stores nothing twice;
//   3. the user leaves every group (the usual "left" timeline line); direct
//      chats stay for the other member, who sees the user as deleted;
//   4. the account itself is deleted (AccountStore::delete_user): record,
//      e-mail (free again), devices, tokens, push registrations, blocks.
// Until step 4 the user is found again and the steps redone; after it there
// is nothing left to do.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/accounts.h"
#include "core/chat_directory.h"
#include "core/message_pipeline.h"
#include "core/ports.h"
#include "core/privacy.h"

namespace parley {

// One user as an operator's list shows it.
struct UserSummary {
  User user;
  std::size_t logged_in_devices = 0;
  TimeMs last_active_at = 0;  // the newest of its devices' last uses and its last heartbeat; 0: never
};

struct UserPage {
  std::vector<UserSummary> users;
  std::string next;  // the after_email of the next page; empty on the last
};

// Where a walk over a user's own messages is: chats in id order, seqs in order.
struct SentCursor {
  ChatId chat_id;  // empty: from the first chat
  Seq after = 0;
};

struct SentPage {
  std::vector<Message> messages;   // text messages the user sent, in (chat, seq) order
  std::optional<SentCursor> next;  // nullopt: there are no more
};

// What one user's export holds, but their messages (sent_messages).
struct AccountExport {
  User user;
  std::vector<Device> devices;  // every device, logged in or not
  std::vector<ChatView> chats;  // as the user sees them (read marker, mute, request), without last_message
  std::vector<UserId> blocks;   // whom the user blocks
};

struct ErasureReport {
  std::vector<DeviceId> logged_out;  // connections to close
  std::uint64_t messages_erased = 0;
  std::uint64_t groups_left = 0;
};

struct PasswordReset {
  std::optional<std::string> generated;  // the new password, when the server chose it
  std::vector<DeviceId> logged_out;
};

struct ServerCounts {
  std::uint64_t users = 0;
  std::uint64_t chats = 0;
};

class AccountAdmin {
 public:
  AccountAdmin(AccountStore& accounts_store, ChatStore& chat_store, MessageLog& log, Accounts& accounts,
               ChatDirectory& chats, Privacy& privacy, MessagePipeline& pipeline, Credentials& credentials);

  // A user by id, or by e-mail when `who` holds an '@' (any case);
  // not_found when there is none.
  Result<User> resolve(const std::string& who);
  // The user with its logged-in devices and last activity.
  Result<UserSummary> summary(User user);
  // A page of users (AccountStore::list_users) with their devices and last activity.
  Result<UserPage> list_users(const std::string& email_prefix, const std::string& after_email, std::size_t limit);
  Result<ServerCounts> counts();
  // Sets `password` (validated like at signup), or a fresh random one when
  // none is given, and logs out every device of the user.
  Result<PasswordReset> reset_password(const UserId& user, const std::optional<std::string>& password);

  Result<AccountExport> export_account(const UserId& user);
  // The user's own text messages from `from` on, reading at most `budget`
  // log entries of their chats: a page may be empty and still have a next.
  Result<SentPage> sent_messages(const UserId& user, const SentCursor& from, std::size_t budget);

  // See the header comment. Waits for the deletions' commits.
  Result<ErasureReport> erase(const UserId& user);

 private:
  // Deletes the user's remaining text messages in one chat; how many.
  Result<std::uint64_t> erase_messages(const UserId& user, const ChatId& chat);

  AccountStore& accounts_store_;
  ChatStore& chat_store_;
  MessageLog& log_;
  Accounts& accounts_;
  ChatDirectory& chats_;
  Privacy& privacy_;
  MessagePipeline& pipeline_;
  Credentials& credentials_;
};

}  // namespace parley
