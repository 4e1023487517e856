// IntakeService: leads, signal streams and record imports over gRPC.
#ifndef QUORUM_SERVER_INTAKE_SERVICE_H_
#define QUORUM_SERVER_INTAKE_SERVICE_H_

#include "graph/usecases/intake.h"
#include "quorum/v1/intake_service.grpc.pb.h"

namespace quorum::server {

// Thread-safe; does not own the use case. Streams are read in batches of
// `kStreamBatch`, each written in one durable transaction, so memory stays
// bounded however long the stream is. The two streams are raw callback
// methods (see server/client_stream.h): a message that does not decode ends
// the stream with INVALID_ARGUMENT naming its position, after the messages
// before it were committed.
class IntakeServiceImpl final
    : public v1::IntakeService::WithRawCallbackMethod_StreamSignals<
          v1::IntakeService::WithRawCallbackMethod_ImportRecords<
              v1::IntakeService::Service>> {
 public:
  static constexpr size_t kStreamBatch = 1000;
  static constexpr int kMaxReportedErrors = 100;
  // The most records one import group may have (they share a transaction).
  static constexpr size_t kMaxImportGroup = 1000;

  explicit IntakeServiceImpl(graph::Intake* intake) : intake_(intake) {}

  grpc::Status SubmitLead(grpc::ServerContext*,
                          const v1::SubmitLeadRequest* request,
                          v1::SubmitLeadResponse* response) override;
  grpc::Status ListUnplacedLeads(
      grpc::ServerContext*, const v1::ListUnplacedLeadsRequest* request,
      v1::ListUnplacedLeadsResponse* response) override;
  grpc::Status PlaceLead(grpc::ServerContext*,
                         const v1::PlaceLeadRequest* request,
                         v1::PlaceLeadResponse* response) override;
  grpc::Status DeleteUnplacedLead(grpc::ServerContext*,
                                  const v1::DeleteUnplacedLeadRequest* request,
                                  google::protobuf::Empty* response) override;
  // Stream of v1::StreamSignalsRequest, answers v1::StreamSignalsResponse.
  grpc::ServerReadReactor<grpc::ByteBuffer>* StreamSignals(
      grpc::CallbackServerContext* context,
      grpc::ByteBuffer* response) override;
  // Stream of v1::ImportRecordsRequest, answers v1::ImportRecordsResponse.
  grpc::ServerReadReactor<grpc::ByteBuffer>* ImportRecords(
      grpc::CallbackServerContext* context,
      grpc::ByteBuffer* response) override;

 private:
  graph::Intake* intake_;
};

}  // namespace quorum::server

#endif  // QUORUM_SERVER_INTAKE_SERVICE_H_
