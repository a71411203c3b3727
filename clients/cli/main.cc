// parley: the command-line client of parleyd. Parses the command line with
// CLI11, builds the CommandContext and runs one command; every failure ends
// here as one message on stderr and an exit code (see ExitCode).
#include <CLI/CLI.hpp>
#include <functional>
#include <iostream>

#include "cli/commands.h"

namespace {

using namespace parley::cli;
using Action = std::function<int(CommandContext&)>;

constexpr const char* kFooter =
    "CHAT is a chat id, a group's name, or the other member's display name or e-mail in a direct chat.\n"
    "Exit codes: 0 ok, 1 the server refused (its error code is printed), 2 usage, 3 not logged in,\n"
    "4 cannot connect. The login is kept in $XDG_CONFIG_HOME/parley (default ~/.config/parley).";

CLI::App* command(CLI::App& app, const char* name, const char* description, Action& action, Action run) {
  CLI::App* sub = app.add_subcommand(name, description);
  sub->fallthrough();  // --server and --json also after the subcommand
  sub->callback([&action, run = std::move(run)] { action = run; });
  return sub;
}

int run(CommandContext& ctx, const Action& action) {
  try {
    return action(ctx);
  } catch (const parley::client::ApiError& e) {
    throw api_failure(e);
  } catch (const parley::client::HttpError& e) {
    throw connect_failure(ctx.server().url(), e.what());
  } catch (const parley::client::WsError& e) {
    throw connect_failure(ctx.server().url(), e.what());
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"parley — the command-line client of the Parley chat server"};
  app.footer(kFooter);
  app.require_subcommand(1);
  GlobalOptions global;
  app.add_option("--server", global.server,
                 "parleyd URL (default: the stored login's, else " + std::string(kDefaultServer) + ")")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);  // the last one given wins
  app.add_flag("--json", global.json, "machine-readable output: one JSON object per line");
  Action action;

  SignupArgs signup;
  std::string signup_password;
  auto* s = command(app, "signup", "create an account", action, [&](CommandContext& c) {
    if (!signup_password.empty()) signup.password = signup_password;
    return run_signup(c, signup);
  });
  s->add_option("email", signup.email, "e-mail address")->required();
  s->add_option("--name", signup.display_name, "display name (default: the part of the e-mail before @)");
  s->add_option("--password", signup_password, "password (default: prompt, or the first line of stdin)");

  LoginArgs login;
  std::string login_password;
  auto* l = command(app, "login", "log in as a new device and store the login", action, [&](CommandContext& c) {
    if (!login_password.empty()) login.password = login_password;
    return run_login(c, login);
  });
  l->add_option("email", login.email, "e-mail address")->required();
  l->add_option("--password", login_password, "password (default: prompt, or the first line of stdin)");
  l->add_option("--device", login.device_name, "device name (default: \"parley CLI on HOSTNAME\")");

  command(app, "logout", "log this device out and forget the stored login", action, run_logout);
  command(app, "whoami", "show the stored login", action, run_whoami);
  command(app, "devices", "list your logged-in devices and when each was last active", action, run_devices);
  std::string device_to_log_out;
  auto* ld = command(app, "logout-device", "log out one of your devices (see `parley devices`)", action,
                     [&](CommandContext& c) { return run_logout_device(c, device_to_log_out); });
  ld->add_option("device_id", device_to_log_out, "the device's id")->required();
  PasswdArgs passwd;
  auto* pw = command(app, "passwd", "change your password (prompts, or two lines of stdin: current, new)", action,
                     [&](CommandContext& c) { return run_passwd(c, passwd); });
  pw->add_flag("--logout-others", passwd.logout_others, "also log out every other device of yours");
  std::string new_name;
  auto* rn = command(app, "rename", "change your display name", action,
                     [&](CommandContext& c) { return run_rename(c, new_name); });
  rn->add_option("display_name", new_name, "the new name")->required();
  command(app, "chats", "list your chats, newest activity first", action, run_chats);

  std::string dm_email;
  auto* d = command(app, "dm", "open (or create) the direct chat with someone; prints its id", action,
                    [&](CommandContext& c) { return run_dm(c, dm_email); });
  d->add_option("email", dm_email, "the other person's e-mail")->required();

  GroupArgs group;
  auto* g = command(app, "group", "create a group with you as admin; prints its id", action,
                    [&](CommandContext& c) { return run_group(c, group); });
  g->add_option("name", group.name, "group name")->required();
  g->add_option("emails", group.emails, "members' e-mails")->required();

  GroupRenameArgs group_rename;
  auto* gr = command(app, "group-rename", "rename a group (admins)", action,
                     [&](CommandContext& c) { return run_group_rename(c, group_rename); });
  gr->add_option("chat", group_rename.chat, "CHAT")->required();
  gr->add_option("name", group_rename.name, "the new name")->required();

  MuteArgs mute;
  auto* mu = command(app, "mute", "no pushes for a chat, until unmuted or for some hours", action,
                     [&](CommandContext& c) { return run_mute(c, mute); });
  mu->add_option("chat", mute.chat, "CHAT")->required();
  mu->add_option("--hours", mute.hours, "mute for this many hours (default: until unmuted)")
      ->check(CLI::Range(0.01, 24.0 * 366));
  std::string unmute_chat;
  auto* um = command(app, "unmute", "pushes for a chat again", action,
                     [&](CommandContext& c) { return run_unmute(c, unmute_chat); });
  um->add_option("chat", unmute_chat, "CHAT")->required();

  std::string accept_chat;
  auto* ac = command(app, "accept", "accept a message request (a direct chat someone opened with you)", action,
                     [&](CommandContext& c) { return run_accept(c, accept_chat); });
  ac->add_option("chat", accept_chat, "CHAT")->required();
  std::string block_email;
  auto* bl = command(app, "block", "block someone: their messages and presence no longer reach you", action,
                     [&](CommandContext& c) { return run_block(c, block_email, true); });
  bl->add_option("email", block_email, "their e-mail")->required();
  std::string unblock_email;
  auto* ub = command(app, "unblock", "unblock someone", action,
                     [&](CommandContext& c) { return run_block(c, unblock_email, false); });
  ub->add_option("email", unblock_email, "their e-mail")->required();
  command(app, "blocked", "list the people you block", action, [&](CommandContext& c) { return run_blocked(c); });
  std::string visibility;
  auto* pv = command(app, "privacy", "who sees when you are online: everyone, contacts or nobody", action,
                     [&](CommandContext& c) { return run_privacy(c, visibility); });
  pv->add_option("visibility", visibility, "everyone | contacts | nobody (none: show the setting)")
      ->check(CLI::IsMember({"everyone", "contacts", "nobody"}));

  GroupMemberArgs group_add;
  auto* ga = command(app, "group-add", "add someone to a group (admins); they see what is said from then on", action,
                     [&](CommandContext& c) { return run_group_member(c, group_add, true); });
  ga->add_option("chat", group_add.chat, "CHAT")->required();
  ga->add_option("email", group_add.email, "their e-mail")->required();
  GroupMemberArgs group_remove;
  auto* gm = command(app, "group-remove", "remove a member from a group (admins); the group ends for them", action,
                     [&](CommandContext& c) { return run_group_member(c, group_remove, false); });
  gm->add_option("chat", group_remove.chat, "CHAT")->required();
  gm->add_option("email", group_remove.email, "their e-mail")->required();
  std::string leave_chat;
  auto* lv = command(app, "leave", "leave a group; what was said until then stays readable", action,
                     [&](CommandContext& c) { return run_leave(c, leave_chat); });
  lv->add_option("chat", leave_chat, "CHAT")->required();
  std::string forget_chat;
  auto* fg = command(app, "forget", "drop a group that ended for you (removed, or left) from your chats", action,
                     [&](CommandContext& c) { return run_forget(c, forget_chat); });
  fg->add_option("chat", forget_chat, "CHAT")->required();

  SearchArgs search;
  std::vector<std::string> search_words;
  auto* se = command(app, "search", "find messages by their words, newest first (the last word as a prefix)", action,
                     [&](CommandContext& c) {
                       for (const auto& w : search_words) search.text += (search.text.empty() ? "" : " ") + w;
                       return run_search(c, search);
                     });
  se->add_option("words", search_words, "what to find")->required();
  se->add_option("--chat", search.chat, "search this chat only");
  se->add_option("--limit", search.limit, "results per page (server default 20, at most 100)")
      ->check(CLI::Range(1, 100));
  se->add_option("--before", search.before, "the next page: the value a previous page printed");

  RoleArgs role;
  auto* ro = command(app, "role", "make a member of a group an admin, or a member again (admins)", action,
                     [&](CommandContext& c) { return run_role(c, role); });
  ro->add_option("chat", role.chat, "CHAT")->required();
  ro->add_option("email", role.email, "the member's e-mail")->required();
  ro->add_option("role", role.role, "admin or member")->required()->check(CLI::IsMember({"admin", "member"}));

  SendArgs send;
  std::vector<std::string> send_words;
  auto* sn = command(app, "send", "send a message; prints its seq", action, [&](CommandContext& c) {
    for (const auto& w : send_words) send.text += (send.text.empty() ? "" : " ") + w;
    return run_send(c, send);
  });
  sn->add_option("chat", send.chat, "CHAT")->required();
  sn->add_option("text", send_words, "the text (words are joined by spaces); omitted or -: read stdin");

  // edit, delete, react, reply: one shape each, on the message SEQ of CHAT.
  ActionArgs act;
  std::vector<std::string> act_words;
  auto action_command = [&](const char* name, const char* description, ActionKind kind, const char* text_help) {
    auto* sub = command(app, name, description, action, [&, kind](CommandContext& c) {
      act.kind = kind;
      for (const auto& w : act_words) act.text += (act.text.empty() ? "" : " ") + w;
      return run_action(c, act);
    });
    sub->add_option("chat", act.chat, "CHAT")->required();
    sub->add_option("seq", act.seq, "the message's seq (history shows it as #SEQ)")
        ->required()
        ->check(CLI::PositiveNumber);
    if (text_help != nullptr) sub->add_option("text", act_words, text_help);
  };
  action_command("edit", "replace the text of your message SEQ; prints the edit's seq", ActionKind::edit,
                 "the new text (words are joined by spaces); omitted or -: read stdin");
  action_command("delete", "delete message SEQ for everyone (yours; any, as a group's admin)", ActionKind::remove,
                 nullptr);
  action_command("react", "react to message SEQ with one emoji (replaces yours); no emoji: remove yours",
                 ActionKind::react, "the emoji");
  action_command("reply", "send a message quoting message SEQ; prints its seq", ActionKind::reply,
                 "the text (words are joined by spaces); omitted or -: read stdin");

  HistoryArgs history;
  std::int64_t before = 0;
  std::int64_t after = 0;
  int limit = 0;
  CLI::App* h = nullptr;
  h = command(app, "history", "show a chat's messages, oldest first", action, [&](CommandContext& c) {
    // Only what was given on the command line goes to the server.
    if (h->count("--before") > 0) history.before = before;
    if (h->count("--after") > 0) history.after = after;
    if (h->count("--limit") > 0) history.limit = limit;
    return run_history(c, history);
  });
  h->add_option("chat", history.chat, "CHAT")->required();
  auto* before_opt =
      h->add_option("--before", before, "the newest messages before this seq")->check(CLI::PositiveNumber);
  h->add_option("--after", after, "the oldest messages after this seq")
      ->check(CLI::NonNegativeNumber)
      ->excludes(before_opt);
  h->add_option("--limit", limit, "how many messages (1-200; the server's default is 50)")->check(CLI::Range(1, 200));

  ReceiptsArgs receipts;
  auto* rc = command(app, "receipts", "who received and read a chat's messages, or message SEQ", action,
                     [&](CommandContext& c) { return run_receipts(c, receipts); });
  rc->add_option("chat", receipts.chat, "CHAT")->required();
  rc->add_option("seq", receipts.seq, "one message: read by and received by how many of its members")
      ->check(CLI::PositiveNumber);

  command(app, "watch", "print live messages and events of every chat until interrupted", action, run_watch);

  ChatArgs chat;
  auto* ch = command(app, "chat", "chat interactively: lines typed are sent; /quit or Ctrl-D leaves", action,
                     [&](CommandContext& c) { return run_chat(c, chat); });
  ch->add_option("chat", chat.chat, "CHAT")->required();
  ch->add_option("--history", chat.history, "recent messages to show first")
      ->capture_default_str()
      ->check(CLI::Range(0, 200));

  // parley admin …: the operator's commands, with the server's admin token.
  CLI::App* adm = app.add_subcommand("admin", "operate a server: users, stats, export, erase (needs its admin token)");
  adm->require_subcommand(1);
  adm->fallthrough();
  AdminArgs admin;
  adm->add_option("--token-file", admin.token_file,
                  "file holding the admin token (parleyd's --data-dir/admin_token or --admin-token-file; default: "
                  "$PARLEY_ADMIN_TOKEN_FILE, else $PARLEY_ADMIN_TOKEN)");
  AdminUsersArgs admin_users;
  int admin_limit = 0;
  CLI::App* au = nullptr;
  au = command(*adm, "users", "list users by e-mail, a page at a time", action, [&](CommandContext& c) {
    admin_users.admin = admin;
    if (au->count("--limit") > 0) admin_users.limit = admin_limit;
    return run_admin_users(c, admin_users);
  });
  au->add_option("--limit", admin_limit, "users per page (1-1000; default 100)")->check(CLI::Range(1, 1000));
  au->add_option("--after", admin_users.after, "the page after this e-mail (printed as \"more: --after …\")");
  au->add_option("--query", admin_users.query, "only e-mails starting with this");
  std::string admin_user;
  const char* user_help = "the user's id or e-mail";
  auto* ad = command(*adm, "disable", "disable a user: logged out everywhere at once, no login until enabled", action,
                     [&](CommandContext& c) { return run_admin_set_disabled(c, admin, admin_user, true); });
  ad->add_option("user", admin_user, user_help)->required();
  auto* ae = command(*adm, "enable", "let a disabled user log in again", action,
                     [&](CommandContext& c) { return run_admin_set_disabled(c, admin, admin_user, false); });
  ae->add_option("user", admin_user, user_help)->required();
  bool generate = false;
  auto* ar =
      command(*adm, "reset-password",
              "set a user's password (prompted, or the first line of stdin) and log out all their devices", action,
              [&](CommandContext& c) { return run_admin_reset_password(c, admin, admin_user, generate); });
  ar->add_option("user", admin_user, user_help)->required();
  ar->add_flag("--generate", generate, "let the server choose a password; it is printed once");
  command(*adm, "stats", "users, chats, messages stored, connections, uptime, version", action,
          [&](CommandContext& c) { return run_admin_stats(c, admin); });
  auto* ax = command(*adm, "export", "everything the server holds about a user, as one JSON document", action,
                     [&](CommandContext& c) { return run_admin_export(c, admin, admin_user); });
  ax->add_option("user", admin_user, user_help)->required();
  bool confirmed = false;
  auto* ax2 =
      command(*adm, "delete", "erase a user (GDPR): account, devices, memberships, the text of every message sent",
              action, [&](CommandContext& c) { return run_admin_delete(c, admin, admin_user, confirmed); });
  ax2->add_option("user", admin_user, user_help)->required();
  ax2->add_flag("--yes", confirmed, "yes, erase this user for good");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // CLI11 reports a misspelt command as "a subcommand is required"; name it.
    if (app.get_subcommands().empty() && !app.remaining().empty()) {
      std::cerr << "unknown command: " << app.remaining().front() << "\nRun with --help for the commands.\n";
      return kExitUsage;
    }
    const int rc = app.exit(e);
    return rc == 0 ? kExitOk : kExitUsage;
  }

  Output out(global.json);
  try {
    CommandContext ctx(global, LoginStore(LoginStore::default_dir()), out);
    return run(ctx, action);
  } catch (const CliError& e) {
    out.error(e.code(), e.what(), e.exit_code(), e.http_status());
    return e.exit_code();
  } catch (const std::exception& e) {
    out.error("internal", e.what(), kExitServerError);
    return kExitServerError;
  }
}
