#pragma once
// Conversations: what members do in a chat besides sending — read history,
// mark messages read, say they are typing — and the backlog a reconnecting
// device is owed. Thread-safe.

#include <optional>
#include <vector>

#include "core/accounts.h"
#include "core/chat_directory.h"
#include "core/config.h"
#include "core/keyed_serializer.h"
#include "core/ports.h"
#include "core/privacy.h"

namespace parley {

struct HistoryQuery {
  std::optional<Seq> before;  // exclusive; newest first
  std::optional<Seq> after;   // exclusive; oldest first
  std::size_t limit = 50;
};

class Conversations {
 public:
  static constexpr std::size_t kMaxHistoryLimit = 200;

  Conversations(ChatDirectory& chats, Privacy& privacy, ChatStore& chat_store, MessageLog& log, EventSink& sink);

  Result<std::vector<Message>> history(const UserId& me, const ChatId& chat_id, const HistoryQuery& query);
  // Moves the reader's marker forward (never back, never past the last
  // message) and tells the other members and the reader's other devices.
  Result<Seq> mark_read(const AuthContext& reader, const ChatId& chat_id, Seq seq);
  // A sender has read what it sent: after a commit, each sender's read marker
  // in each chat moves up to the newest seq it just stored there (never
  // back; ChatDirectory::sender_reads). One store write per commit batch,
  // however many messages and senders it holds. No receipt event: nobody
  // learns anything new. Only for a sequencer that does not raise them in
  // the commit itself (MessageSequencer::raises_read_markers).
  void senders_have_read(const std::vector<Message>& stored);
  Status typing(const AuthContext& typist, const ChatId& chat_id);
  Result<std::vector<ChatView>> list_chats(const UserId& me);

  // A chat whose messages a device is owed on resume: those after joined_seq
  // (and up to until_seq).
  struct OwedChat {
    ChatId chat_id;
    Seq joined_seq = 0;
    std::optional<Seq> until_seq{};  // a chat that ended for the user: nothing after it
    bool operator==(const OwedChat&) const = default;
  };
  // The chats whose messages a device of `user` is owed on resume.
  Result<std::vector<OwedChat>> resume_chats(const UserId& user);
  // Messages of a chat with after < offset <= up_to, in seq order. An error
  // means the page could not be read: the caller must not skip past it.
  Result<std::vector<Message>> backlog(const ChatId& chat_id, LogOffset after, LogOffset up_to, std::size_t limit);
  // The log shard of the chat's messages (what backlog's offsets count).
  ShardId shard_of(const ChatId& chat_id) const { return log_.shard_of(chat_id); }
  // Whether typing() in the chat answers without the store (the chat and
  // every member's privacy profile are cached).
  bool typing_from_memory(const ChatId& chat_id);

 private:
  ChatDirectory& chats_;
  Privacy& privacy_;
  ChatStore& chat_store_;
  MessageLog& log_;
  EventSink& sink_;
  KeyedSerializer marker_writers_;  // by chat and reader: markers never move back
};

}  // namespace parley
