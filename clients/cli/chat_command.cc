// `parley chat CHAT`: one conversation, interactively. Shows recent history,
// then the live conversation; every line typed on stdin is sent. EOF or /quit
// leave once every sent line is acknowledged and shown; SIGINT/SIGTERM leave
// at once.
//
// It connects without a cursor, so it never moves the stored cursor of
// `parley watch`; instead it tracks the newest seq shown and fills any gap
// (a reconnect, or a seq that jumps) from history with `after=`. Lines wait in
// an outbox until acked, and are resent with the same client_msg_id after a
// reconnect, so each is stored exactly once.
#include <unistd.h>

#include <boost/json.hpp>

#include "cli/chat_roster.h"
#include "cli/commands.h"
#include "cli/event_text.h"
#include "cli/live_link.h"
#include "cli/terminal.h"

namespace parley::cli {

namespace json = boost::json;
using client::int_field;
using client::str_field;
using Clock = std::chrono::steady_clock;

namespace {

constexpr Ms kResendAfter{10000};  // an unacked send (e.g. lost to rate limiting)
constexpr Ms kDrainLimit{20000};   // how long leaving waits for acks

struct PendingSend {
  std::string client_msg_id;
  std::string text;
  Clock::time_point sent_at{};  // epoch when not yet on the wire
};

class Conversation {
 public:
  Conversation(CommandContext& ctx, client::Session& session, ChatRoster& roster, std::string chat_id)
      : ctx_(ctx),
        session_(session),
        roster_(roster),
        chat_id_(std::move(chat_id)),
        link_({ctx.server(), ctx.login().token, ctx.login().user_id}, [] { return std::nullopt; }) {}

  int run(int history) {
    install_stop_handlers();
    link_.open();  // before reading history, so that nothing falls in between
    show_history(history);
    subscribe_presence();
    if (!ctx_.out().json()) {
      ctx_.out().status("connected", "chatting in " + roster_.label(chat_id_) +
                                         ": type a line and press Enter to send; /quit or Ctrl-D leaves");
    }
    LineReader input(STDIN_FILENO);
    std::optional<Clock::time_point> leaving_since;
    while (!stop_requested()) {
      LiveEvent ev = link_.next(Ms(40));
      if (ev.kind == LiveEvent::Kind::connected) {
        ctx_.out().status("connected", "reconnected");
        // Whatever was on the wire when the link died may be lost: resend it all
        // (same client_msg_id, so the server stores each line once).
        for (auto& p : outbox_) p.sent_at = {};
        fill_gap();
        subscribe_presence();
      } else if (ev.kind == LiveEvent::Kind::lost) {
        ctx_.out().status("disconnected", ev.detail);
      } else if (ev.kind == LiveEvent::Kind::frame) {
        if (!on_frame(ev.frame)) return kExitServerError;
      }
      if (!leaving_since) {
        for (auto& line : input.poll(Ms(0))) {
          if (line == "/quit" || line == "/exit") {
            leaving_since = Clock::now();
            break;
          }
          if (!line.empty()) outbox_.push_back({new_client_msg_id(), std::move(line), {}});
        }
        if (input.eof() && !leaving_since) leaving_since = Clock::now();
      }
      flush_outbox();
      mark_read();
      // Leave once every line is acked and shown (its echo has come back).
      if (leaving_since && outbox_.empty() && last_seq_ >= acked_seq_) break;
      if (leaving_since && Clock::now() - *leaving_since > kDrainLimit) {
        if (outbox_.empty()) break;  // stored; only the echo is late
        throw CliError(kExitServerError, "not_acknowledged",
                       std::to_string(outbox_.size()) + " message(s) were not acknowledged by the server");
      }
    }
    link_.close();
    return kExitOk;
  }

 private:
  void show_history(int limit) {
    if (limit <= 0) {
      last_seq_ = current_last_seq();  // live only; a later seq jump fills from here
      return;
    }
    auto recent = session_.history(chat_id_, {.limit = limit});  // newest first
    for (auto it = recent.rbegin(); it != recent.rend(); ++it) show(*it, std::nullopt);
    if (recent.empty()) last_seq_ = current_last_seq();
  }

  std::int64_t current_last_seq() {
    const client::ChatInfo* chat = roster_.find(chat_id_);
    return chat != nullptr ? chat->last_seq : 0;
  }

  // Everything after the newest seq shown, from history, oldest first.
  void fill_gap() {
    for (;;) {
      auto page = session_.history(chat_id_, {.after = last_seq_, .limit = 200});
      for (const auto& m : page) show(m, std::nullopt);
      if (page.size() < 200) return;
    }
  }

  void show(const client::MessageInfo& m, const std::optional<json::object>& frame) {
    if (m.seq <= last_seq_) return;  // shown already (history and live overlap)
    last_seq_ = m.seq;
    if (ctx_.out().json()) {
      json::object o = frame ? *frame : json::object{};
      if (!frame) {
        o = {{"type", "message"},
             {"chat_id", m.chat_id},
             {"seq", m.seq},
             {"sender_id", m.sender_id},
             {"text", m.text},
             {"ts", m.ts},
             {"client_msg_id", m.client_msg_id}};
      }
      ctx_.out().object(o);
    } else {
      ctx_.out().line(message_text(roster_, m, {}));
    }
  }

  void subscribe_presence() {
    const client::ChatInfo* chat = roster_.find(chat_id_);
    if (chat == nullptr || chat->kind != "direct") return;
    if (const client::MemberInfo* peer = roster_.peer_of(*chat)) {
      link_.send(json::object{{"type", "presence_subscribe"}, {"user_ids", json::array{json::value(peer->user_id)}}});
    }
  }

  // False when the conversation is over for us (removed from the chat).
  bool on_frame(const json::object& frame) {
    const std::string type = str_field(frame, "type");
    const bool json_out = ctx_.out().json();
    const bool here = str_field(frame, "chat_id") == chat_id_;
    if (type == "message" && here) {
      const auto m = client::MessageInfo::from_json(frame);
      if (m.seq > last_seq_ + 1) fill_gap();
      show(m, frame);
    } else if (type == "ack") {
      acked_seq_ = std::max(acked_seq_, int_field(frame, "seq", 0));
      std::erase_if(outbox_,
                    [&](const PendingSend& p) { return p.client_msg_id == str_field(frame, "client_msg_id"); });
      if (json_out) ctx_.out().object(frame);
    } else if (type == "error") {
      on_error(frame);
    } else if (type == "presence") {
      const client::ChatInfo* chat = roster_.find(chat_id_);
      if (chat != nullptr && chat->has_member(str_field(frame, "user_id"))) {
        json_out ? ctx_.out().object(frame) : ctx_.out().line(presence_text(roster_, frame));
      }
    } else if (type == "receipt" && here && str_field(frame, "user_id") != roster_.self()) {
      json_out ? ctx_.out().object(frame) : ctx_.out().line(receipt_text(roster_, frame, false));
    } else if (type == "delivered" && here) {
      json_out ? ctx_.out().object(frame) : ctx_.out().line(delivered_text(roster_, frame, false));
    } else if (type == "typing" && here) {
      json_out ? ctx_.out().object(frame) : ctx_.out().line(typing_text(roster_, frame, false));
    } else if (type == "chat") {
      return on_chat_event(frame);
    }
    return true;
  }

  void on_error(const json::object& frame) {
    const std::string ref = str_field(frame, "ref");
    auto it =
        std::find_if(outbox_.begin(), outbox_.end(), [&](const PendingSend& p) { return p.client_msg_id == ref; });
    if (it == outbox_.end()) {
      // rate_limited names no ref: the unacked line is resent after kResendAfter.
      ctx_.out().warning(str_field(frame, "code"), str_field(frame, "message"));
      return;
    }
    ctx_.out().warning(str_field(frame, "code"), "not sent: " + str_field(frame, "message") + " — " + it->text);
    outbox_.erase(it);
  }

  bool on_chat_event(const json::object& frame) {
    const auto* chat_value = frame.if_contains("chat");
    if (chat_value == nullptr || !chat_value->is_object()) return true;
    const auto after = client::ChatInfo::from_json(chat_value->as_object());
    if (after.chat_id != chat_id_) return true;
    std::optional<client::ChatInfo> before;
    if (const client::ChatInfo* known = roster_.find(chat_id_)) before = *known;
    roster_.put(after);
    if (ctx_.out().json()) {
      ctx_.out().object(frame);
    } else {
      ctx_.out().line(chat_event_text(roster_, str_field(frame, "event"), after, before ? &*before : nullptr));
    }
    if (after.has_member(roster_.self())) return true;
    ctx_.out().error("forbidden", "you are no longer a member of " + roster_.label(chat_id_), kExitServerError);
    return false;
  }

  // Puts on the wire every line not sent yet, and resends stale ones.
  void flush_outbox() {
    if (!link_.connected()) return;
    const auto now = Clock::now();
    for (auto& p : outbox_) {
      if (p.sent_at != Clock::time_point{} && now - p.sent_at < kResendAfter) continue;
      json::object frame{{"type", "send"}, {"chat_id", chat_id_}, {"client_msg_id", p.client_msg_id}, {"text", p.text}};
      if (link_.send(frame)) p.sent_at = now;
    }
  }

  // Marks what is on screen as read.
  void mark_read() {
    if (last_seq_ <= read_sent_ || !link_.connected()) return;
    if (link_.send(json::object{{"type", "read"}, {"chat_id", chat_id_}, {"seq", last_seq_}})) read_sent_ = last_seq_;
  }

  CommandContext& ctx_;
  client::Session& session_;
  ChatRoster& roster_;
  std::string chat_id_;
  LiveLink link_;
  std::vector<PendingSend> outbox_;
  std::int64_t last_seq_ = 0;   // newest seq shown
  std::int64_t read_sent_ = 0;  // newest seq marked read
  std::int64_t acked_seq_ = 0;  // newest seq of our own sends
};

}  // namespace

int run_chat(CommandContext& ctx, const ChatArgs& args) {
  client::Session session = ctx.session();
  ChatRoster roster(ctx.login().user_id);
  roster.reset(session.list_chats());
  const std::string chat_id = resolve_chat(session, roster, args.chat);
  Conversation conversation(ctx, session, roster, chat_id);
  return conversation.run(args.history);
}

}  // namespace parley::cli
