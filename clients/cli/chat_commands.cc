// chats, dm, group, send, edit, delete, react, reply, history: one REST
// exchange each (plus the chat list, to resolve a CHAT argument and to name
// senders).
#include <algorithm>
#include <random>
#include <thread>

#include <boost/json.hpp>

#include "cli/chat_roster.h"
#include "cli/commands.h"
#include "cli/event_text.h"
#include "cli/output.h"
#include "cli/terminal.h"

namespace parley::cli {

namespace json = boost::json;

ChatRoster load_roster(CommandContext& ctx, client::Session& session) {
  ChatRoster roster(ctx.login().user_id);
  roster.reset(session.list_chats());
  return roster;
}

std::string user_id_by_email(client::Session& session, const std::string& email) {
  try {
    return session.find_user_by_email(email).user_id;
  } catch (const client::ApiError& e) {
    if (e.status() == 404) throw CliError(kExitServerError, "not_found", "no user with the e-mail " + email, 404);
    throw;
  }
}

namespace {

// The chat after dm/group: its id for people and scripts, or the chat object.
void print_created(CommandContext& ctx, const client::ChatInfo& chat) {
  if (ctx.out().json()) {
    json::object o = chat.raw;
    o["created"] = chat.http_status == 201;
    ctx.out().object(o);
  } else {
    ctx.out().line(chat.chat_id);
  }
}

}  // namespace

std::string new_client_msg_id() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  char buf[33];
  std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(rng()),
                static_cast<unsigned long long>(rng()));
  return buf;
}

int run_chats(CommandContext& ctx) {
  client::Session session = ctx.session();
  ChatRoster roster = load_roster(ctx, session);
  std::vector<client::ChatInfo> chats = roster.chats();
  std::stable_sort(chats.begin(), chats.end(),
                   [](const auto& a, const auto& b) { return last_activity(a) > last_activity(b); });
  for (const auto& chat : chats) {
    if (ctx.out().json()) {
      ctx.out().object(chat.raw);
    } else {
      ctx.out().line(chat_row_text(roster, chat));
    }
  }
  if (chats.empty() && !ctx.out().json()) ctx.out().line("No chats yet. Start one with: parley dm EMAIL");
  return kExitOk;
}

int run_dm(CommandContext& ctx, const std::string& email) {
  client::Session session = ctx.session();
  const std::string peer = user_id_by_email(session, email);
  if (peer == session.user_id()) throw usage_error("that is your own e-mail: a direct chat needs someone else");
  print_created(ctx, session.create_direct(peer));
  return kExitOk;
}

int run_group(CommandContext& ctx, const GroupArgs& args) {
  client::Session session = ctx.session();
  std::vector<std::string> member_ids;
  for (const auto& email : args.emails) {
    const std::string id = user_id_by_email(session, email);
    // The creator is a member anyway; list nobody twice.
    if (id != session.user_id() && std::find(member_ids.begin(), member_ids.end(), id) == member_ids.end()) {
      member_ids.push_back(id);
    }
  }
  print_created(ctx, session.create_group(args.name, member_ids));
  return kExitOk;
}

int run_group_rename(CommandContext& ctx, const GroupRenameArgs& args) {
  client::Session session = ctx.session();
  const ChatRoster roster = load_roster(ctx, session);
  const std::string chat_id = resolve_chat(session, roster, args.chat);
  session.rename_group(chat_id, args.name);
  return kExitOk;
}

int run_role(CommandContext& ctx, const RoleArgs& args) {
  client::Session session = ctx.session();
  const ChatRoster roster = load_roster(ctx, session);
  const std::string chat_id = resolve_chat(session, roster, args.chat);
  session.set_role(chat_id, user_id_by_email(session, args.email), args.role);
  return kExitOk;
}

int run_mute(CommandContext& ctx, const MuteArgs& args) {
  client::Session session = ctx.session();
  const ChatRoster roster = load_roster(ctx, session);
  const std::string chat_id = resolve_chat(session, roster, args.chat);
  std::optional<std::int64_t> until;
  if (args.hours > 0) until = now_ms() + static_cast<std::int64_t>(args.hours * 3'600'000.0);
  session.mute(chat_id, until);
  return kExitOk;
}

int run_unmute(CommandContext& ctx, const std::string& chat) {
  client::Session session = ctx.session();
  const ChatRoster roster = load_roster(ctx, session);
  const std::string chat_id = resolve_chat(session, roster, chat);
  session.unmute(chat_id);
  return kExitOk;
}

namespace {

// Sends `body` (given a fresh client_msg_id) and prints the new entry's seq.
// Resending the same client_msg_id is idempotent, so a lost answer or an
// `overloaded` refusal is simply retried: the entry is stored at most once.
int send_entry(CommandContext& ctx, client::Session& session, const std::string& chat_id, json::object body) {
  const std::string cmid = new_client_msg_id();
  body["client_msg_id"] = cmid;
  client::SendResult sent;
  for (int attempt = 1;; ++attempt) {
    try {
      sent = session.send_body(chat_id, body);
      break;
    } catch (const client::HttpError&) {
      if (attempt == 3) throw;
    } catch (const client::ApiError& e) {
      if (e.status() != 503 || attempt == 3) throw;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(250 * attempt * attempt));
  }
  if (ctx.out().json()) {
    ctx.out().object({{"chat_id", chat_id}, {"seq", sent.seq}, {"ts", sent.ts}, {"client_msg_id", cmid}});
  } else {
    ctx.out().line(std::to_string(sent.seq));
  }
  return kExitOk;
}

std::string text_or_stdin(const std::string& text) {
  std::string out = text.empty() || text == "-" ? read_all_stdin() : text;
  if (out.empty()) throw usage_error("nothing to send: the text is empty");
  return out;
}

}  // namespace

int run_send(CommandContext& ctx, const SendArgs& args) {
  client::Session session = ctx.session();
  const ChatRoster roster = load_roster(ctx, session);
  const std::string chat_id = resolve_chat(session, roster, args.chat);
  return send_entry(ctx, session, chat_id, {{"text", text_or_stdin(args.text)}});
}

int run_action(CommandContext& ctx, const ActionArgs& args) {
  client::Session session = ctx.session();
  const ChatRoster roster = load_roster(ctx, session);
  const std::string chat_id = resolve_chat(session, roster, args.chat);
  json::object body;
  switch (args.kind) {
    case ActionKind::edit:
      body = {{"kind", "edit"}, {"target_seq", args.seq}, {"text", text_or_stdin(args.text)}};
      break;
    case ActionKind::remove:
      body = {{"kind", "delete"}, {"target_seq", args.seq}};
      break;
    case ActionKind::react:
      body = {{"kind", "reaction"}, {"target_seq", args.seq}, {"text", args.text}};
      break;
    case ActionKind::reply:
      body = {{"text", text_or_stdin(args.text)}, {"reply_to", args.seq}};
      break;
  }
  return send_entry(ctx, session, chat_id, std::move(body));
}

int run_history(CommandContext& ctx, const HistoryArgs& args) {
  client::Session session = ctx.session();
  const ChatRoster roster = load_roster(ctx, session);
  const std::string chat_id = resolve_chat(session, roster, args.chat);

  std::string target = "/v1/chats/" + client::url_encode(chat_id) + "/messages";
  char sep = '?';
  auto param = [&](const char* name, std::int64_t value) {
    target += sep + std::string(name) + "=" + std::to_string(value);
    sep = '&';
  };
  if (args.before) param("before", *args.before);
  if (args.after) param("after", *args.after);
  if (args.limit) param("limit", *args.limit);
  client::HttpResponse r = session.call("GET", target);
  if (!r.ok()) throw client::ApiError(r, "GET " + target);
  const json::value* list = r.json.is_object() ? r.json.as_object().if_contains("messages") : nullptr;
  if (list == nullptr || !list->is_array()) throw client::ApiError(r, "history (no messages array)");

  // Oldest first, whichever way the server paged.
  std::vector<json::object> messages;
  for (const auto& m : list->as_array()) {
    if (m.is_object()) messages.push_back(m.as_object());
  }
  std::sort(messages.begin(), messages.end(), [](const json::object& a, const json::object& b) {
    return client::int_field(a, "seq") < client::int_field(b, "seq");
  });
  for (const auto& m : messages) {
    if (ctx.out().json()) {
      ctx.out().object(m);
    } else {
      ctx.out().line(message_text(roster, client::MessageInfo::from_json(m), {.with_seq = true}));
    }
  }
  if (messages.empty() && !ctx.out().json()) ctx.out().line("(no messages)");
  return kExitOk;
}

}  // namespace parley::cli
