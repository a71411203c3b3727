#pragma once
// WebhookPushSender: delivers a push job as an HTTP POST of JSON to the
// device's registered http:// URL. A 2xx answer is success; a refused
// connection, a timeout or any other status is a failure the dispatcher
// retries. Special-use addresses (loopback, private, metadata, …) are refused
// unless `allow` names the host or network: every resolved address is checked
// and only checked addresses are connected to. Redirects are not followed.
// Owns one I/O thread between start() and stop(); send() is
// thread-safe.

#include <chrono>
#include <memory>

#include "core/ports.h"
#include "inet/ip_network.h"

namespace parley {

class WebhookPushSender final : public PushSender {
 public:
  explicit WebhookPushSender(inet::HostAllowList allow = {},
                             std::chrono::milliseconds timeout = std::chrono::seconds(10));
  ~WebhookPushSender() override;

  void start();
  // Abandons requests in flight; their jobs stay stored and are retried.
  void stop();

  void send(const PushJob& job, std::function<void(PushOutcome)> done) override;

  // The JSON body POSTed for a job.
  static std::string body_of(const PushJob& job);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace parley
