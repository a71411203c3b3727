// GatedStream: writes go out whole and in the order asked, whoever asked;
// nothing of the session follows a close frame; frame headers.

#include "net/gated_stream.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

namespace parley {
namespace {
namespace asio = boost::asio;
using asio::ip::tcp;

// A connected loopback pair: the gate on the server side, a plain socket for the peer.
struct Pair {
  asio::io_context io;
  tcp::socket peer{io};
  std::unique_ptr<GatedStream> gate;

  Pair() {
    tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    peer.connect(acceptor.local_endpoint());
    gate = std::make_unique<GatedStream>(acceptor.accept());
  }
  // Everything the peer receives until the server side is closed.
  std::string read_all() {
    std::string out;
    boost::system::error_code ec;
    asio::read(peer, asio::dynamic_buffer(out), ec);
    return out;
  }
};

// What Beast would write itself: any buffer sequence, through async_write_some.
void beast_write(GatedStream& gate, const std::string& bytes, std::vector<std::string>& log) {
  gate.async_write_some(asio::buffer(bytes), [&log, n = bytes.size()](boost::system::error_code ec, std::size_t got) {
    log.push_back(ec ? "beast failed" : (got == n ? "beast whole" : "beast partial"));
  });
}

TEST(GatedStreamTest, WritesGoOutWholeInTheOrderAsked) {
  Pair pair;
  // Far more than the socket buffers hold, so the first write stalls half-way
  // while the others are asked for.
  const std::string big(8 << 20, 'd');
  const std::string pong("\x8a\x02hi", 4);
  const std::string tail = "tail of the session";
  std::vector<std::string> log;
  std::vector<asio::const_buffer> frames{asio::buffer(big.data(), big.size() / 2),
                                         asio::buffer(big.data() + big.size() / 2, big.size() / 2)};
  pair.gate->write_frames(frames, [&](boost::system::error_code ec, std::size_t n) {
    log.push_back(!ec && n == big.size() ? "frames whole" : "frames failed");
  });
  beast_write(*pair.gate, pong, log);
  std::vector<asio::const_buffer> tail_frames{asio::buffer(tail)};
  pair.gate->write_frames(tail_frames, [&](boost::system::error_code ec, std::size_t) {
    log.push_back(ec ? "tail failed" : "tail whole");
    pair.gate->next_layer().close();
  });
  std::string received;
  std::thread reader([&] { received = pair.read_all(); });
  pair.io.run();
  reader.join();
  EXPECT_EQ(log, (std::vector<std::string>{"frames whole", "beast whole", "tail whole"}));
  ASSERT_EQ(received.size(), big.size() + pong.size() + tail.size());
  EXPECT_TRUE(received == big + pong + tail) << "the writes were interleaved";
}

TEST(GatedStreamTest, NothingOfTheSessionFollowsACloseFrame) {
  Pair pair;
  const std::string close_frame("\x88\x02\x03\xe8", 4);  // close, code 1000
  std::vector<std::string> log;
  beast_write(*pair.gate, close_frame, log);
  boost::system::error_code after_close;
  std::vector<asio::const_buffer> late{asio::buffer(std::string_view("late data"))};
  pair.gate->write_frames(late, [&](boost::system::error_code ec, std::size_t) {
    after_close = ec;
    pair.gate->next_layer().close();
  });
  std::string received;
  std::thread reader([&] { received = pair.read_all(); });
  pair.io.run();
  reader.join();
  EXPECT_EQ(log, std::vector<std::string>{"beast whole"});
  EXPECT_EQ(after_close, asio::error::operation_aborted);
  EXPECT_EQ(received, close_frame);
}

TEST(GatedStreamTest, AFailedWriteStillPassesTheGateOn) {
  Pair pair;
  pair.gate->next_layer().shutdown(tcp::socket::shutdown_send);
  std::vector<std::string> log;
  beast_write(*pair.gate, "pong", log);
  std::vector<asio::const_buffer> data{asio::buffer(std::string_view("data"))};
  pair.gate->write_frames(
      data, [&](boost::system::error_code ec, std::size_t) { log.push_back(ec ? "frames failed" : "frames whole"); });
  pair.io.run();
  EXPECT_EQ(log, (std::vector<std::string>{"beast failed", "frames failed"}));
}

TEST(GatedStreamTest, EmptyBuffersAmongTheFramesAreSkipped) {
  Pair pair;
  const std::string first = "first";
  const std::string second = "second";
  std::vector<asio::const_buffer> frames{asio::const_buffer(), asio::buffer(first), asio::const_buffer(),
                                         asio::buffer(second), asio::const_buffer()};
  std::size_t written = 0;
  pair.gate->write_frames(frames, [&](boost::system::error_code ec, std::size_t n) {
    written = ec ? 0 : n;
    pair.gate->next_layer().close();
  });
  std::string received;
  std::thread reader([&] { received = pair.read_all(); });
  pair.io.run();
  reader.join();
  EXPECT_EQ(written, first.size() + second.size());
  EXPECT_EQ(received, first + second);
}

TEST(GatedStreamTest, TextFrameHeadersUseTheShortestLength) {
  const auto header = [](std::size_t payload) {
    std::string out;
    append_text_frame_header(out, payload);
    return out;
  };
  EXPECT_EQ(header(0), std::string("\x81\x00", 2));
  EXPECT_EQ(header(125), std::string("\x81\x7d", 2));
  EXPECT_EQ(header(126), std::string("\x81\x7e\x00\x7e", 4));
  EXPECT_EQ(header(65535), std::string("\x81\x7e\xff\xff", 4));
  EXPECT_EQ(header(65536), std::string("\x81\x7f\x00\x00\x00\x00\x00\x01\x00\x00", 10));
}

}  // namespace
}  // namespace parley
