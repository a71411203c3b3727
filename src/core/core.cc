#include "core/core.h"

namespace parley {

Core::Core(const CoreConfig& cfg, const CorePorts& p)
    : config(cfg),
      accounts(p.accounts, p.credentials, p.clock, config),
      chats(p.chats, p.messages, accounts, p.credentials, p.sink, p.clock, config),
      push(p.push_jobs, p.push_sender, p.clock, config),
      pipeline(p.messages, chats, accounts, p.sink, push, p.clock, config),
      presence(chats, p.accounts, p.sink, p.clock, config),
      conversations(chats, p.chats, p.messages, p.sink) {}

void Core::start() {
  push.start();
  try {
    pipeline.start();
  } catch (...) {
    push.stop();
    throw;
  }
}

void Core::stop() {
  pipeline.stop();
  push.stop();
}

}  // namespace parley
