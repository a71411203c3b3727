#pragma once
// PushRouter: the PushSender the core sees, handing each job to the sender of
// its provider ("webpush", or "webhook" — also for jobs stored before
// providers were recorded). Stateless; send() is thread-safe when the
// senders' are.

#include "core/ports.h"

namespace parley {

class PushRouter final : public PushSender {
 public:
  PushRouter(PushSender& webhook, PushSender& webpush) : webhook_(webhook), webpush_(webpush) {}

  void send(const PushJob& job, std::function<void(PushOutcome)> done) override {
    (job.provider == "webpush" ? webpush_ : webhook_).send(job, std::move(done));
  }

 private:
  PushSender& webhook_;
  PushSender& webpush_;
};

}  // namespace parley
