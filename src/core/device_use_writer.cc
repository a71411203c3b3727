#include "core/device_use_writer.h"

#include <algorithm>
#include <chrono>
#include <functional>
#include <vector>

namespace parley {

DeviceUseWriter::DeviceUseWriter(AccountStore& store, TimeMs flush_interval_ms)
    : store_(store), flush_interval_ms_(std::max<TimeMs>(flush_interval_ms, 1)) {}

DeviceUseWriter::~DeviceUseWriter() {
  stop();
}

DeviceUseWriter::Shard& DeviceUseWriter::shard(const DeviceId& device) {
  return shards_[std::hash<DeviceId>{}(device) % shards_.size()];
}

const DeviceUseWriter::Shard& DeviceUseWriter::shard(const DeviceId& device) const {
  return shards_[std::hash<DeviceId>{}(device) % shards_.size()];
}

void DeviceUseWriter::start() {
  std::lock_guard lock(run_mutex_);
  if (running_) return;
  running_ = true;
  stopping_ = false;
  thread_ = std::thread([this] { run(); });
}

void DeviceUseWriter::stop() {
  {
    std::lock_guard lock(run_mutex_);
    if (!running_) return;
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
  {
    std::lock_guard lock(run_mutex_);
    running_ = false;
  }
  (void)flush();
}

void DeviceUseWriter::note(const DeviceId& device, TimeMs at) {
  auto& s = shard(device);
  std::lock_guard lock(s.mutex);
  auto& slot = s.pending[device];
  slot = std::max(slot, at);
}

std::optional<TimeMs> DeviceUseWriter::pending(const DeviceId& device) const {
  const auto& s = shard(device);
  std::lock_guard lock(s.mutex);
  if (auto it = s.pending.find(device); it != s.pending.end()) return it->second;
  return std::nullopt;
}

Status DeviceUseWriter::flush() {
  std::vector<DeviceUse> batch;
  for (auto& s : shards_) {
    std::lock_guard lock(s.mutex);
    for (const auto& [device, at] : s.pending) batch.push_back({device, at});
  }
  if (batch.empty()) return Ok{};
  Status written = store_.set_devices_last_used(batch);
  if (!written) return written;
  // Keep what was noted again while the write was in flight.
  for (const auto& done : batch) {
    auto& s = shard(done.device_id);
    std::lock_guard lock(s.mutex);
    if (auto it = s.pending.find(done.device_id); it != s.pending.end() && it->second == done.at) s.pending.erase(it);
  }
  return written;
}

void DeviceUseWriter::run() {
  std::unique_lock lock(run_mutex_);
  while (!stopping_) {
    wake_.wait_for(lock, std::chrono::milliseconds(flush_interval_ms_), [&] { return stopping_; });
    if (stopping_) break;
    lock.unlock();
    (void)flush();  // a failure keeps everything for the next round
    lock.lock();
  }
}

}  // namespace parley
