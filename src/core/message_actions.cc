#include "core/message_actions.h"

#include <algorithm>
#include <string>

namespace parley {
namespace {

Error refusal(ErrorCode code, std::string message) {
  return make_error(code, std::move(message));
}

}  // namespace

bool is_action_refusal(const Error& error) {
  return error.code == ErrorCode::not_found || error.code == ErrorCode::forbidden ||
         error.code == ErrorCode::invalid_request;
}

Result<ActionBatch::Entry*> ActionBatch::get(const ChatId& chat, Seq seq) {
  auto key = std::make_pair(chat, seq);
  if (auto it = seen_.find(key); it != seen_.end()) return &it->second;
  auto stored = lookup_(chat, seq);
  if (!stored) return stored.error();
  if (!*stored) return static_cast<Entry*>(nullptr);
  return &seen_.emplace(std::move(key), Entry{std::move(**stored), false, false}).first->second;
}

Status ActionBatch::check(const NewMessage& entry) {
  if (entry.kind == MessageKind::event) return Ok{};  // refers to no message
  const bool action = entry.kind != MessageKind::text;
  const Seq target_seq = action ? entry.target_seq : entry.reply_to;
  if (target_seq == 0) return Ok{};
  const char* what = action ? "target_seq" : "reply_to";
  auto target = get(entry.chat_id, target_seq);
  if (!target) return target.error();
  if (!*target) return refusal(ErrorCode::not_found, std::string(what) + " names no message of this chat");
  const Message& t = (*target)->message;
  if (t.kind != MessageKind::text) {
    return refusal(ErrorCode::invalid_request, std::string(what) + " must name a text message, not an action");
  }
  if (t.deleted) return refusal(ErrorCode::not_found, "that message was deleted");
  // Withheld from everyone but its sender: for the others it does not exist.
  if (!visible_to(t, entry.sender_id)) {
    return refusal(ErrorCode::not_found, std::string(what) + " names no message of this chat");
  }
  switch (entry.kind) {
    case MessageKind::text:
    case MessageKind::reaction:
    case MessageKind::event:
      return Ok{};
    case MessageKind::edit:
      if (t.sender_id != entry.sender_id) return refusal(ErrorCode::forbidden, "only its sender can edit a message");
      return Ok{};
    case MessageKind::deletion:
      if (t.sender_id != entry.sender_id && !entry.may_delete_any) {
        return refusal(ErrorCode::forbidden, "only its sender or a group admin can delete a message");
      }
      // The edit entries whose texts go too: read now, so apply() cannot fail.
      for (Seq edit : std::vector<Seq>(t.edit_seqs)) {
        if (auto read = get(entry.chat_id, edit); !read) return read.error();
      }
      return Ok{};
  }
  return Ok{};
}

void ActionBatch::apply(const Message& entry) {
  seen_.insert_or_assign({entry.chat_id, entry.seq}, Entry{entry, true, false});
  if (entry.kind == MessageKind::text || entry.kind == MessageKind::event) return;
  auto it = seen_.find({entry.chat_id, entry.target_seq});
  if (it == seen_.end()) return;  // check() read it; not reached
  Message& target = it->second.message;
  it->second.changed = true;
  if (target.withheld && !entry.withheld) {
    // An action on a withheld message is its sender's alone too.
    Entry& self = seen_.at({entry.chat_id, entry.seq});
    self.message.withheld = true;
    self.changed = true;
  }
  switch (entry.kind) {
    case MessageKind::text:
    case MessageKind::event:
      break;
    case MessageKind::edit:
      target.text = entry.text;
      target.edited_at = entry.ts;
      target.edit_seqs.push_back(entry.seq);
      break;
    case MessageKind::deletion:
      target.text.clear();
      target.deleted = true;
      target.reactions.clear();
      for (Seq edit : target.edit_seqs) {
        if (auto e = seen_.find({entry.chat_id, edit}); e != seen_.end()) {
          e->second.message.text.clear();
          e->second.changed = true;
        }
      }
      break;
    case MessageKind::reaction: {
      auto& reactions = target.reactions;
      auto mine = std::find_if(reactions.begin(), reactions.end(),
                               [&](const Reaction& r) { return r.user_id == entry.sender_id; });
      if (entry.text.empty()) {
        if (mine != reactions.end()) reactions.erase(mine);
      } else if (mine != reactions.end()) {
        mine->emoji = entry.text;
      } else {
        reactions.push_back(Reaction{entry.sender_id, entry.text});
      }
      break;
    }
  }
}

std::vector<Message> ActionBatch::finish(std::vector<Message>& fresh) {
  for (Message& m : fresh) {
    auto it = seen_.find({m.chat_id, m.seq});
    if (it != seen_.end() && it->second.changed) {
      const LogOffset offset = m.offset;
      const ShardId shard = m.shard;
      m = it->second.message;
      m.offset = offset;
      m.shard = shard;
    }
  }
  std::vector<Message> changed;
  for (auto& [key, entry] : seen_) {
    if (entry.changed && !entry.fresh) changed.push_back(entry.message);
  }
  return changed;
}

}  // namespace parley
