#include "core/delivery_receipts.h"

#include <algorithm>
#include <chrono>
#include <unordered_map>

namespace parley {

DeliveryReceipts::DeliveryReceipts(ChatDirectory& chats, Privacy& privacy, ChatStore& store, MessageLog& log,
                                   EventSink& sink, const CoreConfig& config)
    : chats_(chats), privacy_(privacy), store_(store), log_(log), sink_(sink), config_(config) {}

DeliveryReceipts::~DeliveryReceipts() {
  stop();
}

void DeliveryReceipts::start() {
  std::lock_guard lock(mutex_);
  if (running_) return;
  running_ = true;
  stopping_ = false;
  thread_ = std::thread([this] { run(); });
}

void DeliveryReceipts::stop() {
  {
    std::lock_guard lock(mutex_);
    if (!running_) return;
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
  Pending last;
  {
    std::lock_guard lock(mutex_);
    running_ = false;
    last.swap(pending_);
  }
  if (!last.empty()) (void)flush(std::move(last));
}

Status DeliveryReceipts::record(const AuthContext& member, const ChatId& chat_id, Seq seq) {
  auto chat = chats_.find_for_member(member.user_id, chat_id);
  if (!chat) return chat.error();
  if (seq == 0) return Ok{};
  {
    std::lock_guard lock(mutex_);
    Seq& slot = pending_[{chat_id, member.user_id}];
    slot = std::max(slot, seq);
  }
  wake_.notify_one();
  return Ok{};
}

Result<std::vector<DeliveryReceipts::Receipt>> DeliveryReceipts::receipts(const UserId& viewer, const ChatId& chat_id) {
  auto chat = chats_.find_for_member(viewer, chat_id);
  if (!chat) return chat.error();
  auto stored = store_.markers_of_chat(chat_id);
  if (!stored) return stored.error();
  std::unordered_map<std::string_view, const MemberMarkers*> by_user;
  for (const MemberMarkers& m : *stored) by_user.emplace(m.user_id, &m);
  // Reported but not stored yet: the window is short, but a client that asks
  // right after a live event must not see less than it announced.
  std::unordered_map<std::string_view, Seq> unstored;
  {
    std::lock_guard lock(mutex_);
    for (auto it = pending_.lower_bound({chat_id, UserId{}}); it != pending_.end() && it->first.first == chat_id;
         ++it) {
      unstored.emplace(it->first.second, it->second);
    }
  }
  std::vector<Receipt> out;
  for (const Member& member : (*chat)->members) {
    if (!privacy_.hears(**chat, member.user_id, viewer)) continue;
    Receipt receipt{member.user_id, 0, 0, member.joined_seq};
    if (auto it = by_user.find(member.user_id); it != by_user.end()) {
      receipt.read_seq = it->second->read_seq;
      receipt.delivered_seq = it->second->delivered_seq;
    }
    if (auto it = unstored.find(member.user_id); it != unstored.end()) {
      receipt.delivered_seq = std::max(receipt.delivered_seq, it->second);
    }
    receipt.delivered_seq = std::max(receipt.delivered_seq, receipt.read_seq);
    out.push_back(std::move(receipt));
  }
  return out;
}

void DeliveryReceipts::run() {
  std::unique_lock lock(mutex_);
  auto backoff = std::chrono::milliseconds(config_.last_active_retry_initial_ms);
  while (!stopping_) {
    wake_.wait(lock, [&] { return !pending_.empty() || stopping_; });
    // The window: what other devices report meanwhile joins this write and event.
    wake_.wait_for(lock, std::chrono::milliseconds(config_.delivery_gather_ms), [&] { return stopping_; });
    if (stopping_) break;
    Pending batch;
    batch.swap(pending_);
    lock.unlock();
    Status flushed = flush(std::move(batch));
    lock.lock();
    if (flushed) {
      backoff = std::chrono::milliseconds(config_.last_active_retry_initial_ms);
      continue;
    }
    // The store may heal: the batch is back in pending_, try again later.
    wake_.wait_for(lock, backoff, [&] { return stopping_; });
    backoff = std::min(backoff * 2, std::chrono::milliseconds(config_.last_active_retry_max_ms));
  }
}

Status DeliveryReceipts::flush(Pending batch) {
  std::vector<ReadMarker> markers;
  markers.reserve(batch.size());
  std::map<ChatId, std::vector<DeliveredMarker>> by_chat;
  {
    const ChatId* chat_id = nullptr;
    Seq last = 0;
    for (const auto& [key, seq] : batch) {
      if (chat_id == nullptr || *chat_id != key.first) {
        chat_id = &key.first;
        // Never past the last message: a device cannot have received more.
        auto known = log_.last_seq(key.first);
        if (!known) {
          keep_for_next_try(batch);  // unknown is not zero
          return known.error();
        }
        last = *known;
      }
      const Seq clamped = std::min(seq, last);
      if (clamped == 0) continue;
      markers.push_back({key.first, key.second, clamped});
      by_chat[key.first].push_back({key.second, clamped});
    }
  }
  if (markers.empty()) return Ok{};
  if (auto written = store_.raise_delivered_markers(markers); !written) {
    keep_for_next_try(batch);
    return written;
  }
  for (const auto& [chat_id, raised] : by_chat) announce(chat_id, raised);
  return Ok{};
}

void DeliveryReceipts::keep_for_next_try(const Pending& batch) {
  std::lock_guard lock(mutex_);
  for (const auto& [key, seq] : batch) {
    Seq& slot = pending_[key];
    slot = std::max(slot, seq);
  }
}

void DeliveryReceipts::announce(const ChatId& chat_id, const std::vector<DeliveredMarker>& raised) {
  auto chat = chats_.find(chat_id);
  if (!chat || !*chat) return;  // stored; shown by the next receipts() answer
  // Who hears each member's receipt; then, per listener, the markers it may
  // see, and one event for all the listeners that see the same ones.
  std::map<UserId, std::vector<DeliveredMarker>> heard;
  for (const DeliveredMarker& marker : raised) {
    for (UserId& listener : privacy_.audience(**chat, marker.user_id)) {
      heard[std::move(listener)].push_back(marker);
    }
  }
  std::map<std::vector<std::pair<UserId, Seq>>, std::vector<UserId>> listeners_by_markers;
  for (auto& [listener, markers] : heard) {
    std::vector<std::pair<UserId, Seq>> key;
    key.reserve(markers.size());
    for (const auto& m : markers) key.emplace_back(m.user_id, m.seq);
    listeners_by_markers[std::move(key)].push_back(listener);
  }
  for (auto& [key, listeners] : listeners_by_markers) {
    DeliveredEvent event{chat_id, {}};
    event.markers.reserve(key.size());
    for (const auto& [user, seq] : key) event.markers.push_back({user, seq});
    sink_.deliver(listeners, std::make_shared<const Event>(std::move(event)));
  }
}

}  // namespace parley
