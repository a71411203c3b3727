#pragma once
// PushPlanner: decides, off the commit path, which offline members get a push
// for each committed message, and stores those jobs.
//
//   commit thread ──committed(offset)──▶ planner thread:
//     wait push_coalesce_ms, read the new messages back from the log in
//     offset order, plan one job per (offline member, registered device)
//     covering all of that member's new messages (a count and the newest
//     preview), then ONE synced write of the jobs together with "planned up
//     to offset X", then hand them to the PushDispatcher.
//
// The commit thread never waits for this: it only publishes an offset. A
// message is planned exactly once: the jobs and the marker are stored
// atomically, and after a crash planning resumes after the stored marker. A
// failed read or write is retried from the same offset with backoff, so a
// store that heals loses no push.
//
// Who was offline comes from the commit thread, which knows whom it just
// delivered each message to (OfflineAtCommit): a device that got the message
// live is never pushed it, even if it disconnects before planning. For
// messages without that note (after a restart, or when too many notes wait)
// the planner asks the event sink at planning time. Push registrations come
// from the cached push targets; membership is the chat's current one.
// Thread-safe; owns one thread between start() and stop().

#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "core/accounts.h"
#include "core/chat_directory.h"
#include "core/config.h"
#include "core/ports.h"
#include "core/push_dispatcher.h"

namespace parley {

// Members of a message's chat (the sender excluded) with no connected device
// when the commit thread fanned the message out.
struct OfflineAtCommit {
  LogOffset offset = 0;
  std::vector<UserId> users;
};

class PushPlanner {
 public:
  PushPlanner(MessageLog& log, PushJobStore& store, ChatDirectory& chats, Accounts& accounts, EventSink& sink,
              PushDispatcher& push, const CoreConfig& config);
  ~PushPlanner();

  // Reads where planning stopped and starts the thread, which first plans any
  // committed message a crash left unplanned. Throws std::runtime_error when
  // the store cannot be read (start-up only).
  void start();
  // Plans what is committed (one attempt), then stops.
  void stop();

  // Every message with offset <= `head` is durable; `offline` notes who was
  // offline for some of them. Never blocks on I/O.
  void committed(LogOffset head, std::vector<OfflineAtCommit> offline = {});
  // Every message with offset <= this has its push jobs stored.
  LogOffset planned_offset() const;

 private:
  void run();
  // Plans (planned_, head] page by page; stops at the first failure.
  Status plan_up_to(LogOffset head);
  Result<std::vector<PushJob>> plan(const std::vector<Message>& messages);
  // From the commit thread's note if there is one, else connected now.
  Result<std::vector<UserId>> offline_members(const Message& m);

  MessageLog& log_;
  PushJobStore& store_;
  ChatDirectory& chats_;
  Accounts& accounts_;
  EventSink& sink_;
  PushDispatcher& push_;
  const CoreConfig& config_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  LogOffset committed_ = 0;
  std::map<LogOffset, std::vector<UserId>> offline_at_commit_;  // notes not yet planned
  std::size_t noted_users_ = 0;                                 // users across those notes
  LogOffset planned_ = 0;  // written only by the planning thread (or stop after it ended)
  bool running_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace parley
