// receipts: who has received and read a chat's messages ("read by 2 of 3").
#include <boost/json.hpp>

#include "cli/chat_roster.h"
#include "cli/commands.h"
#include "cli/output.h"

namespace parley::cli {

namespace json = boost::json;

namespace {

// Members a message `seq` counts for: those who were in the chat when it was
// said, not its sender.
std::vector<const client::ReceiptInfo*> counted_for(const std::vector<client::ReceiptInfo>& receipts, std::int64_t seq,
                                                    const std::string& sender) {
  std::vector<const client::ReceiptInfo*> out;
  for (const auto& r : receipts) {
    if (r.joined_seq < seq && r.user_id != sender) out.push_back(&r);
  }
  return out;
}

}  // namespace

int run_receipts(CommandContext& ctx, const ReceiptsArgs& args) {
  client::Session session = ctx.session();
  const ChatRoster roster = load_roster(ctx, session);
  const std::string chat_id = resolve_chat(session, roster, args.chat);
  const auto receipts = session.receipts(chat_id);
  if (args.seq == 0) {
    if (ctx.out().json()) {
      json::array list;
      for (const auto& r : receipts) {
        list.push_back(json::object{{"user_id", r.user_id},
                                    {"read_seq", r.read_seq},
                                    {"delivered_seq", r.delivered_seq},
                                    {"joined_seq", r.joined_seq}});
      }
      ctx.out().object({{"chat_id", chat_id}, {"receipts", std::move(list)}});
      return kExitOk;
    }
    if (receipts.empty()) ctx.out().line("No receipts you may see in " + roster.label(chat_id) + ".");
    for (const auto& r : receipts) {
      ctx.out().line(roster.display_name(r.user_id) + ": received up to #" + std::to_string(r.delivered_seq) +
                     ", read up to #" + std::to_string(r.read_seq));
    }
    return kExitOk;
  }

  // One message: its sender is not counted, nor members added after it.
  auto page = session.history(chat_id, {.after = args.seq - 1, .limit = 1});
  if (page.empty() || page.front().seq != args.seq) {
    throw CliError(kExitServerError, "not_found",
                   "no message #" + std::to_string(args.seq) + " in " + roster.label(chat_id));
  }
  const auto counted = counted_for(receipts, args.seq, page.front().sender_id);
  std::vector<std::string> read;
  std::vector<std::string> received;
  for (const auto* r : counted) {
    if (r->read_seq >= args.seq) read.push_back(r->user_id);
    if (r->delivered_seq >= args.seq) received.push_back(r->user_id);
  }
  if (ctx.out().json()) {
    auto ids = [](const std::vector<std::string>& v) { return json::array(v.begin(), v.end()); };
    ctx.out().object({{"chat_id", chat_id},
                      {"seq", args.seq},
                      {"members", counted.size()},
                      {"delivered_to", ids(received)},
                      {"read_by", ids(read)}});
    return kExitOk;
  }
  auto names = [&](const std::vector<std::string>& ids) {
    std::string out;
    for (const auto& id : ids) out += (out.empty() ? " (" : ", ") + roster.display_name(id);
    return out.empty() ? out : out + ")";
  };
  const std::string of = " of " + std::to_string(counted.size());
  ctx.out().line("#" + std::to_string(args.seq) + ": read by " + std::to_string(read.size()) + of + names(read) +
                 "; received by " + std::to_string(received.size()) + of + names(received));
  return kExitOk;
}

}  // namespace parley::cli
