#pragma once
// GatedStream: the TCP stream under a device's WebSocket. Every write to the
// peer passes one gate, a whole write at a time, in the order asked:
// - the session's data frames, many in one gathered write (write_frames),
//   their shared bytes written straight from where they are;
// - what Beast writes by itself: the handshake response, pongs, keep-alive
//   pings and close frames (async_write_some, copied: they are small).
// So a control frame never lands inside a data frame, and once a close
// frame has gone out no data frame follows it.
//
// Lives inside the session's websocket::stream; used on the session's strand only.

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/role.hpp>
#include <boost/beast/websocket/teardown.hpp>
#include <cstddef>
#include <list>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace parley {

class GatedStream {
 public:
  using Socket = boost::asio::ip::tcp::socket;
  using executor_type = Socket::executor_type;
  using Done = boost::asio::any_completion_handler<void(boost::system::error_code, std::size_t)>;

  // A bare socket, not a beast::tcp_stream: the WebSocket keeps its own
  // timeouts, so the stream's per-operation timers would cost every
  // connection a few hundred bytes for nothing.
  explicit GatedStream(Socket&& socket) : next_(std::move(socket)) {}

  executor_type get_executor() noexcept { return next_.get_executor(); }
  Socket& next_layer() noexcept { return next_; }
  const Socket& next_layer() const noexcept { return next_; }

  template <class MutableBufferSequence, class ReadToken>
  auto async_read_some(const MutableBufferSequence& buffers, ReadToken&& token) {
    return next_.async_read_some(buffers, std::forward<ReadToken>(token));
  }

  // Beast's writes. Completes once every byte is written, so Beast's own
  // loop never splits a frame around somebody else's write.
  template <class ConstBufferSequence, class WriteToken>
  auto async_write_some(const ConstBufferSequence& buffers, WriteToken&& token) {
    auto bytes = std::make_shared<std::string>(boost::asio::buffer_size(buffers), '\0');
    boost::asio::buffer_copy(boost::asio::buffer(*bytes), buffers);
    return boost::asio::async_initiate<WriteToken, void(boost::system::error_code, std::size_t)>(
        [this](auto handler, std::shared_ptr<std::string> owned) {
          Write write;
          write.copied = {boost::asio::buffer(*owned)};
          write.owned = std::move(owned);
          submit(std::move(write), Done(std::move(handler)));
        },
        token, std::move(bytes));
  }

  // The session's data frames, already framed. `buffers` and the bytes they
  // point to must stay valid until `done` runs; the gate consumes `buffers`
  // as they are written. Fails with operation_aborted after a close frame.
  // `done(error_code, bytes_written)`; never called from inside this call.
  template <class Handler>
  void write_frames(std::vector<boost::asio::const_buffer>& buffers, Handler done) {
    Write write;
    write.frames = &buffers;
    if (busy_ || close_sent_) {
      submit(std::move(write), Done(std::move(done)));  // rare: the general way
      return;
    }
    busy_ = true;
    write_all(std::move(write), 0, std::move(done));
  }

 private:
  using Buffers = std::vector<boost::asio::const_buffer>;
  struct Write {
    std::shared_ptr<std::string> owned;  // Beast's bytes, copied
    Buffers copied;                      // over `owned`
    Buffers* frames = nullptr;           // the session's, when not null
    Buffers& buffers() { return frames ? *frames : copied; }
  };
  struct Waiting {
    Write write;
    Done done;
  };
  void submit(Write write, Done done);
  void start(Write write, Done done);
  // The gate passes to the next write waiting, or opens.
  void pass_on();
  // Drops the first `n` bytes of `buffers`.
  static void consume(Buffers& buffers, std::size_t n);

  // Writes the rest of `write` straight to the socket, then passes the gate
  // on and completes.
  template <class Handler>
  void write_all(Write write, std::size_t written, Handler done) {
    Buffers& buffers = write.buffers();
    const std::span<const boost::asio::const_buffer> view(buffers.data(), buffers.size());
    next_.async_write_some(view, [this, write = std::move(write), written, done = std::move(done)](
                                     boost::system::error_code ec, std::size_t n) mutable {
      written += n;
      if (!ec) {
        consume(write.buffers(), n);
        if (!write.buffers().empty()) {
          write_all(std::move(write), written, std::move(done));
          return;
        }
      }
      write.owned.reset();
      pass_on();
      std::move(done)(ec, written);
    });
  }

  Socket next_;
  bool busy_ = false;
  bool close_sent_ = false;
  // Rarely more than one (a pong behind a data write); a list, because an
  // empty one owns no memory and nothing in it is ever moved by assignment.
  std::list<Waiting> waiting_;
};

// The WebSocket header of an unmasked, unfragmented text frame (a server's)
// of `payload` bytes, appended to `out`.
void append_text_frame_header(std::string& out, std::size_t payload);

// How Beast closes the connection under a session (found by argument-dependent lookup).
void teardown(boost::beast::role_type role, GatedStream& stream, boost::system::error_code& ec);

template <class TeardownHandler>
void async_teardown(boost::beast::role_type role, GatedStream& stream, TeardownHandler&& handler) {
  using boost::beast::websocket::async_teardown;
  async_teardown(role, stream.next_layer(), std::forward<TeardownHandler>(handler));
}

}  // namespace parley
