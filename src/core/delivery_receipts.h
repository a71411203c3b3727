#pragma once
// DeliveryReceipts: members' delivery positions (the newest seq one of their
// devices has received in a chat), the "delivered" of sent ✓, delivered ✓✓,
// read.
//
// Devices report what they received; reports are gathered for a short
// window (CoreConfig::delivery_gather_ms) and then stored in one write and
// announced as one DeliveredEvent per chat to the members who may see them.
// Without the window every member of a group would announce every message to
// every other member, a storm quadratic in the group's size; with it a busy
// group costs one event per member per window.
//
// A position is never moved back nor past the chat's last message. A lost
// report (a failed write is retried; a crash loses at most one window) is
// made good by the device's next one. Thread-safe; owns one thread between
// start() and stop().

#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "core/chat_directory.h"
#include "core/config.h"
#include "core/ports.h"
#include "core/privacy.h"

namespace parley {

class DeliveryReceipts {
 public:
  DeliveryReceipts(ChatDirectory& chats, Privacy& privacy, ChatStore& store, MessageLog& log, EventSink& sink,
                   const CoreConfig& config);
  ~DeliveryReceipts();

  void start();
  // Stores and announces what is pending (one attempt), then stops.
  void stop();

  // A device of `member` has received the chat's messages up to `seq`.
  // Refused when `member` is not a member of the chat; otherwise stored and
  // announced with the window's other reports.
  Status record(const AuthContext& member, const ChatId& chat_id, Seq seq);

  // A member's receipts as `viewer` may see them: the other members whose
  // receipts reach `viewer` (Privacy::audience), in the chat's member order.
  struct Receipt {
    UserId user_id;
    Seq read_seq = 0;
    Seq delivered_seq = 0;  // never below read_seq: reading implies receiving
    Seq joined_seq = 0;     // a member counts for messages after it only
    bool operator==(const Receipt&) const = default;
  };
  Result<std::vector<Receipt>> receipts(const UserId& viewer, const ChatId& chat_id);

 private:
  using Pending = std::map<std::pair<ChatId, UserId>, Seq>;

  void run();
  // Stores and announces `batch`; on a failed write gives it back to pending_.
  Status flush(Pending batch);
  // Back into pending_ (never lowering a newer report): the next try stores it.
  void keep_for_next_try(const Pending& batch);
  void announce(const ChatId& chat_id, const std::vector<DeliveredMarker>& raised);

  ChatDirectory& chats_;
  Privacy& privacy_;
  ChatStore& store_;
  MessageLog& log_;
  EventSink& sink_;
  const CoreConfig& config_;

  std::mutex mutex_;
  std::condition_variable wake_;
  Pending pending_;
  bool running_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace parley
