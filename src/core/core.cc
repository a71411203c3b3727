#include "core/core.h"

namespace parley {

namespace {

std::unique_ptr<LocalSequencer> local_sequencer_for(const CorePorts& p) {
  if (p.sequencer) return nullptr;
  // Senders' read markers ride in the commit's own write only where the log
  // and the chat store are one store, so that the chat store reads them.
  const bool one_store = dynamic_cast<const void*>(&p.messages) == dynamic_cast<const void*>(&p.chats);
  return std::make_unique<LocalSequencer>(p.messages, one_store);
}

std::unique_ptr<LocalPresenceRegistry> local_presence_for(const CorePorts& p, const CoreConfig& config) {
  return p.presence ? nullptr : std::make_unique<LocalPresenceRegistry>(config.presence_timeout_ms);
}

}  // namespace

Core::Core(const CoreConfig& cfg, const CorePorts& p)
    : config(cfg),
      local_sequencer_(local_sequencer_for(p)),
      local_presence_(local_presence_for(p, cfg)),
      push_placement_(p.push_placement ? *p.push_placement : single_node_placement_),
      accounts(p.accounts, p.credentials, p.clock, config, &p.sink),
      chats(p.chats, p.messages, p.sequencer ? *p.sequencer : *local_sequencer_, accounts, p.credentials, p.sink,
            p.clock, config),
      privacy(p.accounts, accounts, chats, p.sink),
      push(p.push_jobs, p.push_sender, p.clock, config, push_placement_.node_id()),
      push_planner(p.messages, p.push_jobs, push_placement_, chats, accounts, p.sink, push, config,
                   /*other_nodes_commit=*/p.sequencer != nullptr),
      conversations(chats, privacy, p.chats, p.messages, p.sink),
      search(chats, p.messages),
      delivery(chats, privacy, p.chats, p.messages, p.sink, config),
      pipeline(p.sequencer ? *p.sequencer : *local_sequencer_, chats, privacy, p.sink, push_planner, p.clock, config),
      last_active(p.accounts, config),
      presence(p.presence ? *p.presence : *local_presence_, chats, privacy, p.accounts, last_active, p.sink, p.clock,
               config),
      admin(p.accounts, p.chats, p.messages, accounts, chats, privacy, pipeline, p.credentials) {
  pipeline.on_stored([this](const std::vector<Message>& stored) {
    // Unless the commit's own write raised them.
    if (!pipeline.commit_raises_read_markers()) conversations.senders_have_read(stored);
    // A reply accepts a message request (once per chat: rare, so the write
    // may run here, before the sender's ack). A failure leaves the request
    // open, to be accepted by the next reply or explicitly.
    for (const Message& m : stored) {
      if (m.kind != MessageKind::text) continue;
      ChatPtr chat = chats.cached(m.chat_id);
      const Member* sender = chat ? chat->member(m.sender_id) : nullptr;
      // The opener may see the sender's presence from now on.
      if (sender && sender->pending && chats.accept(m.sender_id, m.chat_id)) presence.privacy_changed({m.sender_id});
    }
  });
  // A failed write leaves the registration: its next push is gone too and tries again.
  push.on_subscription_gone(
      [this](const PushJob& job) { (void)accounts.drop_push(job.user_id, job.device_id, job.url); });
  privacy.on_change([this](const std::vector<UserId>& subjects) { presence.privacy_changed(subjects); });
  chats.on_group_event(
      [this, credentials = &p.credentials](const UserId& actor, const ChatId& chat_id, const GroupEvent& event) {
        // The change is durable already; a timeline line that cannot be stored
        // now (store down, shutting down) is missing from the timeline, and the
        // chat itself shows the change.
        SendRequest line{
            {actor, {}}, chat_id, "event-" + credentials->new_id(), encode_group_event(event), MessageKind::event};
        pipeline.submit(std::move(line), [](const Result<SendAck>&) {});
      });
}

void Core::user_changed_elsewhere(const UserId& user) {
  accounts.user_changed_elsewhere(user);
  privacy.forget(user);
}

void Core::start() {
  push.start();
  try {
    push_planner.start();
    if (local_sequencer_) local_sequencer_->start();
    pipeline.start();
  } catch (...) {
    push_planner.stop();
    push.stop();
    throw;
  }
  last_active.start();
  accounts.start();
  delivery.start();
  presence.start();
}

void Core::stop() {
  presence.stop();
  delivery.stop();
  pipeline.stop();
  push_planner.stop();  // plans what the pipeline committed last
  push.stop();
  last_active.stop();
  accounts.stop();  // stores the last device uses
}

}  // namespace parley
