#include "server/webhook_dispatcher.h"

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cstdio>
#include <system_error>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"

namespace quorum::server {
namespace {

// Events read from the feed at once.
constexpr int kChunk = 100;
// The wait before trying again when the store itself failed.
constexpr absl::Duration kStoreRetry = absl::Seconds(1);
// The longest the manager waits for events before it looks at Stop again.
constexpr absl::Duration kManagerSlice = absl::Milliseconds(200);

void Log(const std::string& line) {
  std::fprintf(stderr, "quorumd: %s\n", line.c_str());
}

struct Outcome {
  bool ok = false;
  std::string error;  // When not ok: "HTTP 500", "Timeout was reached"...
};

size_t Discard(char*, size_t size, size_t n, void*) { return size * n; }

int Progress(void* stop, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<std::atomic<bool>*>(stop)->load() ? 1 : 0;
}

// One worker's HTTP client: its connection to the receiver is kept open
// from one delivery to the next (curl_easy_reset keeps live connections).
class HttpClient {
 public:
  HttpClient() : curl_(curl_easy_init()) {}
  ~HttpClient() {
    if (curl_ != nullptr) curl_easy_cleanup(curl_);
  }
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;
  CURL* get() const { return curl_; }

 private:
  CURL* curl_;
};

// POSTs `body` to `url`; 2xx is success.
Outcome Post(HttpClient& client, const std::string& url,
             const std::string& body,
             const std::vector<std::string>& header_lines,
             absl::Duration timeout, std::atomic<bool>* stop) {
  Outcome out;
  CURL* curl = client.get();
  if (curl == nullptr) {
    out.error = "cannot create an HTTP client";
    return out;
  }
  curl_easy_reset(curl);
  curl_slist* headers = nullptr;
  for (const std::string& h : header_lines) {
    headers = curl_slist_append(headers, h.c_str());
  }
  const long timeout_ms =  // NOLINT(runtime/int): curl's type.
      std::max<long>(1, absl::ToInt64Milliseconds(timeout));  // NOLINT
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_POST, 1L);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                   static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, Discard);
  curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, Progress);
  curl_easy_setopt(curl, CURLOPT_XFERINFODATA, stop);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "quorumd-webhooks");
  const CURLcode code = curl_easy_perform(curl);
  if (code != CURLE_OK) {
    out.error = curl_easy_strerror(code);
  } else {
    long status = 0;  // NOLINT(runtime/int): curl's type.
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    out.ok = status >= 200 && status < 300;
    if (!out.ok) out.error = absl::StrCat("HTTP ", status);
  }
  curl_slist_free_all(headers);
  return out;
}

}  // namespace

std::string WebhookSignature(absl::string_view secret, absl::string_view body) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), digest,
       &length);
  return absl::StrCat("sha256=",
                      absl::BytesToHexString(absl::string_view(
                          reinterpret_cast<const char*>(digest), length)));
}

std::string WebhookBody(const v1::ReadinessEvent& event) {
  std::string body;
  (void)google::protobuf::util::MessageToJsonString(event, &body);
  return body;
}

WebhookDispatcher::WebhookDispatcher(graph::Webhooks* webhooks,
                                     graph::Readiness* readiness,
                                     WebhookOptions options)
    : webhooks_(webhooks), readiness_(readiness), options_(options) {}

WebhookDispatcher::~WebhookDispatcher() { Stop(); }

void WebhookDispatcher::Start() {
  static std::once_flag curl_once;
  std::call_once(curl_once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  std::lock_guard lock(mu_);
  if (started_ || stopping()) return;
  started_ = true;
  manager_ = std::thread([this] { Run(); });
}

void WebhookDispatcher::Poke() {
  std::lock_guard lock(mu_);
  poked_ = true;
  ++generation_;
  ++pokes_;
  cv_.notify_all();
}

void WebhookDispatcher::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
    cv_.notify_all();
  }
  if (manager_.joinable()) manager_.join();
  std::map<std::string, Worker> workers;
  {
    std::lock_guard lock(mu_);
    workers.swap(workers_);
  }
  for (auto& [name, worker] : workers) {
    if (worker.thread.joinable()) worker.thread.join();
  }
}

bool WebhookDispatcher::Sleep(absl::Duration d, uint64_t pokes) {
  // A change to the webhooks since `pokes` (a resume, say) ends the wait
  // early, so that a webhook resumed while it backs off is tried again at
  // once.
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, absl::ToChronoMilliseconds(d),
               [&] { return stopping() || pokes_ != pokes; });
  return !stopping();
}

void WebhookDispatcher::Run() {
  int64_t seen = readiness_->FeedsVersion();
  absl::Time last_scan = absl::InfinitePast();
  while (!stopping()) {
    // Join the workers that ended (their webhook was paused or deleted).
    std::vector<std::thread> ended;
    bool scan = false;
    {
      std::lock_guard lock(mu_);
      for (auto it = workers_.begin(); it != workers_.end();) {
        if (it->second.done) {
          ended.push_back(std::move(it->second.thread));
          it = workers_.erase(it);
        } else {
          ++it;
        }
      }
      scan = poked_ || absl::Now() - last_scan >= options_.poll;
      poked_ = false;
    }
    for (std::thread& t : ended) t.join();
    if (scan) {
      last_scan = absl::Now();
      auto all = webhooks_->AllWebhooks();
      if (!all.ok()) {
        Log(absl::StrCat("webhooks: cannot read the webhooks: ",
                         all.status().ToString()));
      } else {
        std::lock_guard lock(mu_);
        for (const auto& target : *all) {
          const std::string& name = target.webhook.name();
          if (target.webhook.state() != v1::Webhook::STATE_ACTIVE ||
              workers_.count(name) > 0 || stopping()) {
            continue;
          }
          try {
            workers_[name].thread =
                std::thread([this, name] { Deliver(name); });
          } catch (const std::system_error& e) {
            // No thread to be had now: the next scan tries again.
            workers_.erase(name);
            Log(absl::StrCat("webhooks: cannot start delivering ", name, ": ",
                             e.what()));
          }
        }
      }
    }
    if (readiness_->WaitForFeedsAfter(seen, kManagerSlice)) {
      seen = readiness_->FeedsVersion();
      std::lock_guard lock(mu_);
      ++generation_;
      cv_.notify_all();
    }
  }
}

void WebhookDispatcher::Deliver(const std::string& name) {
  absl::Duration backoff = options_.backoff;
  HttpClient client;
  while (!stopping()) {
    // What this attempt has seen: a change after it wakes its waits.
    uint64_t generation = 0;
    uint64_t pokes = 0;
    {
      std::lock_guard lock(mu_);
      generation = generation_;
      pokes = pokes_;
    }
    auto target = webhooks_->LoadTarget(name);
    if (absl::IsNotFound(target.status())) break;  // Deleted.
    if (!target.ok()) {
      if (!Sleep(kStoreRetry, pokes)) break;
      continue;
    }
    const v1::Webhook& webhook = target->webhook;
    if (webhook.state() != v1::Webhook::STATE_ACTIVE) break;
    auto events = readiness_->ReadinessEvents(webhook.cursor_sequence(), kChunk,
                                              webhook.filter().solution());
    if (absl::IsOutOfRange(events.status())) {
      const std::string reason = absl::StrCat(
          "events after ", webhook.cursor_sequence(),
          " were compacted away before they were delivered (",
          events.status().message(),
          "); ResumeWebhook with skip_compacted goes on from the first "
          "retained event");
      Log(absl::StrCat("webhooks: ", name, " paused: ", reason));
      (void)webhooks_->Pause(webhook, reason);
      break;
    }
    if (!events.ok()) {
      if (!Sleep(kStoreRetry, pokes)) break;
      continue;
    }
    if (events->empty()) {  // Wait for new events (or a poke, or Stop).
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, absl::ToChronoMilliseconds(options_.poll),
                   [&] { return stopping() || generation_ != generation; });
      continue;
    }
    const v1::WatchReadinessRequest filter = graph::WatchOf(webhook.filter());
    int64_t passed = webhook.cursor_sequence();  // Saved up to here.
    int64_t skipped = passed;                    // Looked at up to here.
    bool retry = false;
    bool end = false;
    for (const v1::ReadinessEvent& e : *events) {
      if (stopping()) {
        end = true;
        break;
      }
      if (!graph::MatchesWatch(filter, e)) {
        skipped = e.sequence();
        continue;
      }
      const std::string body = WebhookBody(e);
      const Outcome outcome =
          Post(client, webhook.url(), body,
               {"Content-Type: application/json", "Expect:",
                absl::StrCat(kSignatureHeader, ": ",
                             WebhookSignature(target->secret, body)),
                absl::StrCat(kSequenceHeader, ": ", e.sequence()),
                absl::StrCat(kWebhookHeader, ": ", name)},
               options_.timeout, &stop_);
      if (stopping()) {
        end = true;
        break;
      }
      if (outcome.ok) {
        backoff = options_.backoff;
        auto advanced = webhooks_->Advance(webhook, e.sequence(), true);
        if (absl::IsNotFound(advanced.status())) {
          end = true;
          break;
        }
        if (!advanced.ok()) {
          // Delivered, but the cursor is not saved: it will be delivered
          // again (at least once) once the store takes writes.
          if (!Sleep(kStoreRetry, pokes)) end = true;
          retry = true;
          break;
        }
        passed = skipped = e.sequence();
        continue;
      }
      auto failed = webhooks_->RecordFailure(
          webhook, e.sequence(), outcome.error, options_.max_failures);
      if (absl::IsNotFound(failed.status())) {
        end = true;
        break;
      }
      if (failed.ok() && failed->state() != v1::Webhook::STATE_ACTIVE) {
        Log(absl::StrCat("webhooks: ", name,
                         " paused: ", failed->paused_reason()));
        end = true;
        break;
      }
      // Passed-over events before the failed one need not be read again
      // (when the store takes the write; the failure itself is counted
      // again on the next attempt if it did not).
      if (failed.ok() && skipped > passed) {
        (void)webhooks_->Advance(webhook, skipped, false);
      }
      passed = skipped;
      // The backoff holds whether or not the store counted the failure.
      if (!Sleep(backoff, pokes)) {
        end = true;
        break;
      }
      backoff = std::min(backoff * 2, options_.max_backoff);
      retry = true;
      break;
    }
    if (end) break;
    if (!retry && skipped > passed) {
      auto advanced = webhooks_->Advance(webhook, skipped, false);
      if (absl::IsNotFound(advanced.status())) break;
      // A store that takes no writes: wait rather than read the same
      // events again at once.
      if (!advanced.ok() && !Sleep(kStoreRetry, pokes)) break;
    }
  }
  std::lock_guard lock(mu_);
  auto it = workers_.find(name);
  if (it != workers_.end()) it->second.done = true;
  poked_ = true;  // A resume may have come meanwhile: look again.
}

}  // namespace quorum::server
