// quorumd's webhook delivery (docs/webhooks.md): for every ACTIVE webhook a
// thread of its own reads the change feed after the webhook's cursor and
// POSTs each matching event, one at a time, as protobuf JSON signed with
// HMAC-SHA256; the cursor is saved after every acknowledged (2xx)
// delivery, so a restart resumes there (at least once, in feed order).
// Failures are retried with exponential backoff; after max_failures in a
// row the webhook is PAUSED with the reason.
#ifndef QUORUM_SERVER_WEBHOOK_DISPATCHER_H_
#define QUORUM_SERVER_WEBHOOK_DISPATCHER_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "graph/usecases/readiness.h"
#include "graph/usecases/webhooks.h"
#include "quorum/v1/workflow_service.pb.h"

namespace quorum::server {

struct WebhookOptions {
  // Whether quorumd delivers at all (off: webhooks are kept, not called).
  bool enabled = true;
  // The longest one delivery (connect, send, answer) may take.
  absl::Duration timeout = absl::Seconds(10);
  // Consecutive failures after which a webhook is paused (0: never).
  int max_failures = 10;
  // The wait after a first failure, doubled after each further one...
  absl::Duration backoff = absl::Seconds(1);
  // ...up to this.
  absl::Duration max_backoff = absl::Minutes(5);
  // How often the webhooks and the feed are read when nothing woke the
  // dispatcher (another node's webhook, say); new events and this node's
  // creates and resumes wake it at once.
  absl::Duration poll = absl::Seconds(30);
};

// The headers of a delivery.
inline constexpr char kSignatureHeader[] = "X-Quorum-Signature";
inline constexpr char kSequenceHeader[] = "X-Quorum-Sequence";
inline constexpr char kWebhookHeader[] = "X-Quorum-Webhook";

// "sha256=" and the lower-case hex HMAC-SHA256 of `body` under `secret`:
// the value of X-Quorum-Signature.
std::string WebhookSignature(absl::string_view secret, absl::string_view body);
// The body of the delivery of `event`: its protobuf JSON (lowerCamelCase
// fields, enum names, fields at their default left out).
std::string WebhookBody(const v1::ReadinessEvent& event);

// Thread-safe.
class WebhookDispatcher {
 public:
  // Does not own `webhooks` and `readiness`, which must outlive it.
  WebhookDispatcher(graph::Webhooks* webhooks, graph::Readiness* readiness,
                    WebhookOptions options);
  // Stops.
  ~WebhookDispatcher();

  // Starts delivering (once).
  void Start();
  // Looks at the webhooks again soon (one was created or resumed).
  void Poke();
  // Stops and joins every thread; deliveries in flight are abandoned (their
  // events are delivered again after a restart). Idempotent.
  void Stop();

 private:
  struct Worker {
    std::thread thread;
    bool done = false;
  };
  void Run();
  void Deliver(const std::string& name);
  // Waits `d`, or until Stop, or until a Poke when there has been one since
  // `pokes` was read from pokes_; false when stopping.
  bool Sleep(absl::Duration d, uint64_t pokes);
  bool stopping() const { return stop_.load(); }

  graph::Webhooks* webhooks_;
  graph::Readiness* readiness_;
  const WebhookOptions options_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  bool started_ = false;                   // Guarded by mu_.
  bool poked_ = true;                      // Guarded by mu_.
  uint64_t generation_ = 0;                // New events; guarded by mu_.
  uint64_t pokes_ = 0;  // Webhooks changed (Poke); guarded by mu_.
  std::map<std::string, Worker> workers_;  // Guarded by mu_.
  std::thread manager_;
};

}  // namespace quorum::server

#endif  // QUORUM_SERVER_WEBHOOK_DISPATCHER_H_
