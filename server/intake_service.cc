#include "server/intake_service.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "graph/status.h"
#include "server/client_stream.h"
#include "server/grpc_status.h"

namespace quorum::server {
namespace {

// The first field violation of `status` (prefix removed), or empty.
std::string FieldOf(const absl::Status& status, absl::string_view prefix) {
  const google::rpc::BadRequest bad = BadRequestOf(status);
  if (bad.field_violations_size() == 0) return "";
  return std::string(absl::StripPrefix(bad.field_violations(0).field(), prefix));
}

// The status's message with every field violation spelled out.
std::string ReasonOf(const absl::Status& status) {
  const google::rpc::BadRequest bad = BadRequestOf(status);
  if (bad.field_violations_size() == 0) return std::string(status.message());
  std::vector<std::string> parts;
  for (const auto& v : bad.field_violations()) {
    parts.push_back(absl::StrCat(v.field(), ": ", v.description()));
  }
  return absl::StrJoin(parts, "; ");
}

std::string CodeName(absl::StatusCode code) {
  return absl::StatusCodeToString(code);
}

}  // namespace

grpc::Status IntakeServiceImpl::SubmitLead(grpc::ServerContext*,
                                           const v1::SubmitLeadRequest* request,
                                           v1::SubmitLeadResponse* response) {
  return Reply(store_->SubmitLead(*request), response);
}

namespace {

// Collects a signal stream into batches of kStreamBatch signals, each
// recorded in one transaction.
class SignalSink {
 public:
  using Response = v1::StreamSignalsResponse;
  explicit SignalSink(graph::Store* store) : store_(store) {}

  absl::Status Add(v1::StreamSignalsRequest message) {
    for (auto& signal : *message.mutable_signals()) {
      response_.set_received(response_.received() + 1);
      batch_.push_back(std::move(signal));
      if (batch_.size() == IntakeServiceImpl::kStreamBatch) {
        RETURN_IF_ERROR(Flush());
      }
    }
    return absl::OkStatus();
  }

  absl::Status Flush() {
    if (batch_.empty()) return absl::OkStatus();
    auto outcomes = store_->RecordSignalStream(batch_);
    if (!outcomes.ok()) return outcomes.status();
    for (size_t i = 0; i < outcomes->size(); ++i) {
      const absl::Status& outcome = (*outcomes)[i];
      if (outcome.ok()) {
        response_.set_accepted(response_.accepted() + 1);
      } else if (absl::IsAlreadyExists(outcome)) {
        response_.set_duplicates(response_.duplicates() + 1);
      } else {
        response_.set_rejected(response_.rejected() + 1);
        if (response_.errors_size() < IntakeServiceImpl::kMaxReportedErrors) {
          auto* error = response_.add_errors();
          error->set_position(first_position_ + static_cast<int64_t>(i));
          error->set_field(FieldOf(outcome, "signal_request."));
          error->set_reason(ReasonOf(outcome));
        }
      }
    }
    first_position_ += static_cast<int64_t>(batch_.size());
    batch_.clear();
    return absl::OkStatus();
  }

  const Response& response() const { return response_; }

 private:
  graph::Store* store_;
  std::vector<v1::CreateSignalRequest> batch_;
  int64_t first_position_ = 0;
  Response response_;
};

// Collects an import into batches of kStreamBatch records, each upserted in
// one transaction.
class ImportSink {
 public:
  using Response = v1::ImportRecordsResponse;
  explicit ImportSink(graph::Store* store) : store_(store) {}

  absl::Status Add(v1::ImportRecordsRequest record) {
    response_.set_received(response_.received() + 1);
    batch_.push_back(std::move(record));
    if (batch_.size() == IntakeServiceImpl::kStreamBatch) return Flush();
    return absl::OkStatus();
  }

  absl::Status Flush() {
    if (batch_.empty()) return absl::OkStatus();
    auto outcomes = store_->ImportBatch(batch_);
    if (!outcomes.ok()) return outcomes.status();
    for (size_t i = 0; i < outcomes->size(); ++i) {
      const auto& outcome = (*outcomes)[i];
      if (outcome.ok()) {
        switch (*outcome) {
          case graph::Store::ImportOutcome::kCreated:
            response_.set_created(response_.created() + 1);
            break;
          case graph::Store::ImportOutcome::kUpdated:
            response_.set_updated(response_.updated() + 1);
            break;
          case graph::Store::ImportOutcome::kUnchanged:
            response_.set_unchanged(response_.unchanged() + 1);
            break;
        }
        continue;
      }
      response_.set_rejected(response_.rejected() + 1);
      if (response_.errors_size() < IntakeServiceImpl::kMaxReportedErrors) {
        const auto& record = batch_[i];
        auto* error = response_.add_errors();
        error->set_position(first_position_ + static_cast<int64_t>(i));
        error->set_name(record.has_account()       ? record.account().name()
                        : record.has_site()        ? record.site().name()
                        : record.has_stakeholder() ? record.stakeholder().name()
                                                   : "");
        error->set_code(CodeName(outcome.status().code()));
        error->set_reason(ReasonOf(outcome.status()));
      }
    }
    first_position_ += static_cast<int64_t>(batch_.size());
    batch_.clear();
    return absl::OkStatus();
  }

  const Response& response() const { return response_; }

 private:
  graph::Store* store_;
  std::vector<v1::ImportRecordsRequest> batch_;
  int64_t first_position_ = 0;
  Response response_;
};

}  // namespace

grpc::ServerReadReactor<grpc::ByteBuffer>* IntakeServiceImpl::StreamSignals(
    grpc::CallbackServerContext*, grpc::ByteBuffer* response) {
  return new ClientStreamReactor<v1::StreamSignalsRequest, SignalSink>(
      response, SignalSink(store_));
}

grpc::ServerReadReactor<grpc::ByteBuffer>* IntakeServiceImpl::ImportRecords(
    grpc::CallbackServerContext*, grpc::ByteBuffer* response) {
  return new ClientStreamReactor<v1::ImportRecordsRequest, ImportSink>(
      response, ImportSink(store_));
}

}  // namespace quorum::server
