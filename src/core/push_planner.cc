#include "core/push_planner.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <stdexcept>

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

PushPlanner::PushPlanner(MessageLog& log, PushJobStore& store, ChatDirectory& chats, Accounts& accounts,
                         EventSink& sink, PushDispatcher& push, const CoreConfig& config)
    : log_(log), store_(store), chats_(chats), accounts_(accounts), sink_(sink), push_(push), config_(config) {}

PushPlanner::~PushPlanner() {
  stop();
}

void PushPlanner::start() {
  std::lock_guard lock(mutex_);
  if (running_) return;
  auto head = log_.last_offset();
  if (!head) throw std::runtime_error("cannot read the message log's head: " + head.error().message);
  auto planned = store_.push_planned_offset();
  if (!planned) throw std::runtime_error("cannot read how far pushes are planned: " + planned.error().message);
  if (!*planned) {
    // A store from before planning was separate from the commit: its jobs
    // were written with the messages, so everything up to the head is planned.
    if (auto ok = store_.put_planned_push_jobs({}, *head); !ok) {
      throw std::runtime_error("cannot store how far pushes are planned: " + ok.error().message);
    }
    *planned = *head;
  }
  planned_ = **planned;
  committed_ = std::max(*head, planned_);
  running_ = true;
  stopping_ = false;
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
  LogOffset head;
  {
    std::lock_guard lock(mutex_);
    running_ = false;
    head = committed_;
  }
  // What is left is planned after the restart if this fails.
  (void)plan_up_to(head);
}

void PushPlanner::committed(LogOffset head, std::vector<OfflineAtCommit> offline) {
  {
    std::lock_guard lock(mutex_);
    for (auto& note : offline) {
      if (note.offset <= planned_ || noted_users_ + note.users.size() > kMaxNotedUsers) continue;
      noted_users_ += note.users.size();
      offline_at_commit_[note.offset] = std::move(note.users);
    }
    if (head <= committed_) return;
    committed_ = head;
  }
  wake_.notify_one();
}

LogOffset PushPlanner::planned_offset() const {
  std::lock_guard lock(mutex_);
  return planned_;
}

void PushPlanner::run() {
  const auto coalesce = std::chrono::milliseconds(config_.push_coalesce_ms);
  auto backoff = std::chrono::milliseconds(config_.push_retry_initial_ms);
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    wake_.wait(lock, [&] { return stopping_ || committed_ > planned_; });
    // Let more messages for the same people arrive: they share one push.
    if (coalesce.count() > 0) wake_.wait_for(lock, coalesce, [&] { return stopping_; });
    if (stopping_) break;
    LogOffset head = committed_;
    lock.unlock();
    Status planned = plan_up_to(head);
    lock.lock();
    if (planned) {
      backoff = std::chrono::milliseconds(config_.push_retry_initial_ms);
      continue;
    }
    // The store may heal: plan the same messages again later.
    wake_.wait_for(lock, backoff, [&] { return stopping_; });
    backoff = std::min(backoff * 2, std::chrono::milliseconds(config_.push_retry_max_ms));
  }
}

Status PushPlanner::plan_up_to(LogOffset head) {
  LogOffset from = planned_offset();
  while (from < head) {
    auto page = log_.read_log(0, from, head, kPlanPage);
    if (!page) return page.error();
    // A short page reaches the head; a full one ends at its last message.
    LogOffset up_to = page->size() < kPlanPage ? head : page->back().offset;
    auto jobs = plan(*page);
    if (!jobs) return jobs.error();
    push_.prepare(*jobs);
    if (auto ok = store_.put_planned_push_jobs(*jobs, up_to); !ok) return ok;
    {
      std::lock_guard lock(mutex_);
      planned_ = up_to;
      auto end = offline_at_commit_.upper_bound(up_to);
      for (auto it = offline_at_commit_.begin(); it != end; ++it) noted_users_ -= it->second.size();
      offline_at_commit_.erase(offline_at_commit_.begin(), end);
    }
    push_.schedule(std::move(*jobs));
    from = up_to;
  }
  return Ok{};
}

Result<std::vector<UserId>> PushPlanner::offline_members(const Message& m) {
  {
    std::lock_guard lock(mutex_);
    if (auto it = offline_at_commit_.find(m.offset); it != offline_at_commit_.end()) return it->second;
  }
  auto chat = chats_.find(m.chat_id);
  if (!chat) return chat.error();
  std::vector<UserId> out;
  if (!*chat) return out;
  for (const auto& member : (*chat)->members) {
    if (member.user_id != m.sender_id && !sink_.has_connected_device(member.user_id)) out.push_back(member.user_id);
  }
  return out;
}

Result<std::vector<PushJob>> PushPlanner::plan(const std::vector<Message>& messages) {
  // One job per (user, device): later messages update it (newest preview, count).
  std::map<std::pair<UserId, DeviceId>, PushJob> jobs;
  for (const Message& m : messages) {
    auto offline = offline_members(m);
    if (!offline) return offline.error();
    std::string preview;
    for (const UserId& user : *offline) {
      auto targets = accounts_.push_targets(user);
      if (!targets) return targets.error();
      if ((*targets)->empty()) continue;
      if (preview.empty()) preview = utf8_prefix(m.text, kPreviewChars);
      for (const auto& target : **targets) {
        auto [it, fresh] = jobs.try_emplace({user, target.device_id});
        PushJob& job = it->second;
        if (fresh) {
          job.user_id = user;
          job.device_id = target.device_id;
          job.url = target.registration.url;
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
