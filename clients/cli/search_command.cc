// search: find messages by their words in one chat or in all of yours,
// newest first, a page at a time (GET /v1/search).
#include "cli/chat_roster.h"
#include "cli/commands.h"
#include "cli/event_text.h"
#include "cli/output.h"

namespace parley::cli {

int run_search(CommandContext& ctx, const SearchArgs& args) {
  client::Session session = ctx.session();
  const ChatRoster roster = load_roster(ctx, session);
  client::SearchOptions options;
  if (!args.chat.empty()) options.chat_id = resolve_chat(session, roster, args.chat);
  if (args.limit > 0) options.limit = args.limit;
  if (!args.before.empty()) options.before = args.before;
  client::SearchResults page = session.search(args.text, options);
  if (ctx.out().json()) {
    for (const auto& o : page.objects) ctx.out().object(o);
    if (page.next) ctx.out().object({{"next", *page.next}});
    return kExitOk;
  }
  for (const auto& m : page.results) {
    ctx.out().line(roster.label(m.chat_id) + "  " + message_text(roster, m, {.with_seq = true}));
  }
  if (page.results.empty()) ctx.out().line("(nothing found)");
  if (page.next) ctx.out().line("More: parley search --before " + *page.next + " ...");
  return kExitOk;
}

}  // namespace parley::cli
