// `parley watch`: every chat's live traffic until SIGINT/SIGTERM, resuming
// from the stored cursor.
//
// Delivery contract: a message is printed (and flushed) before its cursor is
// stored, so a watch that is stopped or killed at any point resumes at the
// first message it has not printed: nothing is lost, and at most the one
// message being printed at the moment of a crash is shown again. A clean stop
// (signal) never repeats anything.
#include <boost/json.hpp>
#include <map>

#include "cli/chat_roster.h"
#include "cli/commands.h"
#include "cli/event_text.h"
#include "cli/live_link.h"
#include "cli/terminal.h"

namespace parley::cli {

namespace json = boost::json;
using client::str_field;

namespace {

class Watcher {
 public:
  Watcher(CommandContext& ctx, client::Session& session)
      : ctx_(ctx),
        session_(session),
        device_id_(ctx.login().device_id),
        roster_(ctx.login().user_id),
        cursor_(ctx.store().load_cursor(device_id_)) {}

  int run() {
    refresh_roster();
    install_stop_handlers();
    LiveLink link({ctx_.server(), ctx_.login().token, ctx_.login().user_id}, [this] { return cursor_; });
    on_connected(link.open(), link.node(), /*first=*/true);
    while (!stop_requested()) {
      LiveEvent ev = link.next(Ms(200));
      switch (ev.kind) {
        case LiveEvent::Kind::idle:
          break;
        case LiveEvent::Kind::connected:
          on_connected(ev.frame, link.node(), /*first=*/false);
          break;
        case LiveEvent::Kind::lost:
          ctx_.out().status("disconnected", ev.detail);
          break;
        case LiveEvent::Kind::frame:
          on_frame(ev.frame);
          break;
      }
      report_delivered(link);
    }
    link.close();
    return kExitOk;
  }

 private:
  void on_connected(const json::object& welcome, const ServerAddress& node, bool first) {
    resumed_ = cursor_.has_value();
    // Without a cursor the server sends live traffic only, and the welcome's
    // cursor is where that starts. With one, the backlog follows, and the
    // cursor moves only as it is printed.
    if (!resumed_) store_cursor(str_field(welcome, "cursor"));
    if (!first) refresh_roster();
    ctx_.out().status("connected", std::string(first ? "watching " : "reconnected to ") + node.url() +
                                       (resumed_ ? " (catching up from the last watch)" : " (live only)"));
  }

  void on_frame(json::object& frame) {
    const std::string type = str_field(frame, "type");
    const bool json_out = ctx_.out().json();
    if (type == "message") {
      const auto m = client::MessageInfo::from_json(frame);
      if (roster_.find(m.chat_id) == nullptr) refresh_roster();
      if (json_out) {
        ctx_.out().object(frame);
      } else {
        ctx_.out().line(message_text(roster_, m, {.with_chat = true}));
      }
      store_cursor(m.cursor);
      if (m.sender_id != roster_.self()) {
        auto& newest = received_[m.chat_id];
        newest = std::max(newest, m.seq);
      }
    } else if (type == "synced") {
      store_cursor(str_field(frame, "cursor"));
    } else if (type == "presence") {
      json_out ? ctx_.out().object(frame) : ctx_.out().line(presence_text(roster_, frame));
    } else if (type == "receipt") {
      json_out ? ctx_.out().object(frame) : ctx_.out().line(receipt_text(roster_, frame, true));
    } else if (type == "delivered") {
      json_out ? ctx_.out().object(frame) : ctx_.out().line(delivered_text(roster_, frame, true));
    } else if (type == "typing") {
      json_out ? ctx_.out().object(frame) : ctx_.out().line(typing_text(roster_, frame, true));
    } else if (type == "chat") {
      on_chat_event(frame);
    } else if (type == "error") {
      ctx_.out().warning(str_field(frame, "code"), str_field(frame, "message"));
    }
    // Anything else (acks, frame types added later) is not for a watcher.
  }

  void on_chat_event(const json::object& frame) {
    const auto* chat_value = frame.if_contains("chat");
    if (chat_value == nullptr || !chat_value->is_object()) return;
    const auto after = client::ChatInfo::from_json(chat_value->as_object());
    const client::ChatInfo* known = roster_.find(after.chat_id);
    std::optional<client::ChatInfo> before;
    if (known != nullptr) before = *known;
    roster_.put(after);
    if (ctx_.out().json()) {
      ctx_.out().object(frame);
    } else {
      ctx_.out().line(chat_event_text(roster_, str_field(frame, "event"), after, before ? &*before : nullptr));
    }
    if (!after.has_member(roster_.self())) roster_.erase(after.chat_id);
  }

  // Tells the senders what this device has printed: one "delivered" per chat
  // for everything since the last one, not one per message.
  void report_delivered(LiveLink& link) {
    if (!link.connected()) return;
    for (const auto& [chat_id, seq] : received_) {
      auto& sent = reported_[chat_id];
      if (seq <= sent) continue;
      if (link.send(json::object{{"type", "delivered"}, {"chat_id", chat_id}, {"seq", seq}})) sent = seq;
    }
  }

  void store_cursor(const std::string& cursor) {
    if (cursor.empty() || cursor == cursor_) return;
    cursor_ = cursor;
    ctx_.store().save_cursor(device_id_, cursor);
  }

  // Names for output. Best effort: a failure only makes the names poorer.
  void refresh_roster() {
    try {
      roster_.reset(session_.list_chats());
    } catch (const client::ApiError& e) {
      if (e.code() == "unauthorized") throw;
    } catch (const client::HttpError&) {
      // The WebSocket will notice too, and reconnect.
    }
  }

  CommandContext& ctx_;
  client::Session& session_;
  std::string device_id_;
  ChatRoster roster_;
  std::optional<std::string> cursor_;
  bool resumed_ = false;
  std::map<std::string, std::int64_t> received_;  // by chat: the newest seq printed from others
  std::map<std::string, std::int64_t> reported_;  // by chat: the newest seq reported delivered
};

}  // namespace

int run_watch(CommandContext& ctx) {
  client::Session session = ctx.session();
  Watcher watcher(ctx, session);
  return watcher.run();
}

}  // namespace parley::cli
