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
#include <boost/beast/core/role.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket/teardown.hpp>
#include <cstddef>
#include <list>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace parley {

class GatedStream {
 public:
  using executor_type = boost::beast::tcp_stream::executor_type;
  using Done = boost::asio::any_completion_handler<void(boost::system::error_code, std::size_t)>;

  explicit GatedStream(boost::beast::tcp_stream&& stream) : next_(std::move(stream)) {}

  executor_type get_executor() noexcept { return next_.get_executor(); }
  boost::beast::tcp_stream& next_layer() noexcept { return next_; }
  const boost::beast::tcp_stream& next_layer() const noexcept { return next_; }

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
          std::vector<boost::asio::const_buffer> view{boost::asio::buffer(*owned)};
          submit(Write{std::move(owned), std::move(view), Done(std::move(handler)), false});
        },
        token, std::move(bytes));
  }

  // The session's data frames, already framed: `buffers` must stay valid
  // until the completion. Fails with operation_aborted after a close frame.
  template <class WriteToken>
  auto async_write_frames(std::vector<boost::asio::const_buffer> buffers, WriteToken&& token) {
    return boost::asio::async_initiate<WriteToken, void(boost::system::error_code, std::size_t)>(
        [this](auto handler, std::vector<boost::asio::const_buffer> view) {
          submit(Write{nullptr, std::move(view), Done(std::move(handler)), true});
        },
        token, std::move(buffers));
  }

 private:
  struct Write {
    std::shared_ptr<std::string> owned;  // Beast's bytes, copied
    std::vector<boost::asio::const_buffer> buffers;
    Done done;
    bool data = false;
  };
  void submit(Write write);
  void start(Write write);
  // The gate passes to the next write waiting, or opens.
  void pass_on();

  boost::beast::tcp_stream next_;
  bool busy_ = false;
  bool close_sent_ = false;
  // Rarely more than one (a pong behind a data write); a list, because an
  // empty one owns no memory and nothing in it is ever moved by assignment.
  std::list<Write> waiting_;
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
