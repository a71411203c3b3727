// The bytes on the wire: the server gathers many data frames into one
// write, and Beast answers pings in between; every frame must still arrive
// whole, unmasked and in order, however the writes were split.

#include <boost/json.hpp>

#include <gtest/gtest.h>

#include "fixture.h"
#include "raw_ws.h"

namespace parley::testing {
namespace {
namespace json = boost::json;
using client::str_field;

class WsFramingTest : public ParleyTest {};

// A reader with a tiny receive buffer makes the server's writes stall
// half-way; its pings arrive meanwhile, and their pongs must wait for the
// data write under way instead of landing inside a frame.
TEST_F(WsFramingTest, PongsAnsweredDuringStalledWritesLandBetweenWholeFrames) {
  Session alice = new_session("alice");
  Session bob = new_session("bob");
  ChatInfo chat = accepted_direct(alice, bob);
  RawWs reader(server().host(), server().port(), 4096);
  ASSERT_TRUE(reader.send_text(json::serialize(json::object{{"type", "hello"}, {"token", bob.token()}})));
  auto welcome = reader.read_frame(kWait.count());
  ASSERT_TRUE(welcome && welcome->opcode == 1) << "no welcome";

  auto sender = connect(alice);
  // More than the server's socket buffer can take (4 MiB at most), so its
  // writes stall half-way while the reader's pings come in.
  constexpr int kMessages = 2000;
  constexpr int kWindow = 500;  // under the connection's bound on unacked sends
  constexpr int kPings = 40;
  const std::string text(3000, 't');
  for (int sent = 0; sent < kMessages; sent += kWindow) {
    for (int i = sent; i < sent + kWindow; ++i) {
      sender->send(json::object{{"type", "send"},
                                {"chat_id", chat.chat_id},
                                {"client_msg_id", "f" + std::to_string(i)},
                                {"text", text + std::to_string(i)}});
    }
    for (int i = 0; i < kWindow; ++i) ASSERT_TRUE(sender->next_of_type("ack", kWait)) << "send " << sent + i;
  }
  int pings = 0;
  auto ping = [&] { ASSERT_TRUE(reader.send_ping("ping" + std::to_string(pings++))); };
  for (int i = 0; i < 5; ++i) ping();

  int messages = 0;
  int pongs = 0;
  std::int64_t last_seq = 0;
  while (messages < kMessages || pongs < kPings) {
    auto frame = reader.read_frame(30000);
    ASSERT_TRUE(frame) << "the stream ended after " << messages << " messages and " << pongs << " pongs";
    ASSERT_TRUE(frame->fin);
    ASSERT_FALSE(frame->masked) << "a server frame must not be masked";
    if (frame->opcode == 0xA) {
      EXPECT_EQ(frame->payload, "ping" + std::to_string(pongs)) << "pongs out of order";
      ++pongs;
      continue;
    }
    ASSERT_EQ(frame->opcode, 1) << "unexpected opcode after " << messages << " messages";
    if (pings < kPings && messages % 50 == 0) ping();
    boost::system::error_code ec;
    json::value parsed = json::parse(frame->payload, ec);
    ASSERT_FALSE(ec) << "a frame is not JSON (split by another write?): " << frame->payload.substr(0, 80);
    const json::object& o = parsed.as_object();
    if (o.at("type").as_string() != "message") continue;
    const std::int64_t seq = o.at("seq").as_int64();
    EXPECT_EQ(seq, last_seq + 1) << "messages out of order";
    last_seq = seq;
    EXPECT_EQ(o.at("text").as_string(), text + std::to_string(messages));
    ++messages;
  }
  EXPECT_EQ(messages, kMessages);
  EXPECT_EQ(pongs, kPings);
}

// Frames of many sizes, up to the longest text, gathered into the same
// writes, each arriving whole with its own length.
TEST_F(WsFramingTest, FramesOfManySizesArriveWhole) {
  Session alice = new_session("alice");
  Session bob = new_session("bob");
  ChatInfo chat = accepted_direct(alice, bob);
  RawWs reader(server().host(), server().port());
  ASSERT_TRUE(reader.send_text(json::serialize(json::object{{"type", "hello"}, {"token", bob.token()}})));
  ASSERT_TRUE(reader.read_frame(kWait.count()));
  auto sender = connect(alice);
  const std::vector<std::size_t> sizes = {1, 60, 125, 200, 4096, 3000, 2, 4095, 30, 1};
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    sender->send(json::object{{"type", "send"},
                              {"chat_id", chat.chat_id},
                              {"client_msg_id", "s" + std::to_string(i)},
                              {"text", std::string(sizes[i], static_cast<char>('a' + i))}});
  }
  std::size_t seen = 0;
  while (seen < sizes.size()) {
    auto frame = reader.read_frame(30000);
    ASSERT_TRUE(frame) << "the stream ended after " << seen << " messages";
    ASSERT_TRUE(frame->fin);
    ASSERT_EQ(frame->opcode, 1);
    boost::system::error_code ec;
    json::value parsed = json::parse(frame->payload, ec);
    ASSERT_FALSE(ec) << "not JSON: " << frame->payload.substr(0, 80);
    if (parsed.as_object().at("type").as_string() != "message") continue;
    EXPECT_EQ(parsed.as_object().at("text").as_string().size(), sizes[seen]);
    ++seen;
  }
}

// A client message in fragments, a ping between them, is one message: the
// server's first read of a message makes room for a short frame only, and
// the rest of a long one must still arrive whole.
TEST_F(WsFramingTest, AFragmentedMessageLongerThanTheFirstReadArrivesWhole) {
  Session alice = new_session("alice");
  Session bob = new_session("bob");
  ChatInfo chat = accepted_direct(alice, bob);
  auto bob_ws = connect(bob);
  RawWs sender(server().host(), server().port());
  ASSERT_TRUE(sender.send_text(json::serialize(json::object{{"type", "hello"}, {"token", alice.token()}})));
  ASSERT_TRUE(sender.read_frame(kWait.count()));
  const std::string text(2500, 'q');
  const std::string frame = json::serialize(
      json::object{{"type", "send"}, {"chat_id", chat.chat_id}, {"client_msg_id", "long"}, {"text", text}});
  // Text without FIN, then continuations; the last one has FIN.
  const std::vector<std::pair<std::string_view, unsigned char>> fragments = {
      {std::string_view(frame).substr(0, 7), 0x01},
      {std::string_view(frame).substr(7, 2000), 0x00},
      {std::string_view(frame).substr(2007), 0x80}};
  for (std::size_t i = 0; i < fragments.size(); ++i) {
    char key[4];
    std::string bytes = RawWs::frame_header(fragments[i].first.size(), key);
    bytes[0] = static_cast<char>(fragments[i].second);
    bytes += RawWs::mask_payload(fragments[i].first, key);
    ASSERT_TRUE(sender.send_bytes(bytes));
    if (i == 0) {
      ASSERT_TRUE(sender.send_ping("between"));
    }
  }
  auto got = bob_ws->next_matching([](const json::object& o) { return str_field(o, "type") == "message"; }, kWait);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(str_field(*got, "text"), text);
}

}  // namespace
}  // namespace parley::testing
