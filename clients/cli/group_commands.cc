// group-add, group-remove, leave, forget: a group's members, and a group
// that ended for you (removed, or left), which stays readable until forgotten.
#include "cli/chat_roster.h"
#include "cli/commands.h"
#include "cli/output.h"

namespace parley::cli {

int run_group_member(CommandContext& ctx, const GroupMemberArgs& args, bool add) {
  client::Session session = ctx.session();
  const ChatRoster roster = load_roster(ctx, session);
  const std::string chat_id = resolve_chat(session, roster, args.chat);
  const std::string user_id = user_id_by_email(session, args.email);
  if (add) {
    session.add_member(chat_id, user_id);
  } else {
    session.remove_member(chat_id, user_id);
  }
  if (!ctx.out().json())
    ctx.out().line((add ? "Added " : "Removed ") + args.email + (add ? " to " : " from ") + roster.label(chat_id));
  return kExitOk;
}

int run_leave(CommandContext& ctx, const std::string& chat) {
  client::Session session = ctx.session();
  const ChatRoster roster = load_roster(ctx, session);
  const std::string chat_id = resolve_chat(session, roster, chat);
  session.leave(chat_id);
  if (!ctx.out().json()) {
    ctx.out().line("Left " + roster.label(chat_id) +
                   ": its history up to now stays readable; `parley forget` drops it");
  }
  return kExitOk;
}

int run_forget(CommandContext& ctx, const std::string& chat) {
  client::Session session = ctx.session();
  const ChatRoster roster = load_roster(ctx, session);
  const std::string chat_id = resolve_chat(session, roster, chat);
  session.forget(chat_id);
  if (!ctx.out().json()) ctx.out().line("Forgot " + roster.label(chat_id));
  return kExitOk;
}

}  // namespace parley::cli
