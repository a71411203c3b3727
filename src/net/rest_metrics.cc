// GET /metrics: the process's figures in the Prometheus text format. Served
// with --stats-endpoint only, like /v1/stats (see docs/operations.md for
// every metric).

#include "core/metrics.h"
#include "net/rest_api.h"
#include "net/rest_replies.h"

namespace parley {
namespace http = boost::beast::http;
using Response = RestApi::Response;

Response RestApi::metrics(const Call& call) {
  const ProcessMetrics& m = process_metrics();
  MetricsText out;
  out.gauge("parley_websocket_connections", "WebSockets attached to this process.",
            static_cast<double>(ctx_.bus.connection_count()));
  out.counter("parley_messages_stored_total", "New messages made durable by this process (resends not counted).",
              m.messages_stored.value());
  out.counter("parley_messages_duplicate_total", "Resends answered with the seq of the message stored first.",
              m.messages_duplicate.value());
  out.counter("parley_sends_refused_total",
              "Sends answered with an error (bad input, not a member, overloaded, store failure).",
              m.sends_refused.value());
  out.counter("parley_messages_delivered_total",
              "Message frames queued to a device connected to this process (live traffic, not resumes).",
              m.messages_delivered.value());
  out.histogram("parley_send_ack_seconds", "From a send's arrival on its connection to its ack (durable).",
                m.send_ack_seconds);
  out.histogram("parley_send_deliver_seconds",
                "From a message's commit timestamp to its frame being queued for a recipient device.",
                m.send_deliver_seconds);
  out.histogram("parley_commit_batch_messages", "Sends per group commit.", m.commit_batch_messages);
  out.histogram("parley_commit_seconds",
                "Duration of one group commit (the synced write, or a cluster's transactions).", m.commit_seconds);
  out.gauge("parley_pending_sends", "Sends waiting for the commit thread.",
            static_cast<double>(m.pending_sends.value()));
  out.gauge("parley_push_jobs_pending", "Push jobs this process schedules (waiting for a try, or in flight).",
            static_cast<double>(ctx_.core.push.pending()));
  out.counter("parley_push_attempts_total", "Push deliveries tried.", m.push_attempts.value());
  out.counter("parley_push_failures_total", "Push tries that failed (retried later, or given up).",
              m.push_failures.value());
  out.counter("parley_push_given_up_total",
              "Push jobs dropped after --push-give-up-hours of failures, or refused for good by a push service.",
              m.push_given_up.value());
  out.gauge("parley_presence_users", "Users online through a device heartbeating on this process.",
            static_cast<double>(m.presence_users.value()));
  out.counter("parley_ws_writes_total", "Gathered writes of data frames to WebSocket connections.",
              m.ws_writes.value());
  out.counter("parley_ws_frames_written_total", "Data frames those writes carried.", m.ws_frames_written.value());
  out.counter("parley_ws_paced_writes_total",
              "Of those writes, the ones that waited for their I/O thread's tick (--write-delay-ms) to gather frames.",
              m.ws_paced_writes.value());
  out.counter("parley_io_wakes_total", "Times an I/O thread woke to work.", m.io_wakes.value());
  out.counter("parley_io_jobs_total", "Jobs I/O threads ran: reads, writes, frames and acks handed to them.",
              m.io_jobs.value());
  out.counter("parley_io_paused_wakes_total",
              "Of those wakes, the ones after which the thread paused (--wake-pause-us) to let more work gather.",
              m.io_paused_wakes.value());
  if (ctx_.config.store_stats) {
    std::vector<std::pair<std::string, double>> store;
    for (const auto& [name, value] : ctx_.config.store_stats()) store.emplace_back(name, static_cast<double>(value));
    out.gauge_family("parley_store", "What the embedded RocksDB store reports (see docs/operations.md).", "stat",
                     store);
  }
  if (ctx_.config.dependencies) {
    std::vector<std::pair<std::string, double>> up;
    for (const auto& d : ctx_.config.dependencies()) up.emplace_back(d.name, d.ok ? 1.0 : 0.0);
    out.gauge_family("parley_dependency_up", "1 while this cluster node reaches the engine, else 0.", "dependency", up);
  }
  return rest::reply(call.req, http::status::ok, out.text(), "text/plain; version=0.0.4; charset=utf-8");
}

}  // namespace parley
