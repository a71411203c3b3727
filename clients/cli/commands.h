#pragma once
// The `parley` subcommands. Each run_* function performs one command against
// the context's server and returns the process exit code; failures are thrown
// as CliError (or as client-library exceptions, which main() maps with
// api_failure()/connect_failure()).
//
//   account_commands.cc  signup, login, logout, whoami
//   device_commands.cc   devices, logout-device, passwd, rename
//   chat_commands.cc     chats, dm, group, group-rename, role, mute, unmute, send, edit, delete, react, reply, history
//   privacy_commands.cc  accept, block, unblock, blocked, privacy
//   watch_command.cc     watch (every chat, live, resumable)
//   chat_command.cc      chat (one conversation, interactive)
//   admin_commands.cc    admin users, disable, enable, reset-password, stats, export, delete

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cli/chat_roster.h"
#include "cli/cli_context.h"

namespace parley::cli {

struct SignupArgs {
  std::string email;
  std::string display_name;             // empty: the part of the e-mail before '@'
  std::optional<std::string> password;  // nullopt: prompt, or the first line of stdin
};

struct LoginArgs {
  std::string email;
  std::optional<std::string> password;
  std::string device_name;  // empty: "parley CLI on HOSTNAME"
};

struct PasswdArgs {
  bool logout_others = false;  // log out every other device of the account
};

struct GroupArgs {
  std::string name;
  std::vector<std::string> emails;
};

struct GroupRenameArgs {
  std::string chat;
  std::string name;
};

struct GroupMemberArgs {
  std::string chat;
  std::string email;  // the member's
};

struct SearchArgs {
  std::string text;    // words; the last one matches as a prefix
  std::string chat;    // empty: every chat of yours
  int limit = 0;       // 0: the server's default
  std::string before;  // the previous page's "More: --before"
};

struct MuteArgs {
  std::string chat;
  double hours = 0;  // 0: until unmuted
};

struct RoleArgs {
  std::string chat;
  std::string email;  // the member's
  std::string role;   // "admin" | "member"
};

struct SendArgs {
  std::string chat;
  std::string text;  // empty or "-": read stdin
};

// edit, delete, react, reply: on the message SEQ of CHAT (docs/protocol.md,
// "Message actions").
enum class ActionKind { edit, remove, react, reply };
struct ActionArgs {
  ActionKind kind = ActionKind::edit;
  std::string chat;
  std::int64_t seq = 0;
  std::string text;  // edit, reply: empty or "-" reads stdin; react: the emoji, empty removes it
};

struct HistoryArgs {
  std::string chat;
  std::optional<std::int64_t> before;
  std::optional<std::int64_t> after;
  std::optional<int> limit;
};

struct ReceiptsArgs {
  std::string chat;
  std::int64_t seq = 0;  // 0: every member's positions
};

struct ChatArgs {
  std::string chat;
  int history = 20;  // recent messages shown before the live conversation
};

int run_signup(CommandContext& ctx, const SignupArgs& args);
int run_login(CommandContext& ctx, const LoginArgs& args);
int run_logout(CommandContext& ctx);
int run_whoami(CommandContext& ctx);
int run_devices(CommandContext& ctx);
int run_logout_device(CommandContext& ctx, const std::string& device_id);
// Both passwords are prompted for (the new one twice), or read from the first
// two lines of stdin.
int run_passwd(CommandContext& ctx, const PasswdArgs& args);
int run_rename(CommandContext& ctx, const std::string& display_name);

int run_chats(CommandContext& ctx);
int run_dm(CommandContext& ctx, const std::string& email);
int run_group(CommandContext& ctx, const GroupArgs& args);
int run_group_rename(CommandContext& ctx, const GroupRenameArgs& args);
int run_role(CommandContext& ctx, const RoleArgs& args);
// Adds (or, with add == false, removes) the user with that e-mail (admins).
int run_group_member(CommandContext& ctx, const GroupMemberArgs& args, bool add);
int run_leave(CommandContext& ctx, const std::string& chat);
// Drops a group that ended for you from your chats and history, for good.
int run_forget(CommandContext& ctx, const std::string& chat);
int run_search(CommandContext& ctx, const SearchArgs& args);
int run_mute(CommandContext& ctx, const MuteArgs& args);
int run_unmute(CommandContext& ctx, const std::string& chat);
int run_send(CommandContext& ctx, const SendArgs& args);
int run_action(CommandContext& ctx, const ActionArgs& args);
int run_history(CommandContext& ctx, const HistoryArgs& args);

int run_accept(CommandContext& ctx, const std::string& chat);
// Blocks (or, with blocked == false, unblocks) the user with that e-mail.
int run_block(CommandContext& ctx, const std::string& email, bool blocked);
int run_blocked(CommandContext& ctx);
// Sets who sees your presence ("everyone", "contacts", "nobody"), or shows it when empty.
int run_privacy(CommandContext& ctx, const std::string& visibility);

// parley admin …: with the server's admin token, not the stored login.
struct AdminArgs {
  std::string token_file;  // --token-file; empty: $PARLEY_ADMIN_TOKEN_FILE, else $PARLEY_ADMIN_TOKEN
};
struct AdminUsersArgs {
  AdminArgs admin;
  std::optional<int> limit;  // per page; the server's default when absent
  std::string after;         // the previous page's "more: --after"
  std::string query;         // an e-mail prefix
};
int run_admin_users(CommandContext& ctx, const AdminUsersArgs& args);
int run_admin_set_disabled(CommandContext& ctx, const AdminArgs& args, const std::string& user, bool disabled);
// The new password is prompted for (twice), or the first line of stdin; with
// `generate` the server makes one, printed once.
int run_admin_reset_password(CommandContext& ctx, const AdminArgs& args, const std::string& user, bool generate);
int run_admin_stats(CommandContext& ctx, const AdminArgs& args);
// One JSON document on stdout, streamed page by page.
int run_admin_export(CommandContext& ctx, const AdminArgs& args, const std::string& user);
// Refused (usage) unless `confirmed` (--yes).
int run_admin_delete(CommandContext& ctx, const AdminArgs& args, const std::string& user, bool confirmed);

int run_receipts(CommandContext& ctx, const ReceiptsArgs& args);
int run_watch(CommandContext& ctx);
int run_chat(CommandContext& ctx, const ChatArgs& args);

// Every chat of the user, for resolve_chat and labels.
ChatRoster load_roster(CommandContext& ctx, client::Session& session);
// The user with that e-mail; not_found as a CliError.
std::string user_id_by_email(client::Session& session, const std::string& email);

// A fresh random client_msg_id (128 bits, hex).
std::string new_client_msg_id();

}  // namespace parley::cli
