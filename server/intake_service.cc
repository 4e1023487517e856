#include "server/intake_service.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "graph/model/status.h"
#include "server/access.h"
#include "server/client_stream.h"
#include "server/grpc_status.h"
#include "server/pagination.h"

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
    return Reply(intake_->SubmitLead(named), response);
  }
  return Reply(intake_->SubmitLead(*request), response);
}

grpc::Status IntakeServiceImpl::ListUnplacedLeads(
    grpc::ServerContext*, const v1::ListUnplacedLeadsRequest* request,
    v1::ListUnplacedLeadsResponse* response) {
  // A token is bound to the reason it was listed with.
  const std::string scope =
      absl::StrCat("unplacedLeads?reason=", request->reason());
  return ListPage<v1::UnplacedLead>(
      request->page_size(), request->page_token(), scope,
      [&](int n, const std::string& after) {
        return intake_->ListUnplacedLeads(request->reason(), n, after);
      },
      response->mutable_unplaced_leads(), response->mutable_next_page_token());
}

grpc::Status IntakeServiceImpl::PlaceLead(grpc::ServerContext*,
                                          const v1::PlaceLeadRequest* request,
                                          v1::PlaceLeadResponse* response) {
  return Reply(intake_->PlaceLead(*request), response);
}

grpc::Status IntakeServiceImpl::DeleteUnplacedLead(
    grpc::ServerContext*, const v1::DeleteUnplacedLeadRequest* request,
    google::protobuf::Empty*) {
  return ToGrpcStatus(intake_->DeleteUnplacedLead(request->name()));
}

namespace {

// Collects a signal stream into batches of kStreamBatch signals, each
// recorded in one transaction.
class SignalSink {
 public:
  using Response = v1::StreamSignalsResponse;
  explicit SignalSink(graph::Intake* intake) : intake_(intake) {}

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
    auto outcomes = intake_->RecordSignalStream(batch_);
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
  graph::Intake* intake_;
  std::vector<v1::CreateSignalRequest> batch_;
  int64_t first_position_ = 0;
  Response response_;
};

// Collects an import into batches of kStreamBatch records, each upserted in
// one transaction.
class ImportSink {
 public:
  using Response = v1::ImportRecordsResponse;
  explicit ImportSink(graph::Intake* intake) : intake_(intake) {}

  absl::Status Add(v1::ImportRecordsRequest record) {
    response_.set_received(response_.received() + 1);
    // A full batch is written before the next record, unless that record
    // continues the last one's group: a group stays in one transaction.
    const bool continues_group = !batch_.empty() && !record.group().empty() &&
                                 record.group() == batch_.back().group();
    group_length_ = continues_group ? group_length_ + 1 : 1;
    if (group_length_ > IntakeServiceImpl::kMaxImportGroup) {
      return absl::InvalidArgumentError(absl::StrCat(
          "group: \"", record.group(), "\" has more than ",
          IntakeServiceImpl::kMaxImportGroup,
          " records; nothing from it was written"));
    }
    if (batch_.size() >= IntakeServiceImpl::kStreamBatch && !continues_group) {
      absl::Status flushed = Flush();
      if (!flushed.ok()) return flushed;
    }
    batch_.push_back(std::move(record));
    return absl::OkStatus();
  }

  absl::Status Flush() {
    if (batch_.empty()) return absl::OkStatus();
    auto outcomes = intake_->ImportBatch(batch_);
    if (!outcomes.ok()) return outcomes.status();
    for (size_t i = 0; i < outcomes->size(); ++i) {
      const auto& outcome = (*outcomes)[i];
      if (outcome.ok()) {
        switch (*outcome) {
          case graph::Intake::ImportOutcome::kCreated:
            response_.set_created(response_.created() + 1);
            break;
          case graph::Intake::ImportOutcome::kUpdated:
            response_.set_updated(response_.updated() + 1);
            break;
          case graph::Intake::ImportOutcome::kUnchanged:
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
  graph::Intake* intake_;
  std::vector<v1::ImportRecordsRequest> batch_;
  size_t group_length_ = 0;  // Of the group the last record belongs to.
  int64_t first_position_ = 0;
  Response response_;
};

}  // namespace

grpc::ServerReadReactor<grpc::ByteBuffer>* IntakeServiceImpl::StreamSignals(
    grpc::CallbackServerContext*, grpc::ByteBuffer* response) {
  return new ClientStreamReactor<v1::StreamSignalsRequest, SignalSink>(
      response, SignalSink(intake_));
}

grpc::ServerReadReactor<grpc::ByteBuffer>* IntakeServiceImpl::ImportRecords(
    grpc::CallbackServerContext*, grpc::ByteBuffer* response) {
  return new ClientStreamReactor<v1::ImportRecordsRequest, ImportSink>(
      response, ImportSink(intake_));
}

}  // namespace quorum::server
