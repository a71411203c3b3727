#pragma once
// FrameQueue: the frames waiting for one connection, first in, first out.
// Unlike std::deque (which allocates on construction) an empty queue that
// never held a frame owns no memory, and release_if_empty() gives back what a
// burst left behind: most connections are idle, and their cost is per
// connection. Not thread-safe: a session's strand owns it.

#include <cstddef>
#include <utility>
#include <vector>

#include "bus/device_bus.h"

namespace parley {

class FrameQueue {
 public:
  FrameQueue() = default;
  FrameQueue(FrameQueue&& other) noexcept : frames_(std::move(other.frames_)), head_(std::exchange(other.head_, 0)) {
    other.frames_.clear();
  }
  FrameQueue& operator=(FrameQueue&& other) noexcept {
    frames_ = std::move(other.frames_);
    head_ = std::exchange(other.head_, 0);
    other.frames_.clear();
    return *this;
  }

  bool empty() const { return head_ == frames_.size(); }
  std::size_t size() const { return frames_.size() - head_; }
  OutboundFrame& front() { return frames_[head_]; }
  OutboundFrame& operator[](std::size_t i) { return frames_[head_ + i]; }
  OutboundFrame* begin() { return frames_.data() + head_; }
  OutboundFrame* end() { return frames_.data() + frames_.size(); }

  void push_back(OutboundFrame&& frame) {
    // The frames already taken are dropped before the vector would grow.
    if (head_ > 0 && frames_.size() == frames_.capacity()) compact();
    frames_.push_back(std::move(frame));
  }
  void pop_front() {
    frames_[head_] = OutboundFrame{};  // its text may be the last reference
    if (++head_ == frames_.size()) clear();
  }
  void clear() {
    frames_.clear();
    head_ = 0;
  }
  void release_if_empty() {
    if (empty() && frames_.capacity() > 1) {
      frames_ = {};
      head_ = 0;
    }
  }

 private:
  void compact() {
    frames_.erase(frames_.begin(), frames_.begin() + static_cast<std::ptrdiff_t>(head_));
    head_ = 0;
  }

  std::vector<OutboundFrame> frames_;
  std::size_t head_ = 0;  // frames_[0, head_) were taken
};

}  // namespace parley
