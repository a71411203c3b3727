#include "net/gated_stream.h"

#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

namespace parley {
namespace asio = boost::asio;

namespace {
// The first byte of a close frame: FIN and opcode 8.
constexpr unsigned char kCloseFrameStart = 0x88;
constexpr unsigned char kTextFrameStart = 0x81;  // FIN and opcode 1

bool starts_close_frame(const std::vector<asio::const_buffer>& buffers) {
  for (const auto& b : buffers) {
    if (b.size() > 0) return *static_cast<const unsigned char*>(b.data()) == kCloseFrameStart;
  }
  return false;
}
}  // namespace

void GatedStream::submit(Write write) {
  if (busy_) {
    waiting_.push_back(std::move(write));
    return;
  }
  start(std::move(write));
}

void GatedStream::start(Write write) {
  busy_ = true;
  if (write.data && close_sent_) {
    // Answered as if by the socket, never from inside the call that asked.
    asio::post(next_.get_executor(), [this, done = std::move(write.done)]() mutable {
      pass_on();
      std::move(done)(asio::error::operation_aborted, 0);
    });
    return;
  }
  if (!write.data && starts_close_frame(write.buffers)) close_sent_ = true;
  auto buffers = std::move(write.buffers);
  asio::async_write(next_, buffers,
                    [this, owned = std::move(write.owned), done = std::move(write.done)](boost::system::error_code ec,
                                                                                         std::size_t n) mutable {
                      owned.reset();
                      pass_on();
                      std::move(done)(ec, n);
                    });
}

void GatedStream::pass_on() {
  busy_ = false;
  if (waiting_.empty()) return;
  Write next = std::move(waiting_.front());
  waiting_.pop_front();
  start(std::move(next));
}

void append_text_frame_header(std::string& out, std::size_t payload) {
  out.push_back(static_cast<char>(kTextFrameStart));
  if (payload < 126) {
    out.push_back(static_cast<char>(payload));
  } else if (payload <= 0xffff) {
    out.push_back(static_cast<char>(126));
    out.push_back(static_cast<char>(payload >> 8));
    out.push_back(static_cast<char>(payload & 0xff));
  } else {
    out.push_back(static_cast<char>(127));
    for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>((payload >> shift) & 0xff));
  }
}

void teardown(boost::beast::role_type role, GatedStream& stream, boost::system::error_code& ec) {
  using boost::beast::websocket::teardown;
  teardown(role, stream.next_layer(), ec);
}

}  // namespace parley
