#pragma once
// ConnectionLimit: how many client connections may be open at once, so that
// descriptors stay in reserve for the store (its WAL, SST files) and for
// outgoing push requests. Past the limit new connections are refused; the
// existing ones keep working. Thread-safe.

#include <atomic>
#include <cstddef>
#include <optional>

namespace parley {

class ConnectionLimit {
 public:
  // Held for the life of one connection; frees its place when destroyed.
  class Slot {
   public:
    Slot(Slot&& other) noexcept : open_(other.open_) { other.open_ = nullptr; }
    Slot& operator=(Slot&& other) noexcept {
      if (this != &other) {
        release();
        open_ = other.open_;
        other.open_ = nullptr;
      }
      return *this;
    }
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
    ~Slot() { release(); }

   private:
    friend class ConnectionLimit;
    explicit Slot(std::atomic<std::size_t>* open) : open_(open) {}
    void release() {
      if (open_) open_->fetch_sub(1, std::memory_order_relaxed);
      open_ = nullptr;
    }
    std::atomic<std::size_t>* open_;
  };

  explicit ConnectionLimit(std::size_t max) : max_(max) {}

  // A slot, or nothing when `max` connections are open.
  std::optional<Slot> try_take() {
    std::size_t n = open_.load(std::memory_order_relaxed);
    do {
      if (n >= max_) return std::nullopt;
    } while (!open_.compare_exchange_weak(n, n + 1, std::memory_order_relaxed));
    return Slot(&open_);
  }
  std::size_t open() const { return open_.load(std::memory_order_relaxed); }
  std::size_t max() const { return max_; }

 private:
  const std::size_t max_;
  std::atomic<std::size_t> open_{0};
};

// The connection limit the process's descriptor limit allows, keeping
// `reserve` descriptors for everything else; `configured` wins when set.
std::size_t connection_limit_for(std::size_t configured, std::size_t reserve);

}  // namespace parley
