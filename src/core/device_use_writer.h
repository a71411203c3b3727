#pragma once
// DeviceUseWriter: remembers when each device's token was last used (a REST
// request, a hello, a heartbeat) and stores those times in batches on its
// own thread, every `flush_interval_ms`, with one AccountStore write for all
// devices used since the previous one. A request never writes to the store
// for this, as last_active_at is never written per heartbeat.
//
// Until a time is durable it stays readable through pending(), so the device
// list and the idle-expiry check see the newest use made on this node (other
// nodes see it once it is stored: at most one interval late). A failed write
// keeps everything for the next one; stop() makes one last attempt.
//
// Thread-safe; note() takes one of 16 shard mutexes for a map update and
// never blocks on the store. Owns one thread between start() and stop().

#include <array>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

#include "core/ports.h"

namespace parley {

class DeviceUseWriter {
 public:
  DeviceUseWriter(AccountStore& store, TimeMs flush_interval_ms);
  ~DeviceUseWriter();

  void start();
  // Writes what is pending (one attempt), then stops.
  void stop();

  // The device was used at `at`. Any thread; never blocks on the store.
  void note(const DeviceId& device, TimeMs at);
  // The newest use noted here and not yet known to be durable.
  std::optional<TimeMs> pending(const DeviceId& device) const;
  // Writes everything pending now, on the caller's thread (tests, stop()).
  Status flush();

 private:
  struct Shard {
    mutable std::mutex mutex;
    std::unordered_map<DeviceId, TimeMs> pending;
  };
  Shard& shard(const DeviceId& device);
  const Shard& shard(const DeviceId& device) const;
  void run();

  AccountStore& store_;
  const TimeMs flush_interval_ms_;
  std::array<Shard, 16> shards_;

  std::mutex run_mutex_;  // guards running_ and stopping_; the thread waits on it
  std::condition_variable wake_;
  bool running_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace parley
