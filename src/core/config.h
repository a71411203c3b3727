#pragma once
// Limits and timings of the core, one typed struct handed to constructors.

#include <cstddef>

#include "core/model.h"

namespace parley {

struct CoreConfig {
  std::size_t max_text_bytes = 4096;
  std::size_t max_group_size = 1024;  // every member, the creator included
  std::size_t max_client_msg_id_bytes = 128;
  std::size_t max_name_bytes = 200;
  TimeMs presence_timeout_ms = 30'000;
  // A device whose connections all closed cleanly stops keeping its user
  // online after this long, unless it connects again meanwhile (a reload
  // does not flap); one that vanishes is caught by presence_timeout_ms.
  TimeMs offline_grace_ms = 5'000;
  // Users one presence query or subscription may name; bounds the work of one frame.
  std::size_t max_presence_users = 1'000;
  // How often the presence thread looks for users gone quiet; 0: never by
  // itself (tests call Presence::sweep()).
  TimeMs presence_sweep_ms = 250;
  // A token unused for longer than this stops working; 0: never.
  TimeMs token_idle_expiry_ms = 0;
  // How often the devices' last uses are stored (one batch write).
  TimeMs device_use_flush_ms = 5'000;
  // How long delivery reports are gathered before one write and one event
  // per chat (DeliveryReceipts).
  TimeMs delivery_gather_ms = 100;
  TimeMs last_active_retry_initial_ms = 100;
  TimeMs last_active_retry_max_ms = 5'000;
  TimeMs push_retry_initial_ms = 1'000;
  TimeMs push_retry_max_ms = 300'000;
  TimeMs push_give_up_after_ms = TimeMs{24} * 3'600'000;
  std::size_t push_max_in_flight = 64;
  // Messages for one offline device committed within this window share one
  // push (with a count); also the delay before a push is planned.
  TimeMs push_coalesce_ms = 1'000;
  // A node's claim on a push job it is sending lasts this long; when the node
  // dies, another takes the job over after it. Longer than the push sender's
  // timeout and the clock skew between nodes.
  TimeMs push_lease_ms = 60'000;
  // On a graceful stop, pushes being sent get this long to be answered;
  // the claims of those still unanswered are then given back, so another
  // node sends them at once instead of after the lease.
  TimeMs push_stop_grace_ms = 2'000;
  // How often the planner reads the heads of its shards (other nodes commit
  // to them too) and asks which shards it owns.
  TimeMs push_head_poll_ms = 1'000;
  // How often the planner reloads its shards' stored jobs, to take over one
  // whose node planned it and died before sending it.
  TimeMs push_rescan_ms = 60'000;
  // Sends waiting for the commit thread; past this, sends fail with
  // `overloaded` instead of letting memory grow.
  std::size_t max_pending_sends = 20'000;
  // ... and past the time the oldest of them has waited: a sender learns at
  // once that the server is behind, instead of after the whole queue.
  TimeMs max_pending_send_wait_ms = 1'000;
  std::size_t max_commit_batch = 4'096;
};

}  // namespace parley
