#include "core/last_active_writer.h"

#include <algorithm>
#include <chrono>

namespace parley {

LastActiveWriter::LastActiveWriter(AccountStore& store, const CoreConfig& config) : store_(store), config_(config) {}

LastActiveWriter::~LastActiveWriter() {
  stop();
}

void LastActiveWriter::start() {
  std::lock_guard lock(mutex_);
  if (running_) return;
  running_ = true;
  stopping_ = false;
  thread_ = std::thread([this] { run(); });
}

void LastActiveWriter::stop() {
  {
    std::lock_guard lock(mutex_);
    if (!running_) return;
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
  std::unique_lock lock(mutex_);
  running_ = false;
  if (!pending_.empty()) (void)write_pending(lock);
}

void LastActiveWriter::record(const std::vector<LastActive>& updates) {
  if (updates.empty()) return;
  {
    std::lock_guard lock(mutex_);
    for (const auto& update : updates) {
      auto& slot = pending_[update.user_id];
      slot = std::max(slot, update.at);
    }
  }
  wake_.notify_one();
}

std::optional<TimeMs> LastActiveWriter::pending(const UserId& user) const {
  std::lock_guard lock(mutex_);
  if (auto it = pending_.find(user); it != pending_.end()) return it->second;
  return std::nullopt;
}

Status LastActiveWriter::write_pending(std::unique_lock<std::mutex>& lock) {
  std::vector<LastActive> batch;
  batch.reserve(pending_.size());
  for (const auto& [user, at] : pending_) batch.push_back({user, at});
  lock.unlock();
  Status written = store_.set_last_active(batch);
  lock.lock();
  if (!written) return written;
  // Keep what was recorded again while the write was in flight.
  for (const auto& done : batch) {
    if (auto it = pending_.find(done.user_id); it != pending_.end() && it->second == done.at) pending_.erase(it);
  }
  return written;
}

void LastActiveWriter::run() {
  std::unique_lock lock(mutex_);
  auto backoff = std::chrono::milliseconds(config_.last_active_retry_initial_ms);
  while (!stopping_) {
    wake_.wait(lock, [&] { return !pending_.empty() || stopping_; });
    if (stopping_) break;
    if (write_pending(lock)) {
      backoff = std::chrono::milliseconds(config_.last_active_retry_initial_ms);
      continue;
    }
    // The store may heal (space freed, descriptors released): retry later.
    wake_.wait_for(lock, backoff, [&] { return stopping_; });
    backoff = std::min(backoff * 2, std::chrono::milliseconds(config_.last_active_retry_max_ms));
  }
}

}  // namespace parley
