#include "server/intake_service.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "graph/status.h"
#include "server/access.h"
#include "server/grpc_status.h"

namespace quorum::server {
namespace {

// The first field violation of `status` (prefix removed), or empty.
std::string FieldOf(const absl::Status& status, absl::string_view prefix) {
  const google::rpc::BadRequest bad = BadRequestOf(status);
  if (bad.field_violations_size() == 0) return "";
  return std::string(
      absl::StripPrefix(bad.field_violations(0).field(), prefix));
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

grpc::Status IntakeServiceImpl::SubmitLead(grpc::ServerContext* context,
                                           const v1::SubmitLeadRequest* request,
                                           v1::SubmitLeadResponse* response) {
  std::string caller = CallerOf(*context);
  if (request->lead().has_note() && request->lead().note().author().empty() &&
      !caller.empty()) {
    v1::SubmitLeadRequest named = *request;
    named.mutable_lead()->mutable_note()->set_author(caller);
    return Reply(store_->SubmitLead(named), response);
  }
  return Reply(store_->SubmitLead(*request), response);
}

grpc::Status IntakeServiceImpl::StreamSignals(
    grpc::ServerContext*, grpc::ServerReader<v1::StreamSignalsRequest>* reader,
    v1::StreamSignalsResponse* response) {
  std::vector<v1::CreateSignalRequest> batch;
  int64_t first_position = 0;
  auto flush = [&]() -> absl::Status {
    if (batch.empty()) return absl::OkStatus();
    auto outcomes = store_->RecordSignalStream(batch);
    if (!outcomes.ok()) return outcomes.status();
    for (size_t i = 0; i < outcomes->size(); ++i) {
      const absl::Status& outcome = (*outcomes)[i];
      if (outcome.ok()) {
        response->set_accepted(response->accepted() + 1);
      } else if (absl::IsAlreadyExists(outcome)) {
        response->set_duplicates(response->duplicates() + 1);
      } else {
        response->set_rejected(response->rejected() + 1);
        if (response->errors_size() < kMaxReportedErrors) {
          auto* error = response->add_errors();
          error->set_position(first_position + static_cast<int64_t>(i));
          error->set_field(FieldOf(outcome, "signal_request."));
          error->set_reason(ReasonOf(outcome));
        }
      }
    }
    first_position += static_cast<int64_t>(batch.size());
    batch.clear();
    return absl::OkStatus();
  };
  v1::StreamSignalsRequest message;
  while (reader->Read(&message)) {
    for (auto& signal : *message.mutable_signals()) {
      response->set_received(response->received() + 1);
      batch.push_back(std::move(signal));
      if (batch.size() == kStreamBatch) {
        absl::Status status = flush();
        if (!status.ok()) return ToGrpcStatus(status);
      }
    }
  }
  return ToGrpcStatus(flush());
}

grpc::Status IntakeServiceImpl::ImportRecords(
    grpc::ServerContext*, grpc::ServerReader<v1::ImportRecordsRequest>* reader,
    v1::ImportRecordsResponse* response) {
  std::vector<v1::ImportRecordsRequest> batch;
  int64_t first_position = 0;
  auto flush = [&]() -> absl::Status {
    if (batch.empty()) return absl::OkStatus();
    auto outcomes = store_->ImportBatch(batch);
    if (!outcomes.ok()) return outcomes.status();
    for (size_t i = 0; i < outcomes->size(); ++i) {
      const auto& outcome = (*outcomes)[i];
      if (outcome.ok()) {
        switch (*outcome) {
          case graph::Store::ImportOutcome::kCreated:
            response->set_created(response->created() + 1);
            break;
          case graph::Store::ImportOutcome::kUpdated:
            response->set_updated(response->updated() + 1);
            break;
          case graph::Store::ImportOutcome::kUnchanged:
            response->set_unchanged(response->unchanged() + 1);
            break;
        }
        continue;
      }
      response->set_rejected(response->rejected() + 1);
      if (response->errors_size() < kMaxReportedErrors) {
        const auto& record = batch[i];
        auto* error = response->add_errors();
        error->set_position(first_position + static_cast<int64_t>(i));
        error->set_name(record.has_account()       ? record.account().name()
                        : record.has_site()        ? record.site().name()
                        : record.has_stakeholder() ? record.stakeholder().name()
                                                   : "");
        error->set_code(CodeName(outcome.status().code()));
        error->set_reason(ReasonOf(outcome.status()));
      }
    }
    first_position += static_cast<int64_t>(batch.size());
    batch.clear();
    return absl::OkStatus();
  };
  v1::ImportRecordsRequest record;
  size_t group_length = 0;  // Of the group the last record belongs to.
  while (reader->Read(&record)) {
    response->set_received(response->received() + 1);
    // A full batch is written before the next record, unless that record
    // continues the last one's group: a group stays in one transaction.
    const bool continues_group = !batch.empty() && !record.group().empty() &&
                                 record.group() == batch.back().group();
    group_length = continues_group ? group_length + 1 : 1;
    if (group_length > kMaxImportGroup) {
      return ToGrpcStatus(absl::InvalidArgumentError(absl::StrCat(
          "group: \"", record.group(), "\" has more than ", kMaxImportGroup,
          " records; nothing from it was written")));
    }
    if (batch.size() >= kStreamBatch && !continues_group) {
      absl::Status status = flush();
      if (!status.ok()) return ToGrpcStatus(status);
    }
    batch.push_back(std::move(record));
  }
  return ToGrpcStatus(flush());
}

}  // namespace quorum::server
