#pragma once
// Core: the domain services wired to the ports they need, started and
// stopped together. Adapters outlive it.

#include "core/accounts.h"
#include "core/chat_directory.h"
#include "core/config.h"
#include "core/conversations.h"
#include "core/last_active_writer.h"
#include "core/message_pipeline.h"
#include "core/ports.h"
#include "core/presence.h"
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
};

class Core {
 public:
  Core(const CoreConfig& config, const CorePorts& ports);

  // Throws std::runtime_error when the store cannot be read (start-up only).
  void start();
  // Stops sweeping presence, drains the send pipeline, stops push delivery,
  // then stores the last pending last_active_at values.
  void stop();

  const CoreConfig config;
  Accounts accounts;
  ChatDirectory chats;
  PushDispatcher push;
  PushPlanner push_planner;
  MessagePipeline pipeline;
  LastActiveWriter last_active;
  Presence presence;
  Conversations conversations;
};

}  // namespace parley
