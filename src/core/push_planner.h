#pragma once
// PushPlanner: decides, off the commit path, which offline members get a push
// for each committed message, and stores those jobs.
//
//   commit thread ──committed(position)──▶ planner thread, per shard it owns:
//     wait push_coalesce_ms, read the new messages back from the shard in
//     offset order, plan one job per (offline member, registered device)
//     covering all of that member's new messages (a count and the newest
//     preview), then ONE synced write of the jobs together with "shard
//     planned up to offset X", then hand them to the PushDispatcher.
//
// The commit thread never waits for this: it only publishes a position. A
// message is planned exactly once, also across nodes: the jobs and the marker
// are stored atomically, and the write is a compare-and-set on the shard's
// marker, so of two nodes planning one range only one stores its jobs; the
// other reloads the marker (and the jobs) and goes on from there. After a
// crash planning resumes after the stored marker. A failed read or write is
// retried from the same offset with backoff, so a store that heals loses no
// push.
//
// Which shards this node plans comes from the PushPlacement, asked on every
// pass. A shard the node gains is taken over: its marker is read and its
// stored jobs (a dead node's queue) go to the dispatcher, which claims each
// before sending it. Every push_head_poll_ms the planner also reads its
// shards' heads (other nodes commit to them), and every push_rescan_ms it
// reloads their jobs (one another node planned and did not send).
//
// Who was offline comes from the commit thread, which knows whom it just
// delivered each message to (OfflineAtCommit): a device that got the message
// live is never pushed it, even if it disconnects before planning. For
// messages without that note (after a restart, too many notes waiting, or a
// message another node committed) the planner asks the event sink at planning
// time, once per page of messages for all their members: a device that
// disconnected after getting such a message live may then get a push too.
// A range whose every message has a note, none naming anyone, is not read
// back at all: only the marker moves.
// Push registrations come from the cached push targets; membership is the
// chat's current one. A member who had muted the chat when a message was
// sent (Member::muted_until > the message's ts) gets no push for it.
// Thread-safe; owns one thread between start() and stop().

#include <chrono>
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
#include "core/push_placement.h"

namespace parley {

// Members of a message's chat (the sender excluded) with no connected device
// when the commit thread fanned the message out.
struct OfflineAtCommit {
  ShardId shard = 0;
  LogOffset offset = 0;
  std::vector<UserId> users;
};

class PushPlanner {
 public:
  // `other_nodes_commit`: false on a single node, where committed() hears of
  // every commit and the shards' heads are never read back (the poll still
  // runs, for retries and rescans).
  PushPlanner(MessageLog& log, PushJobStore& store, PushPlacement& placement, ChatDirectory& chats, Accounts& accounts,
              EventSink& sink, PushDispatcher& push, const CoreConfig& config, bool other_nodes_commit = true);
  ~PushPlanner();

  // Takes over the shards it owns now (their markers and stored jobs) and
  // starts the thread, which first plans any committed message a crash left
  // unplanned. Throws std::runtime_error when the store cannot be read
  // (start-up only).
  void start();
  // Plans what is committed (one attempt), then stops.
  void stop();

  // Per shard, every message at or below `head` is durable; `offline` notes
  // who was offline for some of them. Never blocks on I/O.
  void committed(const LogPosition& head, std::vector<OfflineAtCommit> offline = {});
  // Every message of the shard with offset <= this has its push jobs stored
  // (0 for a shard this node does not own).
  LogOffset planned_offset(ShardId shard = 0) const;

 private:
  using SteadyTime = std::chrono::steady_clock::time_point;
  struct ShardState {
    LogOffset planned = 0;
    SteadyTime rescanned{};
  };

  void run();
  // Asks which shards this node owns: takes over new ones, drops lost ones,
  // reloads jobs when due, reads heads. Goes on past a failing shard and
  // answers the first failure.
  Status poll();
  // Plans every owned shard up to its committed head; goes on past a
  // failing shard and answers the first failure.
  Status plan_all();
  // Some owned shard has committed messages it has not planned.
  bool behind_locked() const;
  Status take_over(ShardId shard);
  Status rescan(ShardId shard, ShardState& state);
  // Plans (planned, head] of the shard page by page; stops at the first failure.
  Status plan_shard(ShardId shard, LogOffset head);
  // Every message of (after, up_to] was noted by the commit thread, and none
  // of them found anyone offline.
  bool everyone_was_online(ShardId shard, LogOffset after, LogOffset up_to) const;
  void set_planned(ShardId shard, LogOffset planned);
  Result<std::vector<PushJob>> plan(ShardId shard, const std::vector<Message>& messages);
  // Per message: who to push, from the commit thread's note if there is one,
  // else from one connected-users question for the whole page.
  Result<std::vector<std::vector<UserId>>> offline_members(ShardId shard, const std::vector<Message>& messages);

  MessageLog& log_;
  PushJobStore& store_;
  PushPlacement& placement_;
  ChatDirectory& chats_;
  Accounts& accounts_;
  EventSink& sink_;
  PushDispatcher& push_;
  const CoreConfig& config_;
  const bool other_nodes_commit_;

  std::map<ShardId, ShardState> shards_;  // the planning thread's (or start/stop's, when it is not running)

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  LogPosition committed_;
  std::map<ShardId, LogOffset> planned_;  // owned shards only
  // The commit thread's notes not yet planned, only those naming someone:
  // an offset inside the shard's noted run without an entry had everyone online.
  std::map<std::pair<ShardId, LogOffset>, std::vector<UserId>> offline_at_commit_;
  std::size_t noted_users_ = 0;  // users across those notes
  // Per shard, the latest unbroken run of noted offsets. A range inside it
  // with no entry above is planned without reading it back: it needs no push.
  struct NotedRun {
    LogOffset first = 1;
    LogOffset last = 0;  // empty while last < first
    bool covers(LogOffset from, LogOffset to) const { return first <= from && to <= last; }
  };
  std::map<ShardId, NotedRun> noted_runs_;
  bool work_ = false;  // committed_ moved since the last pass
  bool running_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace parley
