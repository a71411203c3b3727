#pragma once
// A Core wired to in-memory fakes, with helpers to make users and chats.

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <memory>
#include <thread>

#include "core/core.h"
#include "fakes/fake_clock.h"
#include "fakes/fake_credentials.h"
#include "fakes/faulty_store.h"
#include "fakes/memory_store.h"
#include "fakes/recording_event_sink.h"
#include "fakes/recording_push_sender.h"
#include "poll_until.h"

namespace parley::testing {

// Polls `pred` until it holds or the deadline passes; never a timing assertion.
template <typename Pred>
bool eventually(Pred pred, std::chrono::seconds timeout = std::chrono::seconds(10)) {
  return poll_until(pred, timeout, std::chrono::milliseconds(2));
}

class CoreTest : public ::testing::Test {
 protected:
  CoreTest() {
    config.presence_sweep_ms = 0;  // tests sweep when they choose
    config.push_coalesce_ms = 0;   // plan pushes at once unless a test wants coalescing
    rebuild();
  }
  ~CoreTest() override {
    if (core) core->stop();
  }

  // Replaces the core (as after a restart), keeping the store.
  void rebuild() {
    if (core) core->stop();
    core.reset();
    core = std::make_unique<Core>(config, CorePorts{faults, faults, faults, faults, credentials, clock, sink,
                                                    push_sender, sequencer, presence_registry});
    core->start();
  }

  UserId make_user(const std::string& name) {
    auto id = core->accounts.signup(name + "@example.org", "password-" + name, name);
    EXPECT_TRUE(id.ok());
    return id.ok() ? *id : UserId{};
  }

  AuthContext login(const std::string& name) {
    auto r = core->accounts.login(name + "@example.org", "password-" + name, "test");
    EXPECT_TRUE(r.ok());
    return r.ok() ? AuthContext{r->user_id, r->device_id} : AuthContext{};
  }

  // A direct chat `a` opened and `b` accepted: each sees the other's presence,
  // receipts and typing.
  ChatId direct(const UserId& a, const UserId& b) {
    const ChatId id = request(a, b);
    EXPECT_TRUE(core->chats.accept(b, id).ok());
    return id;
  }
  // A direct chat `a` opened that `b` has not accepted: a message request.
  ChatId request(const UserId& a, const UserId& b) {
    auto r = core->chats.open_direct(a, b);
    EXPECT_TRUE(r.ok());
    return r.ok() ? r->chat->id : ChatId{};
  }

  // Submits and waits (with a generous deadline) for the pipeline's answer.
  Result<SendAck> send(const AuthContext& who, const ChatId& chat, const std::string& client_msg_id,
                       const std::string& text) {
    auto promise = std::make_shared<std::promise<Result<SendAck>>>();
    auto future = promise->get_future();
    core->pipeline.submit(SendRequest{who, chat, client_msg_id, text},
                          [promise](Result<SendAck> r) { promise->set_value(std::move(r)); });
    if (future.wait_for(std::chrono::seconds(30)) != std::future_status::ready) {
      ADD_FAILURE() << "send was never answered";
      return make_error(ErrorCode::internal, "timeout");
    }
    return future.get();
  }

  CoreConfig config;
  MemoryStore store;
  // What the core sees: `store`, failing wherever a test says so.
  FaultyStore faults{store};
  FakeCredentials credentials;
  FakeClock clock;
  RecordingEventSink sink;
  RecordingPushSender push_sender;
  // The core's sequencer; none: its own LocalSequencer.
  MessageSequencer* sequencer = nullptr;
  // The core's presence registry; none: its own LocalPresenceRegistry.
  PresenceRegistry* presence_registry = nullptr;
  std::unique_ptr<Core> core;
};

}  // namespace parley::testing
