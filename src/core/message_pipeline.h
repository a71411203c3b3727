#pragma once
// MessagePipeline: the path of every message, from a validated send to a
// durable, acknowledged and delivered one.
//
//   any thread ──submit()──▶ pending queue ──▶ commit thread:
//     the MessageSequencer dedups by (chat, sender, client_msg_id), assigns
//     the next seq per chat and offset per shard and makes the batch durable
//     in one synced write per shard (group commit), then acks, then fan-out
//     to members' connected devices, then the committed offset goes to the
//     PushPlanner, which plans pushes on its own thread: no push work (push
//     targets, job writes) ever delays a commit or an ack.
//
// A batch is wholly durable or wholly absent, and nothing is acked before it
// is durable, so a crash can never leave a gap in a chat's seq. Fan-out
// happens on the commit thread in commit order, so every connection of this
// node sees each shard's messages in offset order and a resume cursor is exact.

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/accounts.h"
#include "core/chat_directory.h"
#include "core/config.h"
#include "core/ports.h"
#include "core/privacy.h"
#include "core/push_planner.h"

namespace parley {

struct SendRequest {
  AuthContext sender;
  ChatId chat_id;
  std::string client_msg_id;
  std::string text;  // an edit's new text; a reaction's emoji (empty: remove it); empty for a deletion
  MessageKind kind = MessageKind::text;
  Seq target_seq = 0;  // required for an action, 0 for a text message
  Seq reply_to = 0;    // a text message only
  // A deletion made for the sender by the operator (an erasure of the
  // account): allowed whether or not the sender is still a member or blocks
  // anyone; the commit still checks that the target is the sender's own.
  bool erasure = false;
};

struct SendAck {
  ChatId chat_id;
  std::string client_msg_id;
  Seq seq = 0;
  TimeMs ts = 0;
  LogOffset offset = 0;
  bool duplicate = false;  // an earlier send with the same client_msg_id
};

// Called exactly once, on the caller's thread when the send is rejected up
// front, else on the commit thread. Must not block.
using SendCallback = std::function<void(Result<SendAck>)>;

class MessagePipeline {
 public:
  MessagePipeline(MessageSequencer& sequencer, ChatDirectory& chats, Privacy& privacy, EventSink& sink,
                  PushPlanner& push_planner, Clock& clock, const CoreConfig& config);
  ~MessagePipeline();

  void start();
  // Commits and acknowledges everything already submitted, then stops.
  void stop();

  // Validates, then queues for the next commit. Thread-safe. Reads the
  // store unless validates_from_memory() said it need not.
  void submit(SendRequest request, SendCallback done);
  // Whether a send of `sender` into the chat is validated without the store
  // (the chat, and for a direct chat both members' privacy, are cached).
  bool validates_from_memory(const ChatId& chat_id, const UserId& sender);
  // The checks of a client's send that need no store (ids, text, kinds):
  // refused before anything is queued, so no bad send waits, and holds
  // memory, behind a cold chat.
  Status check_form(const SendRequest& request);

  // Called on the commit thread with each batch's newly stored messages,
  // before they are acknowledged (the sender's read marker moves with its
  // send: in the commit's write when the sequencer raises_read_markers(),
  // else through this hook; see Conversations::senders_have_read). Set
  // before start().
  using StoredHook = std::function<void(const std::vector<Message>&)>;
  void on_stored(StoredHook hook) { on_stored_ = std::move(hook); }
  // Whether a commit raises its senders' read markers in its own write.
  bool commit_raises_read_markers() const { return sequencer_.raises_read_markers(); }

  // Per shard, every message at or below this is durable and visible to readers.
  LogPosition committed_position() const { return sequencer_.committed_head(); }
  // Shard 0's part of it: a single node's whole log.
  LogOffset committed_offset() const { return committed_position().at(0); }

 private:
  struct Pending {
    SendRequest request;
    SendCallback done;
    int stale_attempts = 0;       // times the sequencer found its chat changed since validation
    bool may_delete_any = false;  // validate()'s answers
    bool withheld = false;
    TimeMs queued_at = 0;  // first queued, by the core's clock
  };
  struct Validated {
    bool may_delete_any = false;  // a group admin: may delete other members' messages
    bool withheld = false;        // the direct chat's other member blocks the sender
  };
  // Checks the request: the sender's rights in the chat, and blocks.
  Result<Validated> validate(const SendRequest& request);
  Status validate_text(const SendRequest& request);
  void run();
  void commit(std::vector<Pending>& batch);
  // Sends refused because their chat changed since they were validated: the
  // chat is reloaded and each is validated again and queued first, or
  // answered with why not.
  void revalidate(std::vector<Pending> stale);
  // Who gets each message: the chat's current members, one list per chat.
  using Recipients = std::shared_ptr<const std::vector<UserId>>;
  struct Delivery {
    Recipients recipients;
    std::uint64_t chat_version = 0;  // of the chat they were read from
  };
  Result<std::vector<Delivery>> recipients_of(const std::vector<ChatId>& chats);
  void fan_out(const std::vector<Message>& messages, PreparedFanOut& prepared);
  // Who got no live delivery, for the push planner: per message, its
  // recipients but the sender without a connected device when prepared.
  std::vector<OfflineAtCommit> offline_at_commit(const std::vector<Message>& messages,
                                                 const std::vector<Recipients>& recipients_of,
                                                 const PreparedFanOut& prepared);

  MessageSequencer& sequencer_;
  StoredHook on_stored_;
  ChatDirectory& chats_;
  Privacy& privacy_;
  EventSink& sink_;
  PushPlanner& push_planner_;
  Clock& clock_;
  const CoreConfig& config_;

  std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<Pending> queue_;
  bool running_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace parley
