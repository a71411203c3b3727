#pragma once
// BacklogReport: the figures of one run of the offline backlog scenario
// (--mode backlog, backlog_drain.h): one BacklogRun per repetition, and the
// median, min and max over them; printed as text or as one JSON object.

#include <cstdint>
#include <string>
#include <vector>

#include "backlog_check.h"

namespace parley::bench {

struct BacklogRun {
  double send_s = 0;               // A: first send written to last ack
  std::uint64_t send_retries = 0;  // sends answered `overloaded` and written again
  // After hello was written; -1: never came.
  double welcome_ms = -1, synced_ms = -1, last_message_ms = -1;
  double server_cpu_s = -1;  // parleyd's CPU from hello to the end of the drain; -1 without --server-pid
  std::string close_detail;  // B's connection ended during the drain: how
  BacklogTally tally;

  bool ok() const { return tally.ok() && synced_ms >= 0 && close_detail.empty(); }
};

struct BacklogReport {
  std::string run_id;
  int messages = 0;    // N: sent by A, owed to B's device in each repetition
  std::string cursor;  // "saved" (connected once) or "start" ("o0")
  int text_bytes = 0;
  int window = 0;  // A's sends waiting for their ack at most
  int server_pid = 0;
  std::vector<BacklogRun> runs;

  bool ok() const;
};

std::string format_backlog_text(const BacklogReport& r);
std::string format_backlog_json(const BacklogReport& r);

}  // namespace parley::bench
