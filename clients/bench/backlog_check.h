#pragma once
// BacklogCheck: what one resuming device must receive in the backlog
// scenario (--mode backlog): every message the sender had acked, once each,
// in seq order, all before `synced` (nothing was sent during the replay, so
// nothing may follow it), and nothing else. Pure; one thread.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace parley::bench {

struct BacklogTally {
  std::uint64_t expected = 0;
  std::uint64_t received = 0;      // distinct expected messages that arrived
  std::uint64_t missing = 0;       // expected - received
  std::uint64_t duplicates = 0;    // a seq seen again
  std::uint64_t out_of_order = 0;  // a seq below one already seen
  std::uint64_t foreign = 0;       // another chat, or a seq that was never acked
  std::uint64_t mismatched = 0;    // a seq whose client_msg_id is not the one its ack named
  std::uint64_t after_synced = 0;  // expected messages that came after `synced`

  bool ok() const {
    return missing == 0 && duplicates == 0 && out_of_order == 0 && foreign == 0 && mismatched == 0 && after_synced == 0;
  }
};

class BacklogCheck {
 public:
  // `client_msg_id_of_seq[i]` is the send acked with seq i + 1; an empty
  // entry is a seq that no send of the scenario took.
  BacklogCheck(std::string chat_id, std::vector<std::string> client_msg_id_of_seq);

  // One `message` frame of the replay, in arrival order.
  void on_message(std::string_view chat_id, std::int64_t seq, std::string_view client_msg_id, bool after_synced);
  // Every expected message has arrived.
  bool complete() const { return tally_.received == tally_.expected; }
  BacklogTally tally() const;

 private:
  std::string chat_id_;
  std::vector<std::string> ids_;
  std::vector<bool> seen_;
  std::int64_t last_ = 0;
  BacklogTally tally_;
};

}  // namespace parley::bench
