#pragma once
// SendersRead: the read markers newly stored messages give their senders
// (a sender has read what it sent): each sender's newest seq in each chat,
// once, however many of its messages a commit batch holds.

#include <algorithm>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/model.h"

namespace parley {

class SendersRead {
 public:
  // `m` must outlive this object (its ids are viewed, not copied).
  void add(const Message& m) {
    Seq& seq = newest_[{m.chat_id, m.sender_id}];
    seq = std::max(seq, m.seq);
  }
  std::vector<ReadMarker> markers() const {
    std::vector<ReadMarker> out;
    out.reserve(newest_.size());
    for (const auto& [key, seq] : newest_) out.push_back({std::string(key.first), std::string(key.second), seq});
    return out;
  }

 private:
  std::map<std::pair<std::string_view, std::string_view>, Seq> newest_;  // by chat and sender
};

}  // namespace parley
