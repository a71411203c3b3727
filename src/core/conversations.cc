#include "core/conversations.h"

#include <algorithm>
#include <functional>

#include "core/senders_read.h"

namespace parley {

Conversations::Conversations(ChatDirectory& chats, Privacy& privacy, ChatStore& chat_store, MessageLog& log,
                             EventSink& sink)
    : chats_(chats), privacy_(privacy), chat_store_(chat_store), log_(log), sink_(sink) {}

bool Conversations::typing_from_memory(const ChatId& chat_id) {
  ChatPtr chat = chats_.cached(chat_id);
  if (!chat) return false;
  for (const auto& m : chat->members) {
    if (!privacy_.cached(m.user_id)) return false;
  }
  return true;
}

Result<std::vector<Message>> Conversations::history(const UserId& me, const ChatId& chat_id,
                                                    const HistoryQuery& query) {
  if (query.before && query.after) return make_error(ErrorCode::invalid_request, "use either before or after");
  if (query.limit == 0 || query.limit > kMaxHistoryLimit) {
    return make_error(ErrorCode::invalid_request, "limit must be 1 to 200");
  }
  auto readable = chats_.find_for_reader(me, chat_id);
  if (!readable) return readable.error();
  // A member sees what was said after they joined, a former member what was
  // said until they left, and no message withheld from them. A page short of
  // withheld messages reads on, so that a page shorter than the limit still
  // means "no more".
  const Seq joined = readable->joined_seq;
  const std::optional<Seq> until = readable->until_seq;
  std::vector<Message> out;
  if (query.after) {
    Seq after = std::max(*query.after, joined);
    while (out.size() < query.limit && (!until || after < *until)) {
      auto page = log_.read_after(chat_id, after, query.limit - out.size());
      if (!page) return page.error();
      const bool exhausted = page->size() < query.limit - out.size();
      if (!page->empty()) after = page->back().seq;
      for (auto& m : *page) {
        if (until && m.seq > *until) break;
        if (visible_to(m, me)) out.push_back(std::move(m));
      }
      if (exhausted) break;
    }
    return out;
  }
  // before=0 would mean "newest" to the store; nothing is older than seq 1.
  if (query.before && *query.before <= joined + 1) return out;
  Seq before = query.before.value_or(0);  // 0: from the newest
  if (until && (before == 0 || before > *until + 1)) before = *until + 1;
  while (out.size() < query.limit && (before == 0 || before > joined + 1)) {
    auto page = log_.read_before(chat_id, before, query.limit - out.size());
    if (!page) return page.error();
    const bool exhausted = page->size() < query.limit - out.size();
    if (!page->empty()) before = page->back().seq;
    for (auto& m : *page) {
      if (m.seq > joined && visible_to(m, me)) out.push_back(std::move(m));
    }
    if (exhausted) break;
  }
  return out;
}

Result<Seq> Conversations::mark_read(const AuthContext& reader, const ChatId& chat_id, Seq seq) {
  auto readable = chats_.find_for_reader(reader.user_id, chat_id);
  if (!readable) return readable.error();
  const ChatPtr& chat = readable->chat;
  Seq marker;
  {
    auto turn = marker_writers_.acquire(chat_id + '\0' + reader.user_id);
    auto current = chat_store_.read_marker(chat_id, reader.user_id);
    if (!current) return current.error();
    auto last = log_.last_seq(chat_id);
    if (!last) return last.error();
    // Never past the end: the chat's, or a former member's.
    marker = std::min({seq, *last, readable->until_seq.value_or(*last)});
    if (marker <= *current) return *current;
    const ReadMarker raised{chat_id, reader.user_id, marker};
    if (auto ok = chat_store_.raise_read_markers({&raised, 1}); !ok) return ok.error();
  }
  // The reader's other devices always; the members unless the audience keeps
  // it back, and never what a former member reads.
  std::vector<UserId> members;
  if (!readable->until_seq) members = privacy_.audience(*chat, reader.user_id);
  members.push_back(reader.user_id);
  sink_.deliver(members, std::make_shared<const Event>(ReceiptEvent{chat_id, reader.user_id, marker}),
                reader.device_id);
  return marker;
}

void Conversations::senders_have_read(const std::vector<Message>& stored) {
  SendersRead read;
  for (const auto& m : stored) {
    if (chats_.sender_reads(m.chat_id, m.sender_id, m.kind)) read.add(m);
  }
  const std::vector<ReadMarker> markers = read.markers();
  // A raise never moves a marker back, so this needs neither mark_read's
  // turn nor a read. A failed write leaves the markers where they were: the
  // messages are stored either way, and the sender's next read receipt
  // moves them.
  (void)chat_store_.raise_read_markers(markers);
}

Status Conversations::typing(const AuthContext& typist, const ChatId& chat_id) {
  auto chat = chats_.find_for_member(typist.user_id, chat_id);
  if (!chat) return chat.error();
  std::vector<UserId> others = privacy_.audience(**chat, typist.user_id);
  if (others.empty()) return Ok{};
  sink_.deliver(others, std::make_shared<const Event>(TypingEvent{chat_id, typist.user_id}));
  return Ok{};
}

Result<std::vector<ChatView>> Conversations::list_chats(const UserId& me) {
  auto chats = chats_.listed_chats_of(me);
  if (!chats) return chats.error();
  std::vector<ChatView> out;
  out.reserve(chats->size());
  for (const auto& chat : *chats) {
    auto view = chats_.view(*chat, &me);
    if (!view) return view.error();
    out.push_back(std::move(*view));
  }
  return out;
}

Result<std::vector<Conversations::OwedChat>> Conversations::resume_chats(const UserId& user) {
  auto chats = chats_.chats_of(user);
  if (!chats) return chats.error();
  std::vector<OwedChat> out;
  out.reserve(chats->size());
  for (const auto& chat : *chats) {
    const Member* me = chat->member(user);
    out.push_back({chat->id, me ? me->joined_seq : 0, std::nullopt});
  }
  // What was said while they were a member of a chat that has since ended
  // for them: a device away since then is owed it too.
  auto ended = chats_.ended_chats_of(user);
  if (!ended) return ended.error();
  for (const auto& chat : *ended) {
    const FormerMember* me = chat->former_member(user);
    out.push_back({chat->id, me->joined_seq, me->left_seq});
  }
  return out;
}

Result<std::vector<Message>> Conversations::backlog(const ChatId& chat_id, LogOffset after, LogOffset up_to,
                                                    std::size_t limit) {
  auto page = log_.read_offset_range(chat_id, after, up_to, limit);
  if (!page) return page;
  const ShardId shard = log_.shard_of(chat_id);
  for (Message& m : *page) m.shard = shard;
  return page;
}

}  // namespace parley
