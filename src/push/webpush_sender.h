#pragma once
// WebPushSender: delivers a push job to a browser's push service (RFC 8030):
// the payload JSON (payload_of) encrypted for the subscription (RFC 8291,
// aes128gcm) and POSTed to its endpoint over https, signed with the
// deployment's VAPID key (RFC 8292). The push service's answer decides:
// 2xx delivered; 404/410 the subscription is gone; 429 and 5xx, a timeout or
// a failed connection are retried; any other status is refused for good.
// Where it connects follows the webhooks' policy (webhook_url.h): every
// resolved address is checked, special-use ones refused unless `allow`
// exempts them, and plain http only reaches exempted hosts. Certificates are
// verified against the system's trust store. Redirects are not followed.
// Owns one I/O thread between start() and stop(); send() is thread-safe.

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "core/ports.h"
#include "inet/ip_network.h"
#include "push/p256_key.h"

namespace parley {

struct WebPushConfig {
  inet::HostAllowList allow = {};
  // The VAPID contact (JWT "sub"): "mailto:…" or "https://…".
  std::string subject = {};
  std::chrono::milliseconds timeout = std::chrono::seconds(10);
  // How long the push service keeps a message for an offline browser (TTL header).
  std::chrono::seconds ttl = std::chrono::hours(24);
};

class WebPushSender final : public PushSender {
 public:
  // `vapid` must outlive the sender; null: Web Push is off and every job is
  // refused (registrations made before it was turned off).
  WebPushSender(const push::P256Key* vapid, WebPushConfig config);
  ~WebPushSender() override;

  void start();
  // Abandons requests in flight; their jobs stay stored and are retried.
  void stop();

  void send(const PushJob& job, std::function<void(PushOutcome)> done) override;

  // The JSON a browser's service worker receives for a job.
  static std::string payload_of(const PushJob& job);
  // What a push service's HTTP status means for the job.
  static PushOutcome outcome_of(unsigned status);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace parley
