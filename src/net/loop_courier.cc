#include "net/loop_courier.h"

#include <algorithm>
#include <boost/asio/post.hpp>
#include <utility>

namespace parley {
namespace asio = boost::asio;

namespace {
void carry_on(const LoopCourier::Loop& loop, std::vector<std::shared_ptr<DeviceConnection>>&& targets,
              const OutboundFrame& frame) {
  asio::post(loop, [targets = std::move(targets), frame] {
    for (const auto& connection : targets) connection->push_on_loop(frame);
  });
}
}  // namespace

LoopCourier::LoopCourier(asio::io_context& ioc, std::size_t loops, std::chrono::milliseconds write_delay,
                         std::uint64_t busy_frames_per_second) {
  loops_.reserve(std::max<std::size_t>(loops, 1));
  for (std::size_t i = 0; i < std::max<std::size_t>(loops, 1); ++i) {
    loops_.push_back(asio::make_strand(ioc));
    pacers_.push_back(std::make_unique<WritePacer>(loops_.back(), write_delay, busy_frames_per_second));
  }
}

std::size_t LoopCourier::next_loop() {
  return next_.fetch_add(1, std::memory_order_relaxed) % loops_.size();
}

void LoopCourier::carry(std::vector<std::shared_ptr<DeviceConnection>>&& targets, const OutboundFrame& frame) {
  if (targets.empty()) return;
  const std::size_t first = targets.front()->loop() % loops_.size();
  const bool one_loop =
      std::all_of(targets.begin(), targets.end(), [&](const auto& c) { return c->loop() % loops_.size() == first; });
  if (one_loop) {
    carry_on(loops_[first], std::move(targets), frame);
    return;
  }
  std::vector<std::vector<std::shared_ptr<DeviceConnection>>> by_loop(loops_.size());
  for (auto& connection : targets) {
    const std::size_t loop = connection->loop() % loops_.size();
    by_loop[loop].push_back(std::move(connection));
  }
  for (std::size_t i = 0; i < by_loop.size(); ++i) {
    if (!by_loop[i].empty()) carry_on(loops_[i], std::move(by_loop[i]), frame);
  }
}

}  // namespace parley
