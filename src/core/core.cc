#include "core/core.h"

namespace parley {

Core::Core(const CoreConfig& cfg, const CorePorts& p)
    : config(cfg),
      accounts(p.accounts, p.credentials, p.clock, config),
      chats(p.chats, p.messages, accounts, p.credentials, p.sink, p.clock, config),
      push(p.push_jobs, p.push_sender, p.clock, config),
      pipeline(p.messages, chats, accounts, p.sink, push, p.clock, config),
      last_active(p.accounts, config),
      presence(chats, p.accounts, last_active, p.sink, p.clock, config),
      conversations(chats, p.chats, p.messages, p.sink) {}

void Core::start() {
  push.start();
  try {
    pipeline.start();
  } catch (...) {
    push.stop();
    throw;
  }
  last_active.start();
  presence.start();
}

void Core::stop() {
  presence.stop();
  pipeline.stop();
  push.stop();
  last_active.stop();
}

}  // namespace parley
