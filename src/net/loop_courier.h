#pragma once
// LoopCourier: the network layer's FrameCourier. Every connection lives on
// one of a few loops, strands of the I/O threads (one loop per thread),
// given out in turn as connections are accepted. Many connections share a
// loop, so an event reaches all of a loop's recipients in one job, and a
// connection needs no strand of its own. Each loop has a WritePacer, which
// gathers its connections' writes while the loop is busy.

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "bus/device_bus.h"
#include "net/write_pacer.h"

namespace parley {

class LoopCourier final : public FrameCourier {
 public:
  using Loop = boost::asio::strand<boost::asio::io_context::executor_type>;

  // Writes are paced as WritePacer says; a zero `write_delay` never paces.
  LoopCourier(boost::asio::io_context& ioc, std::size_t loops,
              std::chrono::milliseconds write_delay = std::chrono::milliseconds(0),
              std::uint64_t busy_frames_per_second = 0);

  std::size_t loop_count() const { return loops_.size(); }
  const Loop& loop(std::size_t index) const { return loops_[index]; }
  WritePacer& pacer(std::size_t index) { return *pacers_[index]; }
  // The loop for the next connection.
  std::size_t next_loop();

  void carry(std::vector<std::shared_ptr<DeviceConnection>>&& targets, const OutboundFrame& frame) override;

 private:
  std::vector<Loop> loops_;
  std::vector<std::unique_ptr<WritePacer>> pacers_;  // one per loop, never moved
  std::atomic<std::size_t> next_{0};
};

}  // namespace parley
