// accept, block, unblock, blocked, privacy: message requests, blocking and
// who sees your presence.
#include <boost/json.hpp>

#include "cli/chat_roster.h"
#include "cli/commands.h"
#include "cli/output.h"

namespace parley::cli {

namespace json = boost::json;

namespace {

void print_blocked(CommandContext& ctx, const std::vector<client::UserRef>& users) {
  if (ctx.out().json()) {
    json::array list;
    for (const auto& u : users) list.push_back(json::object{{"user_id", u.user_id}, {"display_name", u.display_name}});
    ctx.out().object({{"blocked", std::move(list)}});
    return;
  }
  if (users.empty()) ctx.out().line("You block nobody.");
  for (const auto& u : users) ctx.out().line(u.display_name + "  (" + u.user_id + ")");
}

}  // namespace

int run_accept(CommandContext& ctx, const std::string& chat) {
  client::Session session = ctx.session();
  const ChatRoster roster = load_roster(ctx, session);
  const std::string chat_id = resolve_chat(session, roster, chat);
  client::ChatInfo accepted = session.accept(chat_id);
  if (ctx.out().json()) {
    ctx.out().object(accepted.raw);
  } else {
    ctx.out().line("Accepted: " + roster.label(accepted.chat_id));
  }
  return kExitOk;
}

int run_block(CommandContext& ctx, const std::string& email, bool blocked) {
  client::Session session = ctx.session();
  const std::string user = user_id_by_email(session, email);
  print_blocked(ctx, blocked ? session.block(user) : session.unblock(user));
  return kExitOk;
}

int run_blocked(CommandContext& ctx) {
  client::Session session = ctx.session();
  print_blocked(ctx, session.blocked());
  return kExitOk;
}

int run_privacy(CommandContext& ctx, const std::string& visibility) {
  client::Session session = ctx.session();
  if (!visibility.empty()) session.set_presence_visibility(visibility);
  const std::string now = client::str_field(session.me(), "presence_visibility");
  if (ctx.out().json()) {
    ctx.out().object({{"presence_visibility", now}});
  } else {
    ctx.out().line("Who sees when you are online: " + now);
  }
  return kExitOk;
}

}  // namespace parley::cli
