#pragma once
// Core: the domain services wired to the ports they need, started and
// stopped together. Adapters outlive it.

#include <memory>

#include "core/account_admin.h"
#include "core/accounts.h"
#include "core/chat_directory.h"
#include "core/config.h"
#include "core/conversations.h"
#include "core/delivery_receipts.h"
#include "core/last_active_writer.h"
#include "core/local_presence_registry.h"
#include "core/local_sequencer.h"
#include "core/message_pipeline.h"
#include "core/message_search.h"
#include "core/ports.h"
#include "core/presence.h"
#include "core/privacy.h"
#include "core/push_dispatcher.h"
#include "core/push_planner.h"

namespace parley {

struct CorePorts {
  AccountStore& accounts;
  ChatStore& chats;
  MessageLog& messages;
  PushJobStore& push_jobs;
  Credentials& credentials;
  Clock& clock;
  EventSink& sink;
  PushSender& push_sender;
  // Where seq and offsets come from; none: a LocalSequencer over `messages`
  // (the single node).
  MessageSequencer* sequencer = nullptr;
  // Where heartbeats are kept and who is online is decided; none: a
  // LocalPresenceRegistry in this process (the single node). Started before
  // the core and stopped after it by its owner.
  PresenceRegistry* presence = nullptr;
  // Which log shards this node plans and sends pushes for; none: every shard
  // of a single node's log (SingleNodePushPlacement).
  PushPlacement* push_placement = nullptr;
};

class Core {
 public:
  Core(const CoreConfig& config, const CorePorts& ports);

  // Throws std::runtime_error when the store cannot be read (start-up only).
  void start();
  // Stops sweeping presence, drains the send pipeline, stops push delivery,
  // then stores the last pending last_active_at values.
  void stop();
  // Another process changed the user's profile, devices or privacy settings.
  void user_changed_elsewhere(const UserId& user);

  const CoreConfig config;

 private:
  // The single node's sequencer when the ports bring none; before the
  // pipeline, which uses it.
  std::unique_ptr<LocalSequencer> local_sequencer_;
  // The single node's presence registry when the ports bring none; before presence.
  std::unique_ptr<LocalPresenceRegistry> local_presence_;
  SingleNodePushPlacement single_node_placement_;
  PushPlacement& push_placement_;

 public:
  Accounts accounts;
  ChatDirectory chats;
  Privacy privacy;
  PushDispatcher push;
  PushPlanner push_planner;
  // Before the pipeline, which calls into it until it has stopped.
  Conversations conversations;
  MessageSearch search;
  DeliveryReceipts delivery;
  MessagePipeline pipeline;
  LastActiveWriter last_active;
  Presence presence;
  // What an operator does to accounts (the admin API).
  AccountAdmin admin;
};

}  // namespace parley
