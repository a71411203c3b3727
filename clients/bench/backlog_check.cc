#include "backlog_check.h"

#include <algorithm>

namespace parley::bench {

BacklogCheck::BacklogCheck(std::string chat_id, std::vector<std::string> client_msg_id_of_seq)
    : chat_id_(std::move(chat_id)), ids_(std::move(client_msg_id_of_seq)), seen_(ids_.size(), false) {
  tally_.expected =
      static_cast<std::uint64_t>(std::count_if(ids_.begin(), ids_.end(), [](const auto& id) { return !id.empty(); }));
}

void BacklogCheck::on_message(std::string_view chat_id, std::int64_t seq, std::string_view client_msg_id,
                              bool after_synced) {
  const auto index = static_cast<std::size_t>(seq - 1);
  if (chat_id != chat_id_ || seq < 1 || index >= ids_.size() || ids_[index].empty()) {
    ++tally_.foreign;
    return;
  }
  if (seen_[index]) {
    ++tally_.duplicates;
    return;
  }
  seen_[index] = true;
  ++tally_.received;
  if (seq < last_) ++tally_.out_of_order;
  last_ = std::max(last_, seq);
  if (client_msg_id != ids_[index]) ++tally_.mismatched;
  if (after_synced) ++tally_.after_synced;
}

BacklogTally BacklogCheck::tally() const {
  BacklogTally t = tally_;
  t.missing = t.expected - t.received;
  return t;
}

}  // namespace parley::bench
