#pragma once
// A push service stand-in for Web Push tests, on 127.0.0.1: it holds one
// browser subscription (a fresh P-256 key pair and auth secret, as a browser
// makes them) and reads every request parleyd sends to its endpoint as a push
// service and the browser would: the VAPID Authorization header (JWT
// signature with the k= key, claims), the aes128gcm body decrypted with the
// subscription's private key. Answers 201 Created, as push services do,
// unless told otherwise (answer_next). Built on PushReceiver.

#include <boost/json/object.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "push/p256_key.h"
#include "push_receiver.h"

namespace parley::testing {

// One request as the stand-in understood it.
struct WebPushDelivery {
  int answered_status = 0;
  std::string error;            // what was wrong with it; empty when nothing
  boost::json::object payload;  // the decrypted JSON
  std::string vapid_key;        // k= of the Authorization header
  std::string aud;              // JWT claims
  std::int64_t exp = 0;
  std::string sub;
  std::string ttl, urgency, content_encoding;
};

class WebPushService {
 public:
  WebPushService();
  void start() {
    receiver_.set_default_status(201);
    receiver_.start();
  }
  void stop() { receiver_.stop(); }

  // The body of PUT /v1/devices/current/push for this subscription.
  boost::json::object registration(const std::string& path = "/wpush/1") const;
  std::string endpoint(const std::string& path = "/wpush/1") const { return receiver_.url(path); }
  std::string origin() const { return "http://127.0.0.1:" + std::to_string(receiver_.port()); }

  // The next requests are answered these statuses, in order; then 201.
  void answer_next(const std::vector<int>& statuses) { receiver_.answer_next(statuses); }

  std::vector<WebPushDelivery> deliveries() const;
  // Waits for a request answered 2xx whose payload has chat_id and seq.
  std::optional<WebPushDelivery> wait_for(const std::string& chat_id, std::int64_t seq,
                                          std::chrono::milliseconds timeout = std::chrono::milliseconds(15000)) const;
  // Waits until `n` requests arrived, whatever they were answered.
  bool wait_for_requests(std::size_t n, std::chrono::milliseconds timeout = std::chrono::milliseconds(15000)) const;

 private:
  WebPushDelivery read(const PushRequest& request) const;

  PushReceiver receiver_;
  push::P256Key key_;
  std::string auth_;
};

}  // namespace parley::testing
