// LoopCourier and the bus's hand-over: every frame reaches every target, on
// the target's own loop, and a connection's frames keep their order whether
// they came through the courier or through push().

#include "net/loop_courier.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bus/local/local_event_bus.h"
#include "core/metrics.h"

namespace parley {
namespace {
namespace asio = boost::asio;

OutboundFrame frame_of(const std::string& text) {
  OutboundFrame frame;
  frame.text = std::make_shared<const std::string>(text);
  return frame;
}

// Records the frames it gets, and whether each came on its loop.
class RecordingConnection final : public DeviceConnection {
 public:
  RecordingConnection(std::string user, std::string device, std::size_t loop, const LoopCourier* courier)
      : user_(std::move(user)), device_(std::move(device)), loop_(loop), courier_(courier) {}

  const UserId& user_id() const override { return user_; }
  const DeviceId& device_id() const override { return device_; }
  std::size_t loop() const override { return loop_; }
  void push(const OutboundFrame& frame) override {
    if (!courier_) {
      record(*frame.text, true);
      return;
    }
    asio::post(courier_->loop(loop_), [this, frame] { push_on_loop(frame); });
  }
  void push_on_loop(const OutboundFrame& frame) override {
    record(*frame.text, !courier_ || courier_->loop(loop_).running_in_this_thread());
  }
  void close_for_logout() override {}
  void ask_to_move(const std::string&) override {}

  std::vector<std::string> frames() const {
    std::lock_guard lock(mutex_);
    return frames_;
  }
  bool all_on_their_loop() const {
    std::lock_guard lock(mutex_);
    return on_loop_;
  }

 private:
  void record(const std::string& text, bool on_loop) {
    std::lock_guard lock(mutex_);
    frames_.push_back(text);
    on_loop_ = on_loop_ && on_loop;
  }

  UserId user_;
  DeviceId device_;
  std::size_t loop_;
  const LoopCourier* courier_;
  mutable std::mutex mutex_;
  std::vector<std::string> frames_;
  bool on_loop_ = true;
};

TEST(LoopCourierTest, EveryTargetGetsEveryFrameOnItsLoopInOrder) {
  asio::io_context io(2);
  LoopCourier courier(io, 2);
  ASSERT_EQ(courier.loop_count(), 2u);
  auto a = std::make_shared<RecordingConnection>("ann", "a1", 0, &courier);
  auto b = std::make_shared<RecordingConnection>("bob", "b1", 1, &courier);
  auto c = std::make_shared<RecordingConnection>("cat", "c1", 0, &courier);
  std::vector<std::string> expected_a;
  std::vector<std::string> expected_b;
  for (int i = 0; i < 200; ++i) {
    const std::string n = std::to_string(i);
    courier.carry({a, b, c}, frame_of("all " + n));
    courier.carry({b}, frame_of("bob " + n));
    a->push(frame_of("pushed " + n));
    expected_a.insert(expected_a.end(), {"all " + n, "pushed " + n});
    expected_b.insert(expected_b.end(), {"all " + n, "bob " + n});
  }
  std::thread second([&] { io.run(); });
  io.run();
  second.join();
  EXPECT_EQ(a->frames(), expected_a);
  EXPECT_EQ(b->frames(), expected_b);
  EXPECT_EQ(c->frames().size(), 200u);
  EXPECT_TRUE(a->all_on_their_loop() && b->all_on_their_loop() && c->all_on_their_loop());
}

TEST(LoopCourierTest, ConnectionsAreSpreadOverTheLoopsInTurn) {
  asio::io_context io;
  LoopCourier courier(io, 3);
  std::vector<std::size_t> loops;
  for (int i = 0; i < 6; ++i) loops.push_back(courier.next_loop());
  EXPECT_EQ(loops, (std::vector<std::size_t>{0, 1, 2, 0, 1, 2}));
  LoopCourier none(io, 0);  // at least one loop, whatever the count asked
  EXPECT_EQ(none.loop_count(), 1u);
  EXPECT_EQ(none.next_loop(), 0u);
}

// Hands what the bus gives it to the connections at once, noting each hand-over.
class RecordingCourier final : public FrameCourier {
 public:
  void carry(std::vector<std::shared_ptr<DeviceConnection>>&& targets, const OutboundFrame& frame) override {
    std::vector<std::string> devices;
    for (const auto& c : targets) {
      devices.push_back(c->device_id());
      c->push_on_loop(frame);
    }
    carried.push_back(std::move(devices));
  }
  std::vector<std::vector<std::string>> carried;
};

// A bus that hands over through a recording courier.
class LocalEventBusCourierTest : public ::testing::Test {
 protected:
  void SetUp() override { bus.set_courier(&courier); }
  // A connection of the user's device, attached to the bus.
  std::shared_ptr<RecordingConnection> connect(const std::string& user, const std::string& device) {
    auto connection = std::make_shared<RecordingConnection>(user, device, 0, nullptr);
    bus.attach(connection);
    return connection;
  }

  LocalEventBus bus;
  RecordingCourier courier;
};

TEST_F(LocalEventBusCourierTest, AnEventIsOneHandOverWithoutTheExceptedDevice) {
  auto ann_phone = connect("ann", "phone");
  auto ann_laptop = connect("ann", "laptop");
  auto bob_phone = connect("bob", "phone-b");
  const std::vector<UserId> users{"ann", "bob", "nobody"};
  bus.deliver(users, std::make_shared<const Event>(TypingEvent{"chat", "ann"}), DeviceId("laptop"));
  ASSERT_EQ(courier.carried.size(), 1u);
  EXPECT_EQ(courier.carried[0], (std::vector<std::string>{"phone", "phone-b"}));
  EXPECT_TRUE(ann_laptop->frames().empty());
  EXPECT_EQ(ann_phone->frames().size(), 1u);

  bus.deliver_to_device("ann", "laptop", std::make_shared<const Event>(TypingEvent{"chat", "bob"}));
  ASSERT_EQ(courier.carried.size(), 2u);
  EXPECT_EQ(courier.carried[1], std::vector<std::string>{"laptop"});

  // No connection of the recipients here: nothing to hand over.
  const std::vector<UserId> absent{"nobody"};
  bus.deliver(absent, std::make_shared<const Event>(TypingEvent{"chat", "ann"}));
  EXPECT_EQ(courier.carried.size(), 2u);

  // Without a courier, each connection is pushed to.
  bus.set_courier(nullptr);
  bus.deliver(users, std::make_shared<const Event>(TypingEvent{"chat", "ann"}));
  EXPECT_EQ(courier.carried.size(), 2u);
  EXPECT_EQ(ann_laptop->frames().size(), 2u);
  EXPECT_EQ(bob_phone->frames().size(), 2u);
}

// The bus's own two-step fan-out: each distinct list of recipients is
// looked up once, when prepared; the connections found then are the ones
// handed each event, one hand-over per event, in order.
TEST_F(LocalEventBusCourierTest, APreparedFanOutLooksUpEachListOnceAndDeliversWhenAsked) {
  auto ann_phone = connect("ann", "phone");
  auto bob_phone = connect("bob", "phone-b");
  auto chat = std::make_shared<const std::vector<UserId>>(std::vector<UserId>{"ann", "nobody", "bob"});
  auto other = std::make_shared<const std::vector<UserId>>(std::vector<UserId>{"cat"});
  auto message = [](Seq seq) {
    Message m;
    m.chat_id = "chat";
    m.seq = seq;
    m.sender_id = "ann";
    m.text = "m" + std::to_string(seq);
    return std::make_shared<const Event>(MessageEvent{m});
  };
  const std::uint64_t delivered_before = process_metrics().messages_delivered.value();
  auto prepared = bus.prepare_fan_out({{chat, message(1)}, {other, message(1)}, {chat, message(2)}});
  EXPECT_TRUE(prepared->connected(0, 0));
  EXPECT_FALSE(prepared->connected(0, 1));
  EXPECT_TRUE(prepared->connected(0, 2));
  EXPECT_FALSE(prepared->connected(1, 0));
  EXPECT_TRUE(prepared->connected(2, 2));
  EXPECT_TRUE(courier.carried.empty()) << "nothing is handed over before deliver()";

  // cat connects after the look-up: the fan-out was settled without her
  // (she reads the message on resume, as any device connecting after a commit).
  auto cat_phone = connect("cat", "phone-c");
  prepared->deliver();
  ASSERT_EQ(courier.carried.size(), 2u);
  EXPECT_EQ(courier.carried[0], (std::vector<std::string>{"phone", "phone-b"}));
  EXPECT_EQ(courier.carried[1], (std::vector<std::string>{"phone", "phone-b"}));
  EXPECT_TRUE(cat_phone->frames().empty());
  ASSERT_EQ(ann_phone->frames().size(), 2u);
  EXPECT_NE(ann_phone->frames()[0].find("\"m1\""), std::string::npos);
  EXPECT_NE(ann_phone->frames()[1].find("\"m2\""), std::string::npos);
  EXPECT_EQ(bob_phone->frames(), ann_phone->frames());
  EXPECT_EQ(process_metrics().messages_delivered.value() - delivered_before, 4u);
}

}  // namespace
}  // namespace parley
