// libFuzzer target: every request the store validates (webhooks too), on a real
// store (LMDB in a temporary folder). The first byte picks the request type,
// the rest is that request in protobuf binary form. Any answer is fine; a
// crash, a hang or a sanitizer report is a bug.
#include <stdlib.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "absl/time/time.h"
#include "google/protobuf/stubs/logging.h"
#include "graph/rules/policy.h"
#include "graph/usecases/use_cases.h"
#include "quorum/v1/account_graph_service.pb.h"
#include "quorum/v1/intake_service.pb.h"
#include "quorum/v1/note_service.pb.h"
#include "quorum/v1/policy_service.pb.h"
#include "quorum/v1/signal_service.pb.h"
#include "quorum/v1/webhook_service.pb.h"
#include "quorum/v1/workflow_service.pb.h"
#include "server/policy_service.h"

namespace {

namespace v1 = quorum::v1;
using quorum::graph::Store;
using quorum::graph::UseCases;

std::string& StoreDir() {
  static std::string* dir = new std::string;
  return *dir;
}

void RemoveStoreDir() {
  std::error_code ec;
  std::filesystem::remove_all(StoreDir(), ec);
}

UseCases* TheStore() {
  static UseCases* store = [] {
    const char* base =
        std::filesystem::exists("/dev/shm") ? "/dev/shm" : "/tmp";
    std::string& dir = StoreDir();
    dir = std::string(base) + "/quorum-fuzz-" + std::to_string(getpid());
    std::filesystem::remove_all(dir);
    std::atexit(RemoveStoreDir);
    Store::Options options;
    options.path = dir;
    options.initial_map_size = 16 << 20;
    options.clock = [] { return absl::FromUnixSeconds(1790000000); };
    auto opened = UseCases::Open(options);
    if (!opened.ok()) abort();
    UseCases* s = opened->release();
    (void)s->policies().PublishPolicy(quorum::graph::DefaultPolicy(), "fuzz");
    v1::Account a;
    a.set_display_name("Fuzz Lab");
    a.set_country_code("US");
    (void)s->accounts().CreateAccount(a, "a");
    v1::Stakeholder p;
    p.set_display_name("Fuzz Person");
    (void)s->accounts().CreateStakeholder("accounts/a", p, "p");
    (void)s->accounts().CreateStakeholder("accounts/a", p, "q");
    return s;
  }();
  return store;
}

template <typename T>
bool Parse(const uint8_t* data, size_t size, T* message) {
  return message->ParseFromArray(data, static_cast<int>(size));
}

}  // namespace

// Protobuf logs every string field with invalid UTF-8 it refuses: quiet.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  UseCases* store = TheStore();
  const uint8_t kind = data[0];
  ++data;
  --size;
  switch (kind % 22) {
    case 0: {
      v1::CreateAccountRequest r;
      if (Parse(data, size, &r)) {
        (void)store->accounts().CreateAccount(r.account(), r.account_id(),
                                              r.request_id());
      }
      break;
    }
    case 1: {
      v1::UpdateAccountRequest r;
      if (Parse(data, size, &r)) {
        (void)store->accounts().UpdateAccount(r.account(), r.update_mask());
      }
      break;
    }
    case 2: {
      v1::CreateSiteRequest r;
      if (Parse(data, size, &r)) {
        (void)store->accounts().CreateSite(r.parent(), r.site(), r.site_id(),
                                           r.request_id());
      }
      break;
    }
    case 3: {
      v1::UpdateSiteRequest r;
      if (Parse(data, size, &r))
        (void)store->accounts().UpdateSite(r.site(), r.update_mask());
      break;
    }
    case 4: {
      v1::CreateStakeholderRequest r;
      if (Parse(data, size, &r)) {
        (void)store->accounts().CreateStakeholder(
            r.parent(), r.stakeholder(), r.stakeholder_id(), r.request_id());
      }
      break;
    }
    case 5: {
      v1::UpdateStakeholderRequest r;
      if (Parse(data, size, &r)) {
        (void)store->accounts().UpdateStakeholder(r.stakeholder(),
                                                  r.update_mask());
      }
      break;
    }
    case 6: {
      v1::CreateRelationshipRequest r;
      if (Parse(data, size, &r)) {
        (void)store->accounts().CreateRelationship(
            r.parent(), r.relationship(), r.relationship_id(), r.request_id());
      }
      break;
    }
    case 7: {
      v1::RecordSignalsRequest r;
      if (Parse(data, size, &r)) (void)store->signals().RecordSignals(r);
      break;
    }
    case 8: {
      v1::CreateNoteRequest r;
      if (Parse(data, size, &r)) {
        (void)store->notes().CreateNote(r.parent(), r.note(), r.note_id());
      }
      break;
    }
    case 9: {
      v1::SubmitLeadRequest r;
      if (Parse(data, size, &r)) (void)store->intake().SubmitLead(r);
      break;
    }
    case 10: {
      v1::TransitionStatusRequest r;
      if (Parse(data, size, &r)) (void)store->workflow().TransitionStatus(r);
      break;
    }
    case 11: {
      v1::CreateHandoffRequest r;
      if (Parse(data, size, &r)) (void)store->workflow().CreateHandoff(r);
      break;
    }
    case 12: {
      v1::RecordHandoffFeedbackRequest r;
      if (Parse(data, size, &r))
        (void)store->workflow().RecordHandoffFeedback(r);
      break;
    }
    case 13: {
      v1::ListAccountReadinessRequest r;
      if (Parse(data, size, &r))
        (void)store->readiness().ListAccountReadiness(r);
      break;
    }
    case 14: {
      v1::ImportRecordsRequest r;
      if (Parse(data, size, &r)) (void)store->intake().ImportBatch({r});
      break;
    }
    case 15: {
      v1::StreamSignalsRequest r;
      if (Parse(data, size, &r)) {
        std::vector<v1::CreateSignalRequest> batch(r.signals().begin(),
                                                   r.signals().end());
        (void)store->intake().RecordSignalStream(batch);
      }
      break;
    }
    case 16: {
      v1::ValidatePolicyRequest r;
      if (Parse(data, size, &r)) {
        (void)quorum::graph::PolicyFromSource(r.source(), "source");
      }
      break;
    }
    case 17: {
      v1::SimulatePolicyRequest r;
      if (Parse(data, size, &r)) {
        auto policy = quorum::graph::PolicyFromSource(r.source(), "source");
        if (policy.ok()) {
          (void)store->policies().SimulatePolicy(
              *policy, absl::FromUnixSeconds(1790000000));
        }
      }
      // The same bytes as a SuggestPolicyRequest: its options, and the
      // search over whatever handoffs with feedback the store holds.
      v1::SuggestPolicyRequest suggest;
      if (Parse(data, size, &suggest)) {
        auto options = quorum::graph::SearchOptionsFrom(
            suggest.folds(), {suggest.multipliers().data(),
                              static_cast<size_t>(suggest.multipliers_size())});
        if (options.ok()) {
          (void)store->policies().SuggestPolicy(
              *options, absl::FromUnixSeconds(1790000000));
        }
      }
      break;
    }
    case 18: {
      v1::DeleteStakeholderRequest r;
      if (Parse(data, size, &r)) {
        (void)store->accounts().GetCommitteeMap(r.name());
        (void)store->accounts().GetStakeholder(r.name());
        (void)store->accounts().DeleteStakeholder(r.name(), r.etag());
      }
      break;
    }
    case 19: {
      v1::GetProcessMetricsRequest r;
      if (Parse(data, size, &r) && r.has_start_time() && r.has_end_time()) {
        (void)store->workflow().GetProcessMetrics(
            absl::FromUnixSeconds(r.start_time().seconds()) +
                absl::Nanoseconds(r.start_time().nanos()),
            absl::FromUnixSeconds(r.end_time().seconds()) +
                absl::Nanoseconds(r.end_time().nanos()));
      }
      break;
    }
    case 20: {
      v1::CreateWebhookRequest r;
      if (Parse(data, size, &r)) {
        auto created = store->webhooks().CreateWebhook(r);
        const std::string name =
            created.ok() ? created->name() : "webhooks/" + r.webhook_id();
        (void)store->webhooks().GetWebhook(name);
        (void)store->webhooks().ResumeWebhook([&] {
          v1::ResumeWebhookRequest resume;
          resume.set_name(name);
          resume.set_skip_compacted(r.start_sequence() % 2 == 0);
          return resume;
        }());
        (void)store->webhooks().DeleteWebhook(name);
      }
      break;
    }
    case 21: {
      v1::ResumeWebhookRequest r;
      if (Parse(data, size, &r)) {
        (void)store->webhooks().GetWebhook(r.name());
        (void)store->webhooks().ResumeWebhook(r);
        (void)store->webhooks().DeleteWebhook(r.name());
        (void)store->webhooks().ListWebhooks(50, r.name());
      }
      break;
    }
  }
  return 0;
}
