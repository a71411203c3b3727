#include "core/push_planner.h"

#include <algorithm>
#include <stdexcept>
#include <unordered_set>

#include "core/text.h"

namespace parley {
namespace {

constexpr std::size_t kPreviewChars = 100;
// Messages read and planned per store write.
constexpr std::size_t kPlanPage = 1'000;
// Bounds the memory of notes waiting for the planner; past it, the planner
// asks the event sink at planning time instead.
constexpr std::size_t kMaxNotedUsers = 1'000'000;

}  // namespace

PushPlanner::PushPlanner(MessageLog& log, PushJobStore& store, PushPlacement& placement, ChatDirectory& chats,
                         Accounts& accounts, EventSink& sink, PushDispatcher& push, const CoreConfig& config,
                         bool other_nodes_commit)
    : log_(log),
      store_(store),
      placement_(placement),
      chats_(chats),
      accounts_(accounts),
      sink_(sink),
      push_(push),
      config_(config),
      other_nodes_commit_(other_nodes_commit) {}

PushPlanner::~PushPlanner() {
  stop();
}

void PushPlanner::start() {
  {
    std::lock_guard lock(mutex_);
    if (running_) return;
  }
  for (ShardId shard : placement_.owned_push_shards()) {
    if (shards_.contains(shard)) continue;
    if (auto ok = take_over(shard); !ok) {
      throw std::runtime_error("cannot take over push planning of shard " + std::to_string(shard) + ": " +
                               ok.error().message);
    }
  }
  std::lock_guard lock(mutex_);
  running_ = true;
  stopping_ = false;
  work_ = true;  // plans what a crash left unplanned
  thread_ = std::thread([this] { run(); });
}

void PushPlanner::stop() {
  {
    std::lock_guard lock(mutex_);
    if (!running_) return;
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
  {
    std::lock_guard lock(mutex_);
    running_ = false;
  }
  // What is left is planned after the restart if this fails.
  (void)plan_all();
}

void PushPlanner::committed(const LogPosition& head, std::vector<OfflineAtCommit> offline) {
  bool more = false;
  {
    std::lock_guard lock(mutex_);
    for (auto& note : offline) {
      // A shard another node plans needs no notes here.
      auto planned = planned_.find(note.shard);
      if (planned == planned_.end() || note.offset <= planned->second) continue;
      NotedRun& run = noted_runs_[note.shard];
      if (noted_users_ + note.users.size() > kMaxNotedUsers) {
        run = NotedRun{};  // a dropped note breaks the run: its range is read back
        continue;
      }
      if (run.last >= run.first && note.offset == run.last + 1) {
        run.last = note.offset;
      } else {
        run = NotedRun{note.offset, note.offset};
      }
      if (note.users.empty()) continue;
      noted_users_ += note.users.size();
      offline_at_commit_[{note.shard, note.offset}] = std::move(note.users);
    }
    const auto& offsets = head.offsets();
    for (ShardId shard = 0; shard < offsets.size(); ++shard) {
      if (offsets[shard] <= committed_.at(shard)) continue;
      committed_.advance(shard, offsets[shard]);
      more = more || planned_.contains(shard);  // another node plans the others
    }
    if (!more) return;
    work_ = true;
  }
  wake_.notify_one();
}

LogOffset PushPlanner::planned_offset(ShardId shard) const {
  std::lock_guard lock(mutex_);
  auto it = planned_.find(shard);
  return it == planned_.end() ? 0 : it->second;
}

void PushPlanner::run() {
  using std::chrono::milliseconds;
  using Steady = std::chrono::steady_clock;
  const auto coalesce = milliseconds(config_.push_coalesce_ms);
  const auto poll_every = milliseconds(std::max<TimeMs>(1, config_.push_head_poll_ms));
  auto backoff = milliseconds(config_.push_retry_initial_ms);
  auto next_poll = Steady::now() + poll_every;  // start() just took the shards over
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    wake_.wait_until(lock, next_poll, [&] { return stopping_ || work_; });
    if (stopping_) break;
    if (Steady::now() >= next_poll) {
      lock.unlock();
      (void)poll();  // a failure is tried again at the next poll
      lock.lock();
      next_poll = Steady::now() + poll_every;
      work_ = work_ || behind_locked();
      if (!work_) continue;
    }
    // Let more messages for the same people arrive: they share one push.
    if (coalesce.count() > 0) wake_.wait_for(lock, coalesce, [&] { return stopping_; });
    if (stopping_) break;
    work_ = false;
    lock.unlock();
    Status planned = plan_all();
    lock.lock();
    if (planned) {
      backoff = milliseconds(config_.push_retry_initial_ms);
      continue;
    }
    // The store may heal: the poll after the backoff plans the same messages again.
    next_poll = std::min(next_poll, Steady::now() + backoff);
    backoff = std::min(backoff * 2, milliseconds(config_.push_retry_max_ms));
  }
}

bool PushPlanner::behind_locked() const {
  for (const auto& [shard, planned] : planned_) {
    if (committed_.at(shard) > planned) return true;
  }
  return false;
}

Status PushPlanner::poll() {
  Status first_failure = Ok{};
  auto note = [&](Status s) {
    if (!s && first_failure) first_failure = std::move(s);
  };
  const std::vector<ShardId> owned = placement_.owned_push_shards();
  for (auto it = shards_.begin(); it != shards_.end();) {
    if (std::find(owned.begin(), owned.end(), it->first) != owned.end()) {
      ++it;
      continue;
    }
    // Another node plans it now; the jobs this node holds stay with the
    // dispatcher, whose claims keep them from being sent twice.
    const ShardId lost = it->first;
    it = shards_.erase(it);
    std::lock_guard lock(mutex_);
    planned_.erase(lost);
    auto first = offline_at_commit_.lower_bound({lost, 0});
    auto end = offline_at_commit_.lower_bound({lost + 1, 0});
    for (auto n = first; n != end; ++n) noted_users_ -= n->second.size();
    offline_at_commit_.erase(first, end);
    noted_runs_.erase(lost);
  }
  const auto rescan_every = std::chrono::milliseconds(config_.push_rescan_ms);
  for (ShardId shard : owned) {
    if (!shards_.contains(shard)) {
      note(take_over(shard));
      continue;
    }
    if (std::chrono::steady_clock::now() - shards_[shard].rescanned >= rescan_every) {
      note(rescan(shard, shards_[shard]));
    }
    if (!other_nodes_commit_) continue;  // committed() heard of every commit
    auto head = log_.shard_head(shard);
    if (!head) {
      note(head.error());
      continue;
    }
    std::lock_guard lock(mutex_);
    committed_.advance(shard, *head);
  }
  return first_failure;
}

Status PushPlanner::plan_all() {
  Status first_failure = Ok{};
  for (const auto& [shard, state] : shards_) {
    LogOffset head;
    {
      std::lock_guard lock(mutex_);
      head = committed_.at(shard);
    }
    if (auto planned = plan_shard(shard, head); !planned && first_failure) first_failure = planned;
  }
  return first_failure;
}

Status PushPlanner::take_over(ShardId shard) {
  auto head = log_.shard_head(shard);
  if (!head) return head.error();
  auto planned = store_.push_planned_offset(shard);
  if (!planned) return planned.error();
  if (!*planned) {
    // Never planned: a store from before planning was separate from the
    // commit wrote its jobs with the messages, and a new shard has nothing
    // older worth a push, so everything up to the head counts as planned.
    std::vector<PushJob> none;
    auto ok = store_.put_planned_push_jobs(none, shard, std::nullopt, *head);
    if (!ok && ok.error().code != ErrorCode::conflict) return ok;
    if (!ok) {
      planned = store_.push_planned_offset(shard);  // another node did it first
      if (!planned) return planned.error();
    }
    if (!*planned) *planned = *head;
  }
  ShardState state{**planned, {}};
  if (auto ok = rescan(shard, state); !ok) return ok;
  shards_[shard] = state;
  std::lock_guard lock(mutex_);
  planned_[shard] = state.planned;
  committed_.advance(shard, *head);
  return Ok{};
}

Status PushPlanner::rescan(ShardId shard, ShardState& state) {
  auto jobs = store_.load_push_jobs(shard);
  if (!jobs) return jobs.error();
  push_.schedule(std::move(*jobs));
  state.rescanned = std::chrono::steady_clock::now();
  return Ok{};
}

void PushPlanner::set_planned(ShardId shard, LogOffset planned) {
  shards_[shard].planned = planned;
  std::lock_guard lock(mutex_);
  planned_[shard] = planned;
  auto first = offline_at_commit_.lower_bound({shard, 0});
  auto end = offline_at_commit_.upper_bound({shard, planned});
  for (auto it = first; it != end; ++it) noted_users_ -= it->second.size();
  offline_at_commit_.erase(first, end);
}

Status PushPlanner::plan_shard(ShardId shard, LogOffset head) {
  LogOffset from = shards_[shard].planned;
  while (from < head) {
    // Everyone online, as when chatting is busiest: nothing to read or plan,
    // only the marker to move.
    Result<std::vector<PushJob>> jobs = std::vector<PushJob>{};
    LogOffset up_to = head;
    if (!everyone_was_online(shard, from, head)) {
      auto page = log_.read_log(shard, from, head, kPlanPage);
      if (!page) return page.error();
      // A short page reaches the head; a full one ends at its last message.
      if (page->size() == kPlanPage) up_to = page->back().offset;
      jobs = plan(shard, *page);
      if (!jobs) return jobs.error();
    }
    push_.prepare(*jobs);
    if (auto ok = store_.put_planned_push_jobs(*jobs, shard, from, up_to); !ok) {
      if (ok.error().code != ErrorCode::conflict) return ok;
      // Another node planned from here: go on after its marker, and take
      // its jobs too in case it dies before sending them.
      auto stored = store_.push_planned_offset(shard);
      if (!stored) return stored.error();
      if (!*stored || **stored < from) return make_error(ErrorCode::internal, "push planned offset moved back");
      if (auto loaded = rescan(shard, shards_[shard]); !loaded) return loaded;
      set_planned(shard, **stored);
      from = **stored;
      continue;
    }
    set_planned(shard, up_to);
    push_.schedule(std::move(*jobs));
    from = up_to;
  }
  return Ok{};
}

bool PushPlanner::everyone_was_online(ShardId shard, LogOffset after, LogOffset up_to) const {
  std::lock_guard lock(mutex_);
  auto run = noted_runs_.find(shard);
  if (run == noted_runs_.end() || !run->second.covers(after + 1, up_to)) return false;
  auto named = offline_at_commit_.lower_bound({shard, after + 1});
  return named == offline_at_commit_.end() || named->first > std::pair{shard, up_to};
}

Result<std::vector<std::vector<UserId>>> PushPlanner::offline_members(ShardId shard,
                                                                      const std::vector<Message>& messages) {
  std::vector<std::vector<UserId>> out(messages.size());
  std::vector<bool> noted(messages.size(), false);
  {
    std::lock_guard lock(mutex_);
    auto run = noted_runs_.find(shard);
    for (std::size_t i = 0; i < messages.size(); ++i) {
      const LogOffset offset = messages[i].offset;
      auto it = offline_at_commit_.find({shard, offset});
      if (it != offline_at_commit_.end()) {
        out[i] = it->second;
        noted[i] = true;
      } else if (run != noted_runs_.end()) {
        noted[i] = run->second.covers(offset, offset);  // everyone was online
      }
    }
  }
  // Everyone else's members, asked about in one question.
  std::vector<std::vector<UserId>> members(messages.size());
  std::vector<UserId> ask;
  std::unordered_set<UserId> asked;
  for (std::size_t i = 0; i < messages.size(); ++i) {
    if (noted[i]) continue;
    auto chat = chats_.find(messages[i].chat_id);
    if (!chat) return chat.error();
    if (!*chat) continue;
    for (const auto& member : (*chat)->members) {
      if (member.user_id == messages[i].sender_id) continue;
      members[i].push_back(member.user_id);
      if (asked.insert(member.user_id).second) ask.push_back(member.user_id);
    }
  }
  if (ask.empty()) return out;
  const std::vector<bool> connected = sink_.connected_users(ask);
  std::unordered_set<UserId> online;
  for (std::size_t i = 0; i < ask.size() && i < connected.size(); ++i) {
    if (connected[i]) online.insert(ask[i]);
  }
  for (std::size_t i = 0; i < messages.size(); ++i) {
    for (auto& user : members[i]) {
      if (!online.contains(user)) out[i].push_back(std::move(user));
    }
  }
  return out;
}

Result<std::vector<PushJob>> PushPlanner::plan(ShardId shard, const std::vector<Message>& messages) {
  auto offline = offline_members(shard, messages);
  if (!offline) return offline.error();
  // One job per (user, device): later messages update it (newest preview, count).
  std::map<std::pair<UserId, DeviceId>, PushJob> jobs;
  for (std::size_t i = 0; i < messages.size(); ++i) {
    const Message& m = messages[i];
    // Edits, deletions and reactions are not news; a message deleted before
    // its push was planned is not shown; a withheld one reaches nobody.
    if (m.kind != MessageKind::text || m.deleted || m.withheld) continue;
    auto chat = chats_.find(m.chat_id);
    if (!chat) return chat.error();
    std::string preview;
    for (const UserId& user : (*offline)[i]) {
      // Muted when the message was sent: no push.
      const Member* member = *chat ? (*chat)->member(user) : nullptr;
      if (member && member->muted_until > m.ts) continue;
      auto targets = accounts_.push_targets(user);
      if (!targets) return targets.error();
      if ((*targets)->empty()) continue;
      if (preview.empty()) preview = utf8_prefix(m.text, kPreviewChars);
      for (const auto& target : **targets) {
        auto [it, fresh] = jobs.try_emplace({user, target.device_id});
        PushJob& job = it->second;
        if (fresh) {
          job.shard = shard;
          job.user_id = user;
          job.device_id = target.device_id;
          job.url = target.registration.url;
          job.provider = target.registration.provider;
          job.p256dh = target.registration.p256dh;
          job.auth = target.registration.auth;
          job.count = 0;
        }
        job.chat_id = m.chat_id;
        job.seq = m.seq;
        job.sender_id = m.sender_id;
        job.preview = preview;
        ++job.count;
      }
    }
  }
  std::vector<PushJob> out;
  out.reserve(jobs.size());
  for (auto& [target, job] : jobs) out.push_back(std::move(job));
  return out;
}

}  // namespace parley
