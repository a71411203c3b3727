#pragma once
// Server: the listening socket, the I/O threads and the HTTP connections
// that become WebSocket sessions. One io_context run by N threads; every
// connection lives on one of N loops (net/loop_courier.h), the strands that
// also carry the bus's frames to it.
//
// Life: listen() (throws if the address is unusable) -> run() on the calling
// thread plus N-1 more -> stop() from any thread (e.g. a signal): stop
// accepting, let writes drain for a moment, end the I/O threads.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/thread_pool.hpp>
#include <memory>
#include <thread>
#include <vector>

#include "net/connection_limit.h"
#include "net/loop_courier.h"
#include "net/net_context.h"
#include "net/rest_api.h"

namespace parley {

class Server {
 public:
  Server(const ServerConfig& config, Core& core, DeviceBus& bus);
  ~Server();

  void listen();
  std::uint16_t port() const;
  const ConnectionLimit& connections() const { return connections_; }
  // Blocks until stop() completes.
  void run();
  // Stops accepting new connections. Thread-safe.
  void stop_accepting();
  // Ends the I/O threads; pending writes get `grace` to finish. Thread-safe.
  void stop(std::chrono::milliseconds grace);

  boost::asio::io_context& io_context() { return ioc_; }

 private:
  boost::asio::awaitable<void> accept_loop();
  // One I/O thread's run of the io_context, its wakes paced by a WakePacer.
  void run_io_thread();

  ServerConfig config_;
  boost::asio::thread_pool blocking_;
  NetContext context_;
  ConnectionLimit connections_;  // outlives every connection (declared before ioc_)
  boost::asio::io_context ioc_;
  LoopCourier courier_;
  RestApi api_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::vector<std::thread> threads_;
};

}  // namespace parley
