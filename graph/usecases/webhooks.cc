// The webhooks use case (WebhookService) and the cursor the dispatcher
// advances (docs/webhooks.md).
#include "graph/usecases/webhooks.h"

#include <openssl/sha.h>

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "graph/model/hash.h"
#include "graph/model/names.h"
#include "graph/model/normalize.h"
#include "graph/model/status.h"
#include "graph/model/time.h"
#include "graph/storage/records.pb.h"
#include "graph/store/records.h"

namespace quorum::graph {

using namespace internal;  // NOLINT: the records of graph/store/records.h.
using storage::WebhookRecord;
using v1::Webhook;

namespace {

constexpr absl::string_view kPrefix = "webhooks/";

// The ID of `name` ("webhooks/{id}"), or INVALID_ARGUMENT naming `field`.
absl::StatusOr<std::string> ParseName(absl::string_view name,
                                      absl::string_view field) {
  absl::string_view id = name;
  if (!absl::ConsumePrefix(&id, kPrefix) || !names::IsValidId(id)) {
    return InvalidField(
        std::string(field),
        absl::StrCat("\"", absl::CHexEscape(name.substr(0, 200)),
                     "\" is not a webhook name (webhooks/{id})"));
  }
  return std::string(id);
}

// Why `url` is not a URL quorumd may POST to, or "" when it is one.
std::string UrlProblem(absl::string_view url) {
  if (url.empty()) return "is required";
  if (url.size() > kMaxWebhookUrlBytes) {
    return absl::StrCat("is longer than ", kMaxWebhookUrlBytes, " bytes");
  }
  for (char c : url) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f) {
      return "must not contain spaces, control or non-ASCII characters "
             "(percent-encode them)";
    }
  }
  absl::string_view rest = url;
  const std::string lower = absl::AsciiStrToLower(url.substr(0, 8));
  if (absl::StartsWith(lower, "http://")) {
    rest.remove_prefix(7);
  } else if (absl::StartsWith(lower, "https://")) {
    rest.remove_prefix(8);
  } else {
    return "must be an http:// or https:// URL";
  }
  absl::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  if (const size_t at = authority.rfind('@'); at != absl::string_view::npos) {
    authority.remove_prefix(at + 1);
  }
  absl::string_view host = authority;
  if (absl::StartsWith(host, "[")) {  // An IPv6 literal, [::1]:8080.
    const size_t close = host.find(']');
    if (close == absl::string_view::npos || close == 1) {
      return "has a malformed IPv6 host";
    }
    absl::string_view after = host.substr(close + 1);
    host = host.substr(0, close + 1);
    authority = after;
  } else {
    const size_t colon = host.find(':');
    authority = colon == absl::string_view::npos ? "" : host.substr(colon);
    host = host.substr(0, colon);
  }
  if (host.empty()) return "has no host";
  if (!authority.empty()) {  // ":port"
    int port = 0;
    if (authority[0] != ':' || authority.size() > 6 ||
        !absl::SimpleAtoi(authority.substr(1), &port) || port < 1 ||
        port > 65535) {
      return "has a malformed port (1 to 65535)";
    }
  }
  return "";
}

void CheckFilter(const v1::ReadinessFilter& f, const std::string& field,
                 Violations* v) {
  for (int i = 0; i < f.routes_size(); ++i) {
    if (!v1::Route_IsValid(f.routes(i)) ||
        f.routes(i) == v1::ROUTE_UNSPECIFIED) {
      v->Add(absl::StrCat(field, ".routes[", i, "]"), "unknown route");
    }
  }
  for (int i = 0; i < f.statuses_size(); ++i) {
    if (!v1::LifecycleStatus_IsValid(f.statuses(i)) ||
        f.statuses(i) == v1::LIFECYCLE_STATUS_UNSPECIFIED) {
      v->Add(absl::StrCat(field, ".statuses[", i, "]"), "unknown status");
    }
  }
  if (!f.country_code().empty() && !IsCountryCode(f.country_code())) {
    v->Add(field + ".country_code",
           absl::StrCat("\"", absl::CHexEscape(f.country_code().substr(0, 20)),
                        "\" is not an ISO 3166-1 code"));
  }
  if (f.owner().size() > 500) {
    v->Add(field + ".owner", "is longer than 500 bytes");
  }
  if (!v1::EvaluationStage_IsValid(f.stage())) {
    v->Add(field + ".stage", "unknown enum value");
  }
  if (f.min_readiness() < 0 || f.min_readiness() > 100) {
    v->Add(field + ".min_readiness", "must be between 0 and 100");
  }
  if (!f.solution().empty() && !names::IsValidId(f.solution())) {
    v->Add(field + ".solution",
           "is not a solution ID (lower-case letters, digits and dashes, at "
           "most 63)");
  }
}

Webhook Served(const WebhookRecord& record) {
  Webhook out = record.webhook();
  out.clear_secret();
  return out;
}

}  // namespace

v1::WatchReadinessRequest WatchOf(const v1::ReadinessFilter& filter) {
  v1::WatchReadinessRequest watch;
  *watch.mutable_routes() = filter.routes();
  *watch.mutable_statuses() = filter.statuses();
  watch.set_country_code(filter.country_code());
  watch.set_owner(filter.owner());
  watch.set_stage(filter.stage());
  watch.set_min_readiness(filter.min_readiness());
  watch.set_solution(filter.solution());
  return watch;
}

std::string SecretFingerprint(absl::string_view secret) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(secret.data()), secret.size(),
         digest);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), 8));
}

absl::StatusOr<Webhook> Webhooks::CreateWebhook(
    const v1::CreateWebhookRequest& request) {
  Violations violations;
  const Webhook& in = request.webhook();
  if (std::string why = UrlProblem(in.url()); !why.empty()) {
    violations.Add("webhook.url", why);
  }
  if (in.secret().empty()) {
    violations.Add("webhook.secret", "is required");
  } else if (in.secret().size() > kMaxWebhookSecretBytes) {
    violations.Add(
        "webhook.secret",
        absl::StrCat("is longer than ", kMaxWebhookSecretBytes, " bytes"));
  }
  CheckFilter(in.filter(), "webhook.filter", &violations);
  if (!request.webhook_id().empty() &&
      !names::IsValidId(request.webhook_id())) {
    violations.Add(
        "webhook_id",
        absl::StrCat("\"",
                     absl::CHexEscape(request.webhook_id().substr(0, 100)),
                     "\" is not a valid ID (^[a-z]([a-z0-9-]{0,61}"
                     "[a-z0-9])?$)"));
  }
  if (request.start_sequence() < 0) {
    violations.Add("start_sequence", "must not be negative");
  }
  CheckRequestId(request.request_id(), &violations);
  RETURN_IF_ERROR(violations.ToStatus());
  RETURN_IF_ERROR(readiness_.CheckSolution(in.filter().solution(),
                                           "webhook.filter.solution"));

  v1::WatchReadinessRequest watch;
  watch.set_start_sequence(request.start_sequence());
  watch.set_solution(in.filter().solution());
  ASSIGN_OR_RETURN(const Readiness::WatchStart start,
                   readiness_.StartWatch(watch));
  const auto now = ToProto(store_.Now());
  Webhook created;
  v1::CreateWebhookRequest fingerprinted = request;
  fingerprinted.clear_request_id();
  RETURN_IF_ERROR(store_.WriteIdempotent(
      "CreateWebhook", request.request_id(), RequestFingerprint(fingerprinted),
      &created, [&](Txn& txn) -> absl::Status {
        size_t count = 0;
        RETURN_IF_ERROR(txn.Scan(kWebhooks, kPrefix, "",
                                 [&](absl::string_view, absl::string_view) {
                                   return ++count < kMaxWebhooks;
                                 }));
        if (count >= kMaxWebhooks) {
          return absl::ResourceExhaustedError(
              absl::StrCat("there are ", kMaxWebhooks,
                           " webhooks, the most a server keeps; delete one "
                           "first"));
        }
        std::string id = request.webhook_id();
        if (id.empty()) {
          ASSIGN_OR_RETURN(const uint64_t seq, NextSequence(txn));
          id = absl::StrCat("w-", absl::Hex(seq));
        }
        const std::string name = absl::StrCat(kPrefix, id);
        ASSIGN_OR_RETURN(std::optional<std::string> existing,
                         txn.Get(kWebhooks, name));
        if (existing) {
          return absl::AlreadyExistsError(
              absl::StrCat("webhook_id: ", name, " already exists"));
        }
        WebhookRecord record;
        Webhook& w = *record.mutable_webhook();
        w.set_name(name);
        w.set_url(in.url());
        *w.mutable_filter() = in.filter();
        w.set_secret_fingerprint(SecretFingerprint(in.secret()));
        w.set_state(Webhook::STATE_ACTIVE);
        w.set_cursor_sequence(start.after);
        *w.mutable_create_time() = now;
        *w.mutable_update_time() = now;
        record.set_secret(in.secret());
        RETURN_IF_ERROR(Save(txn, kWebhooks, name, record));
        created = Served(record);
        return absl::OkStatus();
      }));
  return created;
}

absl::StatusOr<Webhook> Webhooks::GetWebhook(absl::string_view name) {
  ASSIGN_OR_RETURN(Target target, LoadTarget(name));
  return std::move(target.webhook);
}

absl::StatusOr<Page<Webhook>> Webhooks::ListWebhooks(
    int limit, absl::string_view start_after) {
  RETURN_IF_ERROR(CheckLimit(limit));
  ASSIGN_OR_RETURN(Page<WebhookRecord> records,
                   ScanPage<WebhookRecord>(store_.engine(), kWebhooks, kPrefix,
                                           limit, start_after));
  Page<Webhook> page;
  page.more = records.more;
  page.last_key = std::move(records.last_key);
  for (const WebhookRecord& r : records.items) page.items.push_back(Served(r));
  return page;
}

absl::Status Webhooks::DeleteWebhook(absl::string_view name) {
  RETURN_IF_ERROR(ParseName(name, "name").status());
  return store_.Write([&](Txn& txn) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<std::string> existing,
                     txn.Get(kWebhooks, name));
    if (!existing) return absl::NotFoundError(absl::StrCat(name, " not found"));
    return txn.Delete(kWebhooks, name);
  });
}

absl::StatusOr<Webhook> Webhooks::ResumeWebhook(
    const v1::ResumeWebhookRequest& request) {
  RETURN_IF_ERROR(ParseName(request.name(), "name").status());
  const auto now = ToProto(store_.Now());
  Webhook out;
  RETURN_IF_ERROR(store_.Write([&](Txn& txn) -> absl::Status {
    ASSIGN_OR_RETURN(WebhookRecord record, LoadExisting<WebhookRecord>(
                                               txn, kWebhooks, request.name()));
    Webhook& w = *record.mutable_webhook();
    const std::string& solution = w.filter().solution();
    ASSIGN_OR_RETURN(const int64_t first, FirstRetainedSequence(txn, solution));
    ASSIGN_OR_RETURN(const int64_t head, LastSequence(txn, solution));
    if (w.cursor_sequence() + 1 < first) {
      if (!request.skip_compacted()) {
        return absl::OutOfRangeError(absl::StrCat(
            request.name(), " needs the events after ", w.cursor_sequence(),
            ", but the feed retains ",
            first <= head ? absl::StrCat("events ", first, " to ", head)
                          : absl::StrCat("no events (the next is ", first, ")"),
            ": resume with skip_compacted to go on from event ", first,
            " (events ", w.cursor_sequence() + 1, " to ", first - 1,
            " are not delivered)"));
      }
      w.set_cursor_sequence(first - 1);
    }
    w.set_state(Webhook::STATE_ACTIVE);
    w.set_consecutive_failures(0);
    w.clear_paused_reason();
    *w.mutable_update_time() = now;
    RETURN_IF_ERROR(Save(txn, kWebhooks, request.name(), record));
    out = Served(record);
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<std::vector<Webhooks::Target>> Webhooks::AllWebhooks() {
  std::vector<Target> out;
  RETURN_IF_ERROR(store_.Read([&](Txn& txn) -> absl::Status {
    out.clear();
    ASSIGN_OR_RETURN(std::vector<WebhookRecord> records,
                     ScanAll<WebhookRecord>(txn, kWebhooks, kPrefix));
    for (const WebhookRecord& r : records) {
      out.push_back(Target{Served(r), r.secret()});
    }
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<Webhooks::Target> Webhooks::LoadTarget(absl::string_view name) {
  RETURN_IF_ERROR(ParseName(name, "name").status());
  Target out;
  RETURN_IF_ERROR(store_.Read([&](Txn& txn) -> absl::Status {
    ASSIGN_OR_RETURN(WebhookRecord record,
                     LoadExisting<WebhookRecord>(txn, kWebhooks, name));
    out = Target{Served(record), record.secret()};
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<Webhook> Webhooks::Update(
    absl::string_view name, const std::function<absl::Status(Webhook&)>& change,
    const google::protobuf::Timestamp* created) {
  const auto now = ToProto(store_.Now());
  Webhook out;
  RETURN_IF_ERROR(store_.Write([&](Txn& txn) -> absl::Status {
    ASSIGN_OR_RETURN(WebhookRecord record,
                     LoadExisting<WebhookRecord>(txn, kWebhooks, name));
    Webhook& w = *record.mutable_webhook();
    if (created != nullptr &&
        (w.create_time().seconds() != created->seconds() ||
         w.create_time().nanos() != created->nanos())) {
      return absl::NotFoundError(
          absl::StrCat(name, " was deleted and created again"));
    }
    RETURN_IF_ERROR(change(w));
    *w.mutable_update_time() = now;
    RETURN_IF_ERROR(Save(txn, kWebhooks, name, record));
    out = Served(record);
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<Webhook> Webhooks::Advance(const Webhook& delivering,
                                          int64_t sequence, bool delivered) {
  const auto now = ToProto(store_.Now());
  return Update(
      delivering.name(),
      [&](Webhook& w) {
        w.set_cursor_sequence(std::max(w.cursor_sequence(), sequence));
        if (delivered) {
          w.set_consecutive_failures(0);
          w.clear_last_error();
          w.set_delivered_count(w.delivered_count() + 1);
          *w.mutable_last_delivery_time() = now;
        }
        return absl::OkStatus();
      },
      &delivering.create_time());
}

absl::StatusOr<Webhook> Webhooks::RecordFailure(const Webhook& delivering,
                                                int64_t sequence,
                                                absl::string_view error,
                                                int max_failures) {
  return Update(
      delivering.name(),
      [&](Webhook& w) {
        w.set_consecutive_failures(w.consecutive_failures() + 1);
        w.set_last_error(std::string(error.substr(0, 500)));
        if (max_failures > 0 && w.consecutive_failures() >= max_failures &&
            w.state() == Webhook::STATE_ACTIVE) {
          w.set_state(Webhook::STATE_PAUSED);
          w.set_paused_reason(
              absl::StrCat("paused after ", w.consecutive_failures(),
                           " consecutive failed deliveries of event ", sequence,
                           "; last: ", w.last_error()));
        }
        return absl::OkStatus();
      },
      &delivering.create_time());
}

absl::StatusOr<Webhook> Webhooks::Pause(const Webhook& delivering,
                                        absl::string_view reason) {
  return Update(
      delivering.name(),
      [&](Webhook& w) {
        w.set_state(Webhook::STATE_PAUSED);
        w.set_paused_reason(std::string(reason));
        return absl::OkStatus();
      },
      &delivering.create_time());
}

}  // namespace quorum::graph
