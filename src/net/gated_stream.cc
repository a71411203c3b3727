#include "net/gated_stream.h"

#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>

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

void GatedStream::submit(Write write, Done done) {
  if (busy_) {
    waiting_.push_back(Waiting{std::move(write), std::move(done)});
    return;
  }
  start(std::move(write), std::move(done));
}

void GatedStream::start(Write write, Done done) {
  busy_ = true;
  if (write.frames && close_sent_) {
    // Answered as if by the socket, never from inside the call that asked.
    asio::post(next_.get_executor(), [this, done = std::move(done)]() mutable {
      pass_on();
      std::move(done)(asio::error::operation_aborted, 0);
    });
    return;
  }
  if (!write.frames && starts_close_frame(write.copied)) close_sent_ = true;
  write_all(std::move(write), 0, std::move(done));
}

void GatedStream::pass_on() {
  busy_ = false;
  if (waiting_.empty()) return;
  Waiting next = std::move(waiting_.front());
  waiting_.pop_front();
  start(std::move(next.write), std::move(next.done));
}

void GatedStream::consume(Buffers& buffers, std::size_t n) {
  std::size_t whole = 0;
  while (whole < buffers.size() && buffers[whole].size() <= n) n -= buffers[whole++].size();
  buffers.erase(buffers.begin(), buffers.begin() + static_cast<std::ptrdiff_t>(whole));
  if (!buffers.empty()) buffers.front() += n;
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
