// Webhooks: subscriptions to the readiness change feed, kept with their
// delivery cursor (docs/webhooks.md). The use case of WebhookService, and
// what quorumd's dispatcher (server/webhook_dispatcher.h) reads and
// advances as it delivers.
#ifndef QUORUM_GRAPH_USECASES_WEBHOOKS_H_
#define QUORUM_GRAPH_USECASES_WEBHOOKS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "graph/store/store.h"
#include "graph/usecases/readiness.h"
#include "quorum/v1/webhook_service.pb.h"
#include "quorum/v1/workflow_service.pb.h"

namespace quorum::graph {

// The longest secret a webhook takes, in bytes.
inline constexpr size_t kMaxWebhookSecretBytes = 256;
// The longest URL, in bytes.
inline constexpr size_t kMaxWebhookUrlBytes = 2048;
// The most webhooks a store holds (each has a delivery thread in quorumd).
inline constexpr size_t kMaxWebhooks = 100;

// The watch request with the filters of `filter` (for MatchesWatch).
v1::WatchReadinessRequest WatchOf(const v1::ReadinessFilter& filter);

// The first 16 hex digits of the SHA-256 of `secret`.
std::string SecretFingerprint(absl::string_view secret);

class Webhooks {
 public:
  // Runs on `store` and its change feed `readiness`, which must outlive it.
  // Thread-safe.
  Webhooks(Store& store, Readiness& readiness)
      : store_(store), readiness_(readiness) {}

  // ---- WebhookService.

  // Checks url (http or https, with a host), secret (1 to 256 bytes), the
  // filter (known enum values, an ISO country, min_readiness 0 to 100),
  // webhook_id and request_id; INVALID_ARGUMENT naming each bad field
  // ("webhook.url", "webhook.filter.routes[0]"...). The cursor starts where
  // start_sequence says (OUT_OF_RANGE outside the retained feed).
  // RESOURCE_EXHAUSTED when kMaxWebhooks exist already.
  absl::StatusOr<v1::Webhook> CreateWebhook(
      const v1::CreateWebhookRequest& request);
  absl::StatusOr<v1::Webhook> GetWebhook(absl::string_view name);
  absl::StatusOr<Page<v1::Webhook>> ListWebhooks(int limit,
                                                 absl::string_view start_after);
  absl::Status DeleteWebhook(absl::string_view name);
  // Makes the webhook ACTIVE with no failures counted. When the events after
  // its cursor were compacted away: OUT_OF_RANGE with the retained range,
  // or with skip_compacted the cursor moves to the first retained event
  // less one.
  absl::StatusOr<v1::Webhook> ResumeWebhook(
      const v1::ResumeWebhookRequest& request);

  // ---- Delivery (the dispatcher).

  // A webhook with its secret.
  struct Target {
    v1::Webhook webhook;
    std::string secret;
  };
  // Every webhook (the table is small: one entry per subscription).
  absl::StatusOr<std::vector<Target>> AllWebhooks();
  // The webhook `name` with its secret (NOT_FOUND when deleted).
  absl::StatusOr<Target> LoadTarget(absl::string_view name);
  // Each of these changes `delivering`, the webhook as the dispatcher loaded
  // it: NOT_FOUND when it was deleted, or deleted and created again under
  // its name since (another create_time), so that a delivery to the old
  // subscription never moves the new one's cursor.
  //
  // Moves the cursor on to `sequence` (never back). With `delivered`, the
  // event was acknowledged: failures are reset and the delivery counted;
  // without, events up to `sequence` were passed over as not matching.
  absl::StatusOr<v1::Webhook> Advance(const v1::Webhook& delivering,
                                      int64_t sequence, bool delivered);
  // Counts a failed attempt to deliver event `sequence` with `error`; at
  // `max_failures` consecutive failures (0: never) the webhook is PAUSED
  // with the reason.
  absl::StatusOr<v1::Webhook> RecordFailure(const v1::Webhook& delivering,
                                            int64_t sequence,
                                            absl::string_view error,
                                            int max_failures);
  // Pauses the webhook with `reason` (events it still needed were
  // compacted away).
  absl::StatusOr<v1::Webhook> Pause(const v1::Webhook& delivering,
                                    absl::string_view reason);

 private:
  // Runs `change` on the stored record of `name` in one write and saves it;
  // with `created`, NOT_FOUND unless the record has that create_time.
  absl::StatusOr<v1::Webhook> Update(
      absl::string_view name,
      const std::function<absl::Status(v1::Webhook&)>& change,
      const google::protobuf::Timestamp* created = nullptr);

  Store& store_;
  Readiness& readiness_;
};

}  // namespace quorum::graph

#endif  // QUORUM_GRAPH_USECASES_WEBHOOKS_H_
