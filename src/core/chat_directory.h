#pragma once
// ChatDirectory: chats and their members. Owns the in-memory cache of chats
// (immutable snapshots, replaced on every membership change) that the send
// and fan-out paths read without touching storage.
// Thread-safe. Changes to one chat take turns (KeyedSerializer), and so do
// find-or-create calls for one user pair; the cache shard mutexes are held for
// map operations only, never across a store read or a synced write. Writers in
// other processes (cluster nodes) are caught by the store's version check: a
// change refused as `conflict` is applied again to the version that won. A
// stale cache on another node is safe for sends: the sequencer refuses a
// message validated against a version older than the last change it heard
// of (MessageSequencer::chat_changed), and the pipeline validates it again.

#include <array>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/accounts.h"
#include "core/config.h"
#include "core/group_events.h"
#include "core/keyed_serializer.h"
#include "core/membership_index.h"
#include "core/ports.h"

namespace parley {

using ChatPtr = std::shared_ptr<const Chat>;

class ChatDirectory {
 public:
  // `sequencer` hears of every membership change (MessageSequencer::chat_changed).
  ChatDirectory(ChatStore& store, MessageLog& log, MessageSequencer& sequencer, Accounts& accounts,
                Credentials& credentials, EventSink& sink, Clock& clock, const CoreConfig& config);

  struct Opened {
    ChatPtr chat;
    bool created = false;
  };
  // The one direct chat of the pair, created on first use.
  Result<Opened> open_direct(const UserId& me, const UserId& peer);
  // `member_ids` may or may not name the creator, who becomes the admin.
  Result<ChatPtr> create_group(const UserId& me, const std::string& name, const std::vector<UserId>& member_ids);
  // Admins only. Adding a member twice changes nothing.
  Result<ChatPtr> add_member(const UserId& me, const ChatId& chat_id, const UserId& user);
  // Admins, or anyone removing themselves (leaving). The user becomes a
  // former member (Chat::former): the chat has ended for them.
  Result<ChatPtr> remove_member(const UserId& me, const ChatId& chat_id, const UserId& user);
  // A former member forgets the ended chat: it leaves their chat list and
  // their history for good. A member must leave first (invalid_request).
  // Only the user's own devices are told (ChatEventKind::forgotten).
  Status forget(const UserId& me, const ChatId& chat_id);
  // Admins only; a group's name, as when it was created. The same name again changes nothing.
  Result<ChatPtr> rename_group(const UserId& me, const ChatId& chat_id, const std::string& name);
  // Admins only: makes a member an admin or a member again. A group keeps at
  // least one admin: the last one cannot step down (invalid_request).
  Result<ChatPtr> set_role(const UserId& me, const ChatId& chat_id, const UserId& user, MemberRole role);

  // Any member, for themselves: no pushes for the chat until `until` (ms
  // since the epoch; kMutedForever: until unmuted); 0 unmutes. Only the
  // member's own devices are told (ChatEventKind::muted).
  Result<ChatPtr> set_muted(const UserId& me, const ChatId& chat_id, TimeMs until);

  // The member accepts a message request (Member::pending): it stops being
  // one. Accepting what is not a request changes nothing. Only the member's
  // own devices are told (ChatEventKind::accepted).
  Result<ChatPtr> accept(const UserId& me, const ChatId& chat_id);

  // Hears of every change of a group made here once it is durable, with who
  // made it, to write it into the group's timeline. Set before use.
  using GroupEventHook = std::function<void(const UserId& actor, const ChatId& chat_id, const GroupEvent& event)>;
  void on_group_event(GroupEventHook hook) { group_event_hook_ = std::move(hook); }

  // nullptr when there is no such chat; an error when the store could not answer.
  Result<ChatPtr> find(const ChatId& chat_id);
  // The chat if it is cached, else nullptr; never reads the store. A cached
  // chat stays cached (replaced by newer versions, never dropped), so find()
  // answers it without the store afterwards too.
  ChatPtr cached(const ChatId& chat_id);
  // Whether the sender of a message has read its chat up to it: always,
  // but for a timeline line whose sender is no longer a member (it left).
  bool sender_reads(const ChatId& chat_id, const UserId& sender, MessageKind kind);
  // The chat if `me` is a member: not_found / forbidden otherwise.
  Result<ChatPtr> find_for_member(const UserId& me, const ChatId& chat_id);
  // What of the chat `me` may read: a member from when they joined, a former
  // member up to when they left. not_found / forbidden otherwise.
  struct Readable {
    ChatPtr chat;
    Seq joined_seq = 0;            // nothing at or before it
    std::optional<Seq> until_seq;  // a former member: nothing after it
  };
  Result<Readable> find_for_reader(const UserId& me, const ChatId& chat_id);
  // The chats `user` is a former member of, in chat id order.
  Result<std::vector<ChatPtr>> ended_chats_of(const UserId& user);
  // Its chat list: the chats of both kinds above, in chat id order.
  Result<std::vector<ChatPtr>> listed_chats_of(const UserId& user);
  Result<std::vector<ChatPtr>> chats_of(const UserId& user);
  // Users sharing a direct chat with `user`: who sees its presence changes.
  Result<std::vector<UserId>> direct_contacts(const UserId& user);
  // `except`, when set, does not count. From memory once both users' chats are indexed.
  Result<bool> shares_chat(const UserId& a, const UserId& b, const ChatId* except = nullptr);
  // The pair's direct chat, nullptr when they have none. A pair's chat never
  // changes once made, so it is remembered after the first lookup.
  Result<ChatPtr> direct_between(const UserId& a, const UserId& b);

  // The chat as clients see it; read_seq, unread and muted_until are filled
  // only when `for_user` is set.
  Result<ChatView> view(const Chat& chat, const UserId* for_user = nullptr);

  // The user changed its display name: every chat of the user is announced
  // (member_renamed) to its members, with the new name in the view.
  void announce_rename(const UserId& user);

  // Someone else (another node) changed the chat: reload it from the store
  // and bring the cache and the membership index up to date.
  Status refresh(const ChatId& chat_id);

 private:
  // Returns the edited copy of `current`, nullopt to leave it as it is, or an error.
  using Edit = std::function<Result<std::optional<Chat>>(const Chat& current)>;
  // Applies `edit` to the current version and stores the result as the next
  // version, again on the winner's version when another writer got there first.
  Result<ChatPtr> change(const ChatId& chat_id, const Edit& edit);
  struct Shard {
    std::mutex mutex;
    std::unordered_map<ChatId, ChatPtr> chats;
  };
  Shard& shard(const ChatId& id);
  // Writes the chat, then caches it. Call holding the chat's turn, or for a new chat.
  Status persist(const ChatPtr& chat);
  void announce(ChatEventKind kind, const Chat& chat, const std::vector<UserId>& extra_recipients = {});
  Status valid_group_name(const std::string& name) const;
  // Ok when `me` is an admin of the group `chat`; otherwise the refusal:
  // forbidden for a stranger or a plain member, invalid_request for a direct chat.
  static Status group_admin(const Chat& chat, const UserId& me, const char* if_direct, const char* if_not_admin);
  // How many text messages of others `user` has not read in the chat
  // (read up to `seen`).
  Result<std::uint64_t> unread_messages(const ChatId& chat_id, const UserId& user, Seq seen, Seq last_seq);
  void timeline(const UserId& actor, const ChatId& chat_id, GroupEvent event);

  ChatStore& store_;
  MessageLog& log_;
  MessageSequencer& sequencer_;
  Accounts& accounts_;
  Credentials& credentials_;
  EventSink& sink_;
  Clock& clock_;
  const CoreConfig& config_;
  MembershipIndex members_;       // user -> chats, for chats_of and shares_chat
  KeyedSerializer chat_writers_;  // by chat id
  KeyedSerializer direct_pairs_;  // by user pair: makes find-or-create of a direct chat atomic
  std::array<Shard, 64> shards_;
  std::mutex direct_ids_mutex_;
  std::unordered_map<std::string, ChatId> direct_ids_;  // by NUL-joined ordered pair
  GroupEventHook group_event_hook_;
};

}  // namespace parley
