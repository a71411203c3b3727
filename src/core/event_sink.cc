// EventSink's two-step fan-out for a bus that answers "who is connected" by
// asking (connected_users) rather than by keeping the connections itself,
// and the grouping of a batch's items by recipient list every bus uses.
#include <unordered_map>

#include "core/ports.h"

namespace parley {

namespace {

class AskedFanOut final : public PreparedFanOut {
 public:
  AskedFanOut(EventSink& sink, std::vector<FanOutItem> items) : sink_(sink), items_(std::move(items)) {
    // Each distinct list once, in one question: a bus that asks another
    // process pays one round trip.
    FanOutLists distinct = distinct_lists(items_);
    const auto& lists = distinct.lists;
    list_of_item_ = std::move(distinct.list_of_item);
    std::vector<bool> answers;
    if (lists.size() == 1 && lists.front() && !lists.front()->empty()) {
      answers = sink_.connected_users(*lists.front());
    } else if (lists.size() > 1) {
      std::vector<UserId> ask;
      for (const auto* list : lists) {
        if (list) ask.insert(ask.end(), list->begin(), list->end());
      }
      if (!ask.empty()) answers = sink_.connected_users(ask);
    }
    std::size_t at = 0;
    list_start_.reserve(lists.size());
    for (const auto* list : lists) {
      list_start_.push_back(at);
      if (list) at += list->size();
    }
    connected_ = std::move(answers);
    connected_.resize(at, false);
  }

  bool connected(std::size_t item, std::size_t recipient) const override {
    return connected_[list_start_[list_of_item_[item]] + recipient];
  }

  void deliver() override {
    for (const FanOutItem& item : items_) {
      if (item.recipients && !item.recipients->empty()) sink_.deliver(*item.recipients, item.event);
    }
  }

 private:
  EventSink& sink_;
  std::vector<FanOutItem> items_;
  std::vector<std::size_t> list_of_item_;  // per item, its distinct list
  std::vector<std::size_t> list_start_;    // per distinct list, its first answer
  std::vector<bool> connected_;            // per distinct list, per recipient
};

}  // namespace

FanOutLists distinct_lists(const std::vector<FanOutItem>& items) {
  FanOutLists out;
  std::unordered_map<const std::vector<UserId>*, std::size_t> first_of;
  out.list_of_item.reserve(items.size());
  for (const FanOutItem& item : items) {
    auto [it, added] = first_of.try_emplace(item.recipients.get(), out.lists.size());
    if (added) out.lists.push_back(item.recipients.get());
    out.list_of_item.push_back(it->second);
  }
  return out;
}

std::unique_ptr<PreparedFanOut> EventSink::prepare_fan_out(std::vector<FanOutItem> items) {
  return std::make_unique<AskedFanOut>(*this, std::move(items));
}

}  // namespace parley
