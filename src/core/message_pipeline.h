#pragma once
// MessagePipeline: the path of every message, from a validated send to a
// durable, acknowledged and delivered one.
//
//   any thread ──submit()──▶ pending queue ──▶ commit thread:
//     dedup by (chat, sender, client_msg_id), next seq per chat, next log
//     offset, ONE synced write for the whole batch (group commit), then acks,
//     then fan-out to members' connected devices, then the committed offset
//     goes to the PushPlanner, which plans pushes on its own thread: no push
//     work (push targets, job writes) ever delays a commit or an ack.
//
// Seq and offsets are assigned only on the commit thread, so they need no
// lock, follow commit order, and a crash can never leave a gap: a batch is
// either wholly durable or wholly absent, and nothing was acked before it.
// Fan-out happens on the same thread in commit order, so every connection
// sees messages in offset order and a resume cursor is exact.

#include <atomic>
#include <condition_variable>
#include <functional>
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
#include "core/push_planner.h"

namespace parley {

struct SendRequest {
  AuthContext sender;
  ChatId chat_id;
  std::string client_msg_id;
  std::string text;
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
  MessagePipeline(MessageLog& log, ChatDirectory& chats, EventSink& sink, PushPlanner& push_planner, Clock& clock,
                  const CoreConfig& config);
  ~MessagePipeline();

  // Reads the log's head. Throws std::runtime_error when it cannot (start-up only).
  void start();
  // Commits and acknowledges everything already submitted, then stops.
  void stop();

  // Validates, then queues for the next commit. Thread-safe.
  void submit(SendRequest request, SendCallback done);

  // Every message with offset <= this is durable and visible to readers.
  LogOffset committed_offset() const { return committed_offset_.load(std::memory_order_acquire); }
  // The same as a position in the log (this pipeline commits to one shard).
  LogPosition committed_position() const { return LogPosition({committed_offset()}); }

 private:
  struct Pending {
    SendRequest request;
    SendCallback done;
  };
  Status validate(const SendRequest& request);
  void run();
  void commit(std::vector<Pending>& batch);
  // Who gets each message: the chat's current members.
  struct Delivery {
    std::vector<UserId> recipients;
  };
  Result<std::vector<Delivery>> recipients_of(const std::vector<Message>& messages);
  void fan_out(const std::vector<Message>& messages, const std::vector<Delivery>& deliveries);
  // Who got no live delivery, for the push planner.
  std::vector<OfflineAtCommit> offline_at_commit(const std::vector<Message>& messages,
                                                 const std::vector<Delivery>& deliveries);
  // Never from a failed read: an error leaves the chat's counter unknown.
  Result<Seq> next_seq(const ChatId& chat);
  // Nothing of the batch is durable: answer every send with `error` and
  // forget what was assigned so the next batch re-reads the log.
  void fail_batch(std::vector<Pending>& batch, const Error& error);

  MessageLog& log_;
  ChatDirectory& chats_;
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

  // Commit thread only.
  std::unordered_map<ChatId, Seq> last_seq_;
  std::optional<LogOffset> last_offset_;  // nullopt: unknown until read again
  std::atomic<LogOffset> committed_offset_{0};
};

}  // namespace parley
